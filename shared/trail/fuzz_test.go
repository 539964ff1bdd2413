package trail

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// seedDetails adds the detail of every sample event and corpus record, and
// a few malformed documents, to a fuzz target's corpus.
func seedDetails(f *testing.F) {
	for _, name := range fixtureFiles(f) {
		var ev struct{ Detail json.RawMessage }
		if err := json.Unmarshal(readFixture(f, name), &ev); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(ev.Detail))
	}
	for _, c := range loadCorpus(f) {
		var ev struct{ Detail json.RawMessage }
		if err := json.Unmarshal(c.event, &ev); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(ev.Detail))
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `"x"`, `{"eventSource": 1}`,
		`{"eventSource": "sqs.amazonaws.com", "eventName": "CreateQueue", "requestParameters": {"queueName": "q", "attribute": {"Policy": "{\"a\":1}"}}}`,
		`{"eventSource": "organizations.amazonaws.com", "eventName": "AccountJoinedOrganization", "serviceEventDetails": "{\"x\": {\"ACCOUNT_ID\": \"444455556666\"}}"}`,
	} {
		f.Add([]byte(s))
	}
}

// fuzzRecord parses detail and skips inputs that are not records.
func fuzzRecord(t *testing.T, detail []byte) (Record, bool) {
	r, err := Parse(event(string(detail)))
	if err != nil {
		if !strings.HasPrefix(fieldOf(err), "detail") {
			t.Fatalf("Parse error %v is not a field error", err)
		}
		return Record{}, false
	}
	return r, true
}

// checkDecodeError accepts only a field error (or, for Joining, ErrNotApplicable).
func checkDecodeError(t *testing.T, err error) {
	t.Helper()
	if !strings.HasPrefix(fieldOf(err), "detail") && !errors.Is(err, ErrNotApplicable) {
		t.Fatalf("error %v is neither a field error nor ErrNotApplicable", err)
	}
}

func checkPolicy(t *testing.T, policy json.RawMessage) {
	t.Helper()
	if policy != nil && (!json.Valid(policy) || jsonType(policy) != "object") {
		t.Fatalf("policy %q is not a JSON object", policy)
	}
}

func checkQueue(t *testing.T, q Queue) {
	t.Helper()
	if !isAccountID(q.AccountID) || !queueNamePattern.MatchString(q.Name) || q.Region == "" || q.URL == "" {
		t.Fatalf("queue %+v", q)
	}
}

func FuzzParse(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		if r.EventSource == "" || r.EventName == "" {
			t.Fatalf("parsed without source or name: %+v", r)
		}
		for _, raw := range []json.RawMessage{r.AdditionalEventData, r.RequestParameters, r.ResponseElements, r.ServiceEventDetails} {
			if raw != nil && !present(raw) {
				t.Fatalf("null kept as %q", raw)
			}
		}
		if r.Kind() != KindOther && kindSources[r.Kind()] != r.EventSource {
			t.Fatalf("kind %q from %s", r.Kind(), r.EventSource)
		}
	})
}

func FuzzAssumeRoot(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		a, err := r.AssumeRoot()
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if !r.Failed() && (a.TargetPrincipal == "" || a.TaskPolicyARN == "") {
			t.Fatalf("successful AssumeRoot without target or task: %+v", a)
		}
		if acct := a.TargetAccount(); acct != "" && !isAccountID(acct) {
			t.Fatalf("TargetAccount %q", acct)
		}
	})
}

func FuzzConsoleLogin(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		c, err := r.ConsoleLogin()
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if c.Success != strings.EqualFold(c.Result, "Success") || (!c.Success && !strings.EqualFold(c.Result, "Failure")) {
			t.Fatalf("result %q success %v", c.Result, c.Success)
		}
		if c.Root != r.IsRoot() || r.AccountID() == "" {
			t.Fatalf("got %+v for account %q", c, r.AccountID())
		}
	})
}

func FuzzCreateAccountResult(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		s, err := r.CreateAccountResult()
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if s.State == "" || (s.Succeeded() && !isAccountID(s.AccountID)) {
			t.Fatalf("got %+v", s)
		}
	})
}

func FuzzInvitation(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		inv, err := r.Invitation()
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if (inv.AccountID != "" && !isAccountID(inv.AccountID)) || (inv.AccountID == "" && inv.Email == "") {
			t.Fatalf("got %+v", inv)
		}
	})
}

func FuzzAccountJoined(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		j, err := r.AccountJoined()
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if !isAccountID(j.AccountID) {
			t.Fatalf("got %+v", j)
		}
	})
}

func FuzzJoining(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		j, err := r.Joining()
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if !isAccountID(j.AccountID) || r.Failed() || (j.Pending && r.Kind() != KindInviteAccountToOrganization) {
			t.Fatalf("got %+v from %s (failed %v)", j, r.EventName, r.Failed())
		}
	})
}

func FuzzBucketPolicy(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		c, err := r.BucketPolicy()
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		if c.Bucket == "" || (c.Deleted && c.Policy != nil) || (!c.Deleted && c.Policy == nil && !r.Failed()) {
			t.Fatalf("got %+v", c)
		}
		checkPolicy(t, c.Policy)
	})
}

func FuzzQueuePolicy(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		c, err := r.QueuePolicy()
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		checkQueue(t, c.Queue)
		checkPolicy(t, c.Policy)
		if c.Policy != nil && !c.HasPolicy {
			t.Fatalf("policy without HasPolicy: %+v", c)
		}
	})
}

func FuzzQueuePermission(f *testing.F) {
	seedDetails(f)
	f.Fuzz(func(t *testing.T, detail []byte) {
		r, ok := fuzzRecord(t, detail)
		if !ok {
			return
		}
		p, err := r.QueuePermission()
		if err != nil {
			checkDecodeError(t, err)
			return
		}
		checkQueue(t, p.Queue)
	})
}

func FuzzParseQueueURL(f *testing.F) {
	for _, s := range []string{
		"https://sqs.us-east-1.amazonaws.com/444455556666/dev-jobs",
		"https://queue.amazonaws.com/444455556666/q",
		"https://us-west-2.queue.amazonaws.com/444455556666/q.fifo",
		"http://127.0.0.1:4566/444455556666/q",
		"https://sqs.us-east-1.amazonaws.com/444455556666/a/b",
		"::",
	} {
		f.Add(s, "us-east-1")
	}
	f.Fuzz(func(t *testing.T, rawURL, region string) {
		q, err := ParseQueueURL(rawURL, region)
		if err != nil {
			return
		}
		checkQueue(t, q)
		if parts := strings.Split(q.ARN(), ":"); len(parts) != 6 || parts[4] != q.AccountID || parts[5] != q.Name {
			t.Fatalf("ARN %q", q.ARN())
		}
	})
}

func FuzzParseTimestamp(f *testing.F) {
	for _, s := range []string{"2024-10-25T20:52:11Z", "May 15, 2023 8:26:57 AM", "Oct 25, 2024, 9:07:11\u202fPM", "2021-05-20 15:53:47Z", "20131102T010628Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ts := parseTimestamp(s)
		if ts.Raw != s {
			t.Fatalf("Raw %q, want %q", ts.Raw, s)
		}
		if !ts.Time.IsZero() && ts.Time.Location().String() != "UTC" {
			t.Fatalf("location %v", ts.Time.Location())
		}
	})
}
