package lockout

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// s3In is s3Input in a partition.
func s3In(partition string) Input {
	in := s3Input
	in.Partition = partition
	return in
}

var (
	s3Input  = Input{Service: S3, Resource: "example-bucket", AccountID: "111122223333"}
	sqsInput = Input{Service: SQS, Resource: "arn:aws:sqs:us-east-1:111122223333:example-queue", AccountID: "111122223333"}
)

// corpusCase is one entry of testdata/cases.json: a policy of
// testdata/policies, what to analyse it for, and the expected outcome.
type corpusCase struct {
	File       string
	Service    Service
	Resource   string
	Account    string
	Org        string
	Partition  string
	Verdict    Verdict
	Statements []struct {
		Index   int
		Verdict Verdict
		Reason  string
	}
}

func TestAnalyzeCorpus(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	covered := make(map[string]bool)
	count := make(map[Verdict]int)
	for _, c := range cases {
		covered[c.File] = true
		count[c.Verdict]++
		name := strings.TrimSuffix(c.File, ".json")
		if c.Org != "" {
			name += "/" + c.Org
		}
		if c.Partition != "" {
			name += "/" + c.Partition
		}
		t.Run(name, func(t *testing.T) {
			policy, err := os.ReadFile(filepath.Join("testdata", "policies", c.File))
			if err != nil {
				t.Fatal(err)
			}
			in := Input{Service: c.Service, Resource: c.Resource, AccountID: c.Account, OrgID: c.Org, Partition: c.Partition}
			res, err := Analyze(policy, in)
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			if res.Verdict != c.Verdict {
				t.Errorf("verdict %s, want %s (%s)", res.Verdict, c.Verdict, res.Summary)
			}
			if len(res.Statements) != len(c.Statements) {
				t.Fatalf("%d offending statements %+v, want %d", len(res.Statements), res.Statements, len(c.Statements))
			}
			for i, want := range c.Statements {
				got := res.Statements[i]
				if got.Index != want.Index || got.Verdict != want.Verdict || got.Reason != want.Reason {
					t.Errorf("statement %d:\n got %d %s %q\nwant %d %s %q", i, got.Index, got.Verdict, got.Reason, want.Index, want.Verdict, want.Reason)
				}
			}
			if res.Summary == "" {
				t.Error("no summary")
			}
			checkResult(t, res, in)
		})
	}
	files, err := filepath.Glob(filepath.Join("testdata", "policies", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("%s has no case in testdata/cases.json", f)
		}
	}
	// The corpus is the specification's minimum: 30 legitimate policies, 15 lockouts.
	if count[OK]+count[Conditional] < 30 || count[Lockout] < 15 {
		t.Errorf("corpus has %d ok, %d conditional, %d lockout cases", count[OK], count[Conditional], count[Lockout])
	}
}

// TestAnalyzeSemantics pins one IAM rule per case, on the smallest policy
// that shows it.
func TestAnalyzeSemantics(t *testing.T) {
	const bucket = `"Resource": ["arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/*"]`
	deny := func(rest string) string {
		return `{"Version": "2012-10-17", "Statement": [{"Effect": "Deny", ` + rest + `}]}`
	}
	denyAll := func(cond string) string {
		return deny(`"Principal": "*", "Action": "s3:*", ` + bucket + `, "Condition": ` + cond)
	}
	deny2 := func(cond0, cond1 string) string {
		st := `{"Effect": "Deny", "Principal": "*", "Action": "s3:*", ` + bucket + `, "Condition": `
		return `{"Version": "2012-10-17", "Statement": [` + st + cond0 + `}, ` + st + cond1 + `}]}`
	}
	tests := []struct {
		name      string
		policy    string
		in        Input
		want      Verdict
		offending []int
	}{
		{"a negated operator holds when the key is absent", denyAll(`{"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}`), s3Input, Conditional, []int{0}},
		{"a positive operator fails when the key is absent", denyAll(`{"StringEquals": {"aws:SourceVpce": "vpce-1"}}`), s3Input, OK, nil},
		{"IfExists holds when the key is absent", denyAll(`{"StringEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}`), s3Input, Conditional, []int{0}},
		{"Null true on the VPC endpoint", denyAll(`{"Null": {"aws:SourceVpce": "true"}}`), s3Input, Conditional, []int{0}},
		{"Null false on the VPC endpoint", denyAll(`{"Null": {"aws:SourceVpce": false}}`), s3Input, OK, nil},
		{"ForAllValues holds for no values", denyAll(`{"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}`), s3Input, Conditional, []int{0}},
		{"ForAnyValue fails for no values", denyAll(`{"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}`), s3Input, OK, nil},
		{"conditions are ANDed: TLS escapes", denyAll(`{"StringNotEquals": {"aws:SourceVpce": "vpce-1"}, "Bool": {"aws:SecureTransport": "false"}}`), s3Input, OK, nil},
		{"values are ORed: an own role is spared", denyAll(`{"StringNotEquals": {"aws:PrincipalArn": ["arn:aws:iam::444455556666:role/Admin", "arn:aws:iam::111122223333:role/Admin"]}}`), s3Input, OK, nil},
		{"keys are case-insensitive", denyAll(`{"Bool": {"AWS:SECURETRANSPORT": "False"}}`), s3Input, OK, nil},
		{"operators are read case-insensitively", denyAll(`{"stringnotequals": {"aws:sourcevpce": "vpce-1"}}`), s3Input, Conditional, []int{0}},
		{"an unknown operator is undecided", denyAll(`{"StringMaybe": {"aws:SourceVpce": "vpce-1"}}`), s3Input, Conditional, []int{0}},
		{"a malformed ARN pattern is undecided", denyAll(`{"ArnNotLike": {"aws:PrincipalTag/team": "false"}}`), s3Input, Conditional, []int{0}},
		{"an unknown global key is undecided", denyAll(`{"StringEquals": {"aws:SomethingNew": "x"}}`), s3Input, Conditional, []int{0}},
		{"root alone spared is a lockout", denyAll(`{"StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:root"}}`), s3Input, Lockout, []int{0}},
		{"a deny on root only", denyAll(`{"StringEquals": {"aws:PrincipalType": "Account"}}`), s3Input, OK, nil},
		{"a deny on all but root", denyAll(`{"StringNotEquals": {"aws:PrincipalType": "Account"}}`), s3Input, Lockout, []int{0}},
		{"a federated user is a principal of the account", denyAll(`{"StringNotEquals": {"aws:PrincipalType": "FederatedUser"}}`), s3Input, OK, nil},
		{"roles, users and federated users", denyAll(`{"StringNotEquals": {"aws:PrincipalType": ["Account"]}, "StringNotEqualsIgnoreCase": {"aws:PrincipalType": ["assumedrole", "user", "federateduser"]}}`), s3Input, OK, nil},
		{"aws:PrincipalArn of a session is its role", denyAll(`{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:sts::111122223333:assumed-role/Admin/*"}}`), s3Input, Lockout, []int{0}},
		{"a role pattern in any account spares the own", denyAll(`{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin*"}}`), s3Input, OK, nil},
		{"a policy variable in a condition is undecided", denyAll(`{"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:role/Admin"}}`), s3Input, Conditional, []int{0}},
		{"a principal tag the account can set", denyAll(`{"StringNotEquals": {"aws:PrincipalTag/team": "platform"}}`), s3Input, OK, nil},
		{"a resource tag is undecided", denyAll(`{"StringNotEquals": {"aws:ResourceTag/env": "prod"}}`), s3Input, Conditional, []int{0}},
		{"a service call is not ordinary", denyAll(`{"Bool": {"aws:ViaAWSService": "false"}}`), s3Input, Conditional, []int{0}},
		{"an absent aws:SourceAccount may not be supplied", denyAll(`{"StringNotEquals": {"aws:SourceAccount": "111122223333"}}`), s3Input, Conditional, []int{0}},
		{"TLS 1.3 escapes", denyAll(`{"NumericLessThan": {"s3:TlsVersion": "1.3"}}`), s3Input, OK, nil},
		{"MFA escapes", denyAll(`{"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}`), s3Input, OK, nil},
		{"a recent MFA escapes", denyAll(`{"NumericGreaterThanIfExists": {"aws:MultiFactorAuthAge": "300"}}`), s3Input, OK, nil},
		{"every IPv4 address denied leaves the VPC", denyAll(`{"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}`), s3Input, Conditional, []int{0}},
		{"every IPv4 address allowed", denyAll(`{"NotIpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}`), s3Input, OK, nil},
		{"a denied network range", denyAll(`{"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}`), s3Input, OK, nil},
		{"the queue's own region", deny(`"Principal": "*", "Action": "sqs:*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}`), sqsInput, Lockout, []int{0}},
		{"another region", deny(`"Principal": "*", "Action": "sqs:*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}`), sqsInput, OK, nil},
		{"a bare ARN as Principal", deny(`"Principal": "arn:aws:iam::111122223333:root", "Action": "s3:*", ` + bucket), s3Input, Lockout, []int{0}},
		{"a service principal", deny(`"Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:*", ` + bucket), s3Input, OK, nil},
		{"a canonical user may be the account", deny(`"Principal": {"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}, "Action": "s3:*", ` + bucket), s3Input, Conditional, []int{0}},
		{"a unique id names one principal", deny(`"Principal": {"AWS": "AIDAEXAMPLEID123456789"}, "Action": "s3:*", ` + bucket), s3Input, OK, nil},
		{"NotPrincipal sparing a unique id", deny(`"NotPrincipal": {"AWS": "AIDAEXAMPLEID123456789"}, "Action": "s3:*", ` + bucket), s3Input, Conditional, []int{0}},
		{"no Principal element", deny(`"Action": "s3:*", ` + bucket), s3Input, Conditional, []int{0}},
		{"NotPrincipal sparing an own session", deny(`"NotPrincipal": {"AWS": "arn:aws:sts::111122223333:assumed-role/Admin/alice"}, "Action": "s3:*", ` + bucket), s3Input, OK, nil},
		{"NotPrincipal with everyone", deny(`"NotPrincipal": {"AWS": "*"}, "Action": "s3:*", ` + bucket), s3Input, OK, nil},
		{"the bucket's ARN in its partition", deny(`"Principal": "*", "Action": "s3:*", "Resource": "arn:aws-cn:s3:::example-bucket"`), s3In("aws-cn"), Lockout, []int{0}},
		{"a role prefix spared, its one-letter extension denied", deny2(
			`{"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin*"}}`,
			`{"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Adminx"}}`), s3Input, OK, nil},
		{"a role prefix spared, the prefix and its extensions denied", deny2(
			`{"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin*"}}`,
			`{"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::111122223333:role/Admin", "arn:aws:iam::111122223333:role/Admin?"]}}`), s3Input, OK, nil},
		{"a role prefix spared, every extension denied", deny2(
			`{"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin*"}}`,
			`{"StringLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin*"}}`), s3Input, Conditional, []int{0, 1}},
		{"a literal * in an exact comparison is undecided", denyAll(`{"StringNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}}`), s3Input, Conditional, []int{0}},
		{"a pattern about another account spares none", denyAll(`{"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::444455556666:*"}}`), s3Input, Lockout, []int{0}},
		{"an ARN pattern about root users spares none", denyAll(`{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}`), s3Input, Lockout, []int{0}},
		{"a pattern no name the analysis makes matches is undecided", denyAll(`{"StringNotLike": {"aws:PrincipalArn": "*:root"}}`), s3Input, Conditional, []int{0}},
		{"a user name pattern spares a user", denyAll(`{"StringNotLike": {"aws:username": "adm*"}}`), s3Input, OK, nil},
		{"a user name in another case", denyAll(`{"StringNotEqualsIgnoreCase": {"aws:username": "ALICE"}}`), s3Input, OK, nil},
		{"a federated user by pattern", denyAll(`{"StringNotLike": {"aws:PrincipalArn": "arn:aws:sts::111122223333:federated-user/*"}}`), s3Input, OK, nil},
		{"a role path by pattern", denyAll(`{"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/ops/*"}}`), s3Input, OK, nil},
		{"aws:userid is always present", denyAll(`{"Null": {"aws:userid": "true"}}`), s3Input, OK, nil},
		{"a deny whenever aws:userid is present", denyAll(`{"Null": {"aws:userid": "false"}}`), s3Input, Lockout, []int{0}},
		{"a bucket ARN of another partition", deny(`"Principal": "*", "Action": "s3:*", "Resource": "arn:aws-cn:s3:::example-bucket"`), s3Input, OK, nil},
		{"everyone outside the account in aws-us-gov", denyAll(`{"StringNotLike": {"aws:PrincipalArn": "arn:aws-us-gov:iam::111122223333:*"}}`), s3In("aws-us-gov"), OK, nil},
		{"everyone outside the account in aws-cn", denyAll(`{"ArnNotLike": {"aws:PrincipalArn": "arn:aws-cn:iam::111122223333:role/*"}}`), s3In("aws-cn"), OK, nil},
		{"another partition's principals spare none", denyAll(`{"StringNotLike": {"aws:PrincipalArn": "arn:aws-us-gov:iam::111122223333:*"}}`), s3Input, Lockout, []int{0}},
		{"a queue's partition is its ARN's", deny(`"Principal": "*", "Action": "sqs:*", "Resource": "*", "Condition": {"StringNotLike": {"aws:PrincipalArn": "arn:aws-cn:iam::111122223333:role/*"}}`),
			Input{Service: SQS, Resource: "arn:aws-cn:sqs:cn-north-1:111122223333:example-queue", AccountID: "111122223333"}, OK, nil},
		{"another bucket", deny(`"Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket-logs"`), s3Input, OK, nil},
		{"a wildcard across ARN components", deny(`"Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3*"`), s3Input, Conditional, []int{0}},
		{"NotResource naming only objects", deny(`"Principal": "*", "Action": "s3:*", "NotResource": "arn:aws:s3:::example-bucket/*"`), s3Input, Lockout, []int{0}},
		{"NotAction sparing the policy", deny(`"Principal": "*", "NotAction": "s3:*Policy", ` + bucket), s3Input, OK, nil},
		{"? matches one character", deny(`"Principal": "*", "Action": "s3:???BucketPolicy", ` + bucket), s3Input, OK, nil},
		{"? matches each character", deny(`"Principal": "*", "Action": ["s3:P?tBucketPolicy", "s3:D?leteBucketPolicy"], ` + bucket), s3Input, Lockout, []int{0}},
		{"an Allow never locks out", `{"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "111122223333"}, "Action": "*", "Resource": "*"}]}`, s3Input, OK, nil},
		{"an admin can still put the policy",
			`{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucketPolicy", "Resource": "*"},
			{"Effect": "Deny", "Principal": "*", "Action": "s3:PutBucketPolicy", "Resource": "*", "Condition": {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/Admin"}}}]}`,
			s3Input, OK, nil},
		{"a role denied and everyone but the role denied",
			`{"Statement": [{"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}, "Action": "s3:*", "Resource": "*"},
			{"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/Admin"}, "Action": "s3:*", "Resource": "*"}]}`,
			s3Input, Conditional, []int{0, 1}},
		{"a conditional statement beside a lockout",
			`{"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:PutBucketPolicy", "Resource": "*"},
			{"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucketPolicy", "Resource": "*", "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}]}`,
			s3Input, Conditional, []int{0, 1}},
		{"the organization perimeter with the organization known",
			denyAll(`{"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}`),
			Input{Service: S3, Resource: "example-bucket", AccountID: "111122223333", OrgID: "o-a1b2c3d4e5"}, OK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Analyze([]byte(tt.policy), tt.in)
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			var got []int
			for _, s := range res.Statements {
				got = append(got, s.Index)
			}
			if res.Verdict != tt.want || !equalInts(got, tt.offending) {
				t.Errorf("%s with offending %v, want %s with %v\n%s", res.Verdict, got, tt.want, tt.offending, res.Summary)
				for _, s := range res.Statements {
					t.Logf("  %d %s: %s", s.Index, s.Verdict, s.Reason)
				}
			}
			checkResult(t, res, tt.in)
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestAnalyzeInvalidPolicy(t *testing.T) {
	stmt := func(s string) string { return `{"Statement": [` + s + `]}` }
	tests := []struct{ name, policy, msg string }{
		{"empty", "", "empty document"},
		{"not JSON", "{", "not JSON"},
		{"trailing data", `{"Statement": {"Effect": "Deny", "Action": "*"}} x`, "not JSON"},
		{"a list", "[]", "not an object"},
		{"a number", "42", "not an object"},
		{"a JSON string holding a list", `"[1]"`, "not an object"},
		{"an empty JSON string", `""`, "empty document"},
		{"no Statement", `{"Version": "2012-10-17"}`, "no Statement"},
		{"an empty Statement", `{"Statement": []}`, "empty list"},
		{"Statement a string", `{"Statement": "Deny"}`, "not an object or a list"},
		{"Version a number", `{"Version": 2012, "Statement": {"Effect": "Deny", "Action": "*"}}`, "Version is a number"},
		{"an unknown top-level element", `{"Statements": [], "Statement": {"Effect": "Deny", "Action": "*"}}`, `unknown top-level element "Statements"`},
		{"a duplicate Statement", `{"Statement": {"Effect": "Deny", "Action": "*"}, "Statement": {"Effect": "Allow", "Action": "*"}}`, `duplicate key "Statement"`},
		{"a statement not an object", stmt(`1`), "statement 0: is a number"},
		{"no Effect", stmt(`{"Action": "*"}`), "statement 0: no Effect"},
		{"Effect in lower case", stmt(`{"Effect": "deny", "Action": "*"}`), `Effect "deny" is neither`},
		{"Effect a boolean", stmt(`{"Effect": true, "Action": "*"}`), "Effect true is neither"},
		{"a duplicate Effect", stmt(`{"Effect": "Deny", "Effect": "Allow", "Action": "*"}`), `duplicate key "Effect"`},
		{"no Action", stmt(`{"Effect": "Deny", "Principal": "*"}`), "no Action or NotAction"},
		{"an empty Action", stmt(`{"Effect": "Deny", "Action": []}`), "Action: empty list"},
		{"an empty action name", stmt(`{"Effect": "Deny", "Action": ""}`), "Action: empty action"},
		{"an action not a string", stmt(`{"Effect": "Deny", "Action": ["s3:*", 3]}`), "list holds a number"},
		{"Action and NotAction", stmt(`{"Effect": "Deny", "Action": "*", "NotAction": "s3:*"}`), "both Action and NotAction"},
		{"Principal and NotPrincipal", stmt(`{"Effect": "Deny", "Principal": "*", "NotPrincipal": "*", "Action": "*"}`), "both Principal and NotPrincipal"},
		{"Principal a number", stmt(`{"Effect": "Deny", "Principal": 1, "Action": "*"}`), "Principal: is a number"},
		{"Principal naming nobody", stmt(`{"Effect": "Deny", "Principal": {}, "Action": "*"}`), "names no principal"},
		{"an empty principal", stmt(`{"Effect": "Deny", "Principal": {"AWS": ["111122223333", ""]}, "Action": "*"}`), "AWS: empty principal"},
		{"an empty principal string", stmt(`{"Effect": "Deny", "Principal": "", "Action": "*"}`), "Principal: empty principal"},
		{"an unknown principal type", stmt(`{"Effect": "Deny", "Principal": {"Account": "111122223333"}, "Action": "*"}`), `unknown principal type "Account"`},
		{"Resource a number", stmt(`{"Effect": "Deny", "Action": "*", "Resource": 1}`), "Resource: is a number"},
		{"Resource and NotResource", stmt(`{"Effect": "Deny", "Action": "*", "Resource": "*", "NotResource": "*"}`), "both Resource and NotResource"},
		{"Condition a list", stmt(`{"Effect": "Deny", "Action": "*", "Condition": []}`), "Condition: is a list"},
		{"an operator block a string", stmt(`{"Effect": "Deny", "Action": "*", "Condition": {"Bool": "true"}}`), "Bool is a string"},
		{"a condition value an object", stmt(`{"Effect": "Deny", "Action": "*", "Condition": {"Bool": {"aws:SecureTransport": {}}}}`), "value is an object"},
		{"a condition value null", stmt(`{"Effect": "Deny", "Action": "*", "Condition": {"Bool": {"aws:SecureTransport": null}}}`), "value is null"},
		{"an unknown element", stmt(`{"Effect": "Deny", "Action": "*", "Principals": "*"}`), `unknown element "Principals"`},
		{"Sid a number", stmt(`{"Sid": 1, "Effect": "Deny", "Action": "*"}`), "Sid is a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Analyze([]byte(tt.policy), s3Input)
			if !errors.Is(err, ErrInvalidPolicy) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want ErrInvalidPolicy mentioning %q", err, tt.msg)
			}
			if res.Verdict != "" {
				t.Errorf("verdict %q alongside an error", res.Verdict)
			}
		})
	}
}

func TestAnalyzeInvalidInput(t *testing.T) {
	const policy = `{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}}`
	tests := []struct {
		name string
		in   Input
		msg  string
	}{
		{"unknown service", Input{Service: "ec2", Resource: "x", AccountID: "111122223333"}, `service "ec2"`},
		{"no service", Input{Resource: "x", AccountID: "111122223333"}, `service ""`},
		{"short account", Input{Service: S3, Resource: "example-bucket", AccountID: "1111"}, "not 12 digits"},
		{"account with a letter", Input{Service: S3, Resource: "example-bucket", AccountID: "11112222333a"}, "not 12 digits"},
		{"bad organization", Input{Service: S3, Resource: "example-bucket", AccountID: "111122223333", OrgID: "org-1"}, "organization id"},
		{"empty bucket", Input{Service: S3, AccountID: "111122223333"}, "empty bucket name"},
		{"bucket with a slash", Input{Service: S3, Resource: "example-bucket/key", AccountID: "111122223333"}, "contains"},
		{"bucket pattern", Input{Service: S3, Resource: "example-*", AccountID: "111122223333"}, "contains"},
		{"bucket ARN", Input{Service: S3, Resource: "arn:aws:s3:::example-bucket", AccountID: "111122223333"}, "contains"},
		{"queue name", Input{Service: SQS, Resource: "example-queue", AccountID: "111122223333"}, "not a queue ARN"},
		{"queue of another account", Input{Service: SQS, Resource: "arn:aws:sqs:us-east-1:444455556666:example-queue", AccountID: "111122223333"}, "belongs to account 444455556666"},
		{"queue pattern", Input{Service: SQS, Resource: "arn:aws:sqs:us-east-1:111122223333:example-*", AccountID: "111122223333"}, "bad queue name"},
		{"unknown partition", Input{Service: S3, Resource: "example-bucket", AccountID: "111122223333", Partition: "gov"}, `partition "gov"`},
		{"partition with a wildcard", Input{Service: S3, Resource: "example-bucket", AccountID: "111122223333", Partition: "aws*"}, `partition "aws*"`},
		{"queue in another partition", Input{Service: SQS, Resource: "arn:aws:sqs:us-east-1:111122223333:example-queue", AccountID: "111122223333", Partition: "aws-cn"}, "is in partition aws, not aws-cn"},
		{"queue in no region", Input{Service: SQS, Resource: "arn:aws:sqs::111122223333:example-queue", AccountID: "111122223333"}, "bad region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Analyze([]byte(policy), tt.in)
			if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want ErrInvalidInput mentioning %q", err, tt.msg)
			}
		})
	}
}

func TestRepair(t *testing.T) {
	policy, err := os.ReadFile(filepath.Join("testdata", "policies", "s3-lockout-and-vpce.json"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(policy, s3Input)
	if err != nil {
		t.Fatal(err)
	}
	const (
		tls  = `{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::example-bucket","arn:aws:s3:::example-bucket/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}`
		vpce = `{"Sid":"AccessThroughEndpointOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::example-bucket","arn:aws:s3:::example-bucket/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1a2b3c4d5e6f7a8b9"}}}`
	)
	tests := []struct {
		name               string
		includeConditional bool
		want               string
		verdict            Verdict
	}{
		{"lockout statements only", false, `{"Version":"2012-10-17","Statement":[` + vpce + `,` + tls + `]}`, Conditional},
		{"conditional ones too", true, `{"Version":"2012-10-17","Statement":[` + tls + `]}`, OK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := res.Repair(tt.includeConditional)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("Repair(%v)\n got %s\nwant %s", tt.includeConditional, got, tt.want)
			}
			again, err := Analyze(got, s3Input)
			if err != nil || again.Verdict != tt.verdict {
				t.Errorf("repaired policy is %s (%v), want %s", again.Verdict, err, tt.verdict)
			}
		})
	}
	if string(res.Repaired) != tests[1].want {
		t.Errorf("Repaired %s, want %s", res.Repaired, tests[1].want)
	}

	// Everything offending: nothing remains, the policy is to be deleted.
	all, err := Analyze([]byte(`{"Id": "x", "Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}}`), s3Input)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := all.Repair(false); got != nil || err != nil || all.Repaired != nil {
		t.Errorf("Repair(false) = %s, %v; Repaired = %s; want nil", got, err, all.Repaired)
	}

	// A Result that does not fit its document is refused, never turned into "delete".
	bad := res
	bad.Statements = append([]Statement{{Index: 7, Verdict: Lockout}}, res.Statements...)
	if got, err := bad.Repair(true); err == nil {
		t.Errorf("Repair with a statement out of range = %s, want an error", got)
	}
	if got, err := (Result{}).Repair(true); err == nil {
		t.Errorf("Repair of an empty Result = %s, want an error", got)
	}
}
