// Package testbed stands up what a deployed rootguard has around it, locally:
// a local organization, the findings topic, the Slack webhook secret, and the
// functions' built bootstrap binaries run under the Lambda runtime harness.
// The end-to-end tests, the demo and the benchmarks share it, so all three
// exercise exactly what ships.
package testbed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
)

// Region is where the bed's functions, topic and secret live.
const Region = "us-east-1"

// Options configure a Bed.
type Options struct {
	Seed *localorg.Seed
	// Stderr receives the functions' logs; default io.Discard.
	Stderr io.Writer
}

// Bed is a running local deployment.
type Bed struct {
	Org            *localorg.Org
	TopicARN       string
	SlackSecretARN string

	stderr io.Writer
	dir    string

	mu     sync.Mutex
	builds map[string]string // function name -> bootstrap path
}

// Start starts a local organization seeded with opts.Seed and creates the
// findings topic and the Slack webhook secret in its management account.
func Start(ctx context.Context, opts Options) (*Bed, error) {
	org, err := localorg.Start(ctx, localorg.Options{Seed: opts.Seed})
	if err != nil {
		return nil, fmt.Errorf("start local organization: %w", err)
	}
	dir, err := os.MkdirTemp("", "rootguard-testbed-")
	if err != nil {
		org.Close()
		return nil, fmt.Errorf("create build directory: %w", err)
	}
	b := &Bed{Org: org, stderr: opts.Stderr, dir: dir, builds: map[string]string{}}
	if b.stderr == nil {
		b.stderr = io.Discard
	}
	if err := b.provision(ctx); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

func (b *Bed) provision(ctx context.Context) error {
	cfg := b.AWSConfig()
	topic, err := sns.NewFromConfig(cfg).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("rootguard-findings")})
	if err != nil {
		return fmt.Errorf("create findings topic: %w", err)
	}
	b.TopicARN = aws.ToString(topic.TopicArn)
	secret, err := secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String("rootguard/slack-webhook"),
		SecretString: aws.String(b.Org.Client().SlackWebhookURL()),
	})
	if err != nil {
		return fmt.Errorf("create slack webhook secret: %w", err)
	}
	b.SlackSecretARN = aws.ToString(secret.ARN)
	return nil
}

// AWSConfig is an SDK configuration for the management account.
func (b *Bed) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		BaseEndpoint: aws.String(b.Org.Endpoint()),
		Credentials:  credentials.NewStaticCredentialsProvider(localorg.ManagementKeyID, localorg.ManagementSecret, ""),
	}
}

// Env is the environment a deployed function gets from template.yaml, pointed
// at the local organization.
func (b *Bed) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + b.Org.Endpoint(),
		"AWS_REGION=" + Region,
		"AWS_ACCESS_KEY_ID=" + localorg.ManagementKeyID,
		"AWS_SECRET_ACCESS_KEY=" + localorg.ManagementSecret,
		"AWS_SESSION_TOKEN=",
		"ROOTGUARD_MODE=enforce",
		"ROOTGUARD_SNS_TOPIC_ARN=" + b.TopicARN,
		"ROOTGUARD_SLACK_WEBHOOK_SECRET=" + b.SlackSecretARN,
		"ROOTGUARD_SLACK_MIN_SEVERITY=info",
		"ROOTGUARD_MANAGEMENT_ACCOUNT_ID=" + b.Org.ManagementAccountID(),
		"ROOTGUARD_OWN_ROLE_PATTERNS=arn:aws:iam::" + b.Org.ManagementAccountID() + ":role/rootguard-*",
	}
}

// Function builds functions/<name> (once per Bed) and starts it warm, with
// Env() plus env (which wins).
func (b *Bed) Function(ctx context.Context, name string, env ...string) (*lambdaharness.Function, error) {
	return b.FunctionLogs(ctx, name, nil, env...)
}

// FunctionLogs is Function with the function's output (and the harness's
// log lines) also written to logs, for tests that assert on what it logs.
// The function writes from its own goroutines: give it a *Logs.
func (b *Bed) FunctionLogs(ctx context.Context, name string, logs io.Writer, env ...string) (*lambdaharness.Function, error) {
	path, err := b.build(ctx, name)
	if err != nil {
		return nil, err
	}
	stderr := b.stderr
	if logs != nil {
		stderr = io.MultiWriter(b.stderr, logs)
	}
	return lambdaharness.Start(ctx, path, lambdaharness.Options{
		Name:   name,
		Env:    append(b.Env(), env...),
		Stderr: stderr,
	})
}

func (b *Bed) build(ctx context.Context, name string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if path, ok := b.builds[name]; ok {
		return path, nil
	}
	dir := filepath.Join(b.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	path, err := lambdaharness.Build(ctx, "./functions/"+name, dir)
	if err != nil {
		return "", fmt.Errorf("build %s: %w", name, err)
	}
	b.builds[name] = path
	return path, nil
}

// Close stops the organization and removes the builds.
func (b *Bed) Close() error {
	err := b.Org.Close()
	os.RemoveAll(b.dir)
	return err
}

// Logs collects a function's output; safe to read while the function writes.
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
