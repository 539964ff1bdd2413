package rootsession

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

const (
	management = "111122223333"
	member     = "444455556666"
)

type fakeSTS struct {
	assumeRoot func(ctx context.Context, params *sts.AssumeRootInput) (*sts.AssumeRootOutput, error)

	mu    sync.Mutex
	calls []*sts.AssumeRootInput
}

func (f *fakeSTS) AssumeRoot(ctx context.Context, params *sts.AssumeRootInput, _ ...func(*sts.Options)) (*sts.AssumeRootOutput, error) {
	f.mu.Lock()
	f.calls = append(f.calls, params)
	f.mu.Unlock()
	return f.assumeRoot(ctx, params)
}

func (f *fakeSTS) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// issuing returns an AssumeRoot that hands out ASIA1, ASIA2... each expiring
// after lifetime.
func issuing(lifetime time.Duration) func(context.Context, *sts.AssumeRootInput) (*sts.AssumeRootOutput, error) {
	var mu sync.Mutex
	n := 0
	return func(context.Context, *sts.AssumeRootInput) (*sts.AssumeRootOutput, error) {
		mu.Lock()
		defer mu.Unlock()
		n++
		return &sts.AssumeRootOutput{Credentials: &types.Credentials{
			AccessKeyId:     aws.String(fmt.Sprintf("ASIA%d", n)),
			SecretAccessKey: aws.String(fmt.Sprintf("secret%d", n)),
			SessionToken:    aws.String(fmt.Sprintf("token%d", n)),
			Expiration:      aws.Time(time.Now().Add(lifetime)),
		}}, nil
	}
}

func baseConfig() aws.Config {
	return aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAMANAGEMENT", "secret", ""),
	}
}

func newOpener(t *testing.T, fake *fakeSTS, opts ...Option) *Opener {
	t.Helper()
	o, err := New(baseConfig(), append([]Option{WithClient(fake), WithManagementAccount(management)}, opts...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return o
}

func TestOpen(t *testing.T) {
	fake := &fakeSTS{assumeRoot: issuing(time.Hour)}
	base := baseConfig()
	o, err := New(base, WithClient(fake), WithManagementAccount(management))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.Open(context.Background(), member, DeleteRootUserCredentials)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if fake.count() != 1 {
		t.Fatalf("Open made %d AssumeRoot calls, want 1", fake.count())
	}
	in := fake.calls[0]
	if got := aws.ToString(in.TargetPrincipal); got != member {
		t.Errorf("TargetPrincipal = %q, want %q", got, member)
	}
	if in.TaskPolicyArn == nil || aws.ToString(in.TaskPolicyArn.Arn) != DeleteRootUserCredentials.ARN() {
		t.Errorf("TaskPolicyArn = %+v, want %s", in.TaskPolicyArn, DeleteRootUserCredentials.ARN())
	}
	if got := aws.ToInt32(in.DurationSeconds); got != int32(DefaultDuration/time.Second) {
		t.Errorf("DurationSeconds = %d, want %d", got, int32(DefaultDuration/time.Second))
	}

	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "ASIA1" || creds.SecretAccessKey != "secret1" || creds.SessionToken != "token1" {
		t.Errorf("credentials = %s/%s/%s, want the session's ASIA1/secret1/token1", creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	}
	if !creds.CanExpire || creds.AccountID != member {
		t.Errorf("credentials CanExpire=%v AccountID=%q, want true, %s", creds.CanExpire, creds.AccountID, member)
	}
	if fake.count() != 1 {
		t.Errorf("first use made another AssumeRoot call: %d calls, want 1", fake.count())
	}
	if cfg.Region != base.Region {
		t.Errorf("Region = %q, want the base config's %q", cfg.Region, base.Region)
	}
	// The base configuration keeps its own credentials.
	if bc, _ := base.Credentials.Retrieve(context.Background()); bc.AccessKeyID != "AKIAMANAGEMENT" {
		t.Errorf("base config credentials changed to %s", bc.AccessKeyID)
	}
}

func TestOpenErrors(t *testing.T) {
	network := errors.New("dial tcp: connection refused")
	opErr := func(err error) error {
		return &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRoot", Err: err}
	}
	generic := func(code, msg string) error { return opErr(&smithy.GenericAPIError{Code: code, Message: msg}) }
	tests := []struct {
		name     string
		err      error
		sentinel error // nil: none of the sentinels
		code     string
	}{
		{"not authorized", generic("AccessDenied", "User: arn:aws:sts::111122223333:assumed-role/hardener/x is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::444455556666:root"), ErrNotAllowed, "AccessDenied"},
		{"scp deny", generic("AccessDenied", "with an explicit deny in a service control policy"), ErrNotAllowed, "AccessDenied"},
		{"root sessions not permitted", generic("AccessDenied", "User is not authorized to start root sessions in 444455556666"), ErrNotAllowed, "AccessDenied"},
		{"principal disabled", generic("AccessDenied", "The caller's access is disabled"), ErrNotAllowed, "AccessDenied"},
		{"exception suffix", generic("AccessDeniedException", "not authorized"), ErrNotAllowed, "AccessDeniedException"},
		{"centralized root access off", generic("AccessDenied", "Centralized root access is not enabled for your organization"), ErrFeatureDisabled, "AccessDenied"},
		{"root sessions disabled", generic("AccessDenied", "The RootSessions feature is disabled for this organization."), ErrFeatureDisabled, "AccessDenied"},
		{"trusted access off", generic("ServiceAccessNotEnabled", "trusted access is not enabled for IAM"), ErrFeatureDisabled, "ServiceAccessNotEnabled"},
		{"expired typed", opErr(&types.ExpiredTokenException{Message: aws.String("The security token included in the request is expired")}), ErrExpired, "ExpiredTokenException"},
		{"expired plain code", generic("ExpiredToken", "expired"), ErrExpired, "ExpiredToken"},
		{"region disabled", opErr(&types.RegionDisabledException{Message: aws.String("STS is not activated in this region")}), ErrRegionDisabled, "RegionDisabledException"},
		{"throttling after retries", generic("Throttling", "Rate exceeded"), nil, "Throttling"},
		{"unknown api error", generic("InvalidClientTokenId", "bad key"), nil, "InvalidClientTokenId"},
		{"network", network, nil, ""},
	}
	sentinels := []error{ErrFeatureDisabled, ErrNotAllowed, ErrManagementAccount, ErrExpired, ErrRegionDisabled}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSTS{assumeRoot: func(context.Context, *sts.AssumeRootInput) (*sts.AssumeRootOutput, error) { return nil, tt.err }}
			_, err := newOpener(t, fake).Open(context.Background(), member, DeleteRootUserCredentials)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if want := "assume root in 444455556666 for delete root credentials: "; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			for _, s := range sentinels {
				if got := errors.Is(err, s); got != (s == tt.sentinel) {
					t.Errorf("errors.Is(err, %q) = %v", s, got)
				}
			}
			if !errors.Is(err, tt.err) {
				t.Errorf("error %q lost the underlying error", err)
			}
			var apiErr smithy.APIError
			if errors.As(err, &apiErr) != (tt.code != "") || (tt.code != "" && apiErr.ErrorCode() != tt.code) {
				t.Errorf("errors.As(smithy.APIError) on %q: want code %q", err, tt.code)
			}
		})
	}
}

func TestOpenRefusesWithoutCalling(t *testing.T) {
	tests := []struct {
		name    string
		account string
		task    Task
		want    error
	}{
		{"management account", management, AuditRootUserCredentials, ErrManagementAccount},
		{"empty account", "", AuditRootUserCredentials, nil},
		{"11 digits", "44445555666", AuditRootUserCredentials, nil},
		{"13 digits", "4444555566667", AuditRootUserCredentials, nil},
		{"not digits", "44445555666a", AuditRootUserCredentials, nil},
		{"principal arn", "arn:aws:iam::444455556666:root", AuditRootUserCredentials, nil},
		{"zero task", member, 0, nil},
		{"unknown task", member, UnlockSQSQueuePolicy + 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSTS{assumeRoot: issuing(time.Hour)}
			_, err := newOpener(t, fake).Open(context.Background(), tt.account, tt.task)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %q is not %q", err, tt.want)
			}
			if fake.count() != 0 {
				t.Errorf("AssumeRoot called %d times, want 0", fake.count())
			}
		})
	}
}

func TestOpenIncompleteCredentials(t *testing.T) {
	fake := &fakeSTS{assumeRoot: func(context.Context, *sts.AssumeRootInput) (*sts.AssumeRootOutput, error) {
		return &sts.AssumeRootOutput{Credentials: &types.Credentials{AccessKeyId: aws.String("ASIA1")}}, nil
	}}
	if _, err := newOpener(t, fake).Open(context.Background(), member, AuditRootUserCredentials); err == nil {
		t.Fatal("Open accepted credentials without secret, token and expiration")
	}
}

func TestWithDuration(t *testing.T) {
	tests := []struct {
		d       time.Duration
		seconds int32 // 0: New must fail
	}{
		{0, 0},
		{-time.Second, 0},
		{time.Second, 1},
		{1500 * time.Millisecond, 2},
		{time.Second + time.Nanosecond, 2},
		{time.Minute, 60},
		{900 * time.Second, 900},
		{900*time.Second + time.Nanosecond, 0},
		{901 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.d.String(), func(t *testing.T) {
			fake := &fakeSTS{assumeRoot: issuing(time.Hour)}
			o, err := New(baseConfig(), WithClient(fake), WithDuration(tt.d))
			if tt.seconds == 0 {
				if err == nil {
					t.Fatal("New accepted the duration")
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if _, err := o.Open(context.Background(), member, AuditRootUserCredentials); err != nil {
				t.Fatal(err)
			}
			if got := aws.ToInt32(fake.calls[0].DurationSeconds); got != tt.seconds {
				t.Errorf("DurationSeconds = %d, want %d", got, tt.seconds)
			}
		})
	}
}

func TestNew(t *testing.T) {
	fake := &fakeSTS{assumeRoot: issuing(time.Hour)}
	noRegion := baseConfig()
	noRegion.Region = ""
	global := baseConfig()
	global.Region = "aws-global"
	tests := []struct {
		name string
		cfg  aws.Config
		opts []Option
	}{
		{"no region", noRegion, nil},
		{"global endpoint", global, nil},
		{"bad management account", baseConfig(), []Option{WithManagementAccount("1111-2222-3333")}},
		{"retryer with client", baseConfig(), []Option{WithClient(fake), WithRetryer(func() aws.Retryer { return aws.NopRetryer{} })}},
		{"nil retryer", baseConfig(), []Option{WithRetryer(nil)}},
		{"nil client", baseConfig(), []Option{WithClient(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.cfg, tt.opts...); err == nil {
				t.Fatal("New succeeded")
			}
		})
	}
}

func TestDefaultRetryer(t *testing.T) {
	o, err := New(baseConfig())
	if err != nil {
		t.Fatal(err)
	}
	client, ok := o.client.(*sts.Client)
	if !ok {
		t.Fatalf("client is %T, want *sts.Client", o.client)
	}
	// The SDK's default is 3 attempts; throttled fan-out needs more.
	if got := client.Options().Retryer.MaxAttempts(); got < defaultMaxAttempts {
		t.Errorf("MaxAttempts = %d, want at least %d", got, defaultMaxAttempts)
	}
	throttled := &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	if !client.Options().Retryer.IsErrorRetryable(throttled) {
		t.Error("default retryer does not retry Throttling")
	}
}

func TestRefresh(t *testing.T) {
	// WithDuration(100s) gives a 20s expiry window. Credentials that reach
	// it margin after they are issued must be reused before and refreshed
	// after: margin is what a slow machine may take between Open and the
	// first Retrieve, and the pause outlasts it (time.Sleep never returns
	// early).
	const (
		duration = 100 * time.Second
		margin   = 2 * time.Second
	)
	window := expiryWindow(duration)
	tests := []struct {
		name     string
		lifetime time.Duration
		pause    time.Duration
		want     []string // access key seen at each Retrieve after Open
		calls    int
	}{
		{"long-lived credentials are reused", time.Hour, 0, []string{"ASIA1", "ASIA1", "ASIA1"}, 1},
		{"credentials inside the expiry window are refreshed on every use", window / 2, 0, []string{"ASIA2", "ASIA3"}, 3},
		{"credentials are refreshed once the window is reached", window + margin, margin + 100*time.Millisecond, []string{"ASIA1", "ASIA2", "ASIA2"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeSTS{assumeRoot: issuing(tt.lifetime)}
			cfg, err := newOpener(t, fake, WithDuration(duration)).Open(context.Background(), member, AuditRootUserCredentials)
			if err != nil {
				t.Fatal(err)
			}
			for i, want := range tt.want {
				if i == 1 {
					time.Sleep(tt.pause)
				}
				creds, err := cfg.Credentials.Retrieve(context.Background())
				if err != nil {
					t.Fatalf("Retrieve %d: %v", i, err)
				}
				if creds.AccessKeyID != want {
					t.Errorf("Retrieve %d: access key %s, want %s", i, creds.AccessKeyID, want)
				}
			}
			if fake.count() != tt.calls {
				t.Errorf("AssumeRoot called %d times, want %d", fake.count(), tt.calls)
			}
			for _, in := range fake.calls {
				if aws.ToString(in.TargetPrincipal) != member || aws.ToString(in.TaskPolicyArn.Arn) != AuditRootUserCredentials.ARN() {
					t.Errorf("refresh assumed %s with %s, want the session's account and task", aws.ToString(in.TargetPrincipal), aws.ToString(in.TaskPolicyArn.Arn))
				}
			}
		})
	}
}

func TestRefreshError(t *testing.T) {
	issue := issuing(time.Second)
	fake := &fakeSTS{}
	fake.assumeRoot = func(ctx context.Context, in *sts.AssumeRootInput) (*sts.AssumeRootOutput, error) {
		if fake.count() > 1 {
			return nil, &types.ExpiredTokenException{Message: aws.String("expired")}
		}
		return issue(ctx, in)
	}
	cfg, err := newOpener(t, fake, WithDuration(10*time.Second)).Open(context.Background(), member, DeleteRootUserCredentials)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Credentials.Retrieve(context.Background())
	if !errors.Is(err, ErrExpired) {
		t.Fatalf("refresh error %v is not ErrExpired", err)
	}
	if !strings.Contains(err.Error(), "assume root in 444455556666 for delete root credentials") {
		t.Errorf("refresh error %q lacks the session context", err)
	}
}
