package trail

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

const (
	mgmt = "111122223333"
	dev  = "444455556666"
	prod = "555566667777"
)

// moduleRoot finds the directory holding go.mod above the test's directory.
func moduleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test directory")
		}
		dir = parent
	}
}

// fixtureFunctions are the events/ folders whose samples this package owns.
var fixtureFunctions = []string{
	"root-activity-alerter",
	"bucket-policy-unlocker",
	"queue-policy-unlocker",
	"new-account-hardener",
}

// fixtureFiles lists events/<function>/*.json as "function/name".
func fixtureFiles(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, fn := range fixtureFunctions {
		matches, err := filepath.Glob(filepath.Join(moduleRoot(tb), "events", fn, "*.json"))
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range matches {
			out = append(out, fn+"/"+strings.TrimSuffix(filepath.Base(m), ".json"))
		}
	}
	return out
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(moduleRoot(tb), "events", name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func loadFixture(tb testing.TB, name string) Record {
	tb.Helper()
	r, err := ParseJSON(readFixture(tb, name))
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return r
}

// event wraps a detail document in an EventBridge envelope.
func event(detail string) events.CloudWatchEvent {
	return events.CloudWatchEvent{
		Version:    "0",
		ID:         "7bf73129-1428-4cd3-a780-95db273d1602",
		DetailType: "AWS API Call via CloudTrail",
		Source:     "aws.test",
		AccountID:  mgmt,
		Time:       time.Date(2026, 6, 2, 12, 0, 0, 0, time.UTC),
		Region:     "us-east-1",
		Detail:     json.RawMessage(detail),
	}
}

func parse(tb testing.TB, detail string) Record {
	tb.Helper()
	r, err := Parse(event(detail))
	if err != nil {
		tb.Fatalf("Parse: %v\n%s", err, detail)
	}
	return r
}

// fieldOf returns the field a *FieldError names, or "" for any other error.
func fieldOf(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// statements decodes a policy document's statements for assertions.
func statements(tb testing.TB, policy json.RawMessage) []map[string]any {
	tb.Helper()
	var doc struct {
		Statement []map[string]any
	}
	if err := json.Unmarshal(policy, &doc); err != nil {
		tb.Fatalf("policy %s: %v", policy, err)
	}
	return doc.Statement
}

func mustTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}
