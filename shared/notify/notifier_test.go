package notify

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// recordingSNS counts publishes and fails while fail is set.
type recordingSNS struct {
	mu    sync.Mutex
	calls int
	fail  error
}

func (r *recordingSNS) fake() *fakeSNS {
	return &fakeSNS{publish: func(context.Context, *sns.PublishInput) (*sns.PublishOutput, error) {
		r.mu.Lock()
		defer r.mu.Unlock()
		r.calls++
		if r.fail != nil {
			return nil, r.fail
		}
		return &sns.PublishOutput{MessageId: aws.String("m")}, nil
	}}
}

func (r *recordingSNS) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

// testNotifier wires a Notifier to a fake SNS (if pub is set) and a Slack
// test server (if srv is set), with waits not slept, and captures its log.
func testNotifier(t *testing.T, pub *recordingSNS, srv *slackServer, minSev Severity) (*Notifier, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Config{SlackMinSeverity: minSev}
	var publisher snsPublisher
	if pub != nil {
		cfg.TopicARN = testTopic
		publisher = pub.fake()
	}
	var url string
	if srv != nil {
		url = srv.url()
	}
	n, err := newNotifier(cfg, publisher, url, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	if n.slack != nil {
		n.slack.wait = func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	}
	return n, &logs
}

func TestDeliver(t *testing.T) {
	throttled := errors.New("Throttling: Rate exceeded")
	tests := []struct {
		name       string
		snsFail    error
		slack      []func(http.ResponseWriter)
		minSev     Severity
		severity   Severity
		wantSNS    int
		wantSlack  int
		wantErrs   []string // substrings; empty: success
		wantNoErrs []string
	}{
		{name: "both sinks", slack: []func(http.ResponseWriter){ok200}, severity: SeverityHigh, wantSNS: 1, wantSlack: 1},
		{
			name: "sns fails, slack still delivered", snsFail: throttled,
			slack: []func(http.ResponseWriter){ok200}, severity: SeverityHigh, wantSNS: 1, wantSlack: 1,
			wantErrs: []string{"sns topic " + testTopic, "Rate exceeded"}, wantNoErrs: []string{"slack"},
		},
		{
			name: "slack fails, sns still delivered", slack: []func(http.ResponseWriter){status(400, "invalid_blocks")},
			severity: SeverityHigh, wantSNS: 1, wantSlack: 1,
			wantErrs: []string{"slack webhook: status 400: invalid_blocks"}, wantNoErrs: []string{"sns topic"},
		},
		{
			name: "both fail", snsFail: throttled, slack: []func(http.ResponseWriter){status(500, "")},
			severity: SeverityHigh, wantSNS: 1, wantSlack: slackAttempts,
			wantErrs: []string{"sns topic", "slack webhook: gave up after 4 attempts"},
		},
		{name: "slack retried", slack: []func(http.ResponseWriter){status(429, "", "Retry-After", "1"), ok200}, severity: SeverityLow, wantSNS: 1, wantSlack: 2},
		{name: "below slack minimum", slack: []func(http.ResponseWriter){ok200}, minSev: SeverityHigh, severity: SeverityMedium, wantSNS: 1, wantSlack: 0},
		{name: "at slack minimum", slack: []func(http.ResponseWriter){ok200}, minSev: SeverityHigh, severity: SeverityHigh, wantSNS: 1, wantSlack: 1},
		{name: "default minimum is info", slack: []func(http.ResponseWriter){ok200}, severity: SeverityInfo, wantSNS: 1, wantSlack: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := &recordingSNS{fail: tt.snsFail}
			srv := newSlackServer(t, tt.slack...)
			n, logs := testNotifier(t, pub, srv, tt.minSev)
			f := validFinding()
			f.Severity = tt.severity
			err := n.Deliver(context.Background(), f)
			if pub.count() != tt.wantSNS || srv.requests() != tt.wantSlack {
				t.Errorf("sns %d, slack %d requests; want %d, %d", pub.count(), srv.requests(), tt.wantSNS, tt.wantSlack)
			}
			if len(tt.wantErrs) == 0 && err != nil {
				t.Fatalf("Deliver = %v", err)
			}
			for _, want := range tt.wantErrs {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("Deliver = %v, want it to contain %q", err, want)
				}
			}
			for _, not := range tt.wantNoErrs {
				if err != nil && strings.Contains(err.Error(), not) {
					t.Errorf("Deliver = %v, must not mention %q", err, not)
				}
			}
			if tt.snsFail != nil && !errors.Is(err, tt.snsFail) {
				t.Errorf("Deliver = %v does not wrap the SNS error", err)
			}
			if strings.Contains(logs.String(), webhookPath) || (err != nil && strings.Contains(err.Error(), webhookPath)) {
				t.Errorf("webhook URL leaked:\n%s", logs)
			}
		})
	}
}

func TestDeliverAgain(t *testing.T) {
	pub := &recordingSNS{}
	srv := newSlackServer(t, status(400, "no_service"), ok200)
	n, _ := testNotifier(t, pub, srv, "")
	f := validFinding()

	if err := n.Deliver(context.Background(), f); err == nil {
		t.Fatal("first Deliver succeeded despite Slack 400")
	}
	// The retry (Lambda's, with the same finding) repeats only Slack.
	if err := n.Deliver(context.Background(), f); err != nil {
		t.Fatalf("second Deliver = %v", err)
	}
	if pub.count() != 1 || srv.requests() != 2 {
		t.Errorf("sns %d, slack %d; want 1, 2", pub.count(), srv.requests())
	}
	// A redelivered event: nothing left to send.
	if err := n.Deliver(context.Background(), f); err != nil {
		t.Fatalf("third Deliver = %v", err)
	}
	if pub.count() != 1 || srv.requests() != 2 {
		t.Errorf("redelivery sent again: sns %d, slack %d", pub.count(), srv.requests())
	}
	// Another finding is delivered as usual.
	other := validFinding()
	other.ID = NewID(other.Kind, "ev-2", other.AccountID)
	if err := n.Deliver(context.Background(), other); err != nil || pub.count() != 2 || srv.requests() != 3 {
		t.Errorf("other finding: %v, sns %d, slack %d", err, pub.count(), srv.requests())
	}
}

func TestDeliverMemoryIsBounded(t *testing.T) {
	pub := &recordingSNS{}
	n, _ := testNotifier(t, pub, nil, "")
	f := validFinding()
	for i := range rememberedIDs + 1 {
		f.ID = NewID(f.Kind, string(rune('a'+i%26))+strings.Repeat("x", i), "r")
		if err := n.Deliver(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	if len(n.sent) != rememberedIDs || len(n.fifo) != rememberedIDs {
		t.Fatalf("remembers %d (%d in order), want %d", len(n.sent), len(n.fifo), rememberedIDs)
	}
	// The oldest was forgotten: delivering it again publishes.
	first := validFinding()
	first.ID = NewID(first.Kind, "a", "r")
	before := pub.count()
	if err := n.Deliver(context.Background(), first); err != nil || pub.count() != before+1 {
		t.Errorf("forgotten finding: %v, %d publishes", err, pub.count()-before)
	}
}

func TestDeliverInvalidFinding(t *testing.T) {
	pub := &recordingSNS{}
	srv := newSlackServer(t, ok200)
	n, _ := testNotifier(t, pub, srv, "")
	f := validFinding()
	f.Severity = "severe"
	if err := n.Deliver(context.Background(), f); err == nil || !strings.Contains(err.Error(), `severity "severe"`) {
		t.Fatalf("Deliver = %v", err)
	}
	if pub.count() != 0 || srv.requests() != 0 {
		t.Error("an invalid finding was delivered")
	}
}

func TestDeliverNoSinks(t *testing.T) {
	n, logs := testNotifier(t, nil, nil, "")
	if err := n.Deliver(context.Background(), validFinding()); err != nil {
		t.Fatalf("Deliver = %v", err)
	}
	if !strings.Contains(logs.String(), "no findings sink configured") {
		t.Errorf("no warning about missing sinks:\n%s", logs)
	}
}

func TestNewNotifierBadMinimum(t *testing.T) {
	if _, err := newNotifier(Config{SlackMinSeverity: "loud"}, nil, "", nil, nil); err == nil {
		t.Fatal("accepted minimum severity loud")
	}
}

func TestNewBadTopic(t *testing.T) {
	for _, topic := range []string{"rootguard-findings", "arn:aws:sqs:us-east-1:111122223333:q", "arn:aws:sns::111122223333:t"} {
		if _, err := New(context.Background(), aws.Config{}, Config{TopicARN: topic}, nil); err == nil {
			t.Errorf("New accepted topic %q", topic)
		}
	}
}

// When every sink fails, the log still holds the whole finding: a retried
// event may find nothing left to do and report only that.
func TestDeliverLogsTheFindingFirst(t *testing.T) {
	pub := &recordingSNS{fail: errors.New("sns down")}
	n, logs := testNotifier(t, pub, nil, "")
	f := validFinding()
	f.Actions = []string{"delete access key AKIAIOSFODNN7EXAMPLE"}
	if err := n.Deliver(context.Background(), f); err == nil {
		t.Fatal("Deliver succeeded with SNS down")
	}
	for _, want := range []string{f.ID, f.Summary, "delete access key AKIAIOSFODNN7EXAMPLE"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}
