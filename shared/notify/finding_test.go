package notify

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestNewID(t *testing.T) {
	base := NewID(KindRootSession, "ev-1", "444455556666")
	if !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(base) {
		t.Fatalf("id %q is not 32 hex digits", base)
	}
	if again := NewID(KindRootSession, "ev-1", "444455556666"); again != base {
		t.Errorf("same inputs gave %q and %q", base, again)
	}
	others := map[string]string{
		"kind":      NewID(KindRootConsoleLogin, "ev-1", "444455556666"),
		"event":     NewID(KindRootSession, "ev-2", "444455556666"),
		"resource":  NewID(KindRootSession, "ev-1", "555566667777"),
		"separator": NewID(KindRootSession, "ev-14", "44455556666"),
	}
	for name, id := range others {
		if id == base {
			t.Errorf("changing the %s kept the id %q", name, id)
		}
	}
}

func validFinding() Finding {
	return Finding{
		ID:        NewID(KindRootSession, "ev-1", "444455556666"),
		Kind:      KindRootSession,
		Severity:  SeverityHigh,
		AccountID: "444455556666",
		Summary:   "root session opened",
		Mode:      ModeEnforce,
		EventID:   "ev-1",
		EventTime: time.Date(2024, 11, 14, 18, 6, 52, 0, time.UTC),
	}
}

func TestFindingValidate(t *testing.T) {
	tests := []struct {
		name    string
		change  func(*Finding)
		wantErr string
	}{
		{name: "valid", change: func(*Finding) {}},
		{name: "custom kind", change: func(f *Finding) { f.Kind = "queue-policy-unlocked2" }},
		{name: "no id", change: func(f *Finding) { f.ID = "" }, wantErr: "id is empty"},
		{name: "kind with capitals", change: func(f *Finding) { f.Kind = "Root" }, wantErr: `kind "Root"`},
		{name: "kind trailing hyphen", change: func(f *Finding) { f.Kind = "root-" }, wantErr: `kind "root-"`},
		{name: "no kind", change: func(f *Finding) { f.Kind = "" }, wantErr: `kind ""`},
		{name: "bad severity", change: func(f *Finding) { f.Severity = "urgent" }, wantErr: `severity "urgent"`},
		{name: "bad mode", change: func(f *Finding) { f.Mode = "" }, wantErr: `mode ""`},
		{name: "no summary", change: func(f *Finding) { f.Summary = "" }, wantErr: "summary is empty"},
		{name: "no event id", change: func(f *Finding) { f.EventID = "" }, wantErr: "event id is empty"},
		{name: "no event time", change: func(f *Finding) { f.EventTime = time.Time{} }, wantErr: "event time is zero"},
		{name: "duplicate detail", change: func(f *Finding) { f.Details = Details{{"a", "1"}, {"a", "2"}} }, wantErr: `duplicate key "a"`},
		{name: "empty detail key", change: func(f *Finding) { f.Details = Details{{"", "1"}} }, wantErr: "empty key"},
		{name: "several", change: func(f *Finding) { f.Summary, f.EventID = "", "" }, wantErr: "summary is empty\nevent id is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validFinding()
			tt.change(&f)
			err := f.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate() = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestFindingJSON(t *testing.T) {
	f := validFinding()
	f.AccountName = "payments <prod>"
	f.Region = "us-east-1"
	f.Resource = "arn:aws:s3:::amzn-s3-demo-bucket"
	f.Details = Details{
		{"zeta", "first"},
		{"alpha", json.RawMessage(`{"Version": "2012-10-17"}`)},
		{"count", 3},
	}
	got, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"` + f.ID + `","kind":"root-session","severity":"high","account_id":"444455556666",` +
		`"account_name":"payments \u003cprod\u003e","region":"us-east-1","resource":"arn:aws:s3:::amzn-s3-demo-bucket",` +
		`"summary":"root session opened","details":{"zeta":"first","alpha":{"Version":"2012-10-17"},"count":3},` +
		`"actions":[],"mode":"enforce","event_id":"ev-1","event_time":"2024-11-14T18:06:52Z"}`
	if string(got) != want {
		t.Errorf("json.Marshal =\n%s\nwant\n%s", got, want)
	}

	// MarshalJSON itself leaves < and > alone, for readable SNS e-mail.
	raw, err := f.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"payments <prod>"`) {
		t.Errorf("MarshalJSON escaped HTML: %s", raw)
	}

	var back Finding
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	wantBack := f
	wantBack.Actions = []string{}
	wantBack.Details = Details{
		{"zeta", "first"},
		{"alpha", json.RawMessage(`{"Version":"2012-10-17"}`)},
		{"count", json.RawMessage(`3`)},
	}
	if !reflect.DeepEqual(back, wantBack) {
		t.Errorf("round trip =\n%#v\nwant\n%#v", back, wantBack)
	}
	if v, ok := back.Details.Value("zeta"); !ok || v != "first" {
		t.Errorf(`Details.Value("zeta") = %v, %v`, v, ok)
	}
	if _, ok := back.Details.Value("missing"); ok {
		t.Error(`Details.Value("missing") found something`)
	}
}

func TestFindingJSONEmpty(t *testing.T) {
	got, err := json.Marshal(validFinding())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), `"details":{}`) || !strings.Contains(string(got), `"actions":[]`) {
		t.Errorf("nil details and actions must marshal as {} and []: %s", got)
	}
}

func TestDetailsJSONErrors(t *testing.T) {
	for name, d := range map[string]Details{
		"duplicate key": {{"a", "1"}, {"a", "2"}},
		"empty key":     {{"", "1"}},
		"unencodable":   {{"ch", make(chan int)}},
	} {
		if _, err := json.Marshal(d); err == nil {
			t.Errorf("%s: marshal succeeded", name)
		}
	}
	for _, in := range []string{`[]`, `"x"`, `{"a":}`} {
		var d Details
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("unmarshal %s succeeded: %#v", in, d)
		}
	}
	var d Details = Details{{"x", "y"}}
	if err := json.Unmarshal([]byte(`null`), &d); err != nil || d != nil {
		t.Errorf("unmarshal null = %#v, %v", d, err)
	}
}
