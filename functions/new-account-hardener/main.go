// Command new-account-hardener is the Lambda function that removes the root
// credentials of every account created in or joining the organization.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rootguard/rootguard/shared/coldstart"
	"github.com/rootguard/rootguard/shared/rootsession"
)

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	slog.SetDefault(logger)
	ctx := context.Background()

	env, err := coldstart.Load(ctx, os.Getenv, logger)
	if err != nil {
		fail(logger, "cold start", err)
	}
	sessions, err := env.RootSessions(rootsession.WithDuration(sessionDuration))
	if err != nil {
		fail(logger, "set up root sessions", err)
	}
	h, err := NewHandler(env.Settings, Parts{
		Features: iam.NewFromConfig(env.AWS, func(o *iam.Options) { o.RetryMaxAttempts = iamMaxAttempts }),
		Sessions: sessions,
		RootUser: iamRootUser{},
		Notifier: env.Notifier,
		Accounts: env.Accounts,
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
