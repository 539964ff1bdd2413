package lockout

import (
	"cmp"
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		pattern, value  string
		variables, fold bool
		want            tri
	}{
		{"s3:*", "s3:putbucketpolicy", false, false, yes},
		{"s3:*policy", "s3:putbucketpolicy", false, false, yes},
		{"s3:put*", "s3:deletebucketpolicy", false, false, no},
		{"s3:p?tbucketpolicy", "s3:putbucketpolicy", false, false, yes},
		{"s3:?utbucketpolicy", "s3:utbucketpolicy", false, false, no},
		{"*", "", false, false, yes},
		{"a*b*c", "axxbyyc", false, false, yes},
		{"a*b*c", "axxbyy", false, false, no},
		{"Admin", "admin", false, true, yes},
		{"Admin", "admin", false, false, no},
		{"home/${aws:username}/*", "home/bob/x", true, false, unknown},
		{"home/${aws:username}/*", "work/bob/x", true, false, no},
		{"home/${aws:username}/*", "home/${aws:username}/x", false, false, yes},
		{"a${*}b", "a*b", true, false, yes},
		{"a${*}b", "axb", true, false, no},
		{"a${?}${$}", "a?$", true, false, yes},
		{"${unclosed", "${unclosed", true, false, yes},
	}
	for _, tt := range tests {
		got := compilePattern(tt.pattern, tt.variables, true).match(tt.value, tt.fold)
		if got != tt.want {
			t.Errorf("%q matching %q (variables %v, fold %v) = %v, want %v", tt.pattern, tt.value, tt.variables, tt.fold, got, tt.want)
		}
	}
}

func TestResourceMatch(t *testing.T) {
	const bucket = "arn:aws:s3:::example-bucket"
	const queue = "arn:aws:sqs:us-east-1:111122223333:example-queue"
	tests := []struct {
		pattern, arn string
		want         tri
	}{
		{"*", bucket, yes},
		{bucket, bucket, yes},
		{bucket + "/*", bucket, no},
		{bucket + "*", bucket, yes},
		{"arn:aws:s3:::*", bucket, yes},
		{"arn:aws:s3:::*/*", bucket, no},
		{"arn:aws:s3:::Example-Bucket", bucket, no},
		{"arn:aws:s3*", bucket, unknown}, // a wildcard across components
		{"arn:aws:sqs:*:111122223333:*", queue, yes},
		{"arn:aws:sqs:*:444455556666:*", queue, no},
		{"arn:aws:sqs:us-east-1:111122223333:example-queue-dlq", queue, no},
		{"my-sqs-queue-arn", queue, no},
		{"arn:aws:s3:::${aws:username}", bucket, unknown},
		{"arn:aws:s3:::${aws:username}/*", bucket, no},
	}
	for _, tt := range tests {
		if got := resourceMatch(tt.pattern, tt.arn, true); got != tt.want {
			t.Errorf("resourceMatch(%q, %q) = %v, want %v", tt.pattern, tt.arn, got, tt.want)
		}
	}
}

func TestArnMatch(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/ops/Admin"
	tests := []struct {
		pattern, value string
		want           tri
	}{
		{role, role, yes},
		{"arn:aws:iam::*:role/ops/*", role, yes},
		{"arn:aws:iam::111122223333:role/*", role, yes},
		{"arn:aws:iam::444455556666:role/*", role, no},
		{"arn:aws:iam::${aws:PrincipalAccount}:role/ops/Admin", role, unknown},
		{"arn:aws:iam::*", role, unknown}, // not six components
		{"false", "false", unknown},
		{role, "Admin", no}, // not an ARN
	}
	for _, tt := range tests {
		if got := arnMatch(tt.pattern, tt.value, true); got != tt.want {
			t.Errorf("arnMatch(%q, %q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
		}
	}
}

func TestSplitARN(t *testing.T) {
	tests := []struct {
		in   string
		vars bool
		want int
		last string
	}{
		{"arn:aws:iam::${aws:PrincipalAccount}:role/x", true, 6, "role/x"},
		{"arn:aws:iam::${aws:PrincipalAccount}:role/x", false, 6, "PrincipalAccount}:role/x"},
		{"arn:aws:sqs:us-east-1:111122223333:a:b", true, 6, "a:b"},
		{"arn:aws:s3*", true, 3, "s3*"},
	}
	for _, tt := range tests {
		got := splitARN(tt.in, tt.vars)
		if len(got) != tt.want || got[len(got)-1] != tt.last {
			t.Errorf("splitARN(%q, %v) = %q", tt.in, tt.vars, got)
		}
	}
}

func TestParsePrincipalRef(t *testing.T) {
	tests := []struct {
		in            string
		kind          refKind
		account, name string
	}{
		{"111122223333", refAccount, "111122223333", ""},
		{"arn:aws:iam::111122223333:root", refAccount, "111122223333", ""},
		{"arn:aws-us-gov:iam::111122223333:root", refAccount, "111122223333", ""},
		{"arn:aws:iam::111122223333:role/path/to/Admin", refRole, "111122223333", "Admin"},
		{"arn:aws:iam::111122223333:user/bob", refUser, "111122223333", "bob"},
		{"arn:aws:sts::111122223333:assumed-role/Admin/alice", refSession, "111122223333", "Admin"},
		{"arn:aws:sts::111122223333:federated-user/carol", refFederated, "111122223333", "carol"},
		{"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHEXAMPLE", refUser, "cloudfront", "CloudFront Origin Access Identity E2QWRUHEXAMPLE"},
		{"arn:aws:iam::111122223333:group/admins", refOther, "111122223333", ""},
		{"arn:aws:iam::111122223333:role/*", refWildcard, "", ""},
		{"AROAEXAMPLEID123456789", refOpaque, "", ""},
		{"some_arn", refOpaque, "", ""},
	}
	for _, tt := range tests {
		r := parsePrincipalRef(tt.in)
		if r.kind != tt.kind || r.account != tt.account || r.name != tt.name {
			t.Errorf("parsePrincipalRef(%q) = %+v", tt.in, r)
		}
	}
}

// TestPlace: the principals a comparison of aws:PrincipalArn or aws:username
// is made to try, and when it proves that none of the account's matches.
func TestPlace(t *testing.T) {
	const acct = "arn:aws:iam::111122223333:"
	tests := []struct {
		op, key, value string
		partition      string
		first          string // the first principal's ARN; "" for none
		none           bool
	}{
		{"StringNotLike", "aws:PrincipalArn", "*:role/Admin", "", acct + "role/Admin", false},
		{"StringNotLike", "aws:PrincipalArn", "*Admin*", "", acct + "role/Admin", false},
		{"StringNotLike", "aws:PrincipalArn", "arn:aws:iam::111122223333*Admin", "", acct + "role/Admin", false},
		{"StringNotLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/Admin*", "", acct + "role/Admin", false},
		{"StringNotLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:*", "", acct + "role/x", false},
		{"StringNotLike", "aws:PrincipalArn", "arn:aws:sts::111122223333:federated-user/c?", "", "arn:aws:sts::111122223333:federated-user/cx", false},
		{"ArnNotLike", "aws:PrincipalArn", "arn:*:iam::111122223333:role/Admin", "", acct + "role/Admin", false},
		{"ArnNotLike", "aws:PrincipalArn", "arn:aws:ia?::111122223333:*/Admin", "", acct + "role/Admin", false},
		{"ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/ops/*", "", acct + "role/ops/x", false},
		{"StringNotEqualsIgnoreCase", "aws:PrincipalArn", "ARN:AWS:IAM::111122223333:ROLE/Admin", "", acct + "role/Admin", false},
		{"StringNotEquals", "aws:PrincipalArn", "ARN:AWS:IAM::111122223333:ROLE/Admin", "", "", true},
		{"StringNotLike", "aws:PrincipalArn", "arn:aws-us-gov:iam::111122223333:*", "aws-us-gov", "arn:aws-us-gov:iam::111122223333:role/x", false},
		{"StringNotLike", "aws:PrincipalArn", "arn:aws-us-gov:iam::111122223333:*", "", "", true},
		{"StringNotLike", "aws:PrincipalArn", "arn:aws:iam::444455556666:*", "", "", true},
		{"StringNotLike", "aws:PrincipalArn", "arn:aws:iam::111122223333:root", "", "", true},
		{"StringNotLike", "aws:PrincipalArn", "arn:aws:sts::111122223333:assumed-role/Admin/*", "", "", true},
		{"ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:root", "", "", true},
		// Spellings no name the analysis makes can match: not proof.
		{"StringNotEquals", "aws:PrincipalArn", "arn:aws:iam::111122223333:role/*", "", "", false},
		{"StringNotLike", "aws:PrincipalArn", "*:root", "", "", false},
		{"StringNotLike", "aws:username", "adm*", "", acct + "user/adm", false},
		{"StringNotEqualsIgnoreCase", "aws:username", "ALICE", "", acct + "user/ALICE", false},
		{"NumericLessThan", "aws:PrincipalArn", "3", "", "", true},
	}
	for _, tt := range tests {
		c := clause{op: tt.op, key: tt.key, keyLower: strings.ToLower(tt.key), values: []string{tt.value}}
		c.resolve(true)
		tg := target{account: "111122223333", partition: cmp.Or(tt.partition, "aws")}
		ps, none := place(&c, 0, tg)
		first := ""
		if len(ps) > 0 {
			first = ps[0].arn
		}
		if first != tt.first || none != tt.none {
			t.Errorf("%s %s %q: first %q, none %v; want %q, %v", tt.op, tt.key, tt.value, first, none, tt.first, tt.none)
		}
		for _, p := range ps {
			v := p.arn
			if c.keyLower == "aws:username" {
				v = p.name
			}
			if c.matchOne(v) != no {
				t.Errorf("%s %s %q: %s is not spared", tt.op, tt.key, tt.value, p)
			}
		}
	}
}
