package trail

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name   string
		detail string
		field  string
	}{
		{"no detail", "", "detail"},
		{"null detail", "null", "detail"},
		{"not JSON", `{"eventSource": "s3.amazonaws.com",`, "detail"},
		{"array", `[{"eventSource": "s3.amazonaws.com"}]`, "detail"},
		{"string", `"{}"`, "detail"},
		{"no eventSource", `{"eventName": "PutBucketPolicy"}`, "detail.eventSource"},
		{"empty eventSource", `{"eventSource": "", "eventName": "PutBucketPolicy"}`, "detail.eventSource"},
		{"no eventName", `{"eventSource": "s3.amazonaws.com"}`, "detail.eventName"},
		{"eventName number", `{"eventSource": "s3.amazonaws.com", "eventName": 7}`, "detail.eventName"},
		{"errorCode array", `{"eventSource": "s", "eventName": "n", "errorCode": ["x"]}`, "detail.errorCode"},
		{"eventTime object", `{"eventSource": "s", "eventName": "n", "eventTime": {}}`, "detail.eventTime"},
		{"userIdentity string", `{"eventSource": "s", "eventName": "n", "userIdentity": "root"}`, "detail.userIdentity"},
		{"userIdentity.type number", `{"eventSource": "s", "eventName": "n", "userIdentity": {"type": 1}}`, "detail.userIdentity.type"},
		{"sessionContext array", `{"eventSource": "s", "eventName": "n", "userIdentity": {"sessionContext": []}}`, "detail.userIdentity.sessionContext"},
		{"assumedRoot unknown word", `{"eventSource": "s", "eventName": "n", "userIdentity": {"sessionContext": {"assumedRoot": "maybe"}}}`, "detail.userIdentity.sessionContext.assumedRoot"},
		{"mfaAuthenticated number", `{"eventSource": "s", "eventName": "n", "userIdentity": {"sessionContext": {"attributes": {"mfaAuthenticated": 1}}}}`, "detail.userIdentity.sessionContext.attributes.mfaAuthenticated"},
		{"sessionIssuer.arn bool", `{"eventSource": "s", "eventName": "n", "userIdentity": {"sessionContext": {"sessionIssuer": {"arn": true}}}}`, "detail.userIdentity.sessionContext.sessionIssuer.arn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(event(tt.detail))
			if err == nil {
				t.Fatal("no error")
			}
			if got := fieldOf(err); got != tt.field {
				t.Errorf("error %q names %q, want %q", err, got, tt.field)
			}
		})
	}
}

func TestParseJSONRejectsNonEvents(t *testing.T) {
	for _, in := range []string{``, `{`, `[]`, `{"time": "yesterday", "detail": {}}`} {
		if _, err := ParseJSON([]byte(in)); err == nil || !strings.HasPrefix(err.Error(), "event: ") {
			t.Errorf("ParseJSON(%q) = %v", in, err)
		}
	}
	if _, err := ParseJSON([]byte(`{"detail": {"eventName": "x"}}`)); fieldOf(err) != "detail.eventSource" {
		t.Errorf("ParseJSON without eventSource: %v", err)
	}
}

func TestParseCommonFields(t *testing.T) {
	r := parse(t, `{
		"eventVersion": "1.11",
		"userIdentity": {
			"type": "Root", "principalId": "444455556666", "arn": "arn:aws:iam::444455556666:root",
			"accountId": "444455556666", "accessKeyId": "ASIAEXAMPLE000000001", "userName": "root", "invokedBy": "signin.amazonaws.com",
			"sessionContext": {
				"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": "arn:aws:iam::111122223333:role/r", "accountId": "111122223333", "userName": "r"},
				"webIdFederationData": {},
				"attributes": {"creationDate": "2026-06-02T13:00:00Z", "mfaAuthenticated": "TRUE"},
				"sourceIdentity": "alice",
				"assumedRoot": "true"
			},
			"somethingNew": {"nested": [1, 2]}
		},
		"eventTime": "2026-06-02T13:05:00Z",
		"eventSource": "s3.amazonaws.com",
		"eventName": "PutBucketPolicy",
		"eventType": "AwsApiCall",
		"awsRegion": "eu-west-1",
		"sourceIPAddress": "192.0.2.1",
		"userAgent": "ua",
		"errorCode": "AccessDenied",
		"errorMessage": "Access Denied",
		"requestID": "req",
		"eventID": "evt",
		"readOnly": false,
		"readOnly": true,
		"recipientAccountId": "444455556666",
		"additionalEventData": {"x": 1},
		"requestParameters": {"bucketName": "b"},
		"responseElements": null,
		"serviceEventDetails": "{}",
		"tlsDetails": {"tlsVersion": "TLSv1.3"}
	}`)
	want := Record{
		EventVersion:        "1.11",
		EventTime:           Timestamp{Raw: "2026-06-02T13:05:00Z", Time: mustTime(t, "2026-06-02T13:05:00Z")},
		EventSource:         SourceS3,
		EventName:           "PutBucketPolicy",
		EventType:           "AwsApiCall",
		AWSRegion:           "eu-west-1",
		SourceIPAddress:     "192.0.2.1",
		UserAgent:           "ua",
		ErrorCode:           "AccessDenied",
		ErrorMessage:        "Access Denied",
		RequestID:           "req",
		EventID:             "evt",
		RecipientAccountID:  dev,
		AdditionalEventData: json.RawMessage(`{"x": 1}`),
		RequestParameters:   json.RawMessage(`{"bucketName": "b"}`),
		ServiceEventDetails: json.RawMessage(`"{}"`),
		UserIdentity: UserIdentity{
			Type: "Root", PrincipalID: dev, ARN: "arn:aws:iam::444455556666:root", AccountID: dev,
			AccessKeyID: "ASIAEXAMPLE000000001", UserName: "root", InvokedBy: "signin.amazonaws.com",
			SessionContext: SessionContext{
				SessionIssuer:  SessionIssuer{Type: "Role", PrincipalID: "AROAEXAMPLE", ARN: "arn:aws:iam::111122223333:role/r", AccountID: mgmt, UserName: "r"},
				Attributes:     SessionAttributes{CreationDate: Timestamp{Raw: "2026-06-02T13:00:00Z", Time: mustTime(t, "2026-06-02T13:00:00Z")}, MFAAuthenticated: true},
				SourceIdentity: "alice",
				AssumedRoot:    true,
			},
		},
	}
	r.Envelope = Envelope{}
	if got, _ := json.Marshal(r); string(got) != string(mustMarshal(t, want)) {
		t.Errorf("got  %s\nwant %s", got, mustMarshal(t, want))
	}
	if r.ResponseElements != nil {
		t.Errorf("null responseElements kept as %s", r.ResponseElements)
	}
	if !r.Failed() || !r.IsRoot() || !r.IsRootSession() || r.Kind() != KindPutBucketPolicy {
		t.Errorf("Failed %v IsRoot %v IsRootSession %v Kind %q", r.Failed(), r.IsRoot(), r.IsRootSession(), r.Kind())
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseKeepsEnvelope(t *testing.T) {
	ev := event(`{"eventSource": "sts.amazonaws.com", "eventName": "AssumeRoot"}`)
	ev.Resources = []string{"arn:aws:iam::444455556666:root"}
	r, err := Parse(ev)
	if err != nil {
		t.Fatal(err)
	}
	want := Envelope{ID: ev.ID, DetailType: ev.DetailType, Source: ev.Source, Account: ev.AccountID, Region: ev.Region, Time: ev.Time, Resources: ev.Resources}
	if r.Envelope.ID != want.ID || r.Envelope.DetailType != want.DetailType || r.Envelope.Source != want.Source ||
		r.Envelope.Account != want.Account || r.Envelope.Region != want.Region || !r.Envelope.Time.Equal(want.Time) ||
		len(r.Envelope.Resources) != 1 {
		t.Errorf("envelope %+v, want %+v", r.Envelope, want)
	}
}

func TestKindMatchesSourceAndName(t *testing.T) {
	tests := []struct {
		source, name string
		want         Kind
	}{
		{SourceSTS, "AssumeRoot", KindAssumeRoot},
		{SourceSignin, "ConsoleLogin", KindConsoleLogin},
		{SourceOrganizations, "CreateAccountResult", KindCreateAccountResult},
		{SourceOrganizations, "InviteAccountToOrganization", KindInviteAccountToOrganization},
		{SourceOrganizations, "AcceptHandshake", KindAcceptHandshake},
		{SourceOrganizations, "AccountJoinedOrganization", KindAccountJoinedOrganization},
		{SourceS3, "PutBucketPolicy", KindPutBucketPolicy},
		{SourceS3, "DeleteBucketPolicy", KindDeleteBucketPolicy},
		{SourceSQS, "SetQueueAttributes", KindSetQueueAttributes},
		{SourceSQS, "CreateQueue", KindCreateQueue},
		{SourceSQS, "AddPermission", KindAddPermission},
		// A name with the wrong source is not the event (a corpus record has
		// SetQueueAttributes from s3.amazonaws.com).
		{SourceS3, "SetQueueAttributes", KindOther},
		{SourceSTS, "ConsoleLogin", KindOther},
		{SourceSTS, "AssumeRole", KindOther},
		{SourceSignin, "CheckMfa", KindOther},
	}
	for _, tt := range tests {
		r := parse(t, `{"eventSource": "`+tt.source+`", "eventName": "`+tt.name+`"}`)
		if got := r.Kind(); got != tt.want {
			t.Errorf("%s %s: Kind %q, want %q", tt.source, tt.name, got, tt.want)
		}
	}
}

func TestAccountAndRegionFallbacks(t *testing.T) {
	tests := []struct {
		detail       string
		account, reg string
	}{
		{`{"eventSource": "s", "eventName": "n", "recipientAccountId": "444455556666", "userIdentity": {"accountId": "555566667777"}, "awsRegion": "eu-west-1"}`, dev, "eu-west-1"},
		{`{"eventSource": "s", "eventName": "n", "userIdentity": {"accountId": "555566667777"}}`, prod, "us-east-1"},
		{`{"eventSource": "s", "eventName": "n"}`, mgmt, "us-east-1"},
	}
	for _, tt := range tests {
		r := parse(t, tt.detail)
		if r.AccountID() != tt.account || r.Region() != tt.reg {
			t.Errorf("%s: account %q region %q, want %q %q", tt.detail, r.AccountID(), r.Region(), tt.account, tt.reg)
		}
	}
}

func TestIsRootSessionNeedsRootCaller(t *testing.T) {
	tests := []struct {
		identity string
		root     bool
		session  bool
	}{
		{`{"type": "Root", "sessionContext": {"assumedRoot": "true"}}`, true, true},
		{`{"type": "Root", "sessionContext": {"assumedRoot": true}}`, true, true},
		{`{"type": "Root", "sessionContext": {"assumedRoot": "false"}}`, true, false},
		{`{"type": "Root"}`, true, false},
		{`{"type": "AssumedRole", "sessionContext": {"assumedRoot": "true"}}`, false, false},
		{`{"type": "IAMUser"}`, false, false},
	}
	for _, tt := range tests {
		r := parse(t, `{"eventSource": "s", "eventName": "n", "userIdentity": `+tt.identity+`}`)
		if r.IsRoot() != tt.root || r.IsRootSession() != tt.session {
			t.Errorf("%s: IsRoot %v IsRootSession %v, want %v %v", tt.identity, r.IsRoot(), r.IsRootSession(), tt.root, tt.session)
		}
	}
}

func TestPrincipal(t *testing.T) {
	tests := []struct {
		u    UserIdentity
		want string
	}{
		{UserIdentity{Type: "Root", ARN: "arn:aws:iam::444455556666:root", UserName: "root"}, "arn:aws:iam::444455556666:root"},
		{UserIdentity{Type: "IAMUser", UserName: "HIDDEN_DUE_TO_SECURITY_REASONS"}, "HIDDEN_DUE_TO_SECURITY_REASONS"},
		{UserIdentity{Type: "AWSService", InvokedBy: "organizations.amazonaws.com"}, "organizations.amazonaws.com"},
		{UserIdentity{Type: "Root"}, "Root"},
		{UserIdentity{}, ""},
	}
	for _, tt := range tests {
		if got := tt.u.Principal(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.u, got, tt.want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		raw  string
		want string // RFC 3339, "" when not understood
	}{
		{"2024-10-25T20:52:11Z", "2024-10-25T20:52:11Z"},
		{"2024-10-25T20:52:11.123Z", "2024-10-25T20:52:11Z"},
		{"2024-10-25T22:52:11+02:00", "2024-10-25T20:52:11Z"},
		{"2024-10-25T20:52:11", "2024-10-25T20:52:11Z"},
		{"2021-05-20 15:53:47Z", "2021-05-20T15:53:47Z"},
		{"2023-01-10 20:10:41", "2023-01-10T20:10:41Z"},
		{"2024-01-01 00:00:00.000", "2024-01-01T00:00:00Z"},
		{"20131102T010628Z", "2013-11-02T01:06:28Z"},
		{"May 15, 2023 8:26:57 AM", "2023-05-15T08:26:57Z"},
		{"Jun 21, 2018 10:06:27 PM", "2018-06-21T22:06:27Z"},
		{"Jan 18, 2017 9:41:16 PM", "2017-01-18T21:41:16Z"},
		{"Oct 25, 2024, 9:07:11 PM", "2024-10-25T21:07:11Z"},
		{"Oct 25, 2024, 9:07:11\u202fPM", "2024-10-25T21:07:11Z"},
		{"Oct 25, 2024 12:00:00 AM", "2024-10-25T00:00:00Z"},
		{" 2024-10-25T20:52:11Z ", "2024-10-25T20:52:11Z"},
		{"yesterday", ""},
		{"Oct 32, 2024 9:07:11 PM", ""},
		{"", ""},
	}
	for _, tt := range tests {
		ts := parseTimestamp(tt.raw)
		if ts.Raw != tt.raw {
			t.Errorf("%q: Raw %q", tt.raw, ts.Raw)
		}
		got := ""
		if !ts.Time.IsZero() {
			got = ts.Time.Format(time.RFC3339)
			if ts.Time.Location() != time.UTC {
				t.Errorf("%q: location %v", tt.raw, ts.Time.Location())
			}
		}
		if got != tt.want {
			t.Errorf("%q: %q, want %q", tt.raw, got, tt.want)
		}
		if wantString := tt.want; wantString == "" && ts.String() != tt.raw || wantString != "" && ts.String() != wantString {
			t.Errorf("%q: String() %q", tt.raw, ts.String())
		}
	}
}

func TestTimestampValue(t *testing.T) {
	tests := []struct {
		raw     string
		want    string
		wantErr bool
	}{
		{`"2024-10-25T20:52:11Z"`, "2024-10-25T20:52:11Z", false},
		{`1729889531`, "2024-10-25T20:52:11Z", false},
		{`1729889531.5`, "2024-10-25T20:52:11Z", false},
		{`1e300`, "", false},
		{`-5`, "", false},
		{`null`, "", false},
		{`true`, "", true},
		{`{}`, "", true},
	}
	for _, tt := range tests {
		ts, err := timestampValue("detail.t", json.RawMessage(tt.raw))
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v", tt.raw, err)
			continue
		}
		got := ""
		if !ts.Time.IsZero() {
			got = ts.Time.Truncate(time.Second).Format(time.RFC3339)
		}
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func TestFieldErrorUnwraps(t *testing.T) {
	_, err := Parse(event(`{"eventSource": "s"}`))
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "detail.eventName" || fe.Unwrap() == nil || err.Error() != "detail.eventName: missing" {
		t.Errorf("error %v", err)
	}
}

func TestSourceIDAndTime(t *testing.T) {
	busTime := time.Date(2026, 6, 2, 15, 2, 40, 0, time.UTC)
	callTime := time.Date(2026, 6, 2, 15, 2, 33, 500, time.FixedZone("x", 3600))
	tests := []struct {
		name     string
		rec      Record
		wantID   string
		wantTime time.Time
	}{
		{"cloudtrail ids win", Record{EventID: "ct-1", EventTime: Timestamp{Time: callTime}, Envelope: Envelope{ID: "eb-1", Time: busTime}},
			"ct-1", callTime.UTC().Truncate(time.Second)},
		{"envelope when the record has none", Record{Envelope: Envelope{ID: "eb-1", Time: busTime}}, "eb-1", busTime},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rec.SourceID(); got != tt.wantID {
				t.Errorf("SourceID = %q, want %q", got, tt.wantID)
			}
			if got := tt.rec.SourceTime(); !got.Equal(tt.wantTime) || got.Location() != time.UTC {
				t.Errorf("SourceTime = %v, want %v in UTC", got, tt.wantTime)
			}
		})
	}
}

func TestParseNeedsAnIDAndATime(t *testing.T) {
	tests := []struct{ name, event, want string }{
		{"no id anywhere", `{"time":"2026-06-02T15:02:33Z","detail":{"eventSource":"sts.amazonaws.com","eventName":"AssumeRoot","eventTime":"2026-06-02T15:02:33Z"}}`, "detail.eventID: missing"},
		{"no time anywhere", `{"id":"e-1","detail":{"eventSource":"sts.amazonaws.com","eventName":"AssumeRoot","eventID":"c-1"}}`, "detail.eventTime"},
		{"envelope id and time suffice", `{"id":"e-1","time":"2026-06-02T15:02:33Z","detail":{"eventSource":"sts.amazonaws.com","eventName":"AssumeRoot"}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tt.event))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}
