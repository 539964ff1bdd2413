package rootsession

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// These tests run the real STS and IAM clients over a fake HTTP transport,
// so the SDK's endpoint resolution, serialization, error deserialization and
// signing are the ones that ship.

type fakeHTTP struct {
	respond func(req *http.Request, form url.Values) (status int, body string)

	mu       sync.Mutex
	requests []*http.Request
	forms    []url.Values
}

func (f *fakeHTTP) Do(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.forms = append(f.forms, form)
	f.mu.Unlock()
	status, respBody := f.respond(req, form)
	return &http.Response{
		StatusCode: status,
		Header:     http.Header{"Content-Type": {"text/xml"}},
		Body:       io.NopCloser(strings.NewReader(respBody)),
		Request:    req,
	}, nil
}

const assumeRootOK = `<AssumeRootResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRootResult>
    <Credentials>
      <AccessKeyId>ASIAROOTSESSION</AccessKeyId>
      <SecretAccessKey>rootsecret</SecretAccessKey>
      <SessionToken>roottoken</SessionToken>
      <Expiration>2099-01-01T00:00:00Z</Expiration>
    </Credentials>
  </AssumeRootResult>
  <ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>
</AssumeRootResponse>`

func stsError(code, message string) string {
	return `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>` +
		code + `</Code><Message>` + message + `</Message></Error><RequestId>r2</RequestId></ErrorResponse>`
}

const getLoginProfileNoSuchEntity = `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>Login Profile for User root cannot be found.</Message></Error><RequestId>r3</RequestId></ErrorResponse>`

// fastRetryer retries like the SDK's standard retryer, without waiting.
func fastRetryer(attempts int) func() aws.Retryer {
	return func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = attempts
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
}

func sdkConfig(transport *fakeHTTP) aws.Config {
	cfg := baseConfig()
	cfg.HTTPClient = transport
	return cfg
}

func TestSDKOpenAndUse(t *testing.T) {
	transport := &fakeHTTP{respond: func(req *http.Request, form url.Values) (int, string) {
		if req.URL.Host == "iam.amazonaws.com" {
			return 404, getLoginProfileNoSuchEntity
		}
		return 200, assumeRootOK
	}}
	o, err := New(sdkConfig(transport), WithDuration(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.Open(context.Background(), member, AuditRootUserCredentials)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if len(transport.requests) != 1 {
		t.Fatalf("%d requests, want 1", len(transport.requests))
	}
	// Facts §1: the global endpoint has no AssumeRoot.
	if host := transport.requests[0].URL.Host; host != "sts.eu-west-1.amazonaws.com" {
		t.Errorf("AssumeRoot sent to %s, want the regional endpoint sts.eu-west-1.amazonaws.com", host)
	}
	form := transport.forms[0]
	for key, want := range map[string]string{
		"Action":            "AssumeRoot",
		"TargetPrincipal":   member,
		"TaskPolicyArn.arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials",
		"DurationSeconds":   "120",
	} {
		if got := form.Get(key); got != want {
			t.Errorf("request %s = %q, want %q", key, got, want)
		}
	}
	if auth := transport.requests[0].Header.Get("Authorization"); !strings.Contains(auth, "Credential=AKIAMANAGEMENT/") {
		t.Errorf("AssumeRoot not signed with the management credentials: %q", auth)
	}

	// A client built from the session's config acts as the member's root.
	_, err = iam.NewFromConfig(cfg).GetLoginProfile(context.Background(), &iam.GetLoginProfileInput{})
	var noSuchEntity *iamtypes.NoSuchEntityException
	if !errors.As(err, &noSuchEntity) {
		t.Fatalf("GetLoginProfile: %v, want NoSuchEntity", err)
	}
	req := transport.requests[len(transport.requests)-1]
	if auth := req.Header.Get("Authorization"); !strings.Contains(auth, "Credential=ASIAROOTSESSION/") {
		t.Errorf("IAM call not signed with the session's key: %q", auth)
	}
	if tok := req.Header.Get("X-Amz-Security-Token"); tok != "roottoken" {
		t.Errorf("IAM call session token = %q, want the session's", tok)
	}
	if len(transport.requests) != 2 {
		t.Errorf("%d requests, want AssumeRoot then GetLoginProfile", len(transport.requests))
	}
}

func TestSDKErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		sentinel error
		typed    any
	}{
		{"access denied", 403, stsError("AccessDenied", "User: arn:aws:iam::111122223333:role/x is not authorized to perform: sts:AssumeRoot"), ErrNotAllowed, nil},
		{"feature off", 403, stsError("AccessDenied", "Root sessions are not enabled for this organization"), ErrFeatureDisabled, nil},
		{"expired", 400, stsError("ExpiredTokenException", "The security token included in the request is expired"), ErrExpired, new(*types.ExpiredTokenException)},
		{"region disabled", 403, stsError("RegionDisabledException", "STS is not activated in this region"), ErrRegionDisabled, new(*types.RegionDisabledException)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			transport := &fakeHTTP{respond: func(*http.Request, url.Values) (int, string) { return tt.status, tt.body }}
			o, err := New(sdkConfig(transport), WithRetryer(fastRetryer(3)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = o.Open(context.Background(), member, DeleteRootUserCredentials)
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("Open: %v, want %v", err, tt.sentinel)
			}
			if tt.typed != nil && !errors.As(err, tt.typed) {
				t.Errorf("errors.As(%T) failed on %v", tt.typed, err)
			}
		})
	}
}

func TestSDKThrottling(t *testing.T) {
	tests := []struct {
		name      string
		throttled int
		attempts  int
		ok        bool
	}{
		{"ridden out by retries", 2, 3, true},
		{"beyond retries", 3, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			transport := &fakeHTTP{}
			transport.respond = func(*http.Request, url.Values) (int, string) {
				if len(transport.requests) <= tt.throttled {
					return 400, stsError("Throttling", "Rate exceeded")
				}
				return 200, assumeRootOK
			}
			o, err := New(sdkConfig(transport), WithRetryer(fastRetryer(tt.attempts)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = o.Open(context.Background(), member, DeleteRootUserCredentials)
			if (err == nil) != tt.ok {
				t.Fatalf("Open: %v", err)
			}
			if n := len(transport.requests); n != min(tt.throttled+1, tt.attempts) {
				t.Errorf("%d requests, want %d", n, min(tt.throttled+1, tt.attempts))
			}
			if err != nil {
				for _, s := range []error{ErrFeatureDisabled, ErrNotAllowed, ErrExpired, ErrRegionDisabled} {
					if errors.Is(err, s) {
						t.Errorf("throttling classified as %v", s)
					}
				}
				if !strings.Contains(err.Error(), "Throttling") {
					t.Errorf("error %q hides the throttling", err)
				}
			}
		})
	}
}
