package trail

import (
	"encoding/json"
	"errors"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// fixtureChecks states what each sample event in events/ must decode to.
var fixtureChecks = map[string]func(t *testing.T, r Record){
	"root-activity-alerter/assume-root-delete-credentials": func(t *testing.T, r Record) {
		a := assumeRoot(t, r)
		want := AssumeRoot{
			TargetPrincipal: dev,
			TaskPolicyARN:   "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials",
			DurationSeconds: 900,
			AccessKeyID:     "ASIAEXAMPLEROOTDEL01",
			Expiration:      Timestamp{Raw: "Jun 2, 2026, 2:22:41 PM", Time: mustTime(t, "2026-06-02T14:22:41Z")},
			CallerARN:       "arn:aws:sts::111122223333:assumed-role/SecurityAdmin/alice",
			IssuerARN:       "arn:aws:iam::111122223333:role/SecurityAdmin",
		}
		if a != want {
			t.Errorf("got %+v\nwant %+v", a, want)
		}
		if a.TargetAccount() != dev || a.TaskPolicy() != "IAMDeleteRootUserCredentials" || a.Caller() != want.IssuerARN {
			t.Errorf("TargetAccount %q TaskPolicy %q Caller %q", a.TargetAccount(), a.TaskPolicy(), a.Caller())
		}
		// AWS's example puts assumedRoot on the caller's AssumedRole identity;
		// the call itself is not made with a root session.
		if !r.UserIdentity.SessionContext.AssumedRoot || r.IsRootSession() || r.IsRoot() || r.Failed() {
			t.Errorf("AssumedRoot %v IsRootSession %v IsRoot %v Failed %v", r.UserIdentity.SessionContext.AssumedRoot, r.IsRootSession(), r.IsRoot(), r.Failed())
		}
		if r.AccountID() != mgmt || r.Region() != "us-east-1" || r.SourceIPAddress != "203.0.113.24" {
			t.Errorf("account %q region %q ip %q", r.AccountID(), r.Region(), r.SourceIPAddress)
		}
	},
	"root-activity-alerter/assume-root-password-recovery": func(t *testing.T, r Record) {
		a := assumeRoot(t, r)
		if a.TaskPolicy() != "IAMCreateRootUserPassword" || a.TargetAccount() != prod || a.DurationSeconds != 0 {
			t.Errorf("got %+v", a)
		}
		if r.Region() != "us-west-2" || a.Caller() != "arn:aws:iam::111122223333:role/BreakGlassAdmin" {
			t.Errorf("region %q caller %q", r.Region(), a.Caller())
		}
	},
	"root-activity-alerter/assume-root-rootguard-own": func(t *testing.T, r Record) {
		a := assumeRoot(t, r)
		if a.Caller() != "arn:aws:iam::111122223333:role/rootguard-new-account-hardener" ||
			a.CallerARN != "arn:aws:sts::111122223333:assumed-role/rootguard-new-account-hardener/rootguard-new-account-hardener" {
			t.Errorf("caller %q / %q", a.Caller(), a.CallerARN)
		}
		if a.TaskPolicy() != "IAMDeleteRootUserCredentials" || a.TargetAccount() != dev || a.AccessKeyID == "" {
			t.Errorf("got %+v", a)
		}
	},
	"root-activity-alerter/assume-root-failed": func(t *testing.T, r Record) {
		a := assumeRoot(t, r)
		if !r.Failed() || r.ErrorCode != "AccessDenied" || !strings.Contains(r.ErrorMessage, "sts:AssumeRoot") {
			t.Errorf("Failed %v code %q message %q", r.Failed(), r.ErrorCode, r.ErrorMessage)
		}
		if a.TargetAccount() != dev || a.TaskPolicy() != "S3UnlockBucketPolicy" || a.AccessKeyID != "" || !a.Expiration.Time.IsZero() {
			t.Errorf("got %+v", a)
		}
	},
	"root-activity-alerter/console-login-root-success-mfa": func(t *testing.T, r Record) {
		c := consoleLogin(t, r)
		if !c.Root || !c.Success || c.MFA != MFAYes || c.MFAIdentifier != "arn:aws:iam::444455556666:mfa/root-account-mfa-device" {
			t.Errorf("got %+v", c)
		}
		if r.AccountID() != dev || r.SourceIPAddress != "198.51.100.23" {
			t.Errorf("account %q ip %q", r.AccountID(), r.SourceIPAddress)
		}
	},
	"root-activity-alerter/console-login-root-success-no-mfa": func(t *testing.T, r Record) {
		c := consoleLogin(t, r)
		if !c.Root || !c.Success || c.MFA != MFANo || r.AccountID() != prod {
			t.Errorf("got %+v in %s", c, r.AccountID())
		}
	},
	"root-activity-alerter/console-login-root-failure": func(t *testing.T, r Record) {
		c := consoleLogin(t, r)
		if !c.Root || c.Success || c.Result != "Failure" || r.ErrorMessage != "Failed authentication" {
			t.Errorf("got %+v, errorMessage %q", c, r.ErrorMessage)
		}
		if r.Failed() {
			t.Error("a failed sign-in has no errorCode; Failed() must stay false")
		}
	},
	"root-activity-alerter/console-login-iam-user": func(t *testing.T, r Record) {
		c := consoleLogin(t, r)
		if c.Root || r.IsRoot() || !c.Success || c.UserName != "dev-alice" {
			t.Errorf("got %+v", c)
		}
	},
	"root-activity-alerter/console-login-malicious-user-agent": func(t *testing.T, r Record) {
		c := consoleLogin(t, r)
		if !c.Root || !c.Success {
			t.Errorf("got %+v", c)
		}
		// trail keeps untrusted text verbatim; escaping is the renderer's job.
		for _, s := range []string{"<!channel>", "<https://evil.example|", "&", "*bold*", "\n"} {
			if !strings.Contains(r.UserAgent, s) {
				t.Errorf("user agent lost %q: %q", s, r.UserAgent)
			}
		}
	},
	"root-activity-alerter/unrelated-event": func(t *testing.T, r Record) {
		if r.Kind() != KindOther || r.EventName != "GetCallerIdentity" {
			t.Errorf("kind %q name %q", r.Kind(), r.EventName)
		}
		if _, err := r.AssumeRoot(); fieldOf(err) != "detail.eventName" {
			t.Errorf("AssumeRoot: %v", err)
		}
		if _, err := r.ConsoleLogin(); fieldOf(err) != "detail.eventName" {
			t.Errorf("ConsoleLogin: %v", err)
		}
	},
	"root-activity-alerter/malformed-missing-fields": func(t *testing.T, r Record) {
		if r.Kind() != KindAssumeRoot {
			t.Fatalf("kind %q", r.Kind())
		}
		_, err := r.AssumeRoot()
		if fieldOf(err) != "detail.requestParameters" || !strings.Contains(err.Error(), "missing") {
			t.Errorf("AssumeRoot: %v", err)
		}
	},

	"bucket-policy-unlocker/deny-all": func(t *testing.T, r Record) {
		c := bucketPolicy(t, r, "dev-data", 1)
		st := statements(t, c.Policy)
		if st[0]["Effect"] != "Deny" || st[0]["Principal"] != "*" || st[0]["Action"] != "s3:*" {
			t.Errorf("statement %v", st[0])
		}
		if r.AccountID() != dev || r.Region() != "us-east-1" || r.Failed() {
			t.Errorf("account %q region %q failed %v", r.AccountID(), r.Region(), r.Failed())
		}
	},
	"bucket-policy-unlocker/deny-all-policy-as-string": func(t *testing.T, r Record) {
		var raw any
		if err := json.Unmarshal(r.RequestParameters, &raw); err != nil {
			t.Fatal(err)
		}
		if _, isString := raw.(map[string]any)["bucketPolicy"].(string); !isString {
			t.Fatal("the sample must carry bucketPolicy as a JSON string")
		}
		c := bucketPolicy(t, r, "dev-reports", 1)
		if st := statements(t, c.Policy); st[0]["Sid"] != "DenyEverything" {
			t.Errorf("statement %v", st[0])
		}
	},
	"bucket-policy-unlocker/conditional-vpce": func(t *testing.T, r Record) {
		c := bucketPolicy(t, r, "dev-artifacts", 1)
		cond, _ := statements(t, c.Policy)[0]["Condition"].(map[string]any)
		if _, ok := cond["StringNotEquals"]; !ok {
			t.Errorf("condition %v", cond)
		}
	},
	"bucket-policy-unlocker/legitimate-tls-only": func(t *testing.T, r Record) {
		bucketPolicy(t, r, "dev-assets", 2)
	},
	"bucket-policy-unlocker/failed-call": func(t *testing.T, r Record) {
		c := bucketPolicy(t, r, "dev-data", 1)
		if !r.Failed() || r.ErrorCode != "AccessDenied" || c.Deleted {
			t.Errorf("failed %v code %q", r.Failed(), r.ErrorCode)
		}
	},
	"bucket-policy-unlocker/lockout-mixed-with-legitimate": func(t *testing.T, r Record) {
		c := bucketPolicy(t, r, "dev-shared", 3)
		if sid := statements(t, c.Policy)[2]["Sid"]; sid != "FreezeBucketPolicy" {
			t.Errorf("third statement %v", sid)
		}
	},
	"bucket-policy-unlocker/delete-bucket-policy": func(t *testing.T, r Record) {
		if r.Kind() != KindDeleteBucketPolicy {
			t.Fatalf("kind %q", r.Kind())
		}
		c, err := r.BucketPolicy()
		if err != nil {
			t.Fatal(err)
		}
		if c.Bucket != "dev-data" || !c.Deleted || c.Policy != nil {
			t.Errorf("got %+v", c)
		}
	},

	"queue-policy-unlocker/set-queue-attributes-deny-all": func(t *testing.T, r Record) {
		c := queuePolicy(t, r, KindSetQueueAttributes, "dev-jobs", 1)
		if c.Queue.URL != "https://sqs.us-east-1.amazonaws.com/444455556666/dev-jobs" {
			t.Errorf("url %q", c.Queue.URL)
		}
		if st := statements(t, c.Policy); st[0]["Effect"] != "Deny" || st[0]["Action"] != "sqs:*" {
			t.Errorf("statement %v", st[0])
		}
	},
	"queue-policy-unlocker/create-queue-with-deny-all": func(t *testing.T, r Record) {
		queuePolicy(t, r, KindCreateQueue, "dev-batch", 1)
	},
	"queue-policy-unlocker/conditional-source-ip": func(t *testing.T, r Record) {
		c := queuePolicy(t, r, KindSetQueueAttributes, "dev-ingest", 1)
		cond, _ := statements(t, c.Policy)[0]["Condition"].(map[string]any)
		if _, ok := cond["NotIpAddress"]; !ok {
			t.Errorf("condition %v", cond)
		}
	},
	"queue-policy-unlocker/legitimate-sns-to-sqs": func(t *testing.T, r Record) {
		c := queuePolicy(t, r, KindSetQueueAttributes, "dev-notifications", 1)
		if st := statements(t, c.Policy); st[0]["Effect"] != "Allow" {
			t.Errorf("statement %v", st[0])
		}
	},
	"queue-policy-unlocker/failed-call": func(t *testing.T, r Record) {
		queuePolicy(t, r, KindSetQueueAttributes, "dev-jobs", 1)
		if !r.Failed() || r.ErrorCode != "AccessDenied" {
			t.Errorf("failed %v code %q", r.Failed(), r.ErrorCode)
		}
	},
	"queue-policy-unlocker/lockout-mixed-with-legitimate": func(t *testing.T, r Record) {
		c := queuePolicy(t, r, KindSetQueueAttributes, "dev-orders", 3)
		if sid := statements(t, c.Policy)[2]["Sid"]; sid != "FreezeQueuePolicy" {
			t.Errorf("third statement %v", sid)
		}
	},
	"queue-policy-unlocker/set-queue-attributes-policy-removed": func(t *testing.T, r Record) {
		c, err := r.QueuePolicy()
		if err != nil {
			t.Fatal(err)
		}
		if !c.HasPolicy || !c.Removed() || c.Policy != nil || c.Queue.Name != "dev-jobs" {
			t.Errorf("got %+v", c)
		}
	},

	"new-account-hardener/create-account-succeeded": func(t *testing.T, r Record) {
		s, err := r.CreateAccountResult()
		if err != nil {
			t.Fatal(err)
		}
		// The name is redacted ("****"), as in real records: absent.
		if !s.Succeeded() || s.AccountID != prod || s.AccountName != "" || !strings.HasPrefix(s.ID, "car-") {
			t.Errorf("got %+v", s)
		}
		if s.RequestedTimestamp.Raw != "Jun 2, 2026 2:14:05 PM" || !s.RequestedTimestamp.Time.Equal(mustTime(t, "2026-06-02T14:14:05Z")) ||
			!s.CompletedTimestamp.Time.Equal(mustTime(t, "2026-06-02T14:15:11Z")) {
			t.Errorf("timestamps %+v %+v", s.RequestedTimestamp, s.CompletedTimestamp)
		}
		joining(t, r, Joining{AccountID: prod, Method: JoinCreated})
	},
	"new-account-hardener/create-account-failed": func(t *testing.T, r Record) {
		s, err := r.CreateAccountResult()
		if err != nil {
			t.Fatal(err)
		}
		if s.Succeeded() || s.State != "FAILED" || s.FailureReason != "EMAIL_ALREADY_EXISTS" || s.AccountID != "" {
			t.Errorf("got %+v", s)
		}
		notApplicable(t, r)
	},
	"new-account-hardener/invite-account": func(t *testing.T, r Record) {
		inv, err := r.Invitation()
		if err != nil {
			t.Fatal(err)
		}
		if inv.AccountID != dev || inv.OrganizationID != "o-exampleorgid" || inv.Handshake.State != "OPEN" ||
			!strings.HasPrefix(inv.Handshake.ID, "h-") || len(inv.Handshake.Parties) != 2 {
			t.Errorf("got %+v", inv)
		}
		if !inv.Handshake.ExpirationTimestamp.Time.Equal(mustTime(t, "2026-06-17T14:31:26Z")) {
			t.Errorf("expiration %+v", inv.Handshake.ExpirationTimestamp)
		}
		joining(t, r, Joining{AccountID: dev, Method: JoinInvited, Pending: true})
	},
	"new-account-hardener/account-joined": func(t *testing.T, r Record) {
		j, err := r.AccountJoined()
		if err != nil {
			t.Fatal(err)
		}
		want := AccountJoined{AccountID: dev, AccountName: "workload-dev", Method: JoinInvited,
			JoinedTime: Timestamp{Raw: "Jun 2, 2026 2:52:03 PM", Time: mustTime(t, "2026-06-02T14:52:03Z")}}
		if j != want {
			t.Errorf("got %+v\nwant %+v", j, want)
		}
		joining(t, r, Joining{AccountID: dev, AccountName: "workload-dev", Method: JoinInvited})
	},
	"new-account-hardener/unrelated-event": func(t *testing.T, r Record) {
		if r.Kind() != KindOther || r.EventName != "CloseAccountResult" {
			t.Errorf("kind %q name %q", r.Kind(), r.EventName)
		}
		notApplicable(t, r)
	},
}

func assumeRoot(t *testing.T, r Record) AssumeRoot {
	t.Helper()
	if r.Kind() != KindAssumeRoot {
		t.Fatalf("kind %q", r.Kind())
	}
	a, err := r.AssumeRoot()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func consoleLogin(t *testing.T, r Record) ConsoleLogin {
	t.Helper()
	if r.Kind() != KindConsoleLogin {
		t.Fatalf("kind %q", r.Kind())
	}
	c, err := r.ConsoleLogin()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func bucketPolicy(t *testing.T, r Record, bucket string, nStatements int) BucketPolicyChange {
	t.Helper()
	if r.Kind() != KindPutBucketPolicy {
		t.Fatalf("kind %q", r.Kind())
	}
	c, err := r.BucketPolicy()
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != bucket || c.Deleted || c.Policy == nil {
		t.Fatalf("got %+v", c)
	}
	if n := len(statements(t, c.Policy)); n != nStatements {
		t.Errorf("%d statements, want %d", n, nStatements)
	}
	return c
}

func queuePolicy(t *testing.T, r Record, kind Kind, name string, nStatements int) QueuePolicyChange {
	t.Helper()
	if r.Kind() != kind {
		t.Fatalf("kind %q, want %q", r.Kind(), kind)
	}
	c, err := r.QueuePolicy()
	if err != nil {
		t.Fatal(err)
	}
	wantQueue := Queue{URL: "https://sqs.us-east-1.amazonaws.com/444455556666/" + name, AccountID: dev, Region: "us-east-1", Name: name}
	if c.Queue != wantQueue || !c.HasPolicy || c.Removed() || c.Policy == nil {
		t.Fatalf("got %+v", c)
	}
	if c.Queue.ARN() != "arn:aws:sqs:us-east-1:444455556666:"+name {
		t.Errorf("ARN %q", c.Queue.ARN())
	}
	if n := len(statements(t, c.Policy)); n != nStatements {
		t.Errorf("%d statements, want %d", n, nStatements)
	}
	return c
}

func joining(t *testing.T, r Record, want Joining) {
	t.Helper()
	j, err := r.Joining()
	if err != nil {
		t.Fatal(err)
	}
	if j != want {
		t.Errorf("Joining %+v, want %+v", j, want)
	}
}

func notApplicable(t *testing.T, r Record) {
	t.Helper()
	if _, err := r.Joining(); !errors.Is(err, ErrNotApplicable) {
		t.Errorf("Joining: %v, want ErrNotApplicable", err)
	}
}

func TestFixtures(t *testing.T) {
	files := fixtureFiles(t)
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			check, ok := fixtureChecks[name]
			if !ok {
				t.Fatal("sample has no expectations in fixtureChecks")
			}
			check(t, loadFixture(t, name))
		})
	}
	for name := range fixtureChecks {
		if !slices.Contains(files, name) {
			t.Errorf("events/%s.json is missing", name)
		}
	}
}

// TestFixturesUseDocumentationValues keeps real account ids and addresses
// out of the samples.
func TestFixturesUseDocumentationValues(t *testing.T) {
	accounts := []string{mgmt, dev, prod, "777788889999"}
	docNets := []netip.Prefix{
		netip.MustParsePrefix("192.0.2.0/24"),
		netip.MustParsePrefix("198.51.100.0/24"),
		netip.MustParsePrefix("203.0.113.0/24"),
	}
	twelveDigits := regexp.MustCompile(`\b[0-9]{12}\b`)
	for _, name := range fixtureFiles(t) {
		data := readFixture(t, name)
		for _, id := range twelveDigits.FindAllString(string(data), -1) {
			if !slices.Contains(accounts, id) {
				t.Errorf("%s: %s is not a documentation account id", name, id)
			}
		}
		r := loadFixture(t, name)
		if r.Envelope.ID == "" || r.Envelope.DetailType == "" || r.Envelope.Source == "" || r.Envelope.Time.IsZero() {
			t.Errorf("%s: incomplete envelope %+v", name, r.Envelope)
		}
		if r.SourceIPAddress == "" || strings.HasSuffix(r.SourceIPAddress, ".amazonaws.com") {
			continue
		}
		ip, err := netip.ParseAddr(r.SourceIPAddress)
		if err != nil || !slices.ContainsFunc(docNets, func(p netip.Prefix) bool { return p.Contains(ip) }) {
			t.Errorf("%s: source IP %q is not a documentation address", name, r.SourceIPAddress)
		}
	}
}
