package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/trail"
	"github.com/rootguard/rootguard/shared/unlock"
	"github.com/rootguard/rootguard/shared/unlock/unlocktest"
)

// The unit tests run the sample events through the shared unlock flow with
// this function's S3 side and a fake S3 client; shared/unlock's tests cover
// the flow's every branch.

// dev is the account of every sample event.
const dev = unlocktest.Dev

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	return unlocktest.ReadEvent(t, "bucket-policy-unlocker", name)
}

type fakeS3 struct {
	get    func(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	put    func(ctx context.Context, in *s3.PutBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	delete func(ctx context.Context, in *s3.DeleteBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
}

func (f fakeS3) GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
	return f.get(ctx, in, optFns...)
}

func (f fakeS3) PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
	return f.put(ctx, in, optFns...)
}

func (f fakeS3) DeleteBucketPolicy(ctx context.Context, in *s3.DeleteBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error) {
	return f.delete(ctx, in, optFns...)
}

// s3World is the buckets of dev as a root session sees them.
type s3World struct {
	policies map[string]string // bucket -> policy; "" or absent: none
	exists   map[string]bool
	getErr   error
	writeErr error

	calls   []string // "Get dev-data", "Put dev-data", "Delete dev-data"
	regions []string // the region of each root session's client
	sent    []notify.Finding
}

func (w *s3World) client(t *testing.T) fakeS3 {
	check := func(op string, bucket, owner *string) string {
		t.Helper()
		if aws.ToString(owner) != dev {
			t.Errorf("%s: ExpectedBucketOwner %q, want %s", op, aws.ToString(owner), dev)
		}
		b := aws.ToString(bucket)
		w.calls = append(w.calls, op+" "+b)
		return b
	}
	return fakeS3{
		get: func(_ context.Context, in *s3.GetBucketPolicyInput, _ ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error) {
			b := check("Get", in.Bucket, in.ExpectedBucketOwner)
			switch {
			case w.getErr != nil:
				return nil, w.getErr
			case !w.exists[b]:
				return nil, unlocktest.APIError("NoSuchBucket")
			case w.policies[b] == "":
				return nil, unlocktest.APIError("NoSuchBucketPolicy")
			}
			return &s3.GetBucketPolicyOutput{Policy: aws.String(w.policies[b])}, nil
		},
		put: func(_ context.Context, in *s3.PutBucketPolicyInput, _ ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error) {
			b := check("Put", in.Bucket, in.ExpectedBucketOwner)
			if w.writeErr != nil {
				return nil, w.writeErr
			}
			w.policies[b] = aws.ToString(in.Policy)
			return &s3.PutBucketPolicyOutput{}, nil
		},
		delete: func(_ context.Context, in *s3.DeleteBucketPolicyInput, _ ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error) {
			b := check("Delete", in.Bucket, in.ExpectedBucketOwner)
			if w.writeErr != nil {
				return nil, w.writeErr
			}
			if w.policies[b] == "" {
				return nil, unlocktest.APIError("NoSuchBucketPolicy")
			}
			delete(w.policies, b)
			return &s3.DeleteBucketPolicyOutput{}, nil
		},
	}
}

// bucketChange is the bucket-policy change event records.
func bucketChange(t *testing.T, event []byte) trail.BucketPolicyChange {
	t.Helper()
	rec, err := trail.ParseJSON(event)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rec.BucketPolicy()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// set makes bucket exist in dev with the policy event sets.
func (w *s3World) set(t *testing.T, event []byte) {
	t.Helper()
	c := bucketChange(t, event)
	w.exists[c.Bucket] = true
	if c.Policy != nil {
		w.policies[c.Bucket] = string(c.Policy)
	}
}

func (w *s3World) handler(t *testing.T) *unlock.Handler {
	t.Helper()
	h, err := unlock.NewHandler(unlocktest.Settings(t, nil), unlock.Parts{
		Service: buckets{client: func(session aws.Config) bucketPolicyAPI {
			w.regions = append(w.regions, session.Region)
			return w.client(t)
		}},
		Sessions: unlocktest.SessionsFor(t, dev, rootsession.UnlockS3BucketPolicy),
		Notifier: unlocktest.Collect(&w.sent),
		Accounts: unlocktest.Names(),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newWorld() *s3World {
	return &s3World{policies: map[string]string{}, exists: map[string]bool{}}
}

func TestSampleEvents(t *testing.T) {
	tests := []struct {
		event    string
		kind     notify.Kind // "": no finding
		severity notify.Severity
		calls    []string
		left     string // the policy left on the bucket, as JSON; "" none
	}{
		{event: "deny-all", kind: unlock.KindUnlocked, severity: notify.SeverityMedium, calls: []string{"Get dev-data", "Delete dev-data"}},
		{event: "deny-all-policy-as-string", kind: unlock.KindUnlocked, severity: notify.SeverityMedium, calls: []string{"Get dev-reports", "Delete dev-reports"}},
		{event: "lockout-mixed-with-legitimate", kind: unlock.KindUnlocked, severity: notify.SeverityMedium, calls: []string{"Get dev-shared", "Put dev-shared"},
			left: `{"Version":"2012-10-17","Statement":[` +
				`{"Sid":"AllowAppReaderGet","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/app-reader"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::dev-shared","arn:aws:s3:::dev-shared/*"]},` +
				`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::dev-shared","arn:aws:s3:::dev-shared/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`},
		{event: "conditional-vpce", kind: unlock.KindReported, severity: notify.SeverityMedium},
		{event: "legitimate-tls-only"},
		{event: "failed-call"},
		{event: "delete-bucket-policy"},
	}
	for _, tt := range tests {
		t.Run(tt.event, func(t *testing.T) {
			w := newWorld()
			ev := readEvent(t, tt.event)
			w.set(t, ev)
			f, err := w.handler(t).Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(w.calls, tt.calls) {
				t.Errorf("S3 calls %q, want %q", w.calls, tt.calls)
			}
			for _, r := range w.regions {
				if r != "us-east-1" {
					t.Errorf("root session client in %s, want the bucket's region us-east-1", r)
				}
			}
			if tt.kind == "" {
				if f != nil || len(w.sent) != 0 {
					t.Fatalf("finding %+v for an event that needs none", f)
				}
				return
			}
			if f == nil || f.Kind != tt.kind || f.Severity != tt.severity || f.AccountID != dev || len(w.sent) != 1 {
				t.Fatalf("finding %+v, delivered %d; want %s %s in %s", f, len(w.sent), tt.kind, tt.severity, dev)
			}
			if !strings.HasPrefix(f.Resource, "arn:aws:s3:::dev-") {
				t.Errorf("resource %s", f.Resource)
			}
			if tt.left != "" {
				got := w.policies[strings.TrimPrefix(f.Resource, "arn:aws:s3:::")]
				var a, b any
				json.Unmarshal([]byte(got), &a)
				json.Unmarshal([]byte(tt.left), &b)
				if !reflect.DeepEqual(a, b) {
					t.Errorf("policy left %s, want %s", got, tt.left)
				}
			}
		})
	}
}

func TestLiveBucket(t *testing.T) {
	denyAll := readEvent(t, "deny-all")
	mixed := readEvent(t, "lockout-mixed-with-legitimate")
	tests := []struct {
		name       string
		event      []byte
		setup      func(w *s3World)
		kind       notify.Kind
		severity   notify.Severity
		summaryHas string
		wantErr    string
	}{
		{name: "no policy any more", event: denyAll, setup: func(w *s3World) { delete(w.policies, "dev-data") },
			kind: unlock.KindUnlocked, severity: notify.SeverityInfo, summaryHas: "has no policy any more"},
		{name: "bucket deleted", event: denyAll, setup: func(w *s3World) { delete(w.exists, "dev-data") },
			kind: unlock.KindUnlocked, severity: notify.SeverityLow, summaryHas: "no longer exists"},
		{name: "bucket deleted before the put", event: mixed, setup: func(w *s3World) { w.writeErr = unlocktest.APIError("NoSuchBucket") },
			kind: unlock.KindUnlocked, severity: notify.SeverityLow, summaryHas: "no longer exists"},
		{name: "policy deleted before the delete", event: denyAll,
			setup: func(w *s3World) { w.writeErr = unlocktest.APIError("NoSuchBucketPolicy") },
			kind:  unlock.KindUnlocked, severity: notify.SeverityMedium, summaryHas: "deleted its policy"},
		{name: "denied by an SCP", event: denyAll, setup: func(w *s3World) { w.getErr = unlocktest.APIError("AccessDenied") },
			kind: unlock.KindFailed, severity: notify.SeverityCritical, summaryHas: "could not read the policy"},
		{name: "throttled beyond retries", event: denyAll, setup: func(w *s3World) { w.getErr = unlocktest.APIError("SlowDown") },
			wantErr: "get bucket policy dev-data: api error SlowDown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.set(t, tt.event)
			tt.setup(w)
			f, err := w.handler(t).Handle(context.Background(), tt.event)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f == nil || f.Kind != tt.kind || f.Severity != tt.severity || !strings.Contains(f.Summary, tt.summaryHas) {
				t.Fatalf("finding %+v, want %s %s %q", f, tt.kind, tt.severity, tt.summaryHas)
			}
		})
	}
}

func TestChange(t *testing.T) {
	for region, arn := range map[string]string{
		"us-east-1":     "arn:aws:s3:::dev-data",
		"cn-north-1":    "arn:aws-cn:s3:::dev-data",
		"us-gov-west-1": "arn:aws-us-gov:s3:::dev-data",
	} {
		ev := strings.ReplaceAll(string(readEvent(t, "deny-all")), `"awsRegion": "us-east-1"`, `"awsRegion": "`+region+`"`)
		rec, err := trail.ParseJSON([]byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		c, err := buckets{}.Change(rec)
		if err != nil {
			t.Fatal(err)
		}
		want := unlock.Target{Service: "s3", Name: "dev-data", ARN: arn, AccountID: dev, Region: region}
		if c.Target != want || c.Policy == nil {
			t.Errorf("change %+v, want %+v with the policy", c, want)
		}
	}
	if (buckets{}).Task() != rootsession.UnlockS3BucketPolicy {
		t.Error("task")
	}
}
