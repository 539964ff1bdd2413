package trail

import (
	"errors"
	"strings"
	"testing"
)

// decodeCase is one synthetic record for a typed decoder: either the field
// the error must name, or a check of the decoded value.
type decodeCase[T any] struct {
	name   string
	detail string
	field  string
	check  func(t *testing.T, v T)
}

func runDecodeCases[T any](t *testing.T, decode func(Record) (T, error), cases []decodeCase[T]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			v, err := decode(parse(t, tt.detail))
			if tt.field != "" {
				if got := fieldOf(err); got != tt.field {
					t.Fatalf("error %v names %q, want %q", err, got, tt.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, v)
			}
		})
	}
}

const (
	stsHead   = `"eventSource": "sts.amazonaws.com", "eventName": "AssumeRoot"`
	signHead  = `"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin"`
	orgsHead  = `"eventSource": "organizations.amazonaws.com"`
	s3Put     = `"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPolicy"`
	s3Delete  = `"eventSource": "s3.amazonaws.com", "eventName": "DeleteBucketPolicy"`
	sqsSet    = `"eventSource": "sqs.amazonaws.com", "eventName": "SetQueueAttributes"`
	sqsCreate = `"eventSource": "sqs.amazonaws.com", "eventName": "CreateQueue"`
	sqsAdd    = `"eventSource": "sqs.amazonaws.com", "eventName": "AddPermission"`
	taskARN   = `{"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}`
	denyAll   = `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}`
)

func TestAssumeRootDecode(t *testing.T) {
	runDecodeCases(t, Record.AssumeRoot, []decodeCase[AssumeRoot]{
		{name: "wrong kind", detail: `{"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole"}`, field: "detail.eventName"},
		{name: "success without requestParameters", detail: `{` + stsHead + `}`, field: "detail.requestParameters"},
		{name: "requestParameters not object", detail: `{` + stsHead + `, "requestParameters": "x"}`, field: "detail.requestParameters"},
		{name: "no targetPrincipal", detail: `{` + stsHead + `, "requestParameters": {"taskPolicyArn": ` + taskARN + `}}`, field: "detail.requestParameters.targetPrincipal"},
		{name: "no task policy", detail: `{` + stsHead + `, "requestParameters": {"targetPrincipal": "444455556666"}}`, field: "detail.requestParameters.taskPolicyArn.arn"},
		{name: "task policy as string", detail: `{` + stsHead + `, "requestParameters": {"targetPrincipal": "444455556666", "taskPolicyArn": "arn"}}`, field: "detail.requestParameters.taskPolicyArn"},
		{name: "bad duration", detail: `{` + stsHead + `, "requestParameters": {"targetPrincipal": "444455556666", "taskPolicyArn": ` + taskARN + `, "durationSeconds": "long"}}`, field: "detail.requestParameters.durationSeconds"},
		{name: "credentials key number", detail: `{` + stsHead + `, "requestParameters": {"targetPrincipal": "444455556666", "taskPolicyArn": ` + taskARN + `}, "responseElements": {"credentials": {"accessKeyId": 5}}}`, field: "detail.responseElements.credentials.accessKeyId"},
		{name: "credentials not object", detail: `{` + stsHead + `, "requestParameters": {"targetPrincipal": "444455556666", "taskPolicyArn": ` + taskARN + `}, "responseElements": {"credentials": []}}`, field: "detail.responseElements.credentials"},
		{
			name:   "failed call without parameters is still an attempt",
			detail: `{` + stsHead + `, "errorCode": "AccessDenied", "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/ops"}}`,
			check: func(t *testing.T, a AssumeRoot) {
				if a.TargetPrincipal != "" || a.Caller() != "arn:aws:iam::111122223333:user/ops" || a.TargetAccount() != "" || a.TaskPolicy() != "" {
					t.Errorf("got %+v", a)
				}
			},
		},
		{
			name:   "principal ARN target, duration as string, no response",
			detail: `{` + stsHead + `, "requestParameters": {"targetPrincipal": "arn:aws:iam::555566667777:root", "taskPolicyArn": ` + taskARN + `, "durationSeconds": "300"}}`,
			check: func(t *testing.T, a AssumeRoot) {
				if a.TargetAccount() != prod || a.DurationSeconds != 300 || a.TaskPolicy() != "IAMAuditRootUserCredentials" || a.AccessKeyID != "" {
					t.Errorf("got %+v", a)
				}
			},
		},
		{
			name:   "target that names no account",
			detail: `{` + stsHead + `, "requestParameters": {"targetPrincipal": "arn:aws:iam::root", "taskPolicyArn": ` + taskARN + `}}`,
			check: func(t *testing.T, a AssumeRoot) {
				if a.TargetAccount() != "" {
					t.Errorf("TargetAccount %q", a.TargetAccount())
				}
			},
		},
	})
}

func TestConsoleLoginDecode(t *testing.T) {
	root := `"userIdentity": {"type": "Root", "accountId": "444455556666"}`
	runDecodeCases(t, Record.ConsoleLogin, []decodeCase[ConsoleLogin]{
		{name: "wrong kind", detail: `{"eventSource": "signin.amazonaws.com", "eventName": "CheckMfa"}`, field: "detail.eventName"},
		{name: "no result", detail: `{` + signHead + `, ` + root + `}`, field: "detail.responseElements.ConsoleLogin"},
		{name: "unknown result", detail: `{` + signHead + `, ` + root + `, "responseElements": {"ConsoleLogin": "Maybe"}}`, field: "detail.responseElements.ConsoleLogin"},
		{name: "result not string", detail: `{` + signHead + `, ` + root + `, "responseElements": {"ConsoleLogin": true}}`, field: "detail.responseElements.ConsoleLogin"},
		{name: "MFAUsed number", detail: `{` + signHead + `, ` + root + `, "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": 1}}`, field: "detail.additionalEventData.MFAUsed"},
		{name: "additionalEventData string", detail: `{` + signHead + `, ` + root + `, "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": "x"}`, field: "detail.additionalEventData"},
		{
			name:   "errorMessage without result is a failure",
			detail: `{` + signHead + `, ` + root + `, "errorMessage": "Failed authentication"}`,
			check: func(t *testing.T, c ConsoleLogin) {
				if c.Success || c.Result != "Failure" || !c.Root || c.MFA != MFAUnknown {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "upper-case MFA answer",
			detail: `{` + signHead + `, ` + root + `, "responseElements": {"ConsoleLogin": "SUCCESS"}, "additionalEventData": {"MFAUsed": "YES", "MobileVersion": "No"}}`,
			check: func(t *testing.T, c ConsoleLogin) {
				if !c.Success || c.MFA != MFAYes || c.MobileVersion != "No" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "unknown MFA answer",
			detail: `{` + signHead + `, ` + root + `, "responseElements": {"ConsoleLogin": "Success"}, "additionalEventData": {"MFAUsed": "Partially"}}`,
			check: func(t *testing.T, c ConsoleLogin) {
				if c.MFA != MFAUnknown {
					t.Errorf("MFA %q", c.MFA)
				}
			},
		},
	})
	// With no account in the record or the envelope there is nobody to report.
	ev := event(`{` + signHead + `, "userIdentity": {"type": "Root"}, "responseElements": {"ConsoleLogin": "Success"}}`)
	ev.AccountID = ""
	r, err := Parse(ev)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ConsoleLogin(); fieldOf(err) != "detail.recipientAccountId" {
		t.Errorf("no account: %v", err)
	}
}

func TestCreateAccountResultDecode(t *testing.T) {
	head := orgsHead + `, "eventName": "CreateAccountResult"`
	status := func(s string) string {
		return `{` + head + `, "serviceEventDetails": {"createAccountStatus": ` + s + `}}`
	}
	runDecodeCases(t, Record.CreateAccountResult, []decodeCase[CreateAccountStatus]{
		{name: "wrong kind", detail: `{` + orgsHead + `, "eventName": "CreateAccount"}`, field: "detail.eventName"},
		{name: "no details", detail: `{` + head + `}`, field: "detail.serviceEventDetails"},
		{name: "details number", detail: `{` + head + `, "serviceEventDetails": 3}`, field: "detail.serviceEventDetails"},
		{name: "details string not JSON", detail: `{` + head + `, "serviceEventDetails": "{createAccountStatus"}`, field: "detail.serviceEventDetails"},
		{name: "details string holding array", detail: `{` + head + `, "serviceEventDetails": "[]"}`, field: "detail.serviceEventDetails"},
		{name: "no status", detail: `{` + head + `, "serviceEventDetails": {"closeAccountStatus": {}}}`, field: "detail.serviceEventDetails.createAccountStatus"},
		{name: "no state", detail: status(`{"accountId": "555566667777"}`), field: "detail.serviceEventDetails.createAccountStatus.state"},
		{name: "succeeded without account", detail: status(`{"state": "SUCCEEDED"}`), field: "detail.serviceEventDetails.createAccountStatus.accountId"},
		{name: "succeeded with bad account", detail: status(`{"state": "SUCCEEDED", "accountId": "1111111111111111"}`), field: "detail.serviceEventDetails.createAccountStatus.accountId"},
		{name: "timestamp object", detail: status(`{"state": "FAILED", "requestedTimestamp": {}}`), field: "detail.serviceEventDetails.createAccountStatus.requestedTimestamp"},
		{
			name:   "details as JSON string",
			detail: `{` + head + `, "serviceEventDetails": "{\n  \"createAccountStatus\": {\"accountId\": \"555566667777\", \"state\": \"SUCCEEDED\", \"requestedTimestamp\": \"May 20, 2021 3:53:44 PM\"}\n}"}`,
			check: func(t *testing.T, s CreateAccountStatus) {
				if !s.Succeeded() || s.AccountID != prod || !s.RequestedTimestamp.Time.Equal(mustTime(t, "2021-05-20T15:53:44Z")) {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name:   "redacted name is absent",
			detail: status(`{"state": "SUCCEEDED", "accountId": "555566667777", "accountName": "****"}`),
			check: func(t *testing.T, s CreateAccountStatus) {
				if s.AccountName != "" {
					t.Errorf("account name %q, want none for a redacted name", s.AccountName)
				}
			},
		},
		{
			name:   "single star redacted too",
			detail: status(`{"state": "SUCCEEDED", "accountId": "555566667777", "accountName": "*"}`),
			check: func(t *testing.T, s CreateAccountStatus) {
				if s.AccountName != "" {
					t.Errorf("account name %q, want none", s.AccountName)
				}
			},
		},
		{
			name:   "name with stars kept",
			detail: status(`{"state": "SUCCEEDED", "accountId": "555566667777", "accountName": "*prod*"}`),
			check: func(t *testing.T, s CreateAccountStatus) {
				if s.AccountName != "*prod*" {
					t.Errorf("account name %q, want *prod*", s.AccountName)
				}
			},
		},
		{
			name:   "unparsed timestamp kept raw",
			detail: status(`{"state": "FAILED", "failureReason": "INTERNAL_FAILURE", "completedTimestamp": "sometime"}`),
			check: func(t *testing.T, s CreateAccountStatus) {
				if s.Succeeded() || s.CompletedTimestamp.Raw != "sometime" || !s.CompletedTimestamp.Time.IsZero() {
					t.Errorf("got %+v", s)
				}
			},
		},
	})
}

func TestInvitationDecode(t *testing.T) {
	invite := orgsHead + `, "eventName": "InviteAccountToOrganization", "recipientAccountId": "111122223333"`
	accept := orgsHead + `, "eventName": "AcceptHandshake", "recipientAccountId": "444455556666"`
	hs := func(body string) string { return `"responseElements": {"handshake": ` + body + `}` }
	runDecodeCases(t, Record.Invitation, []decodeCase[Invitation]{
		{name: "wrong kind", detail: `{` + orgsHead + `, "eventName": "DeclineHandshake"}`, field: "detail.eventName"},
		{name: "handshake not object", detail: `{` + invite + `, ` + hs(`"h-1"`) + `}`, field: "detail.responseElements.handshake"},
		{name: "parties not array", detail: `{` + invite + `, ` + hs(`{"parties": {}}`) + `}`, field: "detail.responseElements.handshake.parties"},
		{name: "party not object", detail: `{` + invite + `, ` + hs(`{"parties": ["444455556666"]}`) + `}`, field: "detail.responseElements.handshake.parties[0]"},
		{name: "party id number", detail: `{` + invite + `, ` + hs(`{"parties": [{"type": "ACCOUNT", "id": 444455556666}]}`) + `}`, field: "detail.responseElements.handshake.parties[0].id"},
		{name: "nobody invited", detail: `{` + invite + `, ` + hs(`{"parties": [{"type": "ORGANIZATION", "id": "o-exampleorgid"}]}`) + `}`, field: "detail.responseElements.handshake.parties"},
		{name: "only the manager", detail: `{` + invite + `, ` + hs(`{"parties": [{"type": "ACCOUNT", "id": "111122223333"}]}`) + `}`, field: "detail.responseElements.handshake.parties"},
		{name: "malformed account", detail: `{` + invite + `, ` + hs(`{"parties": [{"type": "ACCOUNT", "id": "4444"}]}`) + `}`, field: "detail.responseElements.handshake.parties"},
		{name: "target not object", detail: `{` + invite + `, "requestParameters": {"target": "444455556666"}}`, field: "detail.requestParameters.target"},
		{
			name: "manager listed as a party too",
			detail: `{` + invite + `, ` + hs(`{"id": "h-1", "action": "invite", "parties": [
				{"type": "ACCOUNT", "id": "111122223333"}, {"type": "ORGANIZATION", "id": "o-exampleorgid"}, {"type": "ACCOUNT", "id": "444455556666"}]}`) + `}`,
			check: func(t *testing.T, inv Invitation) {
				if inv.AccountID != dev || inv.OrganizationID != "o-exampleorgid" || inv.Handshake.Action != "invite" {
					t.Errorf("got %+v", inv)
				}
			},
		},
		{
			name:   "failed call: account from the request target",
			detail: `{` + invite + `, "errorCode": "DuplicateHandshakeException", "requestParameters": {"target": {"type": "ACCOUNT", "id": "444455556666"}}, "responseElements": null}`,
			check: func(t *testing.T, inv Invitation) {
				if inv.AccountID != dev {
					t.Errorf("got %+v", inv)
				}
			},
		},
		{
			name:   "invitation by email",
			detail: `{` + invite + `, "requestParameters": {"target": {"type": "EMAIL", "id": "owner@example.com"}}, ` + hs(`{"id": "h-2", "parties": [{"type": "ORGANIZATION", "id": "o-exampleorgid"}, {"type": "EMAIL", "id": "owner@example.com"}]}`) + `}`,
			check: func(t *testing.T, inv Invitation) {
				if inv.AccountID != "" || inv.Email != "owner@example.com" {
					t.Errorf("got %+v", inv)
				}
			},
		},
		{
			name:   "accepted in the member account",
			detail: `{` + accept + `, "requestParameters": {"handshakeId": "h-3"}, ` + hs(`{"id": "h-3", "state": "ACCEPTED", "action": "INVITE", "parties": [{"type": "ORGANIZATION", "id": "o-exampleorgid"}, {"type": "ACCOUNT", "id": "444455556666"}]}`) + `}`,
			check: func(t *testing.T, inv Invitation) {
				if inv.AccountID != dev || inv.Handshake.State != "ACCEPTED" || inv.OrganizationID != "o-exampleorgid" {
					t.Errorf("got %+v", inv)
				}
			},
		},
		{name: "accepted with a malformed recipient", detail: `{` + orgsHead + `, "eventName": "AcceptHandshake", "recipientAccountId": "12"}`, field: "detail.recipientAccountId"},
	})
}

func TestAccountJoinedDecode(t *testing.T) {
	head := orgsHead + `, "eventName": "AccountJoinedOrganization"`
	runDecodeCases(t, Record.AccountJoined, []decodeCase[AccountJoined]{
		{name: "wrong kind", detail: `{` + orgsHead + `, "eventName": "AccountDepartedOrganization", "serviceEventDetails": {"accountId": "444455556666"}}`, field: "detail.eventName"},
		{name: "no account anywhere", detail: `{` + head + `, "serviceEventDetails": {"joinedMethod": "Invited"}}`, field: "detail"},
		{name: "nothing at all", detail: `{` + head + `}`, field: "detail"},
		{name: "malformed account", detail: `{` + head + `, "serviceEventDetails": {"accountId": "4444-5555-6666"}}`, field: "detail.serviceEventDetails.accountId"},
		{name: "account number", detail: `{` + head + `, "serviceEventDetails": {"accountId": 444455556666}}`, field: "detail.serviceEventDetails.accountId"},
		{name: "details not JSON", detail: `{` + head + `, "serviceEventDetails": "accountId=444455556666"}`, field: "detail.serviceEventDetails"},
		{name: "method number", detail: `{` + head + `, "serviceEventDetails": {"accountId": "444455556666", "joinedMethod": 1}}`, field: "detail.serviceEventDetails.joinedMethod"},
		{
			name:   "nested status, upper-case method",
			detail: `{` + head + `, "serviceEventDetails": {"accountJoinedOrganizationStatus": {"AccountId": "555566667777", "JoinedMethod": "CREATED", "JoinedTimestamp": "2026-06-02T14:15:11Z"}}}`,
			check: func(t *testing.T, j AccountJoined) {
				if j.AccountID != prod || j.Method != JoinCreated || !j.JoinedTime.Time.Equal(mustTime(t, "2026-06-02T14:15:11Z")) {
					t.Errorf("got %+v", j)
				}
			},
		},
		{
			name:   "details as JSON string",
			detail: `{` + head + `, "serviceEventDetails": "{\"accountId\": \"444455556666\", \"joinedMethod\": \"Invited\"}"}`,
			check: func(t *testing.T, j AccountJoined) {
				if j.AccountID != dev || j.Method != JoinInvited {
					t.Errorf("got %+v", j)
				}
			},
		},
		{
			name:   "in requestParameters, joinMethod spelling",
			detail: `{` + head + `, "requestParameters": {"accountId": "444455556666", "joinMethod": "invited"}}`,
			check: func(t *testing.T, j AccountJoined) {
				if j.AccountID != dev || j.Method != JoinInvited {
					t.Errorf("got %+v", j)
				}
			},
		},
		{
			name:   "snake case, unknown method",
			detail: `{` + head + `, "responseElements": {"account": {"account_id": "444455556666", "joined_method": "Migrated", "account_name": "workload-dev"}}}`,
			check: func(t *testing.T, j AccountJoined) {
				if j.AccountID != dev || j.Method != JoinUnknown || j.AccountName != "workload-dev" {
					t.Errorf("got %+v", j)
				}
			},
		},
		{
			name:   "redacted name is absent",
			detail: `{` + head + `, "serviceEventDetails": {"accountId": "444455556666", "accountName": "****"}}`,
			check: func(t *testing.T, j AccountJoined) {
				if j.AccountID != dev || j.AccountName != "" {
					t.Errorf("got %+v", j)
				}
			},
		},
		{
			name:   "serviceEventDetails wins over requestParameters",
			detail: `{` + head + `, "requestParameters": {"accountId": "555566667777"}, "serviceEventDetails": {"accountId": "444455556666"}}`,
			check: func(t *testing.T, j AccountJoined) {
				if j.AccountID != dev {
					t.Errorf("got %+v", j)
				}
			},
		},
	})
}

func TestJoining(t *testing.T) {
	tests := []struct {
		name   string
		detail string
		want   Joining
		na     bool   // ErrNotApplicable
		email  bool   // ErrEmailInvitation too
		field  string // a *FieldError instead
	}{
		{name: "other event", detail: `{"eventSource": "s3.amazonaws.com", "eventName": "CreateBucket"}`, na: true},
		{name: "CreateAccount call", detail: `{` + orgsHead + `, "eventName": "CreateAccount"}`, na: true},
		{name: "creation in progress", detail: `{` + orgsHead + `, "eventName": "CreateAccountResult", "serviceEventDetails": {"createAccountStatus": {"state": "IN_PROGRESS"}}}`, na: true},
		{name: "creation result malformed", detail: `{` + orgsHead + `, "eventName": "CreateAccountResult"}`, field: "detail.serviceEventDetails"},
		{name: "failed invitation", detail: `{` + orgsHead + `, "eventName": "InviteAccountToOrganization", "errorCode": "AccessDeniedException"}`, na: true},
		{
			name:   "email invitation",
			detail: `{` + orgsHead + `, "eventName": "InviteAccountToOrganization", "requestParameters": {"target": {"type": "EMAIL", "id": "owner@example.com"}}, "responseElements": {"handshake": {"id": "h-5", "action": "INVITE", "parties": [{"type": "EMAIL", "id": "owner@example.com"}]}}}`,
			na:     true,
			email:  true,
		},
		{
			name:   "created, name redacted",
			detail: `{` + orgsHead + `, "eventName": "CreateAccountResult", "serviceEventDetails": {"createAccountStatus": {"state": "SUCCEEDED", "accountId": "555566667777", "accountName": "****"}}}`,
			want:   Joining{AccountID: prod, Method: JoinCreated},
		},
		{
			name:   "accepting another kind of handshake",
			detail: `{` + orgsHead + `, "eventName": "AcceptHandshake", "recipientAccountId": "444455556666", "responseElements": {"handshake": {"id": "h-4", "action": "ENABLE_ALL_FEATURES"}}}`,
			na:     true,
		},
		{
			name:   "accepted invitation",
			detail: `{` + orgsHead + `, "eventName": "AcceptHandshake", "recipientAccountId": "444455556666", "responseElements": {"handshake": {"id": "h-4", "action": "INVITE"}}}`,
			want:   Joining{AccountID: dev, Method: JoinInvited},
		},
		{
			name:   "joined, method not recorded",
			detail: `{` + orgsHead + `, "eventName": "AccountJoinedOrganization", "serviceEventDetails": {"accountId": "444455556666"}}`,
			want:   Joining{AccountID: dev},
		},
		{name: "joined without account", detail: `{` + orgsHead + `, "eventName": "AccountJoinedOrganization"}`, field: "detail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, err := parse(t, tt.detail).Joining()
			switch {
			case tt.na:
				if !errors.Is(err, ErrNotApplicable) || !strings.Contains(err.Error(), ErrNotApplicable.Error()+": ") {
					t.Errorf("error %v, want ErrNotApplicable with a reason", err)
				}
				if errors.Is(err, ErrEmailInvitation) != tt.email {
					t.Errorf("error %v: ErrEmailInvitation %v, want %v", err, !tt.email, tt.email)
				}
				if tt.email && !strings.Contains(err.Error(), "h-5") {
					t.Errorf("error %v does not name the handshake", err)
				}
			case tt.field != "":
				if errors.Is(err, ErrNotApplicable) || fieldOf(err) != tt.field {
					t.Errorf("error %v, want a field error on %q", err, tt.field)
				}
			case err != nil:
				t.Fatal(err)
			case j != tt.want:
				t.Errorf("got %+v, want %+v", j, tt.want)
			}
		})
	}
}

func TestBucketPolicyDecode(t *testing.T) {
	runDecodeCases(t, Record.BucketPolicy, []decodeCase[BucketPolicyChange]{
		{name: "wrong kind", detail: `{"eventSource": "s3.amazonaws.com", "eventName": "PutBucketAcl"}`, field: "detail.eventName"},
		{name: "queue event", detail: `{` + sqsSet + `}`, field: "detail.eventName"},
		{name: "no requestParameters", detail: `{` + s3Put + `}`, field: "detail.requestParameters"},
		{name: "no bucket", detail: `{` + s3Put + `, "requestParameters": {"bucketPolicy": ` + denyAll + `}}`, field: "detail.requestParameters.bucketName"},
		{name: "two buckets", detail: `{` + s3Put + `, "requestParameters": {"bucketName": ["a", "b"], "bucketPolicy": ` + denyAll + `}}`, field: "detail.requestParameters.bucketName"},
		{name: "bucket number", detail: `{` + s3Put + `, "requestParameters": {"bucketName": 1}}`, field: "detail.requestParameters.bucketName"},
		{name: "no policy, empty marker", detail: `{` + s3Put + `, "requestParameters": {"bucketName": "b", "policy": [""]}}`, field: "detail.requestParameters.bucketPolicy"},
		{name: "policy string not JSON", detail: `{` + s3Put + `, "requestParameters": {"bucketName": "b", "bucketPolicy": "invalid-json-policy"}}`, field: "detail.requestParameters.bucketPolicy"},
		{name: "policy string holding array", detail: `{` + s3Put + `, "requestParameters": {"bucketName": "b", "bucketPolicy": "[1]"}}`, field: "detail.requestParameters.bucketPolicy"},
		{name: "policy number", detail: `{` + s3Put + `, "requestParameters": {"bucketName": "b", "bucketPolicy": 5}}`, field: "detail.requestParameters.bucketPolicy"},
		{
			name:   "old array spellings",
			detail: `{` + s3Put + `, "requestParameters": {"bucketName": ["dev-data"], "bucketPolicy": ` + denyAll + `, "host": ["s3.amazonaws.com"], "policy": [""]}}`,
			check: func(t *testing.T, c BucketPolicyChange) {
				if c.Bucket != "dev-data" || len(statements(t, c.Policy)) != 1 {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "policy only under the policy key",
			detail: `{` + s3Put + `, "requestParameters": {"bucketName": "dev-data", "Policy": "{\"Statement\": []}"}}`,
			check: func(t *testing.T, c BucketPolicyChange) {
				if string(c.Policy) != `{"Statement": []}` {
					t.Errorf("policy %s", c.Policy)
				}
			},
		},
		{
			name:   "failed call with unreadable policy",
			detail: `{` + s3Put + `, "errorCode": "MalformedPolicy", "requestParameters": {"bucketName": "dev-data", "bucketPolicy": "{not json"}}`,
			check: func(t *testing.T, c BucketPolicyChange) {
				if c.Bucket != "dev-data" || c.Policy != nil {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "delete",
			detail: `{` + s3Delete + `, "requestParameters": {"bucketName": "dev-data", "policy": ""}}`,
			check: func(t *testing.T, c BucketPolicyChange) {
				if !c.Deleted || c.Policy != nil || c.Bucket != "dev-data" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{name: "delete without bucket", detail: `{` + s3Delete + `, "requestParameters": {}}`, field: "detail.requestParameters.bucketName"},
	})
}

func TestQueuePolicyDecode(t *testing.T) {
	url := `"queueUrl": "https://sqs.us-east-1.amazonaws.com/444455556666/dev-jobs"`
	runDecodeCases(t, Record.QueuePolicy, []decodeCase[QueuePolicyChange]{
		{name: "wrong kind", detail: `{"eventSource": "sqs.amazonaws.com", "eventName": "DeleteQueue"}`, field: "detail.eventName"},
		{name: "no requestParameters", detail: `{` + sqsSet + `}`, field: "detail.requestParameters"},
		{name: "no queue URL", detail: `{` + sqsSet + `, "requestParameters": {"attributes": {"Policy": ""}}}`, field: "detail.requestParameters.queueUrl"},
		{name: "bad queue URL", detail: `{` + sqsSet + `, "requestParameters": {"queueUrl": "dev-jobs"}}`, field: "detail.requestParameters.queueUrl"},
		{name: "attributes array", detail: `{` + sqsSet + `, "requestParameters": {` + url + `, "attributes": []}}`, field: "detail.requestParameters.attributes"},
		{name: "policy number", detail: `{` + sqsSet + `, "requestParameters": {` + url + `, "attributes": {"Policy": 1}}}`, field: "detail.requestParameters.attributes.Policy"},
		{name: "policy not JSON", detail: `{` + sqsSet + `, "requestParameters": {` + url + `, "attributes": {"Policy": "deny all"}}}`, field: "detail.requestParameters.attributes.Policy"},
		{
			name:   "no policy attribute",
			detail: `{` + sqsSet + `, "requestParameters": {` + url + `, "attributes": {"VisibilityTimeout": "100"}}}`,
			check: func(t *testing.T, c QueuePolicyChange) {
				if c.HasPolicy || c.Removed() || c.Policy != nil || c.Queue.Name != "dev-jobs" {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "policy as object",
			detail: `{` + sqsSet + `, "requestParameters": {` + url + `, "attributes": {"Policy": ` + denyAll + `}}}`,
			check: func(t *testing.T, c QueuePolicyChange) {
				if !c.HasPolicy || len(statements(t, c.Policy)) != 1 {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "whitespace policy removes",
			detail: `{` + sqsSet + `, "requestParameters": {` + url + `, "attributes": {"Policy": "  "}}}`,
			check: func(t *testing.T, c QueuePolicyChange) {
				if !c.Removed() {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "failed call with unreadable policy",
			detail: `{` + sqsSet + `, "errorCode": "InvalidAttributeValue", "requestParameters": {` + url + `, "attributes": {"Policy": "{"}}}`,
			check: func(t *testing.T, c QueuePolicyChange) {
				if !c.HasPolicy || c.Policy != nil {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "create queue, old attribute key, URL built",
			detail: `{` + sqsCreate + `, "recipientAccountId": "444455556666", "awsRegion": "eu-west-1", "errorCode": "QueueDeletedRecently", "requestParameters": {"queueName": "dev-jobs", "attribute": {"Policy": ` + jsonString(denyAll) + `}}}`,
			check: func(t *testing.T, c QueuePolicyChange) {
				want := Queue{URL: "https://sqs.eu-west-1.amazonaws.com/444455556666/dev-jobs", AccountID: dev, Region: "eu-west-1", Name: "dev-jobs"}
				if c.Queue != want || c.Policy == nil {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name:   "create queue in China",
			detail: `{` + sqsCreate + `, "recipientAccountId": "444455556666", "awsRegion": "cn-north-1", "requestParameters": {"queueName": "q"}}`,
			check: func(t *testing.T, c QueuePolicyChange) {
				if c.Queue.URL != "https://sqs.cn-north-1.amazonaws.com.cn/444455556666/q" || c.Queue.ARN() != "arn:aws-cn:sqs:cn-north-1:444455556666:q" {
					t.Errorf("got %+v %s", c.Queue, c.Queue.ARN())
				}
			},
		},
		{name: "create queue without name", detail: `{` + sqsCreate + `, "requestParameters": {"attributes": {}}}`, field: "detail.requestParameters.queueName"},
		{name: "create queue with bad name", detail: `{` + sqsCreate + `, "recipientAccountId": "444455556666", "requestParameters": {"queueName": "a/b"}}`, field: "detail.requestParameters.queueName"},
		{name: "create queue, no account", detail: `{` + sqsCreate + `, "recipientAccountId": "xxx", "requestParameters": {"queueName": "q"}}`, field: "detail.recipientAccountId"},
		{
			name:   "create queue, URL names another queue",
			detail: `{` + sqsCreate + `, "requestParameters": {"queueName": "q1"}, "responseElements": {"queueUrl": "https://sqs.us-east-1.amazonaws.com/444455556666/q2"}}`,
			field:  "detail.responseElements.queueUrl",
		},
	})
}

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

func TestQueuePermissionDecode(t *testing.T) {
	url := `"queueUrl": "https://sqs.us-east-2.amazonaws.com/444455556666/dev-jobs"`
	runDecodeCases(t, Record.QueuePermission, []decodeCase[QueuePermission]{
		{name: "wrong kind", detail: `{` + sqsSet + `}`, field: "detail.eventName"},
		{name: "no requestParameters", detail: `{` + sqsAdd + `}`, field: "detail.requestParameters"},
		{name: "no URL", detail: `{` + sqsAdd + `, "requestParameters": {"label": "l"}}`, field: "detail.requestParameters.queueUrl"},
		{name: "actions number", detail: `{` + sqsAdd + `, "requestParameters": {` + url + `, "actions": 1}}`, field: "detail.requestParameters.actions"},
		{name: "account ids mixed", detail: `{` + sqsAdd + `, "requestParameters": {` + url + `, "AWSAccountIds": ["555566667777", 1]}}`, field: "detail.requestParameters.AWSAccountIds[1]"},
		{
			name:   "current spelling",
			detail: `{` + sqsAdd + `, "requestParameters": {` + url + `, "label": "MyLabel", "actions": ["SendMessage"], "AWSAccountIds": ["555566667777"]}}`,
			check: func(t *testing.T, p QueuePermission) {
				if p.Label != "MyLabel" || len(p.Actions) != 1 || len(p.AccountIDs) != 1 || p.AccountIDs[0] != prod || p.Queue.Region != "us-east-2" {
					t.Errorf("got %+v", p)
				}
			},
		},
		{
			name:   "older spelling, single action",
			detail: `{` + sqsAdd + `, "requestParameters": {` + url + `, "actions": "SendMessage", "aWSAccountIds": ["555566667777"]}}`,
			check: func(t *testing.T, p QueuePermission) {
				if len(p.Actions) != 1 || p.Actions[0] != "SendMessage" || len(p.AccountIDs) != 1 {
					t.Errorf("got %+v", p)
				}
			},
		},
	})
}

func TestParseQueueURL(t *testing.T) {
	tests := []struct {
		url, defaultRegion string
		want               Queue
		wantErr            bool
	}{
		{url: "https://sqs.us-east-1.amazonaws.com/444455556666/dev-jobs", want: Queue{AccountID: dev, Region: "us-east-1", Name: "dev-jobs"}},
		{url: "https://sqs.eu-central-2.amazonaws.com/444455556666/orders.fifo", defaultRegion: "us-east-1", want: Queue{AccountID: dev, Region: "eu-central-2", Name: "orders.fifo"}},
		{url: "https://queue.amazonaws.com/444455556666/legacy", defaultRegion: "eu-west-1", want: Queue{AccountID: dev, Region: "us-east-1", Name: "legacy"}},
		{url: "https://us-west-2.queue.amazonaws.com/444455556666/legacy_2", want: Queue{AccountID: dev, Region: "us-west-2", Name: "legacy_2"}},
		{url: "https://sqs.us-gov-west-1.amazonaws.com/444455556666/gov", want: Queue{AccountID: dev, Region: "us-gov-west-1", Name: "gov"}},
		{url: "https://sqs.cn-north-1.amazonaws.com.cn/444455556666/cn", want: Queue{AccountID: dev, Region: "cn-north-1", Name: "cn"}},
		{url: "https://vpce-0a1b2c3d-abcd1234.sqs.us-east-1.vpce.amazonaws.com/444455556666/private", want: Queue{AccountID: dev, Region: "us-east-1", Name: "private"}},
		{url: "https://sqs.us-east-2.amazon.com/444455556666/MyQueue", want: Queue{AccountID: dev, Region: "us-east-2", Name: "MyQueue"}},
		{url: "http://127.0.0.1:4566/444455556666/dev-jobs", defaultRegion: "us-east-1", want: Queue{AccountID: dev, Region: "us-east-1", Name: "dev-jobs"}},
		{url: "http://localhost:9324/444455556666/dev-jobs", defaultRegion: "ap-southeast-2", want: Queue{AccountID: dev, Region: "ap-southeast-2", Name: "dev-jobs"}},
		{url: "http://127.0.0.1:4566/444455556666/dev-jobs", wantErr: true}, // no region anywhere
		{url: "http://127.0.0.1:4566/444455556666/dev-jobs", defaultRegion: "us-east-1:x", wantErr: true},
		{url: "https://sqs.us-east-1.amazonaws.com/444455556666", wantErr: true},
		{url: "https://sqs.us-east-1.amazonaws.com/444455556666/", wantErr: true},
		{url: "https://sqs.us-east-1.amazonaws.com/444455556666/a/b", wantErr: true},
		{url: "https://sqs.us-east-1.amazonaws.com/4444/dev-jobs", wantErr: true},
		{url: "https://sqs.us-east-1.amazonaws.com/444455556666/dev%2Fjobs", wantErr: true},
		{url: "https://sqs.us-east-1.amazonaws.com/444455556666/" + strings.Repeat("q", 81), wantErr: true},
		{url: "https://sqs.us-east-1.amazonaws.com/444455556666/" + strings.Repeat("q", 76) + ".fifo", wantErr: true},
		{url: "ftp://sqs.us-east-1.amazonaws.com/444455556666/dev-jobs", wantErr: true},
		{url: "/444455556666/dev-jobs", defaultRegion: "us-east-1", wantErr: true},
		{url: "https://%zz/444455556666/dev-jobs", wantErr: true},
		{url: "", wantErr: true},
	}
	for _, tt := range tests {
		q, err := ParseQueueURL(tt.url, tt.defaultRegion)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%q: no error, got %+v", tt.url, q)
			}
			continue
		}
		tt.want.URL = tt.url
		if err != nil || q != tt.want {
			t.Errorf("%q: %+v, %v; want %+v", tt.url, q, err, tt.want)
		}
	}
	q, _ := ParseQueueURL("https://sqs.us-gov-west-1.amazonaws.com/444455556666/gov", "")
	if q.ARN() != "arn:aws-us-gov:sqs:us-gov-west-1:444455556666:gov" {
		t.Errorf("ARN %q", q.ARN())
	}
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-central-1": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-gov-east-1": "aws-us-gov", "": "aws",
	} {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%q) = %s, want %s", region, got, want)
		}
	}
}
