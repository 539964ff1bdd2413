// Package rootsession opens privileged root sessions (sts:AssumeRoot) in
// member accounts: an aws.Config whose credentials are the target account's
// root user, narrowed to one task policy, short-lived and refreshed before
// they expire.
package rootsession

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// Errors of Open, matched with errors.Is. The error returned also carries
// the AWS API error, if any, for errors.As.
var (
	// ErrFeatureDisabled: centralized root access (RootSessions) is off for
	// the organization.
	ErrFeatureDisabled = errors.New("root sessions are not enabled for the organization")
	// ErrNotAllowed: the caller may not assume root there (missing
	// sts:AssumeRoot permission, condition, SCP, not a member account...).
	ErrNotAllowed = errors.New("caller is not allowed to assume root")
	// ErrManagementAccount: AssumeRoot cannot target the management account.
	ErrManagementAccount = errors.New("target is the management account, whose root cannot be assumed")
	// ErrExpired: the caller's own credentials have expired.
	ErrExpired = errors.New("caller credentials have expired")
	// ErrRegionDisabled: STS is not activated in the client's region.
	ErrRegionDisabled = errors.New("STS is not activated in this region")
)

const (
	// DefaultDuration covers a hardening or unlock run with room for
	// retries; longer work is refreshed, each refresh being a new AssumeRoot.
	DefaultDuration = 5 * time.Minute
	// MaxDuration is the longest root session AWS grants.
	MaxDuration = 15 * time.Minute

	defaultMaxAttempts = 8
	maxExpiryWindow    = time.Minute
)

// AssumeRootAPI is the STS call the Opener needs.
type AssumeRootAPI interface {
	AssumeRoot(ctx context.Context, params *sts.AssumeRootInput, optFns ...func(*sts.Options)) (*sts.AssumeRootOutput, error)
}

var _ AssumeRootAPI = (*sts.Client)(nil)

// Opener opens root sessions from the management (or delegated
// administrator) account. It is safe for concurrent use.
type Opener struct {
	base       aws.Config
	client     AssumeRootAPI
	retryer    func() aws.Retryer
	management string
	duration   time.Duration
}

// Option configures an Opener.
type Option func(*Opener) error

// WithManagementAccount makes Open refuse the management account with
// ErrManagementAccount before calling AWS.
func WithManagementAccount(accountID string) Option {
	return func(o *Opener) error {
		if !validAccountID(accountID) {
			return fmt.Errorf("management account id %q: want 12 digits", accountID)
		}
		o.management = accountID
		return nil
	}
}

// WithDuration sets the session duration, rounded up to whole seconds,
// between 1s and MaxDuration. The default is DefaultDuration.
func WithDuration(d time.Duration) Option {
	return func(o *Opener) error {
		if d > 0 && d%time.Second != 0 {
			d = d.Truncate(time.Second) + time.Second
		}
		if d < time.Second || d > MaxDuration {
			return fmt.Errorf("session duration %s: want 1s to %s", d, MaxDuration)
		}
		o.duration = d
		return nil
	}
}

// WithRetryer replaces the STS retryer. The default is the SDK's adaptive
// mode with more attempts and no retry quota, so that throttled fan-out
// slows down instead of failing.
func WithRetryer(retryer func() aws.Retryer) Option {
	return func(o *Opener) error {
		if retryer == nil {
			return errors.New("nil retryer")
		}
		o.retryer = retryer
		return nil
	}
}

// WithClient makes the Opener call client instead of an STS client built
// from the configuration (tests, or an STS client the caller configured).
func WithClient(client AssumeRootAPI) Option {
	return func(o *Opener) error {
		if client == nil {
			return errors.New("nil client")
		}
		o.client = client
		return nil
	}
}

// New returns an Opener that calls AssumeRoot with the management account's
// configuration cfg, whose region selects the regional STS endpoint AssumeRoot
// requires. The sessions' configurations are copies of cfg.
func New(cfg aws.Config, opts ...Option) (*Opener, error) {
	if cfg.Region == "" {
		return nil, errors.New("new root session opener: no region: AssumeRoot needs a regional STS endpoint")
	}
	if strings.EqualFold(cfg.Region, "aws-global") {
		return nil, errors.New("new root session opener: region aws-global selects the global STS endpoint, which has no AssumeRoot")
	}
	o := &Opener{base: cfg, duration: DefaultDuration}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, fmt.Errorf("new root session opener: %w", err)
		}
	}
	if o.client != nil && o.retryer != nil {
		return nil, errors.New("new root session opener: WithRetryer has no effect with WithClient")
	}
	if o.client == nil {
		retryer := o.retryer
		if retryer == nil {
			retryer = defaultRetryer
		}
		o.client = sts.NewFromConfig(cfg, func(so *sts.Options) { so.Retryer = retryer() })
	}
	return o, nil
}

func defaultRetryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = defaultMaxAttempts
			// The retry quota would turn sustained throttling into failures;
			// the adaptive rate limiter already slows the client down.
			so.RateLimiter = ratelimit.None
		})
	})
}

// Open assumes root in the member account accountID with task's policy and
// returns a copy of the base configuration using those credentials. The
// first AssumeRoot happens here, so its errors come from Open; the
// credentials are then refreshed before they expire.
func (o *Opener) Open(ctx context.Context, accountID string, task Task) (aws.Config, error) {
	if !validAccountID(accountID) {
		return aws.Config{}, fmt.Errorf("assume root in %q for %s: invalid account id: want 12 digits", accountID, task)
	}
	if !task.valid() {
		return aws.Config{}, fmt.Errorf("assume root in %s: %s", accountID, task)
	}
	if accountID == o.management {
		return aws.Config{}, &sessionError{accountID, task, ErrManagementAccount}
	}
	p := &provider{
		client:  o.client,
		account: accountID,
		task:    task,
		seconds: int32(o.duration / time.Second),
		window:  expiryWindow(o.duration),
	}
	creds, err := p.assume(ctx)
	if err != nil {
		return aws.Config{}, err
	}
	p.first = &creds
	cfg := o.base.Copy()
	cfg.Credentials = aws.NewCredentialsCache(p, func(co *aws.CredentialsCacheOptions) {
		co.ExpiryWindow = p.window
	})
	return cfg, nil
}

// expiryWindow is how long before expiry the cache refreshes: long enough
// for a request and its retries to finish with the old credentials.
func expiryWindow(duration time.Duration) time.Duration {
	return min(duration/5, maxExpiryWindow)
}

// provider is the aws.CredentialsProvider behind a session's cache.
type provider struct {
	client  AssumeRootAPI
	account string
	task    Task
	seconds int32
	window  time.Duration // the cache's ExpiryWindow

	mu    sync.Mutex
	first *aws.Credentials // fetched by Open, handed to the cache on first use
}

func (p *provider) Retrieve(ctx context.Context) (aws.Credentials, error) {
	p.mu.Lock()
	first := p.first
	p.first = nil
	p.mu.Unlock()
	// Open's credentials serve the first use unless they are already due
	// for refresh (the session sat unused).
	if first != nil && time.Until(first.Expires) > p.window {
		return *first, nil
	}
	return p.assume(ctx)
}

func (p *provider) assume(ctx context.Context) (aws.Credentials, error) {
	out, err := p.client.AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(p.account),
		TaskPolicyArn:   &types.PolicyDescriptorType{Arn: aws.String(p.task.ARN())},
		DurationSeconds: aws.Int32(p.seconds),
	})
	if err != nil {
		return aws.Credentials{}, &sessionError{p.account, p.task, classify(err)}
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return aws.Credentials{}, &sessionError{p.account, p.task, errors.New("response has no complete credentials")}
	}
	return aws.Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: *c.SecretAccessKey,
		SessionToken:    *c.SessionToken,
		Source:          "rootsession",
		CanExpire:       true,
		Expires:         *c.Expiration,
		AccountID:       p.account,
	}, nil
}

// sessionError gives every error of a session the same context.
type sessionError struct {
	account string
	task    Task
	err     error
}

func (e *sessionError) Error() string {
	return fmt.Sprintf("assume root in %s for %s: %v", e.account, e.task, e.err)
}

func (e *sessionError) Unwrap() error { return e.err }

// classify puts the matching sentinel in front of an AssumeRoot error.
// Throttling left after the retryer, and anything unknown, stay as they are.
func classify(err error) error {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return err
	}
	var sentinel error
	switch code := strings.TrimSuffix(apiErr.ErrorCode(), "Exception"); {
	case strings.EqualFold(code, "ExpiredToken"):
		sentinel = ErrExpired
	case strings.EqualFold(code, "RegionDisabled"):
		sentinel = ErrRegionDisabled
	case strings.EqualFold(code, "ServiceAccessNotEnabled"):
		sentinel = ErrFeatureDisabled
	case strings.EqualFold(code, "AccessDenied"):
		sentinel = ErrNotAllowed
		if featureOff(apiErr.ErrorMessage()) {
			sentinel = ErrFeatureDisabled
		}
	default:
		return err
	}
	return fmt.Errorf("%w: %w", sentinel, err)
}

// featureOff recognises the AccessDenied that means centralized root access
// is off. AWS does not document its wording (facts §1: open), so this looks
// for the feature's names next to a statement that it is not on.
func featureOff(message string) bool {
	m := strings.ToLower(message)
	feature := containsAny(m, "root session", "rootsessions", "centralized root", "centralised root", "root access management", "rootcredentialsmanagement")
	off := containsAny(m, "not enabled", "disabled", "not turned on", "must enable", "is off")
	return feature && off
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func validAccountID(id string) bool {
	if len(id) != 12 {
		return false
	}
	for _, r := range id {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
