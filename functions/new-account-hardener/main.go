// Command new-account-hardener is the Lambda function that removes the root
// credentials of every account created in or joining the organization.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/rootguard/rootguard/shared/accountname"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
)

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	slog.SetDefault(logger)
	ctx := context.Background()

	s, err := settings.Load(os.Getenv)
	if err != nil {
		fail(logger, "invalid configuration", err)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		fail(logger, "load AWS configuration", err)
	}
	n, err := notify.New(ctx, cfg, s.Notify, logger)
	if err != nil {
		fail(logger, "set up notifications", err)
	}
	sessions, err := rootsession.New(cfg, rootsession.WithManagementAccount(s.ManagementAccountID))
	if err != nil {
		fail(logger, "set up root sessions", err)
	}
	h, err := NewHandler(s, Parts{
		Features: iam.NewFromConfig(cfg, func(o *iam.Options) { o.RetryMaxAttempts = iamMaxAttempts }),
		Sessions: sessions,
		RootUser: iamRootUser{},
		Notifier: n,
		Accounts: accountname.New(organizations.NewFromConfig(cfg), logger),
		Logger:   logger,
	})
	if err != nil {
		fail(logger, "set up handler", err)
	}
	lambda.Start(h.Handle)
}

func fail(logger *slog.Logger, msg string, err error) {
	logger.Error(msg, "err", err)
	os.Exit(1)
}
