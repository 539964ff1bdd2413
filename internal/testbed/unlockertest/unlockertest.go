// Package unlockertest is the end-to-end suite the policy unlockers share:
// each describes itself with an Unlocker and runs the common cases against
// its own built function in a local organization.
package unlockertest

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/testbed"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/unlock"
)

// Unlocker is what the end-to-end suite of the policy unlockers needs to
// know about one of them: bucket-policy-unlocker and queue-policy-unlocker
// run the same flow (shared/unlock) on different resources, so each supplies
// its service's names, fixtures and resources, and the suite runs the flow's
// cases against its built bootstrap.
type Unlocker struct {
	Function string // the directory under functions/
	Noun     string // "bucket" or "queue", as subtest names say it
	Account  string // the account of every fixture, seeded as workload-dev
	Service  string // the service of the resource calls in the call log
	Task     string // the task policy of the root sessions
	// The root-session actions that read, rewrite and remove a policy.
	Get, Put, Delete string
	// SCPDenial is the service's message when a service control policy
	// refuses a write.
	SCPDenial string

	// Fixture names under events/<Function>/.
	DenyAll     string // a deny-all policy: removed
	Mixed       string // a lockout statement (the third) among two legitimate ones
	Removed     string // the statement Mixed's finding names as removed, e.g. "FreezeBucketPolicy (index 2)"
	Legitimate  string // a policy that locks nobody out
	Conditional string // a lockout under a condition
	FailedCall  string // a call that failed

	// Event reads a fixture.
	Event func(t *testing.T, name string) []byte
	// Resource is the name of the resource an event sets a policy on, and
	// the policy as an object (nil when the event removes it).
	Resource func(t *testing.T, event []byte) (name string, policy json.RawMessage)
	// Seed is the account (Account) owning resource name with policy (nil: none).
	Seed func(name string, policy json.RawMessage) localorg.SeedAccount
	// Policy is resource name's live policy (nil: none); false when the
	// resource does not exist.
	Policy func(a localorg.AccountState, name string) (json.RawMessage, bool)
	// Details are facts every finding about resource name carries.
	Details func(name string) map[string]string
}

// Bed is a testbed.Bed running one unlocker three ways: enforcing, in
// report mode, and repairing conditional lockouts. Its cases run in order,
// each on a resource of its own (a fixture's resource renamed).
type Bed struct {
	*testbed.Bed
	u                                  Unlocker
	enforce, report, repairConditional *lambdaharness.Function
}

// Start starts a testbed.Bed for the test, seeded with the fixtures'
// organization, and u's function in it three ways.
func Start(t *testing.T, u Unlocker) *Bed {
	t.Helper()
	b := &Bed{Bed: testbed.ForTest(t, u.seed()), u: u}
	b.enforce = b.start(t)
	b.report = b.start(t, "ROOTGUARD_MODE=report")
	b.repairConditional = b.start(t, "ROOTGUARD_REPAIR_CONDITIONAL=true")
	return b
}

const unlockerOrganization = "o-exampleorgid"

func (u Unlocker) seed() *localorg.Seed {
	return &localorg.Seed{
		ManagementAccountID: "111122223333",
		OrganizationID:      unlockerOrganization,
		Features:            []string{localorg.FeatureRootCredentialsManagement, localorg.FeatureRootSessions},
		Accounts: []localorg.SeedAccount{
			{ID: u.Account, Name: "workload-dev"},
			{ID: "555566667777", Name: "workload-prod"},
		},
	}
}

func (b *Bed) start(t *testing.T, env ...string) *lambdaharness.Function {
	t.Helper()
	return b.FunctionForTest(t, b.u.Function, append([]string{"ROOTGUARD_ORGANIZATION_ID=" + unlockerOrganization}, env...)...)
}

// Run runs the cases every unlocker shares.
func (b *Bed) Run(t *testing.T) {
	u := b.u
	t.Run("lockout mixed with legitimate statements: only the lockout removed", func(t *testing.T) {
		ev := u.Event(t, u.Mixed)
		name, original := u.Resource(t, ev)
		b.createFrom(t, ev)
		r := b.Invoke(t, b.enforce, ev)
		f := b.finds(t, r, unlock.KindUnlocked, notify.SeverityMedium)
		live := b.policy(t, r, name)
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
		if v, _ := f.Details.Value("changed"); v != "rewritten without the removed statements" {
			t.Errorf("changed = %v", v)
		}
		if !strings.Contains(f.Summary, u.Removed) {
			t.Errorf("summary %q does not name the removed statement", f.Summary)
		}
		for k, want := range u.Details(name) {
			if v, _ := f.Details.Value(k); v != want {
				t.Errorf("%s = %v, want %s", k, v, want)
			}
		}
		if actions, n := b.rootSessions(t, r); n != 1 || strings.Join(actions, ",") != u.Get+","+u.Put {
			t.Errorf("%d AssumeRoot, root-session calls %v; want 1 and %s,%s", n, actions, u.Get, u.Put)
		}
	})

	t.Run("deny-all: policy removed; a second delivery finds nothing to do", func(t *testing.T) {
		ev := u.Event(t, u.DenyAll)
		f := b.Unlocks(t, ev)

		again := b.Invoke(t, b.enforce, ev)
		if again.Result.Error != nil || again.Finding == nil {
			t.Fatalf("second delivery: %v %s", again.Result.Error, again.Result.Payload)
		}
		g := again.Finding
		if g.ID != f.ID || g.Severity != notify.SeverityInfo || !strings.Contains(g.Summary, "nothing to do") {
			t.Errorf("second delivery: %s %s %q, want the same id %s, info, nothing to do", g.ID, g.Severity, g.Summary, f.ID)
		}
		if actions, _ := b.rootSessions(t, again); strings.Join(actions, ",") != u.Get {
			t.Errorf("second delivery made root-session calls %v, want only %s", actions, u.Get)
		}
		// Same finding id: the notifier does not send it twice.
		if len(again.SNS) != 0 {
			t.Errorf("second delivery published %d SNS messages", len(again.SNS))
		}
	})

	t.Run("legitimate policy: no root session", func(t *testing.T) {
		ev := u.Event(t, u.Legitimate)
		name, policy := u.Resource(t, ev)
		b.createFrom(t, ev)
		r := b.Invoke(t, b.enforce, ev)
		b.nothing(t, r)
		if !sameJSON(t, b.policy(t, r, name), policy) {
			t.Error("policy changed")
		}
	})

	t.Run("failed call: no root session", func(t *testing.T) {
		ev := b.renamed(t, u.FailedCall, "failed")
		name, _ := u.Resource(t, ev)
		b.create(t, name, nil)
		b.nothing(t, b.Invoke(t, b.enforce, ev))
	})

	t.Run("conditional: reported from the event, unchanged", func(t *testing.T) {
		ev := u.Event(t, u.Conditional)
		name, policy := u.Resource(t, ev)
		b.createFrom(t, ev)
		r := b.Invoke(t, b.enforce, ev)
		f := b.finds(t, r, unlock.KindReported, notify.SeverityMedium)
		b.noRootSession(t, r)
		if !sameJSON(t, b.policy(t, r, name), policy) {
			t.Error("conditional policy changed")
		}
		if !strings.Contains(f.Summary, "conditional") {
			t.Errorf("summary %q", f.Summary)
		}
	})

	t.Run("conditional repaired when configured", func(t *testing.T) {
		ev := b.renamed(t, u.Conditional, "repair")
		name, _ := u.Resource(t, ev)
		b.createFrom(t, ev)
		r := b.Invoke(t, b.repairConditional, ev)
		b.finds(t, r, unlock.KindUnlocked, notify.SeverityMedium)
		if p := b.policy(t, r, name); p != nil {
			t.Errorf("policy %s left, want none", p)
		}
		if actions, _ := b.rootSessions(t, r); strings.Join(actions, ",") != u.Get+","+u.Delete {
			t.Errorf("root-session calls %v", actions)
		}
	})

	t.Run("report mode: read in a root session, nothing changed", func(t *testing.T) {
		ev := b.renamed(t, u.DenyAll, "report")
		name, policy := u.Resource(t, ev)
		b.createFrom(t, ev)
		r := b.Invoke(t, b.report, ev)
		f := b.finds(t, r, unlock.KindReported, notify.SeverityHigh)
		if !sameJSON(t, b.policy(t, r, name), policy) {
			t.Error("report mode changed the policy")
		}
		if actions, _ := b.rootSessions(t, r); strings.Join(actions, ",") != u.Get {
			t.Errorf("report mode made root-session calls %v, want only %s", actions, u.Get)
		}
		if f.Mode != notify.ModeReport || !strings.Contains(f.Summary, "would delete the policy") {
			t.Errorf("mode %s, summary %q", f.Mode, f.Summary)
		}
	})

	t.Run("throttled AssumeRoot ridden out", func(t *testing.T) {
		ev := b.renamed(t, u.DenyAll, "throttled")
		name, _ := u.Resource(t, ev)
		b.createFrom(t, ev)
		b.Faults(t, localorg.FaultRule{Match: localorg.FaultMatch{Service: "sts", Action: "AssumeRoot"}, Status: 400, Error: "Throttling", Times: 2})
		r := b.Invoke(t, b.enforce, ev)
		b.finds(t, r, unlock.KindUnlocked, notify.SeverityMedium)
		if p := b.policy(t, r, name); p != nil {
			t.Errorf("policy %s left", p)
		}
		if _, n := b.rootSessions(t, r); n != 3 {
			t.Errorf("%d AssumeRoot calls, want 3 (two throttled)", n)
		}
	})

	t.Run("SCP denies the root session: critical finding, unchanged", func(t *testing.T) {
		ev := b.renamed(t, u.Mixed, "scp")
		name, policy := u.Resource(t, ev)
		b.createFrom(t, ev)
		b.Faults(t, localorg.FaultRule{Match: localorg.FaultMatch{Service: u.Service, Action: u.Put, Caller: localorg.CallerRootSession},
			Status: 403, Error: "AccessDenied", Message: u.SCPDenial})
		r := b.Invoke(t, b.enforce, ev)
		f := b.finds(t, r, unlock.KindFailed, notify.SeverityCritical)
		if !sameJSON(t, b.policy(t, r, name), policy) {
			t.Error("policy changed")
		}
		if !strings.Contains(f.Summary, "denied") || !strings.Contains(f.Summary, "write the policy") {
			t.Errorf("summary %q does not say what failed", f.Summary)
		}
		if v, _ := f.Details.Value("remedy"); !strings.Contains(v.(string), "aws:AssumedRoot") {
			t.Errorf("remedy %v", v)
		}
	})

	t.Run("root sessions off: critical finding, unchanged", func(t *testing.T) {
		ev := b.renamed(t, u.DenyAll, "off")
		name, policy := u.Resource(t, ev)
		b.createFrom(t, ev)
		b.applySeed(t, &localorg.Seed{Features: []string{localorg.FeatureRootCredentialsManagement}})
		t.Cleanup(func() { b.applySeed(t, &localorg.Seed{Features: u.seed().Features}) })
		r := b.Invoke(t, b.enforce, ev)
		f := b.finds(t, r, unlock.KindFailed, notify.SeverityCritical)
		if !strings.Contains(f.Summary, "centralized root access is off") {
			t.Errorf("summary %q", f.Summary)
		}
		if !sameJSON(t, b.policy(t, r, name), policy) {
			t.Error("policy changed")
		}
	})

	t.Run(u.Noun+" deleted meanwhile", func(t *testing.T) {
		r := b.Invoke(t, b.enforce, b.renamed(t, u.DenyAll, "gone"))
		f := b.finds(t, r, unlock.KindUnlocked, notify.SeverityLow)
		if !strings.Contains(f.Summary, "no longer exists") {
			t.Errorf("summary %q", f.Summary)
		}
	})

	t.Run("bad configuration fails the cold start", func(t *testing.T) {
		fn, err := b.Function(t.Context(), u.Function, "ROOTGUARD_REPAIR_CONDITIONAL=maybe")
		if err == nil {
			defer fn.Close()
			var res lambdaharness.Result
			res, err = fn.Invoke(t.Context(), u.Event(t, u.DenyAll))
			if err == nil && res.Error != nil {
				err = res.Error
			}
		}
		if err == nil {
			t.Fatal("a bad ROOTGUARD_REPAIR_CONDITIONAL started a working function")
		}
	})
}

// Unlocks creates the resource of event, a lockout, with the event's policy,
// invokes the enforcing function with it and checks the policy was removed in
// a root session. It returns the finding.
func (b *Bed) Unlocks(t *testing.T, event []byte) *notify.Finding {
	t.Helper()
	name, _ := b.u.Resource(t, event)
	b.createFrom(t, event)
	r := b.Invoke(t, b.enforce, event)
	f := b.finds(t, r, unlock.KindUnlocked, notify.SeverityMedium)
	if p := b.policy(t, r, name); p != nil {
		t.Errorf("policy %s left, want none", p)
	}
	if v, _ := f.Details.Value("changed"); v != "deleted" {
		t.Errorf("changed = %v, want deleted", v)
	}
	if actions, _ := b.rootSessions(t, r); strings.Join(actions, ",") != b.u.Get+","+b.u.Delete {
		t.Errorf("root-session calls %v, want %s,%s", actions, b.u.Get, b.u.Delete)
	}
	return f
}

// Ignores invokes the enforcing function with event, which needs nothing.
func (b *Bed) Ignores(t *testing.T, event []byte) {
	t.Helper()
	b.nothing(t, b.Invoke(t, b.enforce, event))
}

// createFrom creates the resource of event with the event's policy, as its
// owner had set it.
func (b *Bed) createFrom(t *testing.T, event []byte) {
	t.Helper()
	name, policy := b.u.Resource(t, event)
	b.create(t, name, policy)
}

// create creates resource name with policy (nil: none).
func (b *Bed) create(t testing.TB, name string, policy json.RawMessage) {
	t.Helper()
	b.applySeed(t, &localorg.Seed{Accounts: []localorg.SeedAccount{b.u.Seed(name, policy)}})
}

func (b *Bed) applySeed(t testing.TB, s *localorg.Seed) {
	t.Helper()
	if err := b.Org.ApplySeed(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// renamed is fixture with its resource renamed to <name>-<suffix>, policy
// included, so that a case has a resource of its own.
func (b *Bed) renamed(t *testing.T, fixture, suffix string) []byte {
	t.Helper()
	ev := b.u.Event(t, fixture)
	name, _ := b.u.Resource(t, ev)
	return []byte(strings.ReplaceAll(string(ev), name, name+"-"+suffix))
}

// finds checks r's finding: kind and severity, about the fixtures' account,
// published to SNS once.
func (b *Bed) finds(t testing.TB, r testbed.Invocation, kind notify.Kind, sev notify.Severity) *notify.Finding {
	t.Helper()
	f := r.Found(t)
	if f.Kind != kind || f.Severity != sev || f.AccountID != b.u.Account || f.AccountName != "workload-dev" {
		t.Fatalf("finding %s %s for %s (%s): %q, want %s %s for %s (workload-dev)", f.Kind, f.Severity, f.AccountID, f.AccountName, f.Summary, kind, sev, b.u.Account)
	}
	if len(r.SNS) != 1 || !strings.Contains(r.SNS[0].Message, f.ID) {
		t.Errorf("want the finding published to SNS once, got %d messages", len(r.SNS))
	}
	return f
}

// nothing checks r returned null, published nothing and opened no root
// session.
func (b *Bed) nothing(t testing.TB, r testbed.Invocation) {
	t.Helper()
	if r.Result.Error != nil || string(r.Result.Payload) != "null" {
		t.Fatalf("result %s, error %v; want null", r.Result.Payload, r.Result.Error)
	}
	if len(r.SNS) != 0 {
		t.Errorf("%d SNS messages for an event that needs none", len(r.SNS))
	}
	b.noRootSession(t, r)
}

// policy is resource name's policy after r.
func (b *Bed) policy(t testing.TB, r testbed.Invocation, name string) json.RawMessage {
	t.Helper()
	p, ok := b.u.Policy(r.State.Accounts[b.u.Account], name)
	if !ok {
		t.Fatalf("%s %s not in account %s", b.u.Noun, name, b.u.Account)
	}
	return p
}

// rootSessions checks r's AssumeRoot calls and root-session calls: each in
// the fixtures' account and us-east-1, with the unlocker's task. It returns
// the root-session actions, and the number of AssumeRoot calls.
func (b *Bed) rootSessions(t testing.TB, r testbed.Invocation) (actions []string, assumeRoot int) {
	t.Helper()
	for _, c := range r.Calls {
		switch {
		case c.Service == "sts" && c.Action == "AssumeRoot":
			assumeRoot++
		case c.Caller == localorg.CallerRootSession:
			if c.Account != b.u.Account || c.TaskPolicy != b.u.Task || c.Region != "us-east-1" {
				t.Errorf("root-session call %+v, want account %s, task %s, us-east-1", c, b.u.Account, b.u.Task)
			}
			actions = append(actions, c.Action)
		}
	}
	return actions, assumeRoot
}

func (b *Bed) noRootSession(t testing.TB, r testbed.Invocation) {
	t.Helper()
	if actions, n := b.rootSessions(t, r); n != 0 || len(actions) != 0 {
		t.Errorf("%d AssumeRoot calls and root-session calls %v; want none", n, actions)
	}
}

// sameJSON compares documents by meaning.
func sameJSON(t testing.TB, got, want json.RawMessage) bool {
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

func statementList(t testing.TB, policy json.RawMessage) []json.RawMessage {
	t.Helper()
	var doc struct {
		Statement []json.RawMessage
	}
	if err := json.Unmarshal(policy, &doc); err != nil {
		t.Fatalf("policy %s: %v", policy, err)
	}
	return doc.Statement
}
