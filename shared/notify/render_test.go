package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from the current rendering")

// hostile is what an attacker can put in a user agent or a bucket name.
const hostile = "<!channel> <!here> <@U024BE7LH> <http://evil.example|click me> & *bold* _it_ ~st~ `code` > quote :skull:\nsecond line\u202eevil"

func goldenFindings() map[string]Finding {
	at := time.Date(2024, 11, 14, 18, 6, 52, 0, time.UTC)
	return map[string]Finding{
		"root-session": {
			ID: NewID(KindRootSession, "6f5e4d3c-0000-4000-8000-000000000001", "555566667777"), Kind: KindRootSession,
			Severity: SeverityHigh, AccountID: "555566667777", AccountName: "payments-prod", Region: "us-east-1",
			Resource: "555566667777",
			Summary:  "Root session in 555566667777 (payments-prod) by arn:aws:sts::111122223333:assumed-role/ops/jane",
			Details: Details{
				{"caller", "arn:aws:sts::111122223333:assumed-role/ops/jane"},
				{"task_policy", "delete root credentials"},
				{"source_ip", "192.0.2.1"},
				{"user_agent", "aws-cli/2.22.0 Python/3.12.6 Linux/6.1 exe/x86_64.amzn.2023"},
				{"access_key_id", "ASIAIOSFODNN7EXAMPLE"},
			},
			Mode: ModeEnforce, EventID: "6f5e4d3c-0000-4000-8000-000000000001", EventTime: at,
		},
		"hostile-console-login": {
			ID: NewID(KindRootConsoleLogin, "ev-<!channel>", "444455556666"), Kind: KindRootConsoleLogin,
			Severity: SeverityCritical, AccountID: "444455556666", AccountName: "<@U024BE7LH> & co", Region: "us-east-1",
			Summary: "Root signed in to 444455556666 without MFA from " + hostile,
			Details: Details{
				{"user_agent", hostile},
				{"*mfa_used*", "No"},
			},
			Mode: ModeReport, EventID: "ev-<!channel>", EventTime: at,
		},
		"policy-unlocked": {
			ID: NewID(KindPolicyUnlocked, "ev-3", "arn:aws:s3:::amzn-s3-demo-bucket"), Kind: KindPolicyUnlocked,
			Severity: SeverityMedium, AccountID: "444455556666", AccountName: "data", Region: "eu-west-1",
			Resource: "arn:aws:s3:::amzn-s3-demo-bucket",
			Summary:  "Bucket amzn-s3-demo-bucket locked everyone out; the lockout statements were removed",
			Details: Details{
				{"removed_statements", json.RawMessage(`[{"Sid":"DenyAll","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]`)},
				{"statements_kept", 2},
				{"conditional", false},
				{"note", ""},
			},
			Actions: []string{"opened a root session with S3UnlockBucketPolicy", "put the policy back without statement DenyAll"},
			Mode:    ModeEnforce, EventID: "ev-3", EventTime: at.In(time.FixedZone("CET", 3600)),
		},
		"minimal": {
			ID: "0123456789abcdef0123456789abcdef", Kind: KindAudit, Severity: SeverityInfo,
			Summary: "Audit found no root credentials", Mode: ModeEnforce, EventID: "ev-4", EventTime: at,
		},
		"many-details": func() Finding {
			f := Finding{
				ID: "fedcba9876543210fedcba9876543210", Kind: KindAudit, Severity: SeverityLow,
				AccountID: "111122223333", Summary: "Audit: 45 accounts", Mode: ModeEnforce, EventID: "ev-5", EventTime: at,
			}
			for i := range 45 {
				f.Details = append(f.Details, Fact{fmt.Sprintf("account_%02d", i), "clean"})
			}
			return f
		}(),
	}
}

func TestSlackGolden(t *testing.T) {
	for name, f := range goldenFindings() {
		t.Run(name, func(t *testing.T) {
			if err := f.Validate(); err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			enc := json.NewEncoder(&got)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(slackPayload(f)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("payload differs from %s (go test -update rewrites it):\n%s", path, got.Bytes())
			}
			checkSlackPayload(t, got.Bytes())
		})
	}
}

func TestEscape(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		limit  int
		inCode bool
		want   string
	}{
		{"channel mention", "<!channel>", 100, false, "&lt;!channel&gt;"},
		{"forged link", "<http://evil|x>", 100, false, "&lt;http://evil|x&gt;"},
		{"ampersand", "a & b &amp;", 100, false, "a &amp; b &amp;amp;"},
		{"user mention", "<@U123>", 100, false, "&lt;@U123&gt;"},
		{"newlines", "a\nb\r\nc\u2028d", 100, false, "a b  c d"},
		{"surrounding space", " \n x \t", 100, false, "x"},
		{"bidi override", "abc\u202eevil\u2066", 100, false, "abc\uFFFDevil\uFFFD"},
		{"invalid UTF-8", "a\xff\xfeb", 100, false, "a\uFFFD\uFFFDb"},
		{"backtick outside code", "`x`", 100, false, "`x`"},
		{"backtick in code", "`x`", 100, true, "\u02cbx\u02cb"},
		{"fits exactly", "abcde", 5, false, "abcde"},
		{"cut", "abcdef", 5, false, "abcd…"},
		{"entity not split", "a&&&", 7, false, "a&amp;…"},
		{"entity just fits", "a&", 6, false, "a&amp;"},
		{"multi-byte", "ééééé", 4, false, "ééé…"},
		{"astral rune counts two", "🔥🔥🔥", 4, false, "🔥…"},
		{"astral rune not split", "a🔥", 2, false, "a…"},
		{"cut after space", "ab    cdefgh", 6, false, "ab…"},
		{"no room", "abc", 0, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := escape(tt.in, tt.limit, tt.inCode)
			if got != tt.want {
				t.Errorf("escape(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
			}
			if width(got) > tt.limit {
				t.Errorf("width %d > limit %d", width(got), tt.limit)
			}
			if !utf8.ValidString(got) {
				t.Errorf("invalid UTF-8 %q", got)
			}
		})
	}
}

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{
		"source_ip":     "Source ip",
		"task-policy":   "Task policy",
		"*bold*~`":      "Bold",
		"élan":          "Élan",
		"<!here>":       "&lt;!here&gt;",
		"":              "",
		"Already Human": "Already Human",
	} {
		if got := label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSlackLimits fills every field far past Slack's limits.
func TestSlackLimits(t *testing.T) {
	long := strings.Repeat("<é🔥&", 3000)
	f := validFinding()
	f.Summary, f.AccountName, f.Region, f.Resource, f.EventID = long, long, long, long, long
	for i := range 60 {
		f.Details = append(f.Details, Fact{fmt.Sprintf("%s%d", long[:400], i), long})
	}
	for range 40 {
		f.Actions = append(f.Actions, long)
	}
	b, err := json.Marshal(slackPayload(f))
	if err != nil {
		t.Fatal(err)
	}
	checkSlackPayload(t, b)
	if !strings.Contains(string(b), "more details in the SNS message") || !strings.Contains(string(b), "• … and ") {
		t.Error("dropped details and actions are not mentioned")
	}
}

// Slack limits for the checks, from docs.slack.dev/reference/block-kit.
const (
	slackMaxBlocks      = 50
	slackMaxContextText = 3000
)

// checkSlackPayload asserts what must hold for any payload: valid JSON
// within Slack's limits, and no '<' or '>' and no '&' outside our own
// three entities in any text, whatever the finding held.
func checkSlackPayload(t *testing.T, payload []byte) {
	t.Helper()
	var msg slackMessage
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&msg); err != nil {
		t.Fatalf("payload is not a slack message: %v\n%s", err, payload)
	}
	checkText := func(where, s string, limit int) {
		t.Helper()
		if s == "" {
			t.Errorf("%s: empty text (Slack rejects it)", where)
		}
		if !utf8.ValidString(s) {
			t.Errorf("%s: invalid UTF-8", where)
		}
		if width(s) > limit {
			t.Errorf("%s: %d units, limit %d", where, width(s), limit)
		}
		if strings.ContainsAny(s, "<>") {
			t.Errorf("%s: raw < or > in %q", where, s)
		}
		rest := strings.NewReplacer("&amp;", "", "&lt;", "", "&gt;", "").Replace(s)
		if strings.Contains(rest, "&") {
			t.Errorf("%s: bare & in %q", where, s)
		}
	}
	checkText("text", msg.Text, maxFallbackText)
	if n := len(msg.Blocks); n < 3 || n > slackMaxBlocks {
		t.Fatalf("%d blocks", n)
	}
	if h := msg.Blocks[0]; h.Type != "header" || h.Text == nil || h.Text.Type != "plain_text" {
		t.Fatalf("first block is not a plain_text header: %+v", h)
	} else if strings.ContainsAny(h.Text.Text, "\n\r") {
		t.Errorf("header has a line break: %q", h.Text.Text)
	}
	for i, b := range msg.Blocks {
		where := fmt.Sprintf("block %d (%s)", i, b.Type)
		switch b.Type {
		case "header":
			checkText(where, b.Text.Text, maxHeaderText)
		case "section":
			if b.Text == nil && len(b.Fields) == 0 {
				t.Errorf("%s: neither text nor fields", where)
			}
			if b.Text != nil {
				checkText(where, b.Text.Text, maxSectionText)
			}
			if len(b.Fields) > maxFieldsPerSection {
				t.Errorf("%s: %d fields", where, len(b.Fields))
			}
			for j, f := range b.Fields {
				if f.Type != "mrkdwn" || !f.Verbatim {
					t.Errorf("%s field %d: %+v, want verbatim mrkdwn", where, j, f)
				}
				checkText(fmt.Sprintf("%s field %d", where, j), f.Text, maxFieldText)
			}
		case "context":
			if len(b.Elements) == 0 || len(b.Elements) > 10 {
				t.Errorf("%s: %d elements", where, len(b.Elements))
			}
			for _, e := range b.Elements {
				checkText(where, e.Text, slackMaxContextText)
			}
		default:
			t.Errorf("%s: unexpected block type", where)
		}
	}
}

func FuzzSlackPayload(f *testing.F) {
	f.Add(hostile, "Mozilla/5.0", "acct", "ev-1", "deleted <key>")
	f.Add("a\xffb", "\u202e", "&amp;", "<", "`")
	f.Add(strings.Repeat("🔥&", 200), strings.Repeat("<", 2100), "", "", "")
	f.Fuzz(func(t *testing.T, summary, value, account, eventID, action string) {
		fd := validFinding()
		fd.Summary, fd.AccountName, fd.Resource, fd.EventID = summary, account, value, eventID
		fd.Details = Details{{value, value}, {"k", summary}}
		fd.Actions = []string{action, value}
		b, err := json.Marshal(slackPayload(fd))
		if err != nil {
			t.Fatal(err)
		}
		if !json.Valid(b) {
			t.Fatalf("invalid JSON: %s", b)
		}
		checkSlackPayload(t, b)
	})
}
