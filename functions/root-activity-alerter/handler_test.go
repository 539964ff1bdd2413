package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/settings"
)

type fakeDeliverer struct {
	deliver func(ctx context.Context, f notify.Finding) error
}

func (f fakeDeliverer) Deliver(ctx context.Context, fi notify.Finding) error {
	return f.deliver(ctx, fi)
}

type fakeNamer struct {
	name func(ctx context.Context, accountID string) string
}

func (f fakeNamer) Name(ctx context.Context, accountID string) string { return f.name(ctx, accountID) }

var names = map[string]string{"444455556666": "workload-dev", "555566667777": "workload-prod"}

func testSettings(t *testing.T) settings.Settings {
	t.Helper()
	s, err := settings.Load(func(k string) string {
		return map[string]string{
			settings.EnvOwnRolePatterns:     "arn:aws:iam::111122223333:role/rootguard-*",
			settings.EnvManagementAccountID: "111122223333",
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newTestHandler(t *testing.T, delivered *[]notify.Finding, deliverErr error) *Handler {
	t.Helper()
	h, err := NewHandler(testSettings(t),
		fakeDeliverer{deliver: func(_ context.Context, f notify.Finding) error {
			if deliverErr != nil {
				return deliverErr
			}
			*delivered = append(*delivered, f)
			return nil
		}},
		fakeNamer{name: func(_ context.Context, id string) string {
			if n, ok := names[id]; ok {
				return n
			}
			return "unknown"
		}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "root-activity-alerter", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// alerterCases are the expectations for every sample event; the end-to-end
// test runs the same table through the built function.
var alerterCases = []struct {
	event       string
	kind        notify.Kind // "" for an ignored event
	severity    notify.Severity
	account     string
	summaryHas  []string
	errContains string
}{
	{event: "assume-root-delete-credentials", kind: notify.KindRootSession, severity: notify.SeverityHigh, account: "444455556666",
		summaryHas: []string{"delete root credentials", "opened", "workload-dev", "SecurityAdmin/alice"}},
	{event: "assume-root-password-recovery", kind: notify.KindRootSession, severity: notify.SeverityHigh, account: "555566667777",
		summaryHas: []string{"re-enable root password recovery", "workload-prod"}},
	{event: "assume-root-rootguard-own", kind: notify.KindRootSession, severity: notify.SeverityInfo, account: "444455556666",
		summaryHas: []string{"rootguard automation"}},
	{event: "assume-root-failed", kind: notify.KindRootSession, severity: notify.SeverityHigh, account: "444455556666",
		summaryHas: []string{"attempted"}},
	{event: "console-login-root-success-mfa", kind: notify.KindRootConsoleLogin, severity: notify.SeverityHigh, account: "444455556666",
		summaryHas: []string{"with MFA"}},
	{event: "console-login-root-success-no-mfa", kind: notify.KindRootConsoleLogin, severity: notify.SeverityCritical, account: "555566667777",
		summaryHas: []string{"without MFA", "workload-prod"}},
	{event: "console-login-root-failure", kind: notify.KindRootConsoleLogin, severity: notify.SeverityMedium, account: "444455556666",
		summaryHas: []string{"Failed root sign-in"}},
	{event: "console-login-malicious-user-agent", kind: notify.KindRootConsoleLogin, severity: notify.SeverityCritical, account: "444455556666"},
	{event: "console-login-iam-user"},
	{event: "unrelated-event"},
	{event: "malformed-missing-fields", errContains: "detail.requestParameters"},
}

func TestHandleSampleEvents(t *testing.T) {
	for _, tc := range alerterCases {
		t.Run(tc.event, func(t *testing.T) {
			var delivered []notify.Finding
			h := newTestHandler(t, &delivered, nil)
			got, err := h.Handle(context.Background(), readEvent(t, tc.event))
			if tc.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errContains) {
					t.Fatalf("err = %v, want one naming %q", err, tc.errContains)
				}
				if len(delivered) != 0 {
					t.Errorf("delivered %d findings for bad input", len(delivered))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.kind == "" {
				if got != nil || len(delivered) != 0 {
					t.Fatalf("ignored event gave finding %+v, delivered %d", got, len(delivered))
				}
				return
			}
			if got == nil || len(delivered) != 1 {
				t.Fatalf("finding %v, delivered %d, want one", got, len(delivered))
			}
			if delivered[0].ID != got.ID {
				t.Errorf("returned finding %s differs from delivered %s", got.ID, delivered[0].ID)
			}
			if got.Kind != tc.kind || got.Severity != tc.severity || got.AccountID != tc.account {
				t.Errorf("got kind %s severity %s account %s, want %s %s %s", got.Kind, got.Severity, got.AccountID, tc.kind, tc.severity, tc.account)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("invalid finding: %v", err)
			}
			for _, s := range tc.summaryHas {
				if !strings.Contains(got.Summary, s) {
					t.Errorf("summary %q lacks %q", got.Summary, s)
				}
			}
		})
	}
}

func TestAssumeRootDetails(t *testing.T) {
	var delivered []notify.Finding
	h := newTestHandler(t, &delivered, nil)
	f, err := h.Handle(context.Background(), readEvent(t, "assume-root-delete-credentials"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"task":            "delete root credentials",
		"task_policy_arn": "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials",
		"target_account":  "444455556666",
		"result":          "succeeded",
	}
	for k, v := range want {
		if got, _ := f.Details.Value(k); got != v {
			t.Errorf("details[%s] = %v, want %q", k, got, v)
		}
	}
	for _, k := range []string{"caller", "source_ip", "user_agent", "root_session_access_key_id"} {
		if v, ok := f.Details.Value(k); !ok || v == "" {
			t.Errorf("details lack %s", k)
		}
	}
}

// The same event must give the same finding id: EventBridge delivers at least once.
func TestFindingIDIsStable(t *testing.T) {
	var delivered []notify.Finding
	h := newTestHandler(t, &delivered, nil)
	ids := map[string]string{}
	for _, ev := range []string{"assume-root-delete-credentials", "console-login-root-failure"} {
		a, err := h.Handle(context.Background(), readEvent(t, ev))
		if err != nil {
			t.Fatal(err)
		}
		b, err := h.Handle(context.Background(), readEvent(t, ev))
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != b.ID {
			t.Errorf("%s: ids %s and %s differ", ev, a.ID, b.ID)
		}
		ids[a.ID] = ev
	}
	if len(ids) != 2 {
		t.Errorf("different events share an id: %v", ids)
	}
}

func TestUnknownAccountStillAlerts(t *testing.T) {
	var delivered []notify.Finding
	h := newTestHandler(t, &delivered, nil)
	ev := strings.ReplaceAll(string(readEvent(t, "console-login-root-success-no-mfa")), "555566667777", "777788889999")
	f, err := h.Handle(context.Background(), []byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	if f.AccountName != "unknown" || len(delivered) != 1 {
		t.Errorf("account name %q, delivered %d; want unknown and 1", f.AccountName, len(delivered))
	}
}

func TestDeliveryFailureIsAnError(t *testing.T) {
	var delivered []notify.Finding
	h := newTestHandler(t, &delivered, errors.New("slack: 500"))
	if _, err := h.Handle(context.Background(), readEvent(t, "console-login-root-failure")); err == nil || !strings.Contains(err.Error(), "slack: 500") {
		t.Fatalf("err = %v, want the delivery error", err)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct{ name, event, want string }{
		{"not JSON", `{"detail":`, "parse event"},
		{"detail not an object", `{"id":"x","source":"aws.sts","detail":"AssumeRoot"}`, "detail"},
		{"wrong type", `{"id":"x","source":"aws.signin","detail":{"eventSource":"signin.amazonaws.com","eventName":["ConsoleLogin"]}}`, "eventName"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var delivered []notify.Finding
			h := newTestHandler(t, &delivered, nil)
			_, err := h.Handle(context.Background(), []byte(tt.event))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
			if len(delivered) != 0 {
				t.Error("bad input was delivered")
			}
		})
	}
}

// The severity of an AssumeRoot call depends on who calls with which task.
func TestAssumeRootSeverity(t *testing.T) {
	const (
		hardener  = "arn:aws:iam::111122223333:role/rootguard-new-account-hardener"
		unlocker  = "arn:aws:iam::111122223333:role/rootguard-bucket-policy-unlocker"
		anyTask   = "arn:aws:iam::111122223333:role/rootguard-legacy" // an entry naming no tasks
		deleteARN = "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
	)
	s, err := settings.Load(func(k string) string {
		return map[string]string{
			settings.EnvOwnRolePatterns: hardener + "=IAMAuditRootUserCredentials+IAMDeleteRootUserCredentials," +
				unlocker + "=S3UnlockBucketPolicy," + anyTask,
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		issuer     string
		taskARN    string
		failed     bool
		want       notify.Severity
		automation bool
	}{
		{"own role, own task", hardener, deleteARN, false, notify.SeverityInfo, true},
		{"own role, another role's task", unlocker, deleteARN, false, notify.SeverityHigh, false},
		{"own role, password recovery", hardener, "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword", false, notify.SeverityHigh, false},
		{"own role, unknown task", hardener, "arn:aws:iam::aws:policy/root-task/IAMDeleteEverything", false, notify.SeverityHigh, false},
		{"own role, own task, refused", hardener, deleteARN, true, notify.SeverityInfo, true},
		{"own role naming no tasks, a rootguard task", anyTask, deleteARN, false, notify.SeverityInfo, true},
		{"own role naming no tasks, password recovery", anyTask, "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword", false, notify.SeverityHigh, false},
		{"someone else, own task", "arn:aws:iam::111122223333:role/SecurityAdmin", deleteARN, false, notify.SeverityHigh, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := readEvent(t, "assume-root-rootguard-own")
			ev = []byte(strings.ReplaceAll(string(ev), "arn:aws:iam::111122223333:role/rootguard-new-account-hardener", tt.issuer))
			ev = []byte(strings.ReplaceAll(string(ev), "assumed-role/rootguard-new-account-hardener/", "assumed-role/"+tt.issuer[strings.LastIndex(tt.issuer, "/")+1:]+"/"))
			ev = []byte(strings.ReplaceAll(string(ev), deleteARN, tt.taskARN))
			if tt.failed {
				ev = []byte(strings.Replace(string(ev), `"eventSource"`, `"errorCode": "AccessDenied", "eventSource"`, 1))
			}
			var delivered []notify.Finding
			h := newTestHandler(t, &delivered, nil)
			h.settings = s
			f, err := h.Handle(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if f.Severity != tt.want {
				t.Errorf("severity %s, want %s (%s)", f.Severity, tt.want, f.Summary)
			}
			if got, _ := f.Details.Value("expected_automation"); got != boolWord(tt.automation) {
				t.Errorf("expected_automation = %v, want %s", got, boolWord(tt.automation))
			}
		})
	}
}

func TestRefusedAssumeRootWithoutTarget(t *testing.T) {
	var delivered []notify.Finding
	h := newTestHandler(t, &delivered, nil)
	ev := strings.Replace(string(readEvent(t, "assume-root-failed")), `"targetPrincipal": "444455556666"`, `"targetPrincipal": ""`, 1)
	if ev == string(readEvent(t, "assume-root-failed")) {
		t.Fatal("fixture no longer has the target principal this test removes")
	}
	f, err := h.Handle(context.Background(), []byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	if f.AccountID != "" || f.Resource != "" || !strings.Contains(f.Summary, "an unknown account") || len(delivered) != 1 {
		t.Errorf("finding %+v: want no account or resource, an unknown account in the summary, delivered", f)
	}
}

// A sign-in record that does not say whether MFA was used counts as without.
func TestConsoleLoginMFANotRecorded(t *testing.T) {
	var delivered []notify.Finding
	h := newTestHandler(t, &delivered, nil)
	orig := string(readEvent(t, "console-login-root-success-no-mfa"))
	ev := strings.Replace(orig, `"MFAUsed": "No"`, `"MFAUsedX": "No"`, 1)
	if ev == orig {
		t.Fatal("fixture no longer carries MFAUsed")
	}
	f, err := h.Handle(context.Background(), []byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	if f.Severity != notify.SeverityCritical {
		t.Errorf("severity %s, want critical", f.Severity)
	}
	if got, _ := f.Details.Value("mfa_used"); got != "not recorded" {
		t.Errorf("mfa_used = %v, want not recorded", got)
	}
}

func TestConsoleLoginDetails(t *testing.T) {
	var delivered []notify.Finding
	h := newTestHandler(t, &delivered, nil)
	f, err := h.Handle(context.Background(), readEvent(t, "console-login-root-success-mfa"))
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"result": "Success", "mfa_used": "yes", "sign_in_region": "us-east-1"} {
		if got, _ := f.Details.Value(k); got != want {
			t.Errorf("details[%s] = %v, want %q", k, got, want)
		}
	}
	for _, k := range []string{"source_ip", "user_agent"} {
		if v, ok := f.Details.Value(k); !ok || v == "" {
			t.Errorf("details lack %s", k)
		}
	}
}

// Every sample event has an expectation, so a new fixture cannot go untested.
func TestEverySampleEventHasACase(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "root-activity-alerter", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	cases := map[string]bool{}
	for _, c := range alerterCases {
		cases[c.event] = true
	}
	for _, f := range files {
		if name := strings.TrimSuffix(filepath.Base(f), ".json"); !cases[name] {
			t.Errorf("events/root-activity-alerter/%s.json has no case in alerterCases", name)
		}
	}
}
