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

	"github.com/rootguard/rootguard/shared/coldstart"
	"github.com/rootguard/rootguard/shared/unlock"
)

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	slog.SetDefault(logger)
	ctx := context.Background()

	env, err := coldstart.Load(ctx, os.Getenv, logger)
	if err != nil {
		fail(logger, "cold start", err)
	}
	sessions, err := env.RootSessions()
	if err != nil {
		fail(logger, "set up root sessions", err)
	}
	h, err := unlock.NewHandler(env.Settings, unlock.Parts{
		Service:  buckets{client: newS3Client},
		Sessions: sessions,
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
