package lockout

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Service names the kind of resource a policy is attached to.
type Service string

// Services whose resource policies Analyze understands.
const (
	S3  Service = "s3"
	SQS Service = "sqs"
)

// Verdict is the outcome of an analysis, and the class of an offending statement.
type Verdict string

// Verdicts, from harmless to worst.
const (
	OK          Verdict = "ok"
	Conditional Verdict = "conditional"
	Lockout     Verdict = "lockout"
)

// ErrInvalidPolicy is wrapped by every error about the policy document itself:
// not JSON, no statements, an element of the wrong type, an Effect other than
// Allow or Deny, an empty Action.
var ErrInvalidPolicy = errors.New("invalid policy")

// ErrInvalidInput is wrapped by every error about Input.
var ErrInvalidInput = errors.New("invalid input")

// Input says what the policy is attached to.
type Input struct {
	Service Service
	// Resource is the bucket name for S3 and the queue ARN
	// (arn:aws:sqs:REGION:ACCOUNT:NAME) for SQS.
	Resource string
	// AccountID owns the resource: 12 digits.
	AccountID string
	// OrgID is the account's organization (o-...), when known. Without it,
	// conditions on aws:PrincipalOrgID and aws:ResourceOrgID cannot be decided.
	OrgID string
	// Partition is the account's ARN partition (aws, aws-cn, aws-us-gov, ...):
	// the partition of the bucket's ARN and of the account's principals.
	// Empty means aws for a bucket; a queue's comes from its ARN, which it
	// must agree with when set.
	Partition string
}

// Statement is an offending statement.
type Statement struct {
	// Index is the statement's position in the Statement list, from 0.
	Index int
	Sid   string
	// Verdict is Lockout for a statement that denies in every request, and
	// Conditional for one that only particular network locations or
	// undecidable conditions escape, or that locks out together with others.
	Verdict Verdict
	// Actions are the policy-changing actions it denies, e.g. s3:PutBucketPolicy.
	Actions []string
	Reason  string
	Raw     json.RawMessage
}

// Result is the outcome of Analyze.
type Result struct {
	Verdict Verdict
	// Summary explains the verdict in one sentence.
	Summary string
	// Statements are the offending statements in document order; empty when
	// the verdict is OK.
	Statements []Statement
	// Original is the policy document as analysed (the object, also when it
	// was given as a JSON string).
	Original json.RawMessage
	// Repaired is Original without every offending statement, lockout and
	// conditional, compacted; Analyze finds it OK. It is nil when the verdict
	// is OK (nothing to repair) and when no statement would remain (the policy
	// is to be deleted).
	Repaired json.RawMessage
}

// Repair returns the original document without the offending statements of
// class Lockout, and also without those of class Conditional when
// includeConditional is set. The result of Repair(false) is never a lockout;
// Repair(true) is what Result.Repaired holds. It returns nil, and no error,
// when no statement would remain: the policy is then to be deleted.
func (r Result) Repair(includeConditional bool) (json.RawMessage, error) {
	doc, err := parseDocument(r.Original)
	if err != nil {
		return nil, fmt.Errorf("repair: %w", err)
	}
	drop := make(map[int]bool)
	for _, s := range r.Statements {
		if s.Index < 0 || s.Index >= len(doc.statements) {
			return nil, fmt.Errorf("repair: statement %d: no such statement", s.Index)
		}
		if s.Verdict == Lockout || includeConditional {
			drop[s.Index] = true
		}
	}
	return doc.without(drop), nil
}

var (
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	orgRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

// target is a validated Input.
type target struct {
	service   Service
	account   string
	org       string
	bucket    string // S3
	queueARN  string // SQS
	partition string // of the resource and the account's principals
	region    string // SQS: from the ARN
	actions   []string
}

func (in Input) validate() (target, error) {
	t := target{service: in.Service, account: in.AccountID, org: in.OrgID, partition: cmp.Or(in.Partition, "aws")}
	if !partitionRE.MatchString(t.partition) {
		return t, fmt.Errorf("%w: partition %q is not an ARN partition (aws, aws-cn, aws-us-gov, ...)", ErrInvalidInput, in.Partition)
	}
	if !accountRE.MatchString(in.AccountID) {
		return t, fmt.Errorf("%w: account id %q is not 12 digits", ErrInvalidInput, in.AccountID)
	}
	if in.OrgID != "" && !orgRE.MatchString(in.OrgID) {
		return t, fmt.Errorf("%w: organization id %q is not of the form o-xxxxxxxxxx", ErrInvalidInput, in.OrgID)
	}
	switch in.Service {
	case S3:
		if err := checkBucket(in.Resource); err != nil {
			return t, err
		}
		t.bucket = in.Resource
		t.actions = []string{"s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}
	case SQS:
		p, err := parseQueueARN(in.Resource)
		if err != nil {
			return t, err
		}
		if in.Partition != "" && in.Partition != p.partition {
			return t, fmt.Errorf("%w: queue %s is in partition %s, not %s", ErrInvalidInput, in.Resource, p.partition, in.Partition)
		}
		if p.account != in.AccountID {
			return t, fmt.Errorf("%w: queue %s belongs to account %s, not %s", ErrInvalidInput, in.Resource, p.account, in.AccountID)
		}
		t.queueARN, t.partition, t.region = in.Resource, p.partition, p.region
		t.actions = []string{"sqs:SetQueueAttributes"}
	default:
		return t, fmt.Errorf("%w: service %q is neither s3 nor sqs", ErrInvalidInput, in.Service)
	}
	return t, nil
}

// checkBucket accepts any name a policy could be attached to, legacy and
// documentation placeholders included, but nothing that would change what a
// resource pattern matches.
func checkBucket(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty bucket name", ErrInvalidInput)
	}
	if i := strings.IndexFunc(name, func(r rune) bool {
		return r == '/' || r == ':' || r == '*' || r == '?' || r == '$' || r < ' ' || r == 0x7f
	}); i >= 0 {
		return fmt.Errorf("%w: bucket name %q contains %q", ErrInvalidInput, name, name[i])
	}
	return nil
}

type queueARN struct{ partition, region, account, name string }

func parseQueueARN(s string) (queueARN, error) {
	p := strings.Split(s, ":")
	if len(p) != 6 || p[0] != "arn" || p[2] != "sqs" {
		return queueARN{}, fmt.Errorf("%w: %q is not a queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME)", ErrInvalidInput, s)
	}
	q := queueARN{partition: p[1], region: p[3], account: p[4], name: p[5]}
	if !partitionRE.MatchString(q.partition) {
		return q, fmt.Errorf("%w: queue ARN %q: unknown partition %q", ErrInvalidInput, s, q.partition)
	}
	if q.region == "" || strings.ContainsAny(q.region, "*?$") {
		return q, fmt.Errorf("%w: queue ARN %q: bad region %q", ErrInvalidInput, s, q.region)
	}
	if !accountRE.MatchString(q.account) {
		return q, fmt.Errorf("%w: queue ARN %q: account %q is not 12 digits", ErrInvalidInput, s, q.account)
	}
	if q.name == "" || strings.ContainsAny(q.name, "*?$/") {
		return q, fmt.Errorf("%w: queue ARN %q: bad queue name %q", ErrInvalidInput, s, q.name)
	}
	return q, nil
}

var partitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)

// Analyze decides whether policy locks the owning account out of changing it.
// policy is the document as a JSON object, or a JSON string holding one (the
// form CloudTrail and SQS sometimes use). Errors wrap ErrInvalidPolicy or
// ErrInvalidInput; there is no verdict then.
func Analyze(policy []byte, in Input) (Result, error) {
	t, err := in.validate()
	if err != nil {
		return Result{}, err
	}
	doc, err := parseDocument(policy)
	if err != nil {
		return Result{}, err
	}
	res := Result{Original: doc.raw}
	all := make([]int, len(doc.statements))
	for i := range all {
		all[i] = i
	}
	first := evaluate(doc, all, t)
	res.Verdict = first.verdict()
	if res.Verdict == OK {
		res.Summary = first.okSummary(t)
		return res, nil
	}

	offences := make(map[int]*offence)
	first.collectOffences(offences)
	// Remove what is offending and look again: statements that are harmless
	// alone may still jointly deny every ordinary request. The loop ends
	// because each round either opens the policy or takes away every statement
	// still in the way.
	for round := 0; ; round++ {
		rest := make([]int, 0, len(all))
		for _, i := range all {
			if offences[i] == nil {
				rest = append(rest, i)
			}
		}
		ev := evaluate(doc, rest, t)
		if ev.verdict() == OK {
			break
		}
		if !ev.collectJoint(offences) || round > len(all) {
			// Cannot happen: every action that stays closed has statements to
			// take away. Refuse rather than hand out a repair that is not one.
			return Result{}, fmt.Errorf("lockout: analysis did not converge on %d statements", len(all))
		}
	}

	idx := make([]int, 0, len(offences))
	for i := range offences {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	for _, i := range idx {
		o := offences[i]
		s := doc.statements[i]
		res.Statements = append(res.Statements, Statement{
			Index:   i,
			Sid:     s.sid,
			Verdict: o.verdict,
			Actions: o.actionNames(t),
			Reason:  o.reason(s, t),
			Raw:     s.raw,
		})
	}
	res.Summary = summary(res.Verdict, offences, idx, t)
	drop := make(map[int]bool, len(idx))
	for _, i := range idx {
		drop[i] = true
	}
	res.Repaired = doc.without(drop)
	return res, nil
}
