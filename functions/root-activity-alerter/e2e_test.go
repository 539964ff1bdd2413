package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/localorg/localorgtest"
	"github.com/rootguard/rootguard/internal/testbed"
	"github.com/rootguard/rootguard/shared/notify"
)

// The end-to-end tests run the real bootstrap under the Lambda runtime harness
// against a local organization, and assert on what reached SNS and Slack.

var e2eSeed = &localorg.Seed{
	ManagementAccountID: "111122223333",
	OrganizationID:      "o-exampleorgid",
	Features:            []string{"RootCredentialsManagement", "RootSessions"},
	Accounts: []localorg.SeedAccount{
		{ID: "444455556666", Name: "workload-dev"},
		{ID: "555566667777", Name: "workload-prod"},
	},
}

// One bed serves the package's end-to-end tests (each starts its own function
// process and reads only the deliveries it caused); TestMain stops it.
var (
	bedOnce sync.Once
	bed     *testbed.Bed
	bedErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if bed != nil {
		bed.Close()
	}
	os.Exit(code)
}

func sharedBed(t *testing.T) *testbed.Bed {
	t.Helper()
	localorgtest.RequireMoto(t)
	bedOnce.Do(func() {
		bed, bedErr = testbed.Start(context.Background(), testbed.Options{Seed: e2eSeed})
	})
	if bedErr != nil {
		t.Fatalf("start testbed: %v", bedErr)
	}
	if err := bed.Org.SetFaults(nil); err != nil {
		t.Fatal(err)
	}
	return bed
}

func startAlerter(t *testing.T, env ...string) (*testbed.Bed, *lambdaharness.Function) {
	t.Helper()
	bed := sharedBed(t)
	return bed, bed.FunctionForTest(t, "root-activity-alerter", env...)
}

func TestE2ESampleEvents(t *testing.T) {
	bed, fn := startAlerter(t)
	for _, tc := range alerterCases {
		t.Run(tc.event, func(t *testing.T) {
			r := bed.Invoke(t, fn, readEvent(t, tc.event))
			res, newSNS, newSlack := r.Result, r.SNS, r.Slack

			if tc.errContains != "" {
				if res.Error == nil || !strings.Contains(res.Error.ErrorMessage, tc.errContains) {
					t.Fatalf("function error = %v, want one naming %q", res.Error, tc.errContains)
				}
				if len(newSNS)+len(newSlack) != 0 {
					t.Errorf("bad input delivered %d SNS and %d Slack messages", len(newSNS), len(newSlack))
				}
				return
			}
			if res.Error != nil {
				t.Fatalf("function error: %v", res.Error)
			}
			if tc.kind == "" {
				if string(res.Payload) != "null" || len(newSNS)+len(newSlack) != 0 {
					t.Fatalf("ignored event: result %s, %d SNS, %d Slack", res.Payload, len(newSNS), len(newSlack))
				}
				return
			}
			got := r.Found(t)
			if got.Kind != tc.kind || got.Severity != tc.severity || got.AccountID != tc.account {
				t.Errorf("got %s/%s/%s, want %s/%s/%s", got.Kind, got.Severity, got.AccountID, tc.kind, tc.severity, tc.account)
			}
			if want := map[string]string{"444455556666": "workload-dev", "555566667777": "workload-prod"}[tc.account]; got.AccountName != want {
				t.Errorf("account name %q, want %q (from Organizations)", got.AccountName, want)
			}

			// SNS: the finding itself as the body, filterable attributes, a short subject.
			if len(newSNS) != 1 {
				t.Fatalf("%d SNS messages, want 1", len(newSNS))
			}
			msg := newSNS[0]
			if msg.TopicARN != bed.TopicARN {
				t.Errorf("published to %s, want %s", msg.TopicARN, bed.TopicARN)
			}
			assertSameJSON(t, msg.Message, string(res.Payload))
			if msg.Attributes["severity"] != string(tc.severity) || msg.Attributes["kind"] != string(tc.kind) {
				t.Errorf("attributes %v", msg.Attributes)
			}
			if len(msg.Subject) == 0 || len(msg.Subject) > 100 {
				t.Errorf("subject %q: want 1..100 characters", msg.Subject)
			}

			// Slack: one Block Kit message, nothing from the event unescaped.
			if len(newSlack) != 1 {
				t.Fatalf("%d Slack messages, want 1", len(newSlack))
			}
			var payload struct {
				Text   string            `json:"text"`
				Blocks []json.RawMessage `json:"blocks"`
			}
			if err := json.Unmarshal(newSlack[0], &payload); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(payload.Text, strings.ToUpper(string(tc.severity))) || len(payload.Blocks) == 0 {
				t.Errorf("slack payload lacks severity or blocks: %s", newSlack[0])
			}
			for _, forbidden := range []string{"<!channel>", "<!here>", "<https://", "<@"} {
				if strings.Contains(string(newSlack[0]), forbidden) {
					t.Errorf("slack payload carries %q unescaped", forbidden)
				}
			}
		})
	}
}

func TestE2EMaliciousUserAgentIsEscaped(t *testing.T) {
	bed, fn := startAlerter(t)
	r := bed.Invoke(t, fn, readEvent(t, "console-login-malicious-user-agent"))
	if r.Result.Error != nil {
		t.Fatal(r.Result.Error)
	}
	if len(r.Slack) != 1 || len(r.SNS) != 1 {
		t.Fatalf("%d new slack and %d new SNS messages, want 1 each", len(r.Slack), len(r.SNS))
	}
	body := string(r.Slack[0])
	if !strings.Contains(body, "&lt;!channel&gt;") {
		t.Errorf("the user agent's <!channel> should arrive escaped: %s", body)
	}
	// The exact user agent still reaches machines through SNS.
	var f notify.Finding
	if err := json.Unmarshal([]byte(r.SNS[0].Message), &f); err != nil {
		t.Fatal(err)
	}
	if ua, _ := f.Details.Value("user_agent"); !strings.Contains(ua.(string), "<!channel>") {
		t.Errorf("SNS user agent %q lost the original text", ua)
	}
}

func TestE2EDeliveryFaults(t *testing.T) {
	tests := []struct {
		name      string
		faults    []localorg.FaultRule
		wantErr   bool
		wantSNS   int
		wantSlack int
	}{
		{name: "slack 429 twice is ridden out",
			faults:  []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "slack"}, Status: 429, Error: "rate_limited", Times: 2}},
			wantSNS: 1, wantSlack: 1},
		{name: "slack 500 once is ridden out",
			faults:  []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "slack"}, Status: 500, Error: "server_error", Times: 1}},
			wantSNS: 1, wantSlack: 1},
		{name: "sns throttling is ridden out",
			faults:  []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "sns", Action: "Publish"}, Status: 400, Error: "Throttling", Times: 2}},
			wantSNS: 1, wantSlack: 1},
		{name: "sns throttled (429) is ridden out",
			faults:  []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "sns", Action: "Publish"}, Status: 429, Error: "Throttled", Times: 2}},
			wantSNS: 1, wantSlack: 1},
		{name: "slack down is a function error after SNS delivered",
			faults:  []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "slack"}, Status: 500, Error: "server_error"}},
			wantErr: true, wantSNS: 1, wantSlack: 0},
		{name: "sns down is a function error after Slack delivered",
			faults:  []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "sns", Action: "Publish"}, Status: 500, Error: "InternalError"}},
			wantErr: true, wantSNS: 0, wantSlack: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bed := sharedBed(t)
			var logs testbed.Logs
			fn, err := bed.FunctionLogs(context.Background(), "root-activity-alerter", &logs)
			if err != nil {
				t.Fatal(err)
			}
			defer fn.Close()
			bed.Faults(t, tt.faults...)
			r := bed.Invoke(t, fn, readEvent(t, "console-login-root-failure"))
			if (r.Result.Error != nil) != tt.wantErr {
				t.Fatalf("function error %v, want error %v", r.Result.Error, tt.wantErr)
			}
			if sns, slack := len(r.SNS), len(r.Slack); sns != tt.wantSNS || slack != tt.wantSlack {
				t.Errorf("delivered %d SNS, %d Slack; want %d, %d", sns, slack, tt.wantSNS, tt.wantSlack)
			}
			// The webhook URL is a secret: not in the logs, not in the error.
			webhook := bed.Org.Client().SlackWebhookURL()
			if strings.Contains(logs.String(), webhook) || (r.Result.Error != nil && strings.Contains(r.Result.Error.ErrorMessage, webhook)) {
				t.Errorf("the Slack webhook URL leaked into the function's output:\n%s", logs.String())
			}
		})
	}
}

func TestE2ESameEventSameFinding(t *testing.T) {
	bed, fn := startAlerter(t)
	first := bed.Invoke(t, fn, readEvent(t, "assume-root-delete-credentials"))
	again := bed.Invoke(t, fn, readEvent(t, "assume-root-delete-credentials"))
	// A redelivery in another container: a new process, no memory of the first.
	_, other := startAlerter(t)
	elsewhere := bed.Invoke(t, other, readEvent(t, "assume-root-delete-credentials"))
	id := first.Found(t).ID
	if id == "" || again.Found(t).ID != id || elsewhere.Found(t).ID != id {
		t.Errorf("finding ids %q, %q, %q; want the same three times", id, again.Found(t).ID, elsewhere.Found(t).ID)
	}
	if len(again.SNS)+len(again.Slack) != 0 {
		t.Errorf("the warm container delivered the same finding again: %d SNS, %d Slack", len(again.SNS), len(again.Slack))
	}
}

func TestE2EUnknownAccountStillAlerts(t *testing.T) {
	bed, fn := startAlerter(t)
	ev := strings.ReplaceAll(string(readEvent(t, "console-login-root-success-no-mfa")), "555566667777", "777788889999")
	r := bed.Invoke(t, fn, []byte(ev))
	f := r.Found(t)
	if f.AccountID != "777788889999" || f.AccountName != "unknown" || len(r.SNS) != 1 || len(r.Slack) != 1 {
		t.Errorf("account %s named %q, %d SNS, %d Slack; want 777788889999 named unknown, delivered to both", f.AccountID, f.AccountName, len(r.SNS), len(r.Slack))
	}
}

func TestE2EBadConfigurationFailsColdStart(t *testing.T) {
	tests := []struct{ name, env, wantLog string }{
		{"invalid minimum severity", "ROOTGUARD_SLACK_MIN_SEVERITY=loud", "ROOTGUARD_SLACK_MIN_SEVERITY"},
		{"missing webhook secret", "ROOTGUARD_SLACK_WEBHOOK_SECRET=arn:aws:secretsmanager:us-east-1:111122223333:secret:rootguard/none-AbCdEf", "ROOTGUARD_SLACK_WEBHOOK_SECRET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bed := sharedBed(t)
			before := bed.State(t)
			var logs testbed.Logs
			fn, err := bed.FunctionLogs(context.Background(), "root-activity-alerter", &logs, tt.env)
			if err == nil {
				defer fn.Close()
				_, err = fn.Invoke(context.Background(), readEvent(t, "console-login-root-failure"))
			}
			if !errors.Is(err, lambdaharness.ErrInit) && !errors.Is(err, lambdaharness.ErrExited) {
				t.Fatalf("err = %v, want the cold start to fail", err)
			}
			if !strings.Contains(logs.String(), tt.wantLog) {
				t.Errorf("the cold-start failure does not name %s:\n%s", tt.wantLog, logs.String())
			}
			if st := bed.State(t); len(st.SNS)+len(st.Slack) != len(before.SNS)+len(before.Slack) {
				t.Error("a misconfigured function delivered findings")
			}
		})
	}
}

func TestE2ESlackMinimumSeverity(t *testing.T) {
	bed, fn := startAlerter(t, "ROOTGUARD_SLACK_MIN_SEVERITY=high")
	var sns, slack int
	for _, ev := range []string{"console-login-root-failure", "console-login-root-success-no-mfa"} {
		r := bed.Invoke(t, fn, readEvent(t, ev))
		if r.Result.Error != nil {
			t.Fatal(r.Result.Error)
		}
		sns, slack = sns+len(r.SNS), slack+len(r.Slack)
	}
	if sns != 2 || slack != 1 {
		t.Errorf("delivered %d SNS, %d Slack; want 2 (all) and 1 (critical only)", sns, slack)
	}
}

func assertSameJSON(t *testing.T, a, b string) {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	if string(xa) != string(ya) {
		t.Errorf("SNS message differs from the returned finding:\n%s\n%s", xa, ya)
	}
}
