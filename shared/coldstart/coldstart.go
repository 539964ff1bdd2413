// Package coldstart loads what every rootguard function needs before its
// first event: the shared settings, the AWS configuration, the findings
// notifier and the account-name cache. A function's main adds its own clients
// and starts the handler.
package coldstart

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/organizations"

	"github.com/rootguard/rootguard/shared/accountname"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
)

// Env is a function's configuration and shared clients.
type Env struct {
	Settings settings.Settings
	AWS      aws.Config
	Notifier *notify.Notifier
	Accounts *accountname.Cache
}

// Load reads the environment through getenv (os.Getenv in Lambda) and builds
// the shared clients. Its error says which step failed, naming the variable
// for invalid settings.
func Load(ctx context.Context, getenv func(string) string, logger *slog.Logger) (Env, error) {
	s, err := settings.Load(getenv)
	if err != nil {
		return Env{}, fmt.Errorf("invalid configuration: %w", err)
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return Env{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	n, err := notify.New(ctx, cfg, s.Notify, logger)
	if err != nil {
		// The only cold-start call notify makes is reading the webhook.
		return Env{}, fmt.Errorf("set up notifications from %s: %w", settings.EnvSlackWebhookSecret, err)
	}
	return Env{
		Settings: s,
		AWS:      cfg,
		Notifier: n,
		Accounts: accountname.New(organizations.NewFromConfig(cfg), logger),
	}, nil
}

// RootSessions opens root sessions from the management account the settings
// name (ROOTGUARD_MANAGEMENT_ACCOUNT_ID, required: a function that acts must
// know the account it never acts on), with opts added.
func (e Env) RootSessions(opts ...rootsession.Option) (*rootsession.Opener, error) {
	if e.Settings.ManagementAccountID == "" {
		return nil, fmt.Errorf("root sessions: %s is required", settings.EnvManagementAccountID)
	}
	opts = append([]rootsession.Option{rootsession.WithManagementAccount(e.Settings.ManagementAccountID)}, opts...)
	o, err := rootsession.New(e.AWS, opts...)
	if err != nil {
		return nil, fmt.Errorf("root sessions: %w", err)
	}
	return o, nil
}
