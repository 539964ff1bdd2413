package lockout

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fuzzInputs are the targets a fuzzed policy is analysed for, picked by a byte.
var fuzzInputs = []Input{
	{Service: S3, Resource: "example-bucket", AccountID: "111122223333"},
	{Service: S3, Resource: "example-bucket", AccountID: "111122223333", OrgID: "o-a1b2c3d4e5"},
	{Service: SQS, Resource: "arn:aws:sqs:us-east-1:111122223333:example-queue", AccountID: "111122223333"},
	{Service: SQS, Resource: "arn:aws:sqs:us-east-1:111122223333:example-queue", AccountID: "111122223333", OrgID: "o-a1b2c3d4e5"},
	{Service: S3, Resource: "example-bucket", AccountID: "111122223333", Partition: "aws-us-gov"},
	{Service: SQS, Resource: "arn:aws-us-gov:sqs:us-gov-west-1:111122223333:example-queue", AccountID: "111122223333"},
}

func FuzzAnalyze(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "policies", "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for i, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(i))
	}
	f.Fuzz(func(t *testing.T, policy []byte, pick uint8) {
		in := fuzzInputs[int(pick)%len(fuzzInputs)]
		res, err := Analyze(policy, in)
		if err != nil {
			return
		}
		checkResult(t, res, in)
		checkSound(t, res, in, uint64(len(policy)))
	})
}

// checkResult asserts what must hold for every analysis: the verdict agrees
// with the offending statements, the repaired policies really are repaired
// and keep no offending statement, and the analysis is repeatable.
func checkResult(t *testing.T, res Result, in Input) {
	t.Helper()
	doc, err := parseDocument(res.Original)
	if err != nil {
		t.Fatalf("Original does not parse: %v", err)
	}
	switch res.Verdict {
	case OK:
		if len(res.Statements) != 0 || res.Repaired != nil {
			t.Fatalf("ok with offending statements %+v or a repair %s", res.Statements, res.Repaired)
		}
	case Lockout, Conditional:
		if len(res.Statements) == 0 {
			t.Fatalf("%s without offending statements", res.Verdict)
		}
	default:
		t.Fatalf("verdict %q", res.Verdict)
	}
	lockouts := 0
	offending := make(map[string]bool)
	for _, s := range res.Statements {
		if s.Verdict != Lockout && s.Verdict != Conditional {
			t.Fatalf("statement %d: verdict %q", s.Index, s.Verdict)
		}
		if s.Verdict == Lockout {
			lockouts++
		}
		if s.Reason == "" || len(s.Actions) == 0 {
			t.Fatalf("statement %d: no reason or actions: %+v", s.Index, s)
		}
		if !bytes.Equal(s.Raw, doc.statements[s.Index].raw) {
			t.Fatalf("statement %d: Raw %s is not the statement %s", s.Index, s.Raw, doc.statements[s.Index].raw)
		}
		offending[string(s.Raw)] = true
	}
	if res.Verdict == Lockout && lockouts == 0 {
		t.Fatalf("lockout without a lockout statement: %+v", res.Statements)
	}

	again, err := Analyze(res.Original, in)
	if err != nil || again.Verdict != res.Verdict || len(again.Statements) != len(res.Statements) {
		t.Fatalf("analysing Original again: %s with %d statements, %v; first %s with %d",
			again.Verdict, len(again.Statements), err, res.Verdict, len(res.Statements))
	}
	quoted, _ := json.Marshal(string(res.Original))
	if asString, err := Analyze(quoted, in); err != nil || asString.Verdict != res.Verdict {
		t.Fatalf("the policy as a JSON string: %s, %v; as an object %s", asString.Verdict, err, res.Verdict)
	}
	if res.Verdict == OK {
		return
	}

	all, err := res.Repair(true)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(all, res.Repaired) {
		t.Fatalf("Repair(true) %s differs from Repaired %s", all, res.Repaired)
	}
	if res.Repaired == nil {
		if len(res.Statements) != len(doc.statements) {
			t.Fatalf("nothing left although only %d of %d statements offend", len(res.Statements), len(doc.statements))
		}
	} else {
		fixed, err := Analyze(res.Repaired, in)
		if err != nil {
			t.Fatalf("repaired policy %s: %v", res.Repaired, err)
		}
		if fixed.Verdict != OK {
			t.Fatalf("repaired policy %s is %s: %+v\noriginal %s", res.Repaired, fixed.Verdict, fixed.Statements, res.Original)
		}
		rdoc, _ := parseDocument(res.Repaired)
		if len(rdoc.statements) != len(doc.statements)-len(res.Statements) {
			t.Fatalf("repaired policy has %d statements, want %d", len(rdoc.statements), len(doc.statements)-len(res.Statements))
		}
		for _, s := range rdoc.statements {
			if offending[string(s.raw)] {
				t.Fatalf("repaired policy keeps offending statement %s", s.raw)
			}
		}
	}

	partial, err := res.Repair(false)
	if err != nil {
		t.Fatal(err)
	}
	if partial == nil {
		if lockouts != len(doc.statements) {
			t.Fatalf("Repair(false) leaves nothing although %d of %d statements are lockouts", lockouts, len(doc.statements))
		}
		return
	}
	if r, err := Analyze(partial, in); err != nil || r.Verdict == Lockout {
		t.Fatalf("without its lockout statements the policy %s is still %s (%v)", partial, r.Verdict, err)
	}
}

// Building blocks for FuzzAnalyzeGenerated: the shapes real policies use,
// combined in ways nobody writes, to test the analysis where it reasons
// rather than where it parses.
var (
	genPrincipals = []string{
		`"*"`, `{"AWS": "*"}`, `{"AWS": "111122223333"}`, `{"AWS": "arn:aws:iam::111122223333:root"}`,
		`{"AWS": "arn:aws:iam::111122223333:role/Admin"}`, `{"AWS": "arn:aws:iam::444455556666:root"}`,
		`{"Service": "sns.amazonaws.com"}`, `{"AWS": "AROAEXAMPLEID"}`, `{"AWS": "arn:aws:iam::111122223333:user/bob"}`,
		`{"AWS": "arn:aws:sts::111122223333:assumed-role/Admin/s"}`, `{"AWS": ["arn:aws:iam::111122223333:role/Admin", "111122223333"]}`,
	}
	genActions = []string{
		`"*"`, `"s3:*"`, `"s3:PutBucketPolicy"`, `"s3:DeleteBucketPolicy"`, `"s3:Put*"`, `"s3:GetObject"`,
		`"sqs:*"`, `"sqs:SetQueueAttributes"`, `"sqs:SendMessage"`, `["s3:*Policy", "sqs:Set*"]`,
	}
	genResources = []string{
		`"*"`, `"arn:aws:s3:::example-bucket"`, `"arn:aws:s3:::example-bucket/*"`, `"arn:aws:s3:::other-bucket"`,
		`"arn:aws:sqs:us-east-1:111122223333:example-queue"`, `"arn:aws:sqs:*:111122223333:*"`, `"arn:aws:s3:::example-*"`,
		`["arn:aws:s3:::example-bucket", "arn:aws:sqs:us-east-1:111122223333:other-queue"]`,
	}
	genOperators = []string{
		"StringEquals", "StringNotEquals", "StringLike", "StringNotLike", "StringEqualsIgnoreCase", "ArnLike",
		"ArnNotLike", "ArnNotEquals", "Bool", "BoolIfExists", "Null", "NumericLessThan", "NumericGreaterThan",
		"IpAddress", "NotIpAddress", "StringNotEqualsIfExists", "ForAnyValue:StringEquals",
		"ForAllValues:StringNotEquals", "DateLessThan", "NumericGreaterThanIfExists", "StringNotEqualsIgnoreCase",
		"ArnNotLikeIfExists",
	}
	genKeys = []string{
		"aws:SourceVpce", "aws:SourceIp", "aws:SecureTransport", "aws:PrincipalArn", "aws:PrincipalAccount",
		"aws:PrincipalOrgID", "aws:MultiFactorAuthAge", "aws:MultiFactorAuthPresent", "aws:PrincipalTag/team",
		"s3:x-amz-acl", "aws:SourceAccount", "aws:userid", "aws:CurrentTime", "aws:ViaAWSService", "aws:username",
		"aws:PrincipalType", "s3:TlsVersion", "aws:RequestedRegion", "aws:TagKeys", "aws:SourceVpc",
	}
	genValues = []string{
		`"vpce-1"`, `"192.0.2.0/24"`, `"0.0.0.0/0"`, `"true"`, `"false"`, `"arn:aws:iam::111122223333:role/Admin"`,
		`"arn:aws:iam::*:role/Adm*"`, `"111122223333"`, `"444455556666"`, `"o-a1b2c3d4e5"`, `"3600"`, `"1.2"`,
		`"public-read"`, `"AROAEXAMPLEID:*"`, `"2030-01-01T00:00:00Z"`, `"bob"`, `"User"`, `"FederatedUser"`,
		`"us-east-1"`, `"team"`, `"vpc-*"`, `"arn:aws:iam::${aws:PrincipalAccount}:role/Admin"`,
	}
	// genPrincipalValues are compared with aws:PrincipalArn and aws:username
	// half the time: every spelling that still names an own principal, and
	// some that name none.
	genPrincipalValues = []string{
		`"*:role/Admin"`, `"*Admin*"`, `"arn:aws:iam::111122223333*Admin"`, `"arn:*:iam::111122223333:role/Admin"`,
		`"arn:aws:*::111122223333:role/Admin"`, `"arn:aws:iam:*:111122223333:role/Admin"`, `"arn:aws:ia?::111122223333:role/Admin"`,
		`"arn:aws:iam::111122223333:*/Admin"`, `"arn:aws:iam::111122223333:ROLE/Admin"`, `"ARN:AWS:IAM::111122223333:role/Admin"`,
		`"arn:aws:iam::111122223333:role/Adm*"`, `"arn:aws:iam::111122223333:role/Adminx"`, `"arn:aws:iam::111122223333:role/Admin?"`,
		`"arn:aws-us-gov:iam::111122223333:*"`, `"arn:aws-us-gov:iam::111122223333:role/Admin"`, `"arn:aws:iam::111122223333:user/*"`,
		`"arn:aws:sts::111122223333:federated-user/carol"`, `"arn:aws:iam::111122223333:role/team/*"`, `"*:user/bob"`,
		`"arn:aws:iam::111122223333:root"`, `"arn:aws:sts::111122223333:assumed-role/Admin/*"`, `"arn:aws:iam::111122223333:role/Admin"`,
		`"arn:aws:iam::444455556666:role/Admin"`, `"arn:aws:iam::111122223333:role/${aws:username}"`, `"Admin"`, `"ADMIN"`, `"b?b"`,
	}
)

// generator turns fuzz bytes into choices.
type generator struct{ data []byte }

func (g *generator) pick(n int) int {
	if len(g.data) == 0 {
		return 0
	}
	b := g.data[0]
	g.data = g.data[1:]
	return int(b) % n
}

func (g *generator) policy() string {
	var stmts []string
	for n := 1 + g.pick(4); n > 0; n-- {
		effect := "Deny"
		if g.pick(8) == 0 {
			effect = "Allow"
		}
		s := `"Effect": "` + effect + `"`
		switch g.pick(6) {
		case 0:
			s += `, "NotPrincipal": ` + genPrincipals[g.pick(len(genPrincipals))]
		case 1:
		default:
			s += `, "Principal": ` + genPrincipals[g.pick(len(genPrincipals))]
		}
		if g.pick(5) == 0 {
			s += `, "NotAction": ` + genActions[g.pick(len(genActions))]
		} else {
			s += `, "Action": ` + genActions[g.pick(len(genActions))]
		}
		switch g.pick(6) {
		case 0:
			s += `, "NotResource": ` + genResources[g.pick(len(genResources))]
		case 1:
		default:
			s += `, "Resource": ` + genResources[g.pick(len(genResources))]
		}
		var conds []string
		for c := g.pick(4); c > 0; c-- {
			key := genKeys[g.pick(len(genKeys))]
			op := genOperators[g.pick(len(genOperators))]
			values := genValues
			if (key == "aws:PrincipalArn" || key == "aws:username") && g.pick(2) == 0 {
				values = genPrincipalValues
			}
			v := values[g.pick(len(values))]
			if g.pick(3) == 0 {
				v = "[" + v + ", " + values[g.pick(len(values))] + "]"
			}
			conds = append(conds, `"`+op+`": {"`+key+`": `+v+`}`)
		}
		if len(conds) > 0 {
			// Operators may repeat: spread them over separate blocks is not
			// JSON, so keep the first of each.
			seen := make(map[string]bool)
			var kept []string
			for _, c := range conds {
				op := c[:strings.Index(c, ":")]
				if !seen[op] {
					seen[op] = true
					kept = append(kept, c)
				}
			}
			s += `, "Condition": {` + strings.Join(kept, ", ") + `}`
		}
		stmts = append(stmts, "{"+s+"}")
	}
	return `{"Version": "2012-10-17", "Statement": [` + strings.Join(stmts, ", ") + `]}`
}

var verdictRank = map[Verdict]int{OK: 0, Conditional: 1, Lockout: 2}

// FuzzAnalyzeGenerated analyses policies built from IAM building blocks. Besides
// checkResult, it checks monotonicity: removing a statement takes a deny
// away and can never make the verdict worse.
func FuzzAnalyzeGenerated(f *testing.F) {
	f.Add([]byte{0}, uint8(0))
	f.Add([]byte{1, 1, 0, 1, 1, 1, 1, 1}, uint8(0))
	f.Add([]byte{2, 1, 2, 0, 5, 2, 1, 1, 1, 2, 0, 6, 2, 0}, uint8(1))
	f.Add([]byte{1, 1, 2, 4, 1, 6, 4, 1, 1, 0, 0, 1, 3, 0, 9, 0}, uint8(2))
	// Deny everyone s3:* on the bucket unless aws:PrincipalArn matches a
	// spelling of an own principal, with each negated operator.
	for _, op := range []string{"StringNotLike", "ArnNotLike", "StringNotEqualsIgnoreCase", "ArnNotLikeIfExists"} {
		for v := range genPrincipalValues {
			f.Add([]byte{0, 1, 2, 0, 1, 1, 2, 1, 1, byte(slices.Index(genKeys, "aws:PrincipalArn")), byte(slices.Index(genOperators, op)), 0, byte(v), 1}, uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, pick uint8) {
		in := fuzzInputs[int(pick)%len(fuzzInputs)]
		g := &generator{data: data}
		policy := g.policy()
		res, err := Analyze([]byte(policy), in)
		if err != nil {
			t.Fatalf("generated policy %s: %v", policy, err)
		}
		checkResult(t, res, in)
		h := fnv.New64a()
		h.Write(data)
		checkSound(t, res, in, h.Sum64())
		doc, _ := parseDocument(res.Original)
		if len(doc.statements) < 2 {
			return
		}
		drop := g.pick(len(doc.statements))
		fewer := doc.without(map[int]bool{drop: true})
		less, err := Analyze(fewer, in)
		if err != nil {
			t.Fatal(err)
		}
		if verdictRank[less.Verdict] > verdictRank[res.Verdict] {
			t.Fatalf("dropping statement %d turns %s into %s\npolicy %s\nsummary %s\nafter %s", drop, res.Verdict, less.Verdict, policy, res.Summary, less.Summary)
		}
	})
}

// samplePrincipals are principals of account 111122223333 the analysis may or
// may not have thought of.
var samplePrincipals = []*principal{
	{kind: roleSession, name: "Admin", arn: "arn:aws:iam::111122223333:role/Admin", session: "s"},
	{kind: roleSession, name: "Admin", arn: "arn:aws:iam::111122223333:role/Admin", session: "other"},
	{kind: roleSession, name: "Adm", arn: "arn:aws:iam::111122223333:role/Adm", session: "s"},
	{kind: roleSession, name: "Other", arn: "arn:aws:iam::111122223333:role/team/Other", session: "s"},
	{kind: iamUser, name: "bob", arn: "arn:aws:iam::111122223333:user/bob"},
	{kind: iamUser, name: "alice", arn: "arn:aws:iam::111122223333:user/alice"},
	{kind: federatedUser, name: "carol", arn: "arn:aws:sts::111122223333:federated-user/carol"},
	{kind: roleSession, name: "Ops", arn: "arn:aws:iam::111122223333:role/Ops", session: "s", uniqueID: "AROAEXAMPLEID"},
	{kind: roleSession, name: "Admin", arn: "arn:aws:iam::111122223333:role/ops/Admin", session: "s"},
	{kind: roleSession, name: "Adminx", arn: "arn:aws:iam::111122223333:role/Adminx", session: "s"},
	{kind: iamUser, name: "Admin", arn: "arn:aws:iam::111122223333:user/Admin"},
	{kind: federatedUser, name: "Admin", arn: "arn:aws:sts::111122223333:federated-user/Admin"},
}

var sampleValues = []string{
	"vpce-1", "vpce-2", "vpc-1", "true", "false", "arn:aws:iam::111122223333:role/Admin", "111122223333",
	"444455556666", "o-a1b2c3d4e5", "o-zzzzzzzzzz", "0", "3600", "3601", "7200", "1.2", "1.3", "public-read",
	"private", "AROAEXAMPLEID:s", "bob", "User", "FederatedUser", "AssumedRole", "us-east-1", "eu-west-1",
	"team", "platform", "x",
}

var sampleIPs = []string{"192.0.2.1", "192.0.2.255", "203.0.113.9", "52.94.1.77", "8.8.8.8", "10.0.0.1", "2001:db8::1"}

// sampleContext draws a request context the way requests really come:
// coupled keys together, fixed keys fixed, the rest anything or nothing.
func sampleContext(rng *rand.Rand, s *statement, t target) map[string]value {
	ctx := make(map[string]value)
	any := func() value {
		if rng.IntN(4) == 0 {
			return absentValue
		}
		return presentValue(sampleValues[rng.IntN(len(sampleValues))])
	}
	vpc := rng.IntN(3) == 0
	tls := rng.IntN(3) != 0
	mfa := rng.IntN(3)
	for _, c := range s.conditions {
		k := c.keyLower
		sp := spec(k, t)
		switch {
		case sp.dim == principalDim:
			continue
		case k == "aws:sourceip":
			if vpc {
				ctx[k] = absentValue
			} else {
				ctx[k] = presentValue(sampleIPs[rng.IntN(len(sampleIPs))])
			}
		case sp.dim == networkDim:
			if vpc {
				ctx[k] = any()
			} else {
				ctx[k] = absentValue
			}
		case k == "aws:securetransport":
			ctx[k] = presentValue(strconv.FormatBool(tls))
		case k == "s3:tlsversion" && sp.dim == transportDim:
			if tls {
				ctx[k] = presentValue([]string{"1.2", "1.3"}[rng.IntN(2)])
			} else {
				ctx[k] = absentValue
			}
		case k == "aws:multifactorauthpresent":
			ctx[k] = []value{absentValue, presentValue("false"), presentValue("true")}[mfa]
		case k == "aws:multifactorauthage":
			if mfa == 2 {
				ctx[k] = presentValue([]string{"0", "5", "3599", "3600", "86400"}[rng.IntN(5)])
			} else {
				ctx[k] = absentValue
			}
		case sp.kind == kindFixed:
			ctx[k] = sp.fixed
		case sp.kind == kindEnum:
			ctx[k] = presentValue(sp.enum[rng.IntN(len(sp.enum))].v)
		case sp.kind == kindNumeric || sp.kind == kindPresent:
			ctx[k] = presentValue(sampleValues[rng.IntN(len(sampleValues))])
		default:
			ctx[k] = any()
		}
	}
	return ctx
}

// applies evaluates a statement for one principal and context directly,
// without the analysis's candidate worlds.
func applies(s *statement, variables bool, action string, p *principal, ctx map[string]value, t target) tri {
	if !s.deny || !coversAction(s, action) {
		return no
	}
	r, _ := s.coversResource(t, variables)
	switch {
	case s.principal == nil:
		r = and(r, unknown)
	case s.notPrincipal:
		r = and(r, not(s.principal.covers(p, t.account)))
	default:
		r = and(r, s.principal.covers(p, t.account))
	}
	for i := range s.conditions {
		c := &s.conditions[i]
		v, ok := ctx[c.keyLower]
		if spec(c.keyLower, t).dim == principalDim {
			v, ok = principalValue(c.keyLower, p, t), true
		}
		if !ok {
			v = absentValue
		}
		r = and(r, c.eval(v))
	}
	return r
}

// inPartition is p in the given partition.
func inPartition(p *principal, partition string) *principal {
	c := *p
	c.arn = strings.Replace(c.arn, "arn:aws:", "arn:"+partition+":", 1)
	return &c
}

// checkSound cross-checks the analysis with direct evaluation: a statement
// classified lockout applies in every sampled request, and an ok verdict's
// witness escapes every statement.
func checkSound(t *testing.T, res Result, in Input, seed uint64) {
	t.Helper()
	tg, err := in.validate()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := parseDocument(res.Original)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, off := range res.Statements {
		if off.Verdict != Lockout {
			continue
		}
		s := doc.statements[off.Index]
		for _, action := range tg.actions {
			if !slices.Contains(off.Actions, action) {
				continue
			}
			for range 64 {
				p := inPartition(samplePrincipals[rng.IntN(len(samplePrincipals))], tg.partition)
				ctx := sampleContext(rng, s, tg)
				if applies(s, doc.variables, action, p, ctx, tg) == no {
					t.Fatalf("statement %d, classified lockout for %s, does not apply to %s with %v\npolicy %s", off.Index, action, p, ctx, res.Original)
				}
			}
		}
	}
	if res.Verdict != OK {
		return
	}
	all := make([]int, len(doc.statements))
	for i := range all {
		all[i] = i
	}
	for _, ae := range evaluate(doc, all, tg).actions {
		if !ae.open {
			continue
		}
		p := ae.dims[0].cands[ae.witness[0]].p
		ctx := make(map[string]value)
		for d := 1; d < len(ae.dims); d++ {
			c := ae.dims[d].cands[ae.witness[d]]
			if c.class != ordinary {
				t.Fatalf("witness uses a %d-class choice %s", c.class, c.desc)
			}
			for k, v := range c.vals {
				ctx[k] = v
			}
		}
		if p.class != ordinary {
			t.Fatalf("witness principal %s is not ordinary", p)
		}
		for _, s := range doc.statements {
			if r := applies(s, doc.variables, ae.action, p, ctx, tg); r != no {
				t.Fatalf("ok, but statement %d applies (%v) to the witness %s with %v\npolicy %s", s.index, r, p, ctx, res.Original)
			}
		}
		return
	}
	t.Fatalf("ok without an open action: %s", res.Original)
}
