package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/trail"
	"github.com/rootguard/rootguard/shared/unlock"
	"github.com/rootguard/rootguard/shared/unlock/unlocktest"
)

// The unit tests run the sample events through the shared unlock flow with
// this function's SQS side and a fake SQS client; shared/unlock's tests
// cover the flow's every branch.

// dev is the account of every sample event.
const dev = unlocktest.Dev

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	return unlocktest.ReadEvent(t, "queue-policy-unlocker", name)
}

type fakeSQS struct {
	get func(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	set func(ctx context.Context, in *sqs.SetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
}

func (f fakeSQS) GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
	return f.get(ctx, in, optFns...)
}

func (f fakeSQS) SetQueueAttributes(ctx context.Context, in *sqs.SetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error) {
	return f.set(ctx, in, optFns...)
}

const urlPrefix = "https://sqs.us-east-1.amazonaws.com/444455556666/"

// sqsWorld is the queues of dev as a root session sees them, by URL.
type sqsWorld struct {
	policies map[string]string // queue URL -> Policy attribute
	exists   map[string]bool
	getErr   error
	writeErr error

	calls   []string // "Get dev-jobs", "Set dev-jobs <policy or "">"
	regions []string
	sent    []notify.Finding
}

func (w *sqsWorld) client(t *testing.T) fakeSQS {
	return fakeSQS{
		get: func(_ context.Context, in *sqs.GetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error) {
			u := aws.ToString(in.QueueUrl)
			w.calls = append(w.calls, "Get "+strings.TrimPrefix(u, urlPrefix))
			if !reflect.DeepEqual(in.AttributeNames, []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}) {
				t.Errorf("attribute names %v, want Policy", in.AttributeNames)
			}
			switch {
			case w.getErr != nil:
				return nil, w.getErr
			case !w.exists[u]:
				return nil, unlocktest.APIError("QueueDoesNotExist")
			}
			attrs := map[string]string{}
			if p, ok := w.policies[u]; ok {
				attrs["Policy"] = p
			}
			return &sqs.GetQueueAttributesOutput{Attributes: attrs}, nil
		},
		set: func(_ context.Context, in *sqs.SetQueueAttributesInput, _ ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error) {
			u := aws.ToString(in.QueueUrl)
			p, ok := in.Attributes["Policy"]
			if !ok || len(in.Attributes) != 1 {
				t.Errorf("set attributes %v, want only Policy", in.Attributes)
			}
			w.calls = append(w.calls, "Set "+strings.TrimPrefix(u, urlPrefix)+" "+strings.Repeat("<policy>", min(len(p), 1)))
			if w.writeErr != nil {
				return nil, w.writeErr
			}
			w.policies[u] = p
			return &sqs.SetQueueAttributesOutput{}, nil
		},
	}
}

// queueChange is the queue-policy change event records.
func queueChange(t *testing.T, event []byte) trail.QueuePolicyChange {
	t.Helper()
	rec, err := trail.ParseJSON(event)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rec.QueuePolicy()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// set makes the queue of event exist with the policy event sets.
func (w *sqsWorld) set(t *testing.T, event []byte) {
	t.Helper()
	c := queueChange(t, event)
	w.exists[c.Queue.URL] = true
	if c.Policy != nil {
		w.policies[c.Queue.URL] = string(c.Policy)
	}
}

func (w *sqsWorld) handler(t *testing.T) *unlock.Handler {
	t.Helper()
	h, err := unlock.NewHandler(unlocktest.Settings(t, nil), unlock.Parts{
		Service: queues{client: func(session aws.Config) queuePolicyAPI {
			w.regions = append(w.regions, session.Region)
			return w.client(t)
		}},
		Sessions: unlocktest.SessionsFor(t, dev, rootsession.UnlockSQSQueuePolicy),
		Notifier: unlocktest.Collect(&w.sent),
		Accounts: unlocktest.Names(),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newWorld() *sqsWorld {
	return &sqsWorld{policies: map[string]string{}, exists: map[string]bool{}}
}

func TestSampleEvents(t *testing.T) {
	tests := []struct {
		event    string
		kind     notify.Kind // "": no finding
		severity notify.Severity
		calls    []string
		left     string // the Policy attribute left, as JSON; "" none
	}{
		{event: "set-queue-attributes-deny-all", kind: unlock.KindUnlocked, severity: notify.SeverityMedium, calls: []string{"Get dev-jobs", "Set dev-jobs "}},
		{event: "create-queue-with-deny-all", kind: unlock.KindUnlocked, severity: notify.SeverityMedium, calls: []string{"Get dev-batch", "Set dev-batch "}},
		{event: "lockout-mixed-with-legitimate", kind: unlock.KindUnlocked, severity: notify.SeverityMedium,
			calls: []string{"Get dev-orders", "Set dev-orders <policy>"},
			left: `{"Version":"2012-10-17","Statement":[` +
				`{"Sid":"AllowOrdersTopic","Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:444455556666:dev-orders","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-1:444455556666:dev-orders"}}},` +
				`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":{"AWS":"*"},"Action":"sqs:*","Resource":"arn:aws:sqs:us-east-1:444455556666:dev-orders","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`},
		{event: "conditional-source-ip", kind: unlock.KindReported, severity: notify.SeverityMedium},
		{event: "legitimate-sns-to-sqs"},
		{event: "failed-call"},
		{event: "set-queue-attributes-policy-removed"},
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
				t.Errorf("SQS calls %q, want %q", w.calls, tt.calls)
			}
			for _, r := range w.regions {
				if r != "us-east-1" {
					t.Errorf("root session client in %s, want the queue's region us-east-1", r)
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
			if !strings.HasPrefix(f.Resource, "arn:aws:sqs:us-east-1:444455556666:dev-") {
				t.Errorf("resource %s", f.Resource)
			}
			if tt.left != "" {
				got := w.policies[urlPrefix+f.Resource[strings.LastIndex(f.Resource, ":")+1:]]
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

func TestLiveQueue(t *testing.T) {
	denyAll := readEvent(t, "set-queue-attributes-deny-all")
	tests := []struct {
		name       string
		setup      func(w *sqsWorld)
		kind       notify.Kind
		severity   notify.Severity
		summaryHas string
		wantErr    string
	}{
		{name: "no policy any more", setup: func(w *sqsWorld) { delete(w.policies, urlPrefix+"dev-jobs") },
			kind: unlock.KindUnlocked, severity: notify.SeverityInfo, summaryHas: "has no policy any more"},
		{name: "queue deleted", setup: func(w *sqsWorld) { delete(w.exists, urlPrefix+"dev-jobs") },
			kind: unlock.KindUnlocked, severity: notify.SeverityLow, summaryHas: "no longer exists"},
		{name: "queue deleted (query protocol code)", setup: func(w *sqsWorld) { w.writeErr = unlocktest.APIError("AWS.SimpleQueueService.NonExistentQueue") },
			kind: unlock.KindUnlocked, severity: notify.SeverityLow, summaryHas: "no longer exists"},
		{name: "denied by an SCP", setup: func(w *sqsWorld) { w.writeErr = unlocktest.APIError("AccessDenied") },
			kind: unlock.KindFailed, severity: notify.SeverityCritical, summaryHas: "could not write the policy"},
		{name: "throttled beyond retries", setup: func(w *sqsWorld) { w.getErr = unlocktest.APIError("RequestThrottled") },
			wantErr: "get queue attributes of dev-jobs: api error RequestThrottled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld()
			w.set(t, denyAll)
			tt.setup(w)
			f, err := w.handler(t).Handle(context.Background(), denyAll)
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
	tests := []struct {
		name    string
		event   string
		want    unlock.Target
		ignored bool
	}{
		{name: "SetQueueAttributes", event: string(readEvent(t, "set-queue-attributes-deny-all")),
			want: unlock.Target{Service: "sqs", Name: "dev-jobs", ARN: "arn:aws:sqs:us-east-1:444455556666:dev-jobs", URL: urlPrefix + "dev-jobs", AccountID: dev, Region: "us-east-1"}},
		{name: "CreateQueue", event: string(readEvent(t, "create-queue-with-deny-all")),
			want: unlock.Target{Service: "sqs", Name: "dev-batch", ARN: "arn:aws:sqs:us-east-1:444455556666:dev-batch", URL: urlPrefix + "dev-batch", AccountID: dev, Region: "us-east-1"}},
		{name: "other attributes only", ignored: true, event: withAttributes(t, readEvent(t, "legitimate-sns-to-sqs"), map[string]string{"VisibilityTimeout": "30"})},
		{name: "another service's event", ignored: true,
			event: strings.ReplaceAll(strings.ReplaceAll(string(readEvent(t, "set-queue-attributes-deny-all")), "sqs.amazonaws.com", "sns.amazonaws.com"), `"SetQueueAttributes"`, `"Publish"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := trail.ParseJSON([]byte(tt.event))
			if err != nil {
				t.Fatal(err)
			}
			c, err := queues{}.Change(rec)
			if tt.ignored {
				if err == nil {
					t.Fatalf("change %+v, want not applicable", c)
				}
				// Not applicable: the handler ends quietly.
				w := newWorld()
				if f, herr := w.handler(t).Handle(context.Background(), []byte(tt.event)); f != nil || herr != nil || len(w.calls) != 0 {
					t.Errorf("handler: finding %v, err %v, calls %v", f, herr, w.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Target != tt.want || c.Policy == nil {
				t.Errorf("change %+v, want %+v with the policy", c, tt.want)
			}
		})
	}
	if (queues{}).Task() != rootsession.UnlockSQSQueuePolicy {
		t.Error("task")
	}
}

// withAttributes is event setting attrs instead of its own.
func withAttributes(t *testing.T, event []byte, attrs map[string]string) string {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	ev["detail"].(map[string]any)["requestParameters"].(map[string]any)["attributes"] = attrs
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
