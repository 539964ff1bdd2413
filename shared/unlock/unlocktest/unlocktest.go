// Package unlocktest fakes what an unlock.Handler works with, for the tests
// of shared/unlock and of the functions built on it.
//
// The fakes implement unlock.SessionOpener, unlock.Deliverer and
// unlock.AccountNamer. The package does not import shared/unlock, so that
// unlock's own in-package tests can use it without an import cycle.
package unlocktest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"

	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
)

const (
	// Management is the management account of the handlers under test.
	Management = "111122223333"
	// Dev is the account of every sample event, named workload-dev.
	Dev = "444455556666"
	// HomeRegion is the region of the root sessions the fake openers
	// return: the function's, never the resource's, so that a test sees
	// whether the handler moves the session to the resource's region.
	HomeRegion = "eu-central-1"
)

// Opener opens root sessions with OpenFunc.
type Opener struct {
	OpenFunc func(ctx context.Context, accountID string, task rootsession.Task) (aws.Config, error)
}

func (f Opener) Open(ctx context.Context, accountID string, task rootsession.Task) (aws.Config, error) {
	return f.OpenFunc(ctx, accountID, task)
}

// Deliverer delivers findings with DeliverFunc.
type Deliverer struct {
	DeliverFunc func(ctx context.Context, f notify.Finding) error
}

func (f Deliverer) Deliver(ctx context.Context, fi notify.Finding) error {
	return f.DeliverFunc(ctx, fi)
}

// Namer names accounts with NameFunc.
type Namer struct {
	NameFunc func(ctx context.Context, accountID string) string
}

func (f Namer) Name(ctx context.Context, accountID string) string {
	return f.NameFunc(ctx, accountID)
}

// SessionsFor is an Opener of root sessions in HomeRegion that fails t when
// asked for a session in another account than accountID or with another
// task than task.
func SessionsFor(t testing.TB, accountID string, task rootsession.Task) Opener {
	return Opener{OpenFunc: func(_ context.Context, account string, got rootsession.Task) (aws.Config, error) {
		if account != accountID || got != task {
			t.Errorf("opened a root session in %s for %s", account, got)
		}
		return aws.Config{Region: HomeRegion}, nil
	}}
}

// Collect is a Deliverer that appends each finding to sent.
func Collect(sent *[]notify.Finding) Deliverer {
	return Deliverer{DeliverFunc: func(_ context.Context, f notify.Finding) error {
		*sent = append(*sent, f)
		return nil
	}}
}

// Names is a Namer that knows Dev as workload-dev and Management as
// management; any other account has no name.
func Names() Namer {
	return Namer{NameFunc: func(_ context.Context, id string) string {
		return map[string]string{Dev: "workload-dev", Management: "management"}[id]
	}}
}

// Settings are the settings of a handler under test: Management as the
// management account, and vars, environment variables by name, on top.
func Settings(t testing.TB, vars map[string]string) settings.Settings {
	t.Helper()
	env := map[string]string{settings.EnvManagementAccountID: Management}
	for k, v := range vars {
		env[k] = v
	}
	s, err := settings.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// APIError is an AWS API error with code, as the SDK returns it.
func APIError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code + " (test)"}
}

// ReadEvent reads the sample event name of function from the repository's
// events directory, for a test whose package is two directories below the
// repository root, as the functions' and shared/unlock's are.
func ReadEvent(t testing.TB, function, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", function, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
