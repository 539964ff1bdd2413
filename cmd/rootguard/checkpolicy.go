package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/rootguard/rootguard/shared/lockout"
)

const checkPolicyUsage = `usage: rootguard check-policy --service s3|sqs --resource NAME_OR_ARN --account ID [--org ID] [--partition P] [--format text|json] FILE|-

Decides whether a bucket or queue policy (a JSON object, or a JSON string
holding one; FILE, or standard input for -) leaves some principal of the
account, other than its root user, a way to change it.

  --resource   s3: the bucket name, or its ARN (arn:PARTITION:s3:::NAME)
               sqs: the queue ARN, or the queue URL
                    (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)
  --partition  the account's partition: aws (the default), aws-cn,
               aws-us-gov, ...; a bucket or queue ARN says it too

The text form explains each offending statement and prints the repaired
policy. The JSON form is {"verdict", "summary", "statements": [{"index",
"sid", "verdict", "reason"}], "repaired_policy"}; repaired_policy is null when
the verdict is ok, and when every statement offends (delete the policy).

Exit status: 0 ok, 3 lockout or conditional, 2 invalid input.

flags:
`

// maxPolicySize is far above what AWS accepts (20 KB for a bucket policy),
// and keeps a mistaken FILE from being read whole.
const maxPolicySize = 1 << 20

func checkPolicy(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check-policy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	service := fs.String("service", "", "s3 or sqs")
	resource := fs.String("resource", "", "bucket name, or queue ARN or URL")
	account := fs.String("account", "", "the owning account id, 12 digits")
	org := fs.String("org", "", "the account's organization id (o-...), when known")
	partition := fs.String("partition", "", "the account's ARN partition (default aws, or the resource ARN's)")
	format := fs.String("format", "text", "text or json")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), checkPolicyUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitInvalid
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "rootguard check-policy: %v\n", err)
		return exitInvalid
	}
	if fs.NArg() != 1 {
		return fail(fmt.Errorf("want one FILE or - after the flags, got %d arguments", fs.NArg()))
	}
	if *format != "text" && *format != "json" {
		return fail(fmt.Errorf("--format %q is neither text nor json", *format))
	}
	in, err := policyInput(*service, *resource, *account, *org, *partition)
	if err != nil {
		return fail(err)
	}
	policy, err := readPolicy(fs.Arg(0), stdin)
	if err != nil {
		return fail(err)
	}
	res, err := lockout.Analyze(policy, in)
	if err != nil {
		return fail(err)
	}
	if *format == "json" {
		err = writeJSON(stdout, res)
	} else {
		err = writeText(stdout, res)
	}
	if err != nil {
		fmt.Fprintf(stderr, "rootguard check-policy: write: %v\n", err)
		return exitFailed
	}
	if res.Verdict == lockout.OK {
		return exitOK
	}
	return exitFinding
}

// policyInput builds the analysis input from the flags.
func policyInput(service, resource, account, org, partition string) (lockout.Input, error) {
	in := lockout.Input{Service: lockout.Service(service), Resource: resource, AccountID: account, OrgID: org, Partition: partition}
	switch in.Service {
	case lockout.S3:
		if rest, ok := strings.CutPrefix(resource, "arn:"); ok {
			p, name, ok := strings.Cut(rest, ":s3:::")
			if !ok {
				return in, fmt.Errorf("--resource %q is neither a bucket name nor a bucket ARN (arn:PARTITION:s3:::NAME)", resource)
			}
			if partition != "" && partition != p {
				return in, fmt.Errorf("--resource %q is in partition %s, not --partition %s", resource, p, partition)
			}
			in.Resource, in.Partition = name, p
		}
	case lockout.SQS:
		arn, err := queueARN(resource, account)
		if err != nil {
			return in, err
		}
		in.Resource = arn
	case "":
		return in, errors.New("--service is required (s3 or sqs)")
	}
	if resource == "" {
		return in, errors.New("--resource is required")
	}
	if account == "" {
		return in, errors.New("--account is required")
	}
	return in, nil
}

// queueARN accepts a queue ARN as is and turns a queue URL into one when
// its host names the region: sqs.REGION.amazonaws.com (.cn in China),
// sqs.REGION.api.aws, REGION.queue.amazonaws.com, and the legacy
// queue.amazonaws.com (us-east-1). A bare queue name says no region and is
// refused.
func queueARN(resource, account string) (string, error) {
	if strings.HasPrefix(resource, "arn:") || resource == "" {
		return resource, nil
	}
	u, err := url.Parse(resource)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("--resource %q is neither a queue ARN nor a queue URL (a name alone does not say the region)", resource)
	}
	partition, region := "aws", ""
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "queue.amazonaws.com":
		region = "us-east-1"
	case strings.HasSuffix(host, ".queue.amazonaws.com"):
		region = strings.TrimSuffix(host, ".queue.amazonaws.com")
	case strings.HasPrefix(host, "sqs.") && strings.HasSuffix(host, ".amazonaws.com.cn"):
		partition, region = "aws-cn", strings.TrimSuffix(strings.TrimPrefix(host, "sqs."), ".amazonaws.com.cn")
	case strings.HasPrefix(host, "sqs.") && strings.HasSuffix(host, ".amazonaws.com"):
		region = strings.TrimSuffix(strings.TrimPrefix(host, "sqs."), ".amazonaws.com")
	case strings.HasPrefix(host, "sqs.") && strings.HasSuffix(host, ".api.aws"):
		region = strings.TrimSuffix(strings.TrimPrefix(host, "sqs."), ".api.aws")
	}
	if region == "" || strings.Contains(region, ".") {
		return "", fmt.Errorf("--resource %q: cannot tell the region from host %s; give the queue ARN", resource, u.Host)
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return "", fmt.Errorf("--resource %q: a queue URL ends in /ACCOUNT/NAME", resource)
	}
	if parts[0] != account {
		return "", fmt.Errorf("--resource %q belongs to account %s, not --account %s", resource, parts[0], account)
	}
	return "arn:" + partition + ":sqs:" + region + ":" + parts[0] + ":" + parts[1], nil
}

func readPolicy(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxPolicySize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxPolicySize {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxPolicySize)
	}
	return b, nil
}

type jsonReport struct {
	Verdict        lockout.Verdict `json:"verdict"`
	Summary        string          `json:"summary"`
	Statements     []jsonStatement `json:"statements"`
	RepairedPolicy json.RawMessage `json:"repaired_policy"`
}

type jsonStatement struct {
	Index   int             `json:"index"`
	Sid     string          `json:"sid"`
	Verdict lockout.Verdict `json:"verdict"`
	Reason  string          `json:"reason"`
}

func writeJSON(w io.Writer, res lockout.Result) error {
	rep := jsonReport{Verdict: res.Verdict, Summary: res.Summary, Statements: []jsonStatement{}, RepairedPolicy: res.Repaired}
	for _, s := range res.Statements {
		rep.Statements = append(rep.Statements, jsonStatement{Index: s.Index, Sid: s.Sid, Verdict: s.Verdict, Reason: s.Reason})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func writeText(w io.Writer, res lockout.Result) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "verdict: %s\n%s\n", res.Verdict, res.Summary)
	for _, s := range res.Statements {
		sid := ""
		if s.Sid != "" {
			sid = fmt.Sprintf(" (Sid %q)", s.Sid)
		}
		fmt.Fprintf(&b, "\nstatement %d%s: %s\n  %s\n", s.Index, sid, s.Verdict, s.Reason)
	}
	if res.Verdict != lockout.OK {
		for _, s := range res.Statements {
			if s.Verdict == lockout.Conditional {
				b.WriteString("\nStatements marked conditional may be deliberate network or access restrictions: review before removing them.\n")
				break
			}
		}
		if res.Repaired == nil {
			b.WriteString("\nrepaired policy: none, every statement is offending: delete the policy\n")
		} else {
			b.WriteString("\nrepaired policy, without the statements above:\n")
			if err := json.Indent(&b, res.Repaired, "", "  "); err != nil {
				return err
			}
			b.WriteByte('\n')
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}
