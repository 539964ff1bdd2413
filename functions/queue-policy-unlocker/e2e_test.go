package main

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/testbed"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/trail"
	"github.com/rootguard/rootguard/shared/unlock"
)

// End-to-end: the built bootstrap under the Lambda runtime harness, against
// the local organization. One organization for the package; subtests run in
// order, each on a queue of its own (the fixtures' queue renamed), and read
// the calls their invocation made from the call log.

const functionName = "queue-policy-unlocker"

var e2eSeed = &localorg.Seed{
	ManagementAccountID: "111122223333",
	OrganizationID:      "o-exampleorgid",
	Features:            []string{localorg.FeatureRootCredentialsManagement, localorg.FeatureRootSessions},
	Accounts: []localorg.SeedAccount{
		{ID: dev, Name: "workload-dev"},
		{ID: "555566667777", Name: "workload-prod"},
	},
}

type e2e struct {
	bed *testbed.Bed
	fn  *lambdaharness.Function
}

func startFunction(t *testing.T, bed *testbed.Bed, env ...string) *e2e {
	t.Helper()
	env = append([]string{"ROOTGUARD_ORGANIZATION_ID=" + e2eSeed.OrganizationID}, env...)
	fn, err := bed.Function(t.Context(), functionName, env...)
	if err != nil {
		t.Fatalf("start %s: %v", functionName, err)
	}
	t.Cleanup(func() { fn.Close() })
	return &e2e{bed: bed, fn: fn}
}

// run is one invocation: its result, the calls it made and the state after.
type run struct {
	res     lambdaharness.Result
	finding *notify.Finding
	calls   []localorg.Call
	sns     []localorg.SNSMessage
	state   *localorg.State
}

func (e *e2e) invoke(t *testing.T, event []byte) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := e.state(t)
	res, err := e.fn.Invoke(ctx, event)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	r := run{res: res, state: e.state(t)}
	for _, c := range r.state.Calls[len(before.Calls):] {
		// The Slack webhook secret is read at cold start, not by the event.
		if c.Service != "secretsmanager" {
			r.calls = append(r.calls, c)
		}
	}
	r.sns = r.state.SNS[len(before.SNS):]
	if res.Error == nil && string(res.Payload) != "null" {
		r.finding = new(notify.Finding)
		if err := json.Unmarshal(res.Payload, r.finding); err != nil {
			t.Fatalf("result %s: %v", res.Payload, err)
		}
	}
	return r
}

func (e *e2e) state(t *testing.T) *localorg.State {
	t.Helper()
	s, err := e.bed.Org.State(context.Background())
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	return s
}

func (e *e2e) faults(t *testing.T, rules ...localorg.FaultRule) {
	t.Helper()
	if err := e.bed.Org.SetFaults(rules); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.bed.Org.SetFaults(nil) })
}

// queue creates a queue in dev, us-east-1, with policy (nil: none), as its
// owner had set it.
func (e *e2e) queue(t *testing.T, name string, policy json.RawMessage) {
	t.Helper()
	err := e.bed.Org.ApplySeed(context.Background(), &localorg.Seed{Accounts: []localorg.SeedAccount{
		{ID: dev, Queues: []localorg.SeedQueue{{Name: name, Region: "us-east-1", Policy: policy}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

// renamed is a fixture with its queue renamed, URL and policy included, so
// that each subtest has a queue of its own.
func renamed(t *testing.T, event, from, to string) []byte {
	t.Helper()
	return []byte(strings.ReplaceAll(string(readEvent(t, event)), from, to))
}

// eventPolicy is the policy an event sets, as an object.
func eventPolicy(t *testing.T, event []byte) json.RawMessage {
	t.Helper()
	rec, err := trail.ParseJSON(event)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rec.QueuePolicy()
	if err != nil {
		t.Fatal(err)
	}
	return c.Policy
}

func (r run) finds(t *testing.T, kind notify.Kind, sev notify.Severity) *notify.Finding {
	t.Helper()
	if r.res.Error != nil {
		t.Fatalf("function failed: %v", r.res.Error)
	}
	f := r.finding
	if f == nil {
		t.Fatalf("no finding, result %s", r.res.Payload)
	}
	if f.Kind != kind || f.Severity != sev || f.AccountID != dev || f.AccountName != "workload-dev" {
		t.Fatalf("finding %s %s for %s (%s): %q, want %s %s for %s (workload-dev)", f.Kind, f.Severity, f.AccountID, f.AccountName, f.Summary, kind, sev, dev)
	}
	if len(r.sns) != 1 || !strings.Contains(r.sns[0].Message, f.ID) {
		t.Errorf("want the finding published to SNS once, got %d messages", len(r.sns))
	}
	return f
}

func (r run) nothing(t *testing.T) {
	t.Helper()
	if r.res.Error != nil || string(r.res.Payload) != "null" {
		t.Fatalf("result %s, error %v; want null", r.res.Payload, r.res.Error)
	}
	if len(r.sns) != 0 {
		t.Errorf("%d SNS messages for an event that needs none", len(r.sns))
	}
}

func (r run) policy(t *testing.T, queue string) json.RawMessage {
	t.Helper()
	q, ok := r.state.Accounts[dev].Queues[queue]
	if !ok {
		t.Fatalf("queue %s not in account %s", queue, dev)
	}
	return q.Policy
}

// rootSessions checks the invocation's AssumeRoot calls and root-session
// calls: each in dev with SQSUnlockQueuePolicy. It returns the root-session
// actions, and the number of AssumeRoot calls.
func (r run) rootSessions(t *testing.T) (actions []string, assumeRoot int) {
	t.Helper()
	for _, c := range r.calls {
		switch {
		case c.Service == "sts" && c.Action == "AssumeRoot":
			assumeRoot++
		case c.Caller == localorg.CallerRootSession:
			if c.Account != dev || c.TaskPolicy != localorg.TaskSQSUnlockQueuePolicy || c.Region != "us-east-1" {
				t.Errorf("root-session call %+v, want account %s, task %s, us-east-1", c, dev, localorg.TaskSQSUnlockQueuePolicy)
			}
			actions = append(actions, c.Action)
		}
	}
	return actions, assumeRoot
}

func (r run) noRootSession(t *testing.T) {
	t.Helper()
	if actions, n := r.rootSessions(t); n != 0 || len(actions) != 0 {
		t.Errorf("%d AssumeRoot calls and root-session calls %v; want none", n, actions)
	}
}

// sameJSON compares documents by meaning.
func sameJSON(t *testing.T, got, want json.RawMessage) bool {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("not JSON: %s", got)
	}
	if err := json.Unmarshal(want, &b); err != nil {
		t.Fatalf("not JSON: %s", want)
	}
	return reflect.DeepEqual(a, b)
}

func statementList(t *testing.T, policy json.RawMessage) []json.RawMessage {
	t.Helper()
	var doc struct {
		Statement []json.RawMessage
	}
	if err := json.Unmarshal(policy, &doc); err != nil {
		t.Fatalf("policy %s: %v", policy, err)
	}
	return doc.Statement
}

func TestEndToEnd(t *testing.T) {
	bed := testbed.ForTest(t, e2eSeed)
	enforce := startFunction(t, bed)
	report := startFunction(t, bed, "ROOTGUARD_MODE=report")
	repairConditional := startFunction(t, bed, "ROOTGUARD_REPAIR_CONDITIONAL=true")

	t.Run("lockout mixed with legitimate statements: only the lockout removed", func(t *testing.T) {
		ev := readEvent(t, "lockout-mixed-with-legitimate")
		original := eventPolicy(t, ev)
		enforce.queue(t, "dev-orders", original)
		r := enforce.invoke(t, ev)
		f := r.finds(t, unlock.KindUnlocked, notify.SeverityMedium)
		live := r.policy(t, "dev-orders")
		kept := statementList(t, live)
		was := statementList(t, original)
		if len(kept) != 2 || !sameJSON(t, kept[0], was[0]) || !sameJSON(t, kept[1], was[1]) {
			t.Errorf("live policy %s, want statements 0 and 1 of %s unchanged", live, original)
		}
		var doc map[string]json.RawMessage
		json.Unmarshal(live, &doc)
		if string(doc["Version"]) != `"2012-10-17"` || len(doc) != 2 {
			t.Errorf("live policy %s lost or gained top-level elements", live)
		}
		if !strings.Contains(f.Summary, "FreezeQueuePolicy (index 2)") {
			t.Errorf("summary %q does not name the removed statement", f.Summary)
		}
		if v, _ := f.Details.Value("queue_url"); v != "https://sqs.us-east-1.amazonaws.com/444455556666/dev-orders" {
			t.Errorf("queue_url = %v", v)
		}
		if actions, n := r.rootSessions(t); n != 1 || strings.Join(actions, ",") != "GetQueueAttributes,SetQueueAttributes" {
			t.Errorf("%d AssumeRoot, root-session calls %v; want 1 and GetQueueAttributes,SetQueueAttributes", n, actions)
		}
	})

	t.Run("deny-all: policy removed; a second delivery finds nothing to do", func(t *testing.T) {
		ev := readEvent(t, "set-queue-attributes-deny-all")
		enforce.queue(t, "dev-jobs", eventPolicy(t, ev))
		r := enforce.invoke(t, ev)
		f := r.finds(t, unlock.KindUnlocked, notify.SeverityMedium)
		if p := r.policy(t, "dev-jobs"); p != nil {
			t.Errorf("policy %s left, want none", p)
		}
		if v, _ := f.Details.Value("changed"); v != "deleted" {
			t.Errorf("changed = %v, want deleted", v)
		}
		if actions, _ := r.rootSessions(t); strings.Join(actions, ",") != "GetQueueAttributes,SetQueueAttributes" {
			t.Errorf("root-session calls %v", actions)
		}

		again := enforce.invoke(t, ev)
		if again.res.Error != nil || again.finding == nil {
			t.Fatalf("second delivery: %v %s", again.res.Error, again.res.Payload)
		}
		g := again.finding
		if g.ID != f.ID || g.Severity != notify.SeverityInfo || !strings.Contains(g.Summary, "nothing to do") {
			t.Errorf("second delivery: %s %s %q, want the same id %s, info, nothing to do", g.ID, g.Severity, g.Summary, f.ID)
		}
		if actions, _ := again.rootSessions(t); strings.Join(actions, ",") != "GetQueueAttributes" {
			t.Errorf("second delivery made root-session calls %v, want only GetQueueAttributes", actions)
		}
		if len(again.sns) != 0 {
			t.Errorf("second delivery published %d SNS messages", len(again.sns))
		}
	})

	t.Run("CreateQueue with a deny-all policy", func(t *testing.T) {
		ev := readEvent(t, "create-queue-with-deny-all")
		enforce.queue(t, "dev-batch", eventPolicy(t, ev))
		r := enforce.invoke(t, ev)
		f := r.finds(t, unlock.KindUnlocked, notify.SeverityMedium)
		if p := r.policy(t, "dev-batch"); p != nil {
			t.Errorf("policy %s left, want none", p)
		}
		if v, _ := f.Details.Value("event"); v != "CreateQueue" {
			t.Errorf("event = %v", v)
		}
	})

	t.Run("legitimate policy: no root session", func(t *testing.T) {
		ev := readEvent(t, "legitimate-sns-to-sqs")
		enforce.queue(t, "dev-notifications", eventPolicy(t, ev))
		r := enforce.invoke(t, ev)
		r.nothing(t)
		r.noRootSession(t)
		if !sameJSON(t, r.policy(t, "dev-notifications"), eventPolicy(t, ev)) {
			t.Error("policy changed")
		}
	})

	t.Run("failed call: no root session", func(t *testing.T) {
		ev := renamed(t, "failed-call", "dev-jobs", "dev-jobs-failed")
		enforce.queue(t, "dev-jobs-failed", nil)
		r := enforce.invoke(t, ev)
		r.nothing(t)
		r.noRootSession(t)
	})

	t.Run("policy removed: ignored", func(t *testing.T) {
		r := enforce.invoke(t, readEvent(t, "set-queue-attributes-policy-removed"))
		r.nothing(t)
		r.noRootSession(t)
	})

	t.Run("conditional: reported from the event, unchanged", func(t *testing.T) {
		ev := readEvent(t, "conditional-source-ip")
		enforce.queue(t, "dev-ingest", eventPolicy(t, ev))
		r := enforce.invoke(t, ev)
		f := r.finds(t, unlock.KindReported, notify.SeverityMedium)
		r.noRootSession(t)
		if !sameJSON(t, r.policy(t, "dev-ingest"), eventPolicy(t, ev)) {
			t.Error("conditional policy changed")
		}
		if !strings.Contains(f.Summary, "conditional") {
			t.Errorf("summary %q", f.Summary)
		}
	})

	t.Run("conditional repaired when configured", func(t *testing.T) {
		ev := renamed(t, "conditional-source-ip", "dev-ingest", "dev-ingest-repair")
		enforce.queue(t, "dev-ingest-repair", eventPolicy(t, ev))
		r := repairConditional.invoke(t, ev)
		r.finds(t, unlock.KindUnlocked, notify.SeverityMedium)
		if p := r.policy(t, "dev-ingest-repair"); p != nil {
			t.Errorf("policy %s left, want none", p)
		}
		if actions, _ := r.rootSessions(t); strings.Join(actions, ",") != "GetQueueAttributes,SetQueueAttributes" {
			t.Errorf("root-session calls %v", actions)
		}
	})

	t.Run("report mode: read in a root session, nothing changed", func(t *testing.T) {
		ev := renamed(t, "set-queue-attributes-deny-all", "dev-jobs", "dev-jobs-report")
		enforce.queue(t, "dev-jobs-report", eventPolicy(t, ev))
		r := report.invoke(t, ev)
		f := r.finds(t, unlock.KindReported, notify.SeverityHigh)
		if !sameJSON(t, r.policy(t, "dev-jobs-report"), eventPolicy(t, ev)) {
			t.Error("report mode changed the policy")
		}
		if actions, _ := r.rootSessions(t); strings.Join(actions, ",") != "GetQueueAttributes" {
			t.Errorf("report mode made root-session calls %v, want only GetQueueAttributes", actions)
		}
		if f.Mode != notify.ModeReport || !strings.Contains(f.Summary, "would delete the policy") {
			t.Errorf("mode %s, summary %q", f.Mode, f.Summary)
		}
	})

	t.Run("throttled AssumeRoot ridden out", func(t *testing.T) {
		ev := renamed(t, "set-queue-attributes-deny-all", "dev-jobs", "dev-jobs-throttled")
		enforce.queue(t, "dev-jobs-throttled", eventPolicy(t, ev))
		enforce.faults(t, localorg.FaultRule{Match: localorg.FaultMatch{Service: "sts", Action: "AssumeRoot"}, Status: 400, Error: "Throttling", Times: 2})
		r := enforce.invoke(t, ev)
		r.finds(t, unlock.KindUnlocked, notify.SeverityMedium)
		if p := r.policy(t, "dev-jobs-throttled"); p != nil {
			t.Errorf("policy %s left", p)
		}
		if _, n := r.rootSessions(t); n != 3 {
			t.Errorf("%d AssumeRoot calls, want 3 (two throttled)", n)
		}
	})

	t.Run("SCP denies the root session: critical finding, unchanged", func(t *testing.T) {
		ev := renamed(t, "lockout-mixed-with-legitimate", "dev-orders", "dev-orders-scp")
		enforce.queue(t, "dev-orders-scp", eventPolicy(t, ev))
		enforce.faults(t, localorg.FaultRule{Match: localorg.FaultMatch{Service: "sqs", Action: "SetQueueAttributes", Caller: localorg.CallerRootSession},
			Status: 403, Error: "AccessDenied", Message: "Access to the resource is denied by a service control policy"})
		r := enforce.invoke(t, ev)
		f := r.finds(t, unlock.KindFailed, notify.SeverityCritical)
		if !sameJSON(t, r.policy(t, "dev-orders-scp"), eventPolicy(t, ev)) {
			t.Error("policy changed")
		}
		if !strings.Contains(f.Summary, "denied") || !strings.Contains(f.Summary, "write the policy") {
			t.Errorf("summary %q does not say what failed", f.Summary)
		}
	})

	t.Run("root sessions off: critical finding, unchanged", func(t *testing.T) {
		ev := renamed(t, "set-queue-attributes-deny-all", "dev-jobs", "dev-jobs-off")
		enforce.queue(t, "dev-jobs-off", eventPolicy(t, ev))
		setFeatures(t, bed, []string{localorg.FeatureRootCredentialsManagement})
		t.Cleanup(func() { setFeatures(t, bed, e2eSeed.Features) })
		r := enforce.invoke(t, ev)
		f := r.finds(t, unlock.KindFailed, notify.SeverityCritical)
		if !strings.Contains(f.Summary, "centralized root access is off") {
			t.Errorf("summary %q", f.Summary)
		}
		if !sameJSON(t, r.policy(t, "dev-jobs-off"), eventPolicy(t, ev)) {
			t.Error("policy changed")
		}
	})

	t.Run("queue deleted meanwhile", func(t *testing.T) {
		ev := renamed(t, "set-queue-attributes-deny-all", "dev-jobs", "dev-jobs-gone")
		r := enforce.invoke(t, ev)
		f := r.finds(t, unlock.KindUnlocked, notify.SeverityLow)
		if !strings.Contains(f.Summary, "no longer exists") {
			t.Errorf("summary %q", f.Summary)
		}
	})

	t.Run("bad configuration fails the cold start", func(t *testing.T) {
		fn, err := bed.Function(t.Context(), functionName, "ROOTGUARD_REPAIR_CONDITIONAL=maybe")
		if err == nil {
			defer fn.Close()
			var res lambdaharness.Result
			res, err = fn.Invoke(t.Context(), readEvent(t, "set-queue-attributes-deny-all"))
			if err == nil && res.Error != nil {
				err = res.Error
			}
		}
		if err == nil {
			t.Fatal("a bad ROOTGUARD_REPAIR_CONDITIONAL started a working function")
		}
	})
}

func setFeatures(t *testing.T, bed *testbed.Bed, features []string) {
	t.Helper()
	if err := bed.Org.ApplySeed(context.Background(), &localorg.Seed{Features: features}); err != nil {
		t.Fatal(err)
	}
}
