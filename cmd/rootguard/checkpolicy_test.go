package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

const (
	denyAll = `{"Version": "2012-10-17", "Statement": [{"Sid": "DenyAll", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}`
	mixed   = `{"Version": "2012-10-17", "Statement": [
		{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket", "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
		{"Sid": "DenyAll", "Effect": "Deny", "Principal": {"AWS": "111122223333"}, "Action": "s3:*Policy", "Resource": "arn:aws:s3:::example-bucket"}]}`
	// govPerimeter denies everyone outside the account, in aws-us-gov.
	govPerimeter = `{"Version": "2012-10-17", "Statement": [{"Sid": "OwnAccountOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": {"StringNotLike": {"aws:PrincipalArn": "arn:aws-us-gov:iam::111122223333:*"}}}]}`
	tlsOnly      = `{"Version": "2012-10-17", "Statement": [{"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket", "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}`
	queueVPC     = `{"Statement": [{"Sid": "EndpointOnly", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-1:111122223333:example-queue", "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f6a7b8"}}}]}`
)

func TestCheckPolicy(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s3 := []string{"--service", "s3", "--resource", "example-bucket", "--account", "111122223333"}
	sqs := func(resource string) []string {
		return []string{"--service", "sqs", "--resource", resource, "--account", "111122223333"}
	}
	args := func(parts ...[]string) []string {
		out := []string{"check-policy"}
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stdout     []string // substrings, in order
		stderr     string
		verdict    string // JSON output: the verdict
		statements int    // JSON output: offending statements
		repaired   int    // JSON output: statements kept, -1 for null
	}{
		{name: "lockout as text", args: args(s3, []string{file("deny-all.json", denyAll)}), code: 3,
			stdout: []string{"verdict: lockout\n", "statement 0 (Sid \"DenyAll\"): lockout\n  denies s3:PutBucketPolicy and s3:DeleteBucketPolicy", "repaired policy: none"}},
		{name: "mixed as text", args: args(s3, []string{file("mixed.json", mixed)}), code: 3,
			stdout: []string{"verdict: lockout\n", "statement 1 (Sid \"DenyAll\"): lockout", "repaired policy, without the statements above:\n{\n  \"Version\"", "\"DenyInsecureTransport\""}},
		{name: "ok as text", args: args(s3, []string{file("tls.json", tlsOnly)}), code: 0,
			stdout: []string{"verdict: ok\nthe principals of account 111122223333 can still call s3:PutBucketPolicy"}},
		{name: "lockout as json", args: args([]string{"--format", "json"}, s3, []string{file("deny-all.json", denyAll)}), code: 3,
			verdict: "lockout", statements: 1, repaired: -1},
		{name: "mixed as json", args: args([]string{"--format", "json"}, s3, []string{file("mixed.json", mixed)}), code: 3,
			verdict: "lockout", statements: 1, repaired: 1},
		{name: "ok as json", args: args([]string{"--format=json"}, s3, []string{file("tls.json", tlsOnly)}), code: 0,
			verdict: "ok", statements: 0, repaired: -1},
		{name: "stdin", args: args(s3, []string{"-"}), stdin: denyAll, code: 3, stdout: []string{"verdict: lockout"}},
		{name: "conditional as text", args: args(sqs("arn:aws:sqs:us-east-1:111122223333:example-queue"), []string{"-"}), stdin: queueVPC, code: 3,
			stdout: []string{"verdict: conditional\n", "statement 0 (Sid \"EndpointOnly\"): conditional\n", "review before removing them", "repaired policy: none"}},
		{name: "stdin holding a JSON string", args: args([]string{"--format", "json"}, s3, []string{"-"}), stdin: jsonString(denyAll), code: 3,
			verdict: "lockout", statements: 1, repaired: -1},
		{name: "bucket ARN", args: args([]string{"--service", "s3", "--resource", "arn:aws:s3:::example-bucket", "--account", "111122223333", "-"}), stdin: denyAll, code: 3},
		{name: "bucket ARN in aws-us-gov", args: args([]string{"--format", "json", "--service", "s3", "--resource", "arn:aws-us-gov:s3:::example-bucket", "--account", "111122223333", "-"}),
			stdin: govPerimeter, code: 0, verdict: "ok", repaired: -1},
		{name: "bucket in aws-us-gov by --partition", args: args([]string{"--format", "json", "--partition", "aws-us-gov"}, s3, []string{"-"}),
			stdin: govPerimeter, code: 0, verdict: "ok", repaired: -1},
		{name: "a gov perimeter on a bucket in aws", args: args([]string{"--format", "json"}, s3, []string{"-"}),
			stdin: govPerimeter, code: 3, verdict: "lockout", statements: 1, repaired: -1},
		{name: "a gov perimeter on a queue in aws-us-gov", args: args([]string{"--format", "json"}, sqs("arn:aws-us-gov:sqs:us-gov-west-1:111122223333:example-queue"), []string{"-"}),
			stdin: strings.ReplaceAll(govPerimeter, "s3:*", "sqs:*"), code: 0, verdict: "ok", repaired: -1},
		{name: "queue ARN", args: args([]string{"--format", "json"}, sqs("arn:aws:sqs:us-east-1:111122223333:example-queue"), []string{"-"}), stdin: queueVPC, code: 3,
			verdict: "conditional", statements: 1, repaired: -1},
		{name: "queue URL", args: args([]string{"--format", "json"}, sqs("https://sqs.us-east-1.amazonaws.com/111122223333/example-queue"), []string{"-"}), stdin: queueVPC, code: 3,
			verdict: "conditional", statements: 1, repaired: -1},
		{name: "queue URL of another region", args: args(sqs("https://sqs.eu-west-1.amazonaws.com/111122223333/example-queue"), []string{"-"}), stdin: queueVPC, code: 0},
		{name: "organization", args: args(s3, []string{"--org", "o-a1b2c3d4e5", "-"}), stdin: tlsOnly, code: 0},

		{name: "queue name", args: args(sqs("example-queue"), []string{"-"}), stdin: queueVPC, code: 2, stderr: "a name alone does not say the region"},
		{name: "queue URL of another account", args: args(sqs("https://sqs.us-east-1.amazonaws.com/444455556666/example-queue"), []string{"-"}), stdin: queueVPC, code: 2, stderr: "belongs to account 444455556666"},
		{name: "no service", args: args([]string{"--resource", "example-bucket", "--account", "111122223333", "-"}), stdin: denyAll, code: 2, stderr: "--service is required"},
		{name: "unknown service", args: args([]string{"--service", "ec2", "--resource", "i-1", "--account", "111122223333", "-"}), stdin: denyAll, code: 2, stderr: `service "ec2"`},
		{name: "no resource", args: args([]string{"--service", "s3", "--account", "111122223333", "-"}), stdin: denyAll, code: 2, stderr: "--resource is required"},
		{name: "no account", args: args([]string{"--service", "s3", "--resource", "example-bucket", "-"}), stdin: denyAll, code: 2, stderr: "--account is required"},
		{name: "bad account", args: args([]string{"--service", "s3", "--resource", "example-bucket", "--account", "1111", "-"}), stdin: denyAll, code: 2, stderr: "not 12 digits"},
		{name: "bad organization", args: args(s3, []string{"--org", "org", "-"}), stdin: denyAll, code: 2, stderr: "organization id"},
		{name: "bad partition", args: args(s3, []string{"--partition", "gov", "-"}), stdin: denyAll, code: 2, stderr: `partition "gov"`},
		{name: "bucket ARN of another partition", args: args([]string{"--service", "s3", "--resource", "arn:aws-cn:s3:::example-bucket", "--partition", "aws", "--account", "111122223333", "-"}),
			stdin: denyAll, code: 2, stderr: "is in partition aws-cn, not --partition aws"},
		{name: "queue ARN of another partition", args: args(sqs("arn:aws:sqs:us-east-1:111122223333:example-queue"), []string{"--partition", "aws-cn", "-"}),
			stdin: queueVPC, code: 2, stderr: "is in partition aws, not aws-cn"},
		{name: "not a bucket ARN", args: args([]string{"--service", "s3", "--resource", "arn:aws:sqs:us-east-1:111122223333:q", "--account", "111122223333", "-"}),
			stdin: denyAll, code: 2, stderr: "neither a bucket name nor a bucket ARN"},
		{name: "bad format", args: args([]string{"--format", "yaml"}, s3, []string{"-"}), stdin: denyAll, code: 2, stderr: `--format "yaml"`},
		{name: "unknown flag", args: args([]string{"--bucket", "x"}, s3, []string{"-"}), stdin: denyAll, code: 2, stderr: "flag provided but not defined"},
		{name: "no file", args: args(s3), code: 2, stderr: "want one FILE or -"},
		{name: "two files", args: args(s3, []string{"-", "-"}), code: 2, stderr: "got 2 arguments"},
		{name: "missing file", args: args(s3, []string{filepath.Join(dir, "absent.json")}), code: 2, stderr: "absent.json"},
		{name: "not JSON", args: args(s3, []string{"-"}), stdin: "Deny everything", code: 2, stderr: "invalid policy: not JSON"},
		{name: "wrong Effect", args: args(s3, []string{"-"}), stdin: `{"Statement": {"Effect": "Block", "Action": "*"}}`, code: 2, stderr: `Effect "Block" is neither`},
		{name: "help", args: []string{"check-policy", "-h"}, code: 0, stderr: "usage: rootguard check-policy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q, want it to mention %q", stderr.String(), tt.stderr)
			}
			if tt.code == 2 && stdout.Len() > 0 {
				t.Errorf("invalid input wrote to stdout: %s", stdout.String())
			}
			out := stdout.String()
			for _, want := range tt.stdout {
				i := strings.Index(out, want)
				if i < 0 {
					t.Fatalf("stdout lacks %q:\n%s", want, stdout.String())
				}
				out = out[i+len(want):]
			}
			if tt.verdict != "" {
				checkJSONReport(t, stdout.Bytes(), tt.verdict, tt.statements, tt.repaired)
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// checkJSONReport asserts the JSON form's exact shape.
func checkJSONReport(t *testing.T, out []byte, verdict string, statements, repaired int) {
	t.Helper()
	var rep map[string]json.RawMessage
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, out)
	}
	if got := keys(rep); !reflect.DeepEqual(got, []string{"repaired_policy", "statements", "summary", "verdict"}) {
		t.Errorf("report keys %v", got)
	}
	var v string
	if err := json.Unmarshal(rep["verdict"], &v); err != nil || v != verdict {
		t.Errorf("verdict %s, want %q", rep["verdict"], verdict)
	}
	var stmts []map[string]json.RawMessage
	if err := json.Unmarshal(rep["statements"], &stmts); err != nil || stmts == nil || len(stmts) != statements {
		t.Fatalf("statements %s, want a list of %d", rep["statements"], statements)
	}
	for _, s := range stmts {
		if got := keys(s); !reflect.DeepEqual(got, []string{"index", "reason", "sid", "verdict"}) {
			t.Errorf("statement keys %v", got)
		}
		var idx int
		if err := json.Unmarshal(s["index"], &idx); err != nil {
			t.Errorf("index %s is not a number", s["index"])
		}
	}
	if repaired < 0 {
		if string(rep["repaired_policy"]) != "null" {
			t.Errorf("repaired_policy %s, want null", rep["repaired_policy"])
		}
		return
	}
	var policy struct{ Statement []json.RawMessage }
	if err := json.Unmarshal(rep["repaired_policy"], &policy); err != nil || len(policy.Statement) != repaired {
		t.Errorf("repaired_policy %s, want an object with %d statements (%v)", rep["repaired_policy"], repaired, err)
	}
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestRun(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no command", nil, 2, "", "usage: rootguard"},
		{"unknown command", []string{"unlock"}, 2, "", `unknown command "unlock"`},
		{"help", []string{"help"}, 0, "check-policy", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(tt.args, strings.NewReader(""), &stdout, &stderr); code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if !strings.Contains(stdout.String(), tt.stdout) || !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), tt.stdout, tt.stderr)
			}
		})
	}
}

func TestQueueARN(t *testing.T) {
	tests := []struct {
		resource, want, err string
	}{
		{"arn:aws:sqs:us-east-1:111122223333:q", "arn:aws:sqs:us-east-1:111122223333:q", ""},
		{"https://sqs.us-east-1.amazonaws.com/111122223333/q", "arn:aws:sqs:us-east-1:111122223333:q", ""},
		{"https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q", "arn:aws-cn:sqs:cn-north-1:111122223333:q", ""},
		{"https://sqs.eu-west-1.api.aws/111122223333/q.fifo", "arn:aws:sqs:eu-west-1:111122223333:q.fifo", ""},
		{"https://eu-west-1.queue.amazonaws.com/111122223333/q", "arn:aws:sqs:eu-west-1:111122223333:q", ""},
		{"https://queue.amazonaws.com/111122223333/q", "arn:aws:sqs:us-east-1:111122223333:q", ""},
		{"q", "", "a name alone"},
		{"http://localhost:4566/111122223333/q", "", "cannot tell the region"},
		{"https://sqs.us-east-1.amazonaws.com/111122223333", "", "ends in /ACCOUNT/NAME"},
		{"https://sqs.us-east-1.amazonaws.com/111122223333/q/extra", "", "ends in /ACCOUNT/NAME"},
		{"https://sqs.us-east-1.amazonaws.com/444455556666/q", "", "belongs to account 444455556666"},
	}
	for _, tt := range tests {
		got, err := queueARN(tt.resource, "111122223333")
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("queueARN(%q) = %q, %v; want %q, error mentioning %q", tt.resource, got, err, tt.want, tt.err)
		}
	}
}

// TestCheckPolicyRealWorld runs every labelled policy of the shared corpus
// (../shared/corpus/policies from the module root) through the command.
func TestCheckPolicyRealWorld(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	dir := filepath.Join(root, "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(dir, "policies")); errors.Is(err, fs.ErrNotExist) {
		t.Skip("../shared/corpus/policies is absent")
	}
	b, err := os.ReadFile(filepath.Join(dir, "policies", "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels map[string]struct{ Account, Expect, Resource, Service string }
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatal(err)
	}
	if len(labels) == 0 {
		t.Fatal("labels.json labels no policy")
	}
	for name, l := range labels {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run([]string{"check-policy", "--format", "json", "--service", l.Service, "--resource", l.Resource,
				"--account", l.Account, filepath.Join(dir, name)}, strings.NewReader(""), &stdout, &stderr)
			want := 3
			if l.Expect == "ok" {
				want = 0
			}
			if code != want {
				t.Fatalf("exit %d, want %d; stderr %s", code, want, stderr.String())
			}
			var rep struct{ Verdict string }
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil || rep.Verdict != l.Expect {
				t.Errorf("verdict %q (%v), labelled %q", rep.Verdict, err, l.Expect)
			}
		})
	}
}
