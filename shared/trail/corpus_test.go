package trail

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// corpusRecord is one record of the shared real-world corpus, as an
// EventBridge event: files that are raw CloudTrail records get the envelope
// EventBridge would put around them.
type corpusRecord struct {
	folder, file string
	event        []byte
}

// corpusDir is ../shared/corpus/cloudtrail beside the module, present on
// development machines and CI but never part of the repository.
func corpusDir(tb testing.TB) string {
	return filepath.Join(filepath.Dir(moduleRoot(tb)), "shared", "corpus", "cloudtrail")
}

func loadCorpus(tb testing.TB) []corpusRecord {
	tb.Helper()
	dir := corpusDir(tb)
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var out []corpusRecord
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		ev, err := envelopeFor(data)
		if err != nil {
			tb.Fatalf("%s: %v", path, err)
		}
		out = append(out, corpusRecord{folder: filepath.Base(filepath.Dir(path)), file: filepath.Base(path), event: ev})
	}
	return out
}

// envelopeFor returns data as an EventBridge event, wrapping a raw record
// the way EventBridge does (source aws.<service>, account and region of
// the record).
func envelopeFor(data []byte) ([]byte, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	if _, ok := probe["detail"]; ok {
		return data, nil
	}
	var rec struct {
		EventSource        string `json:"eventSource"`
		EventTime          string `json:"eventTime"`
		AWSRegion          string `json:"awsRegion"`
		EventType          string `json:"eventType"`
		RecipientAccountID string `json:"recipientAccountId"`
		UserIdentity       struct {
			AccountID string `json:"accountId"`
		} `json:"userIdentity"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	account := rec.RecipientAccountID
	if account == "" {
		account = rec.UserIdentity.AccountID
	}
	detailType := "AWS API Call via CloudTrail"
	switch rec.EventType {
	case "AwsServiceEvent":
		detailType = "AWS Service Event via CloudTrail"
	case "AwsConsoleSignIn":
		detailType = "AWS Console Sign In via CloudTrail"
	}
	when := parseTimestamp(rec.EventTime).Time
	if when.IsZero() {
		when = time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
	}
	return json.Marshal(map[string]any{
		"version":     "0",
		"id":          "00000000-0000-4000-8000-000000000000",
		"detail-type": detailType,
		"source":      "aws." + strings.TrimSuffix(rec.EventSource, ".amazonaws.com"),
		"account":     account,
		"time":        when.Format(time.RFC3339),
		"region":      rec.AWSRegion,
		"resources":   []string{},
		"detail":      json.RawMessage(data),
	})
}

// corpusChecks states, per corpus folder, what the typed decoders must make
// of every record in it. A decoder may refuse a record only with a
// *FieldError naming a detail field, and must succeed on at least one
// record per folder.
var corpusChecks = map[string]func(t *testing.T, r Record) (decoded bool){
	"root-console-login": func(t *testing.T, r Record) bool {
		c, err := r.ConsoleLogin()
		if err != nil {
			t.Fatal(err)
		}
		if !c.Root || (c.Result != "Success" && c.Result != "Failure") || r.AccountID() == "" {
			t.Errorf("got %+v in account %q", c, r.AccountID())
		}
		return true
	},
	"console-login-nonroot": func(t *testing.T, r Record) bool {
		c, err := r.ConsoleLogin()
		if err != nil {
			t.Fatal(err)
		}
		if c.Root || r.IsRoot() || c.MFA == MFAUnknown {
			t.Errorf("got %+v", c)
		}
		return true
	},
	"signin-checkmfa-nonroot": func(t *testing.T, r Record) bool {
		if r.Kind() != KindOther || r.IsRoot() {
			t.Errorf("kind %q root %v", r.Kind(), r.IsRoot())
		}
		_, err := r.ConsoleLogin()
		return refused(t, err)
	},
	"root-other": func(t *testing.T, r Record) bool {
		if r.Kind() != KindOther || !r.IsRoot() || r.IsRootSession() {
			t.Errorf("kind %q root %v root session %v", r.Kind(), r.IsRoot(), r.IsRootSession())
		}
		_, err := r.ConsoleLogin()
		return refused(t, err)
	},
	"assume-root": func(t *testing.T, r Record) bool {
		switch r.Kind() {
		case KindAssumeRoot:
			a, err := r.AssumeRoot()
			if err != nil {
				t.Fatal(err)
			}
			if a.TargetAccount() == "" || !strings.HasPrefix(a.TaskPolicyARN, "arn:aws:iam::aws:policy/root-task/") ||
				a.Caller() == "" || a.AccessKeyID == "" || a.Expiration.Time.IsZero() || r.IsRootSession() {
				t.Errorf("got %+v (root session %v)", a, r.IsRootSession())
			}
		case KindDeleteBucketPolicy:
			// The member account's side: the root session's own action.
			c, err := r.BucketPolicy()
			if err != nil {
				t.Fatal(err)
			}
			if !r.IsRoot() || !c.Deleted || c.Bucket == "" {
				t.Errorf("got %+v (root %v)", c, r.IsRoot())
			}
		default:
			t.Errorf("unexpected %s %s", r.EventSource, r.EventName)
		}
		return true
	},
	"create-account-result": func(t *testing.T, r Record) bool {
		s, err := r.CreateAccountResult()
		if err != nil {
			return refused(t, err)
		}
		if s.State == "" || !strings.HasPrefix(s.ID, "car-") || (s.Succeeded() && !isAccountID(s.AccountID)) {
			t.Errorf("got %+v", s)
		}
		// Real records redact the name as "****": no name, rather than stars.
		if strings.Contains(s.AccountName, "*") {
			t.Errorf("account name %q kept its redaction", s.AccountName)
		}
		for _, ts := range []Timestamp{s.RequestedTimestamp, s.CompletedTimestamp} {
			if ts.Raw == "" || ts.Time.IsZero() {
				t.Errorf("timestamp %+v not understood", ts)
			}
		}
		j, err := r.Joining()
		switch {
		case s.Succeeded() && (err != nil || j.AccountID != s.AccountID || j.Method != JoinCreated):
			t.Errorf("Joining %+v, %v", j, err)
		case !s.Succeeded() && !errors.Is(err, ErrNotApplicable):
			t.Errorf("Joining of %s: %v", s.State, err)
		}
		return true
	},
	"create-account-call": func(t *testing.T, r Record) bool {
		if _, err := r.Joining(); !errors.Is(err, ErrNotApplicable) {
			t.Errorf("Joining: %v", err)
		}
		_, err := r.CreateAccountResult()
		return refused(t, err)
	},
	"account-joined": func(t *testing.T, r Record) bool {
		inv, err := r.Invitation()
		if err != nil {
			t.Fatal(err)
		}
		if !isAccountID(inv.AccountID) || inv.AccountID == r.AccountID() || !strings.HasPrefix(inv.OrganizationID, "o-") ||
			inv.Handshake.RequestedTimestamp.Time.IsZero() || inv.Handshake.ExpirationTimestamp.Time.IsZero() {
			t.Errorf("got %+v", inv)
		}
		j, err := r.Joining()
		if err != nil || j.AccountID != inv.AccountID || j.Method != JoinInvited || !j.Pending {
			t.Errorf("Joining %+v, %v", j, err)
		}
		return true
	},
	"org-other-service-events": func(t *testing.T, r Record) bool {
		if _, err := r.Joining(); !errors.Is(err, ErrNotApplicable) {
			t.Errorf("Joining: %v", err)
		}
		_, err := r.CreateAccountResult()
		return refused(t, err)
	},
	"put-bucket-policy": func(t *testing.T, r Record) bool {
		c, err := r.BucketPolicy()
		if err != nil {
			return refused(t, err)
		}
		switch {
		case c.Bucket == "":
			t.Errorf("no bucket: %+v", c)
		case c.Deleted != (r.Kind() == KindDeleteBucketPolicy):
			t.Errorf("Deleted %v for %s", c.Deleted, r.EventName)
		case !c.Deleted && c.Policy == nil:
			t.Errorf("PutBucketPolicy without a policy: %+v", c)
		case c.Policy != nil && jsonType(c.Policy) != "object":
			t.Errorf("policy is not an object: %s", c.Policy)
		}
		return true
	},
	"sqs-policy": func(t *testing.T, r Record) bool {
		var q Queue
		switch r.Kind() {
		case KindSetQueueAttributes, KindCreateQueue:
			c, err := r.QueuePolicy()
			if err != nil {
				return refused(t, err)
			}
			if c.Removed() != (c.HasPolicy && c.Policy == nil) || (c.Policy != nil && jsonType(c.Policy) != "object") {
				t.Errorf("got %+v", c)
			}
			q = c.Queue
		case KindAddPermission:
			p, err := r.QueuePermission()
			if err != nil {
				return refused(t, err)
			}
			if len(p.Actions) == 0 || len(p.AccountIDs) == 0 || p.Label == "" {
				t.Errorf("got %+v", p)
			}
			q = p.Queue
		default:
			// A record of another service under an SQS name is not an SQS event.
			_, err := r.QueuePolicy()
			return refused(t, err)
		}
		if !isAccountID(q.AccountID) || q.Region == "" || q.Name == "" || !strings.HasPrefix(q.ARN(), "arn:aws:sqs:") {
			t.Errorf("queue %+v", q)
		}
		return true
	},
}

// refused checks that a decoder turned a record down with a field error.
func refused(t *testing.T, err error) bool {
	t.Helper()
	if err == nil {
		t.Error("decoded, want a field error")
	} else if !strings.HasPrefix(fieldOf(err), "detail") {
		t.Errorf("error %v does not name a detail field", err)
	} else {
		t.Logf("refused: %v", err)
	}
	return false
}

// TestCorpus parses every record of the real-world corpus and runs the
// decoder of its kind.
func TestCorpus(t *testing.T) {
	records := loadCorpus(t)
	if records == nil {
		t.Skipf("%s absent", corpusDir(t))
	}
	decoded := map[string]int{}
	for _, c := range records {
		t.Run(c.folder+"/"+c.file, func(t *testing.T) {
			r, err := ParseJSON(c.event)
			if err != nil {
				t.Fatal(err)
			}
			if r.EventTime.Raw != "" && r.EventTime.Time.IsZero() {
				t.Errorf("eventTime %q not understood", r.EventTime.Raw)
			}
			if ts := r.UserIdentity.SessionContext.Attributes.CreationDate; ts.Raw != "" && ts.Time.IsZero() {
				t.Errorf("creationDate %q not understood", ts.Raw)
			}
			check, ok := corpusChecks[c.folder]
			if !ok {
				t.Fatalf("corpus folder %q has no expectations in corpusChecks", c.folder)
			}
			if check(t, r) {
				decoded[c.folder]++
			}
		})
	}
	// Published texts that are not JSON (kept beside their repaired copies)
	// must be refused cleanly.
	published, err := filepath.Glob(filepath.Join(corpusDir(t), "*", "*.published.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range published {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(event(string(data))); fieldOf(err) != "detail" {
			t.Errorf("%s: %v, want a field error on detail", filepath.Base(path), err)
		}
	}
	for folder := range corpusChecks {
		refusing := folder == "signin-checkmfa-nonroot" || folder == "root-other" ||
			folder == "create-account-call" || folder == "org-other-service-events"
		if !refusing && decoded[folder] == 0 {
			t.Errorf("%s: no record decoded", folder)
		}
	}
}
