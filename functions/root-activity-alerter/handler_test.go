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
