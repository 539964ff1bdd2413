// Command root-activity-alerter is the Lambda function that reports every
// sts:AssumeRoot call and every root console sign-in to SNS and Slack.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/rootguard/rootguard/shared/coldstart"
)

func main() {
	logger := slog.New(lambdacontext.NewLogHandler())
	slog.SetDefault(logger)
	ctx := context.Background()

	env, err := coldstart.Load(ctx, os.Getenv, logger)
	if err != nil {
		fail(logger, "cold start", err)
	}
	h, err := NewHandler(env.Settings, env.Notifier, env.Accounts, logger)
	if err != nil {
		fail(logger, "set up handler", err)
	}
	lambda.Start(h.Handle)
}

func fail(logger *slog.Logger, msg string, err error) {
	logger.Error(msg, "err", err)
	os.Exit(1)
}
