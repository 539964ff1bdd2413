// Command bucket-policy-unlocker is the Lambda function that unlocks S3
// bucket policies that lock every principal of their account out: on a
// PutBucketPolicy event it removes the offending statements, or deletes
// the policy, through a root session scoped to S3UnlockBucketPolicy.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/rootguard/rootguard/shared/accountname"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
	"github.com/rootguard/rootguard/shared/unlock"
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
	h, err := unlock.NewHandler(s, unlock.Parts{
		Service:  buckets{client: newS3Client},
		Sessions: sessions,
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
