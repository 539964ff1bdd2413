package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/testbed"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootcreds"
)

// End-to-end: the built bootstrap under the Lambda runtime harness, against
// the local organization. Each test has its own organization and runs in
// parallel with the others; inside one, subtests run in order, each on
// accounts of its own, and read the calls their invocation made from the
// call log.

const (
	functionName  = "new-account-hardener"
	inviteEventID = "a597b1ac-07ea-479c-b241-50573cc4b4ff" // invite-account.json's eventID
)

// fullRoot is a root user with every kind of credential.
func fullRoot() *localorg.SeedRoot {
	return &localorg.SeedRoot{
		Password: true, AccessKeys: 1, SigningCertificates: 1,
		MFADevices: []string{localorg.MFAVirtual, localorg.MFAPasskey, localorg.MFAHardware},
	}
}

func member(id, name, joined string, root *localorg.SeedRoot) localorg.SeedAccount {
	return localorg.SeedAccount{ID: id, Name: name, Email: id + "@example.com", Joined: joined, Root: root}
}

// e2e drives one function of one bed.
type e2e struct {
	bed *testbed.Bed
	fn  *lambdaharness.Function
}

func startFunction(t *testing.T, bed *testbed.Bed, env ...string) *e2e {
	t.Helper()
	return &e2e{bed: bed, fn: bed.FunctionForTest(t, functionName, env...)}
}

// run is one invocation and what it caused.
type run struct{ testbed.Invocation }

func (e *e2e) invoke(t *testing.T, event []byte) run {
	t.Helper()
	return run{e.bed.Invoke(t, e.fn, event)}
}

func (e *e2e) seed(t *testing.T, s *localorg.Seed) {
	t.Helper()
	if err := e.bed.Org.ApplySeed(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// hardened checks a successful run and returns its finding.
func (r run) hardened(t *testing.T, account string, sev notify.Severity) *notify.Finding {
	t.Helper()
	return r.reported(t, notify.KindRootCredentialsRemoved, account, sev)
}

func (r run) reported(t *testing.T, kind notify.Kind, account string, sev notify.Severity) *notify.Finding {
	t.Helper()
	f := r.Found(t)
	if f.AccountID != account || f.Kind != kind || f.Severity != sev {
		t.Fatalf("finding %s %s for %s: %q, want %s %s for %s", f.Kind, f.Severity, f.AccountID, f.Summary, kind, sev, account)
	}
	return f
}

// published checks the finding reached the SNS topic.
func (r run) published(t *testing.T, f *notify.Finding) {
	t.Helper()
	for _, m := range r.State.SNS {
		var got notify.Finding
		if json.Unmarshal([]byte(m.Message), &got) == nil && got.ID == f.ID {
			if got.Summary != f.Summary || m.Attributes["severity"] != string(f.Severity) || m.Attributes["kind"] != string(f.Kind) {
				t.Errorf("SNS message %+v does not match the finding %+v", m, f)
			}
			return
		}
	}
	t.Errorf("finding %s not published to SNS", f.ID)
}

func strs(t *testing.T, f *notify.Finding, key string) []string {
	t.Helper()
	v, ok := f.Details.Value(key)
	if !ok {
		return nil
	}
	raw, ok := v.(json.RawMessage)
	var out []string
	if !ok || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("detail %s = %v, want a list of strings", key, v)
	}
	return out
}

func (r run) root(t *testing.T, account string) localorg.RootState {
	t.Helper()
	a, ok := r.State.Accounts[account]
	if !ok {
		t.Fatalf("account %s not in the organization", account)
	}
	return a.Root
}

// actions counts the calls by service:action, with ":ERROR" for failures.
func (r run) actions() map[string]int {
	n := map[string]int{}
	for _, c := range r.Calls {
		k := c.Service + ":" + c.Action
		if c.ErrorCode != "" {
			k += ":" + c.ErrorCode
		}
		n[k]++
	}
	return n
}

// rootSessionCalls checks every call made with a root session was in account,
// and returns their actions by task policy.
func (r run) rootSessionCalls(t *testing.T, account string) map[string][]string {
	t.Helper()
	actions := map[string][]string{}
	for _, c := range r.Calls {
		if c.Caller != localorg.CallerRootSession {
			if c.Service == "iam" && c.Action != "ListOrganizationsFeatures" {
				t.Errorf("IAM call outside a root session: %+v", c)
			}
			continue
		}
		if c.Account != account {
			t.Errorf("root-session call %+v, want account %s", c, account)
		}
		actions[c.TaskPolicy] = append(actions[c.TaskPolicy], c.Action)
	}
	return actions
}

// auditedOnly checks the run used root sessions in account with the audit
// task policy only, and deleted nothing.
func (r run) auditedOnly(t *testing.T, account string) {
	t.Helper()
	for task, actions := range r.rootSessionCalls(t, account) {
		if task != localorg.TaskAuditRootUserCredentials {
			t.Errorf("calls %v with task %s, want the audit task only", actions, task)
		}
		for _, a := range actions {
			if slices.Contains(deletes, a) {
				t.Errorf("called %s", a)
			}
		}
	}
	if n := r.actions()["sts:AssumeRoot"]; n != 1 {
		t.Errorf("%d root sessions, want one audit session", n)
	}
}

// unchanged checks an account's root user is as seeded by fullRoot.
func unchanged(t *testing.T, root localorg.RootState) {
	t.Helper()
	active := 0
	for _, m := range root.MFADevices {
		if m.Active {
			active++
		}
	}
	if !root.Password || len(root.AccessKeys) != 1 || len(root.SigningCertificates) != 1 || active != 3 {
		t.Errorf("root user changed: %+v", root)
	}
}

var deletes = []string{"DeleteLoginProfile", "DeleteAccessKey", "DeleteSigningCertificate", "DeactivateMFADevice", "DeleteVirtualMFADevice"}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	const (
		invited    = dev // the fixtures' accounts
		clean      = prod
		reportAcct = "100000000002"
		exemptAcct = "100000000003"
		slowAcct   = "100000000004"
		lateAcct   = "100000000005" // joins while the function waits
		throttled  = "100000000006"
		mfaAllowed = "100000000007"
	)
	bed := testbed.ForTest(t, &localorg.Seed{
		ManagementAccountID: management,
		OrganizationID:      "o-exampleorgid",
		Features:            []string{localorg.FeatureRootCredentialsManagement, localorg.FeatureRootSessions},
		Accounts: []localorg.SeedAccount{
			member(management, "management", "", nil),
			member(invited, "workload-dev", "invited", fullRoot()),
			member(clean, "workload-prod", "created", nil),
			member(reportAcct, "report", "invited", fullRoot()),
			member(exemptAcct, "exempt", "invited", fullRoot()),
			member(slowAcct, "slow", "created", fullRoot()),
			member(throttled, "throttled", "invited", fullRoot()),
			member(mfaAllowed, "mfa-allowed", "invited", fullRoot()),
		},
	})
	e := startFunction(t, bed)
	invite := fixture(t, "invite-account")

	t.Run("invited account: everything removed, virtual device object left", func(t *testing.T) {
		r := e.invoke(t, invite)
		f := r.hardened(t, invited, notify.SeverityMedium)
		r.published(t, f)
		if f.AccountName != "workload-dev" || !strings.Contains(f.Summary, "Removed root credentials of account 444455556666 (workload-dev), invited to the organization") {
			t.Errorf("summary %q", f.Summary)
		}
		root := r.root(t, invited)
		if root.Password || len(root.AccessKeys) != 0 || len(root.SigningCertificates) != 0 {
			t.Errorf("credentials left: %+v", root)
		}
		// Deactivating a virtual device keeps its object; the delete session
		// may not delete it (the local organization's default, facts §2).
		if len(root.MFADevices) != 1 || root.MFADevices[0].Kind != localorg.MFAVirtual || root.MFADevices[0].Active {
			t.Errorf("MFA devices %+v, want only the deactivated virtual one", root.MFADevices)
		}
		left := strs(t, f, "left_behind")
		if len(left) != 1 || !strings.Contains(left[0], root.MFADevices[0].Serial) {
			t.Errorf("left_behind %q, want the virtual device %s", left, root.MFADevices[0].Serial)
		}
		if found := strs(t, f, "found"); len(found) != 6 {
			t.Errorf("found %q, want 6 credentials", found)
		}
		if rem := strs(t, f, "remaining"); len(rem) != 0 {
			t.Errorf("remaining %q, want none", rem)
		}
		if len(f.Actions) != 6 {
			t.Errorf("actions %q, want 6", f.Actions)
		}

		acts := r.actions()
		for k, want := range map[string]int{
			"iam:ListOrganizationsFeatures": 1, "sts:AssumeRoot": 2, "iam:DeleteLoginProfile": 1, "iam:DeleteAccessKey": 1,
			"iam:DeleteSigningCertificate": 1, "iam:DeactivateMFADevice": 3, "iam:DeleteVirtualMFADevice:AccessDenied": 1,
		} {
			if acts[k] != want {
				t.Errorf("%d %s calls, want %d (calls %v)", acts[k], k, want, acts)
			}
		}
		// An audit session finds the credentials, a delete session removes them.
		byTask := r.rootSessionCalls(t, invited)
		for _, a := range byTask[localorg.TaskAuditRootUserCredentials] {
			if slices.Contains(deletes, a) {
				t.Errorf("audit session called %s", a)
			}
		}
		if len(byTask[localorg.TaskAuditRootUserCredentials]) == 0 || len(byTask[localorg.TaskDeleteRootUserCredentials]) == 0 || len(byTask) != 2 {
			t.Errorf("root-session calls by task %v, want an audit and a delete session", byTask)
		}
		for _, c := range r.Calls {
			if c.Service == "sts" && c.Caller != localorg.CallerManagement {
				t.Errorf("AssumeRoot not from the management account: %+v", c)
			}
		}
	})

	t.Run("second delivery: already clean", func(t *testing.T) {
		r := e.invoke(t, invite)
		f := r.hardened(t, invited, notify.SeverityInfo)
		if !strings.Contains(f.Summary, "already clean") || len(f.Actions) != 0 {
			t.Errorf("summary %q actions %q", f.Summary, f.Actions)
		}
		// A clean account never gets a session that may delete.
		r.auditedOnly(t, invited)
	})

	t.Run("sample events", func(t *testing.T) {
		for _, tt := range []struct {
			event   string
			account string // "" for an ignored event
		}{
			{"create-account-succeeded", clean},
			{"account-joined", invited},
			{"create-account-failed", ""},
			{"unrelated-event", ""},
		} {
			r := e.invoke(t, fixture(t, tt.event))
			if tt.account == "" {
				if r.Result.Error != nil || string(r.Result.Payload) != "null" || len(r.Calls) != 0 {
					t.Errorf("%s: result %s, error %v, calls %+v: want null and no calls", tt.event, r.Result.Payload, r.Result.Error, r.Calls)
				}
				continue
			}
			f := r.hardened(t, tt.account, notify.SeverityInfo)
			if !strings.Contains(f.Summary, "already clean") {
				t.Errorf("%s: summary %q", tt.event, f.Summary)
			}
			r.auditedOnly(t, tt.account)
		}
	})

	t.Run("report mode: audit only, nothing changed", func(t *testing.T) {
		report := startFunction(t, bed, "ROOTGUARD_MODE=report")
		r := report.invoke(t, forAccount(invite, invited, reportAcct))
		f := r.hardened(t, reportAcct, notify.SeverityHigh)
		if f.Mode != notify.ModeReport || len(f.Actions) != 0 || len(strs(t, f, "found")) != 6 {
			t.Errorf("finding %+v", f)
		}
		unchanged(t, r.root(t, reportAcct))
		r.auditedOnly(t, reportAcct)
	})

	t.Run("exempt account: reported, not touched", func(t *testing.T) {
		exempt := startFunction(t, bed, "ROOTGUARD_EXEMPT_ACCOUNTS="+exemptAcct)
		r := exempt.invoke(t, forAccount(invite, invited, exemptAcct))
		f := r.hardened(t, exemptAcct, notify.SeverityLow)
		if v, _ := f.Details.Value("exempt"); v != "yes" || f.Mode != notify.ModeEnforce {
			t.Errorf("finding %+v", f)
		}
		unchanged(t, r.root(t, exemptAcct))
		r.auditedOnly(t, exemptAcct)
	})

	t.Run("account not ready for two attempts", func(t *testing.T) {
		e.bed.Faults(t, localorg.FaultRule{
			Match:  localorg.FaultMatch{Service: "sts", Action: "AssumeRoot", Account: slowAcct},
			Error:  "AccessDenied",
			Status: 403,
			Times:  2,
		})
		r := e.invoke(t, forAccount(fixture(t, "create-account-succeeded"), clean, slowAcct))
		f := r.hardened(t, slowAcct, notify.SeverityMedium)
		if v, _ := f.Details.Value("session_attempts"); v != "3" {
			t.Errorf("session_attempts %v, want 3", v)
		}
		if acts := r.actions(); acts["sts:AssumeRoot:AccessDenied"] != 2 || acts["sts:AssumeRoot"] != 2 {
			t.Errorf("AssumeRoot calls %v, want 2 refused, then the audit and the delete session", acts)
		}
		if root := r.root(t, slowAcct); root.Password || len(root.AccessKeys) != 0 {
			t.Errorf("credentials left: %+v", root)
		}
	})

	t.Run("invitation accepted while the function waits", func(t *testing.T) {
		// The account is not a member yet: AssumeRoot is refused until it
		// joins, which it does once the call log shows the first refusal.
		joined := make(chan error, 1)
		from := len(bed.State(t).Calls)
		go func() { joined <- joinAfterRefusal(bed, from, lateAcct) }()
		r := e.invoke(t, forAccount(invite, invited, lateAcct))
		if err := <-joined; err != nil {
			t.Fatal(err)
		}
		f := r.hardened(t, lateAcct, notify.SeverityMedium)
		if r.actions()["sts:AssumeRoot:AccessDenied"] == 0 {
			t.Errorf("no refused AssumeRoot: the account joined before the first attempt")
		}
		if v, _ := f.Details.Value("session_attempts"); v == nil {
			t.Errorf("no session_attempts detail")
		}
		if root := r.root(t, lateAcct); root.Password || len(root.AccessKeys) != 0 || len(root.SigningCertificates) != 0 {
			t.Errorf("credentials left: %+v", root)
		}
	})

	t.Run("throttling ridden out", func(t *testing.T) {
		e.bed.Faults(t,
			localorg.FaultRule{Match: localorg.FaultMatch{Service: "iam", Action: "ListOrganizationsFeatures"}, Error: "Throttling", Times: 1},
			localorg.FaultRule{Match: localorg.FaultMatch{Service: "sts", Action: "AssumeRoot", Account: throttled}, Error: "Throttling", Times: 2},
			localorg.FaultRule{Match: localorg.FaultMatch{Service: "iam", Account: throttled, Caller: localorg.CallerRootSession}, Error: "Throttling", Times: 3},
		)
		r := e.invoke(t, forAccount(invite, invited, throttled))
		f := r.hardened(t, throttled, notify.SeverityMedium)
		if v, ok := f.Details.Value("session_attempts"); ok {
			t.Errorf("session_attempts %v: throttling is the SDK's to retry, not a refusal", v)
		}
		acts := r.actions()
		throttles := 0
		for k, n := range acts {
			if strings.HasSuffix(k, ":Throttling") {
				throttles += n
			}
		}
		if acts["iam:ListOrganizationsFeatures:Throttling"] != 1 || acts["sts:AssumeRoot:Throttling"] != 2 || throttles != 6 {
			t.Errorf("calls %v, want 6 throttled", acts)
		}
		if root := r.root(t, throttled); root.Password || len(root.AccessKeys) != 0 || len(root.SigningCertificates) != 0 {
			t.Errorf("credentials left: %+v", root)
		}
	})

	t.Run("virtual MFA delete allowed", func(t *testing.T) {
		allowed, denied := true, false
		e.seed(t, &localorg.Seed{DeleteVirtualMFAAllowed: &allowed})
		t.Cleanup(func() { bed.Org.ApplySeed(context.Background(), &localorg.Seed{DeleteVirtualMFAAllowed: &denied}) })
		r := e.invoke(t, forAccount(invite, invited, mfaAllowed))
		f := r.hardened(t, mfaAllowed, notify.SeverityMedium)
		if root := r.root(t, mfaAllowed); len(root.MFADevices) != 0 || root.Password {
			t.Errorf("root user %+v, want nothing left", root)
		}
		if left := strs(t, f, "left_behind"); left != nil {
			t.Errorf("left_behind %q, want none", left)
		}
		removed := strs(t, f, "removed")
		if !slices.ContainsFunc(removed, func(s string) bool { return strings.HasPrefix(s, "delete "+string(rootcreds.KindVirtualMFADevice)) }) {
			t.Errorf("removed %q, want the virtual device deleted", removed)
		}
		if n := r.actions()["iam:DeleteVirtualMFADevice"]; n != 1 {
			t.Errorf("%d DeleteVirtualMFADevice calls succeeded, want 1", n)
		}
	})
}

// joinAfterRefusal waits for a refused AssumeRoot among the bed's calls from
// index from on, then adds account to the organization. Only one invocation
// runs on the bed, so the refusal is for account.
func joinAfterRefusal(bed *testbed.Bed, from int, account string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		st, err := bed.Org.State(ctx)
		if err != nil {
			return fmt.Errorf("no refused AssumeRoot seen: %w", err)
		}
		if from <= len(st.Calls) && slices.ContainsFunc(st.Calls[from:], func(c localorg.Call) bool {
			return c.Service == "sts" && c.Action == "AssumeRoot" && c.ErrorCode == "AccessDenied"
		}) {
			return bed.Org.ApplySeed(ctx, &localorg.Seed{
				Accounts: []localorg.SeedAccount{member(account, "late", "invited", fullRoot())},
			})
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no refused AssumeRoot seen: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestEndToEndFeaturesOff(t *testing.T) {
	t.Parallel()
	const acct = "200000000001"
	bed := testbed.ForTest(t, &localorg.Seed{
		ManagementAccountID: management,
		Features:            []string{localorg.FeatureRootCredentialsManagement},
		Accounts:            []localorg.SeedAccount{member(acct, "features-off", "invited", fullRoot())},
	})
	e := startFunction(t, bed)
	event := forAccount(fixture(t, "invite-account"), dev, acct)
	off, on := false, true
	const (
		trusted = "enable-aws-service-access"
		rcm     = "enable-organizations-root-credentials-management"
		rs      = "enable-organizations-root-sessions"
	)
	for i, tt := range []struct {
		name    string
		seed    localorg.Seed
		summary string
		fixes   []string // the commands the remedy gives, of trusted, rcm, rs
	}{
		{"RootSessions off", localorg.Seed{}, "(RootSessions not enabled)", []string{rs}},
		{"both off", localorg.Seed{Features: []string{}}, "(RootCredentialsManagement and RootSessions not enabled)", []string{rcm, rs}},
		{"trusted access off", localorg.Seed{Features: []string{localorg.FeatureRootCredentialsManagement, localorg.FeatureRootSessions}, IAMTrustedAccess: &off}, "trusted access for IAM is not enabled", []string{trusted, rcm, rs}},
		{"RootCredentialsManagement off", localorg.Seed{Features: []string{localorg.FeatureRootSessions}, IAMTrustedAccess: &on}, "(RootCredentialsManagement not enabled)", []string{rcm}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.seed(t, &tt.seed)
			// A distinct invitation each time: one event has one finding id.
			r := e.invoke(t, forAccount(event, inviteEventID, fmt.Sprintf("00000000-0000-4000-8000-%012d", i)))
			f := r.reported(t, notify.KindCentralizedRootAccessOff, acct, notify.SeverityCritical)
			r.published(t, f)
			if !strings.Contains(f.Summary, tt.summary) {
				t.Errorf("summary %q, want %q", f.Summary, tt.summary)
			}
			v, _ := f.Details.Value("remedy")
			remedy, ok := v.(string)
			if !ok {
				t.Fatalf("remedy %v, want a string", v)
			}
			for _, cmd := range []string{trusted, rcm, rs} {
				if got := strings.Contains(remedy, cmd); got != slices.Contains(tt.fixes, cmd) {
					t.Errorf("remedy %s: has %s %v, want %v", remedy, cmd, got, !got)
				}
			}
			for _, c := range r.Calls {
				if c.Service == "sts" || c.Caller == localorg.CallerRootSession {
					t.Errorf("call %+v with centralized root access off", c)
				}
			}
			unchanged(t, r.root(t, acct))
		})
	}
	t.Run("turned on: hardened", func(t *testing.T) {
		e.seed(t, &localorg.Seed{Features: []string{localorg.FeatureRootCredentialsManagement, localorg.FeatureRootSessions}})
		// The event of the first subtest, redelivered once the features are
		// on: its new finding is published, not taken for a duplicate.
		r := e.invoke(t, forAccount(event, inviteEventID, "00000000-0000-4000-8000-000000000000"))
		r.published(t, r.hardened(t, acct, notify.SeverityMedium))
		if root := r.root(t, acct); root.Password {
			t.Errorf("credentials left: %+v", root)
		}
	})
}

// TestEndToEndGivesUp lets an account refuse every root session: the function
// fails before Lambda's timeout, so that Lambda retries the event.
func TestEndToEndGivesUp(t *testing.T) {
	t.Parallel()
	const acct = "300000000001"
	bed := testbed.ForTest(t, &localorg.Seed{
		ManagementAccountID: management,
		Accounts:            []localorg.SeedAccount{member(acct, "never-ready", "created", fullRoot())},
	})
	e := startFunction(t, bed)
	e.bed.Faults(t, localorg.FaultRule{Match: localorg.FaultMatch{Service: "sts", Action: "AssumeRoot", Account: acct}, Error: "AccessDenied", Status: 403})
	r := e.invoke(t, forAccount(fixture(t, "create-account-succeeded"), prod, acct))
	if r.Result.Error == nil {
		t.Fatalf("function succeeded: %s", r.Result.Payload)
	}
	// The harness's timeout is 30s, of which a quarter is kept for the work:
	// retries may start until 22.5s. The default backoff waits at least 1, 2
	// and 4s before retries 1 to 3, and at most 2+4+8s before the fourth.
	attempts := r.actions()["sts:AssumeRoot:AccessDenied"]
	if want := fmt.Sprintf("after %d attempts", attempts); attempts < 4 || !strings.Contains(r.Result.Error.ErrorMessage, want) {
		t.Errorf("error %q after %d refusals, want at least 4 attempts, counted", r.Result.Error.ErrorMessage, attempts)
	}
	if r.Result.Duration > 23*time.Second || r.Result.Duration < 7*time.Second {
		t.Errorf("gave up after %v, want between 7s and 23s of a 30s invocation", r.Result.Duration)
	}
	if len(r.State.SNS) != 0 {
		t.Errorf("%d findings published", len(r.State.SNS))
	}
	unchanged(t, r.root(t, acct))
}
