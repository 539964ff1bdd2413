package lockout

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// principalElem is a Principal or NotPrincipal element.
type principalElem struct {
	wildcard  bool // "*" or {"AWS": "*"}
	aws       []string
	refs      []principalRef // aws, parsed
	canonical []string
	raw       []byte
}

func parsePrincipal(n *node) (*principalElem, error) {
	p := &principalElem{raw: compact(n.raw)}
	switch n.kind {
	case stringNode:
		// Only "*" is documented; a bare ARN or account id is read as an AWS
		// principal, as published policies sometimes write it.
		switch n.str {
		case "*":
			p.wildcard = true
		case "":
			return nil, errors.New("empty principal")
		default:
			p.aws = []string{n.str}
			p.refs = []principalRef{parsePrincipalRef(n.str)}
		}
		return p, nil
	case objectNode:
	default:
		return nil, fmt.Errorf("is %s, not \"*\" or an object", n.kind)
	}
	if len(n.members) == 0 {
		return nil, errors.New("names no principal")
	}
	for _, m := range n.members {
		list, err := stringList(m.value)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", m.name, err)
		}
		for _, v := range list {
			if v == "" {
				return nil, fmt.Errorf("%s: empty principal", m.name)
			}
		}
		switch m.name {
		case "AWS":
			for _, v := range list {
				if v == "*" {
					p.wildcard = true
				}
			}
			p.aws = list
		case "Service", "Federated":
			// Services and identity providers are not principals of the account.
		case "CanonicalUser":
			p.canonical = list
		default:
			return nil, fmt.Errorf("unknown principal type %q", m.name)
		}
	}
	for _, v := range p.aws {
		p.refs = append(p.refs, parsePrincipalRef(v))
	}
	return p, nil
}

// principal is a candidate principal of the owning account, other than its
// root user.
type principal struct {
	kind    principalKind
	name    string // role, user or federated user name
	arn     string // its aws:PrincipalArn: the role ARN for a role session
	session string // role session name
	// uniqueID is set on a copy of a candidate that stands for a principal
	// the policy names only by an identifier the analysis cannot place
	// (AROA..., AIDA...): the same principal, if that identifier is its own.
	uniqueID string
	// unplaced is set on a principal of the account whose name and ARN the
	// analysis does not know: one a negated comparison with this value may
	// spare, although the analysis could not construct it.
	unplaced string
	named    bool // taken from the policy, not invented
	class    class
}

type principalKind int

// freshSession names the session of a role the analysis invents or of a
// role the policy names without a session.
const freshSession = "rootguard-session"

const (
	roleSession principalKind = iota
	iamUser
	federatedUser
)

func (p *principal) String() string {
	if p.unplaced != "" {
		return "a " + [...]string{"role", "user", "federated user"}[p.kind] + " of the account that " + p.unplaced + " may match"
	}
	s := p.arn
	if p.kind == roleSession && p.session != freshSession {
		s += " (session " + p.session + ")"
	}
	if p.uniqueID != "" {
		s += " if its unique id is " + p.uniqueID
	}
	return s
}

// principalRef is a parsed AWS principal value.
type principalRef struct {
	kind    refKind
	account string
	name    string // role, user or federated user name; role name of a session
	session string
	path    string // resource part of the ARN, e.g. role/ops/Admin
	arn     string
}

type refKind int

const (
	refOpaque    refKind = iota // unique id, malformed, or a placeholder
	refAccount                  // 12-digit id or arn:...:iam::ACCOUNT:root
	refRole                     // arn:...:iam::ACCOUNT:role/PATH/NAME
	refUser                     // arn:...:iam::ACCOUNT:user/PATH/NAME
	refSession                  // arn:...:sts::ACCOUNT:assumed-role/ROLE/SESSION
	refFederated                // arn:...:sts::ACCOUNT:federated-user/NAME
	refOther                    // an ARN of another kind or of a non-account owner (cloudfront)
	refWildcard                 // holds * or ?: IAM does not allow it, meaning unclear
)

func parsePrincipalRef(v string) principalRef {
	if v != "*" && strings.ContainsAny(v, "*?") {
		return principalRef{kind: refWildcard}
	}
	if accountRE.MatchString(v) {
		return principalRef{kind: refAccount, account: v}
	}
	p := strings.SplitN(v, ":", 6)
	if len(p) != 6 || p[0] != "arn" || !partitionRE.MatchString(p[1]) || p[3] != "" {
		return principalRef{kind: refOpaque}
	}
	r := principalRef{kind: refOther, account: p[4], path: p[5], arn: v}
	seg := strings.Split(p[5], "/")
	switch {
	case p[2] == "iam" && p[5] == "root":
		r.kind = refAccount
	case p[2] == "iam" && len(seg) >= 2 && (seg[0] == "role" || seg[0] == "user"):
		r.name = seg[len(seg)-1]
		if seg[0] == "role" {
			r.kind = refRole
		} else {
			r.kind = refUser
		}
	case p[2] == "sts" && len(seg) == 3 && seg[0] == "assumed-role":
		r.kind, r.name, r.session = refSession, seg[1], seg[2]
	case p[2] == "sts" && len(seg) == 2 && seg[0] == "federated-user":
		r.kind, r.name = refFederated, seg[1]
	}
	if r.name == "" && r.kind != refAccount && r.kind != refOther {
		r.kind = refOther
	}
	return r
}

// covers tells whether the element (as Principal, before any NotPrincipal
// negation) names candidate p of account.
func (e *principalElem) covers(p *principal, account string) tri {
	if e.wildcard {
		return yes
	}
	r := no
	for i, ref := range e.refs {
		r = or(r, refCovers(ref, e.aws[i], p, account))
	}
	if len(e.canonical) > 0 {
		// A canonical user id may be the owning account's own.
		r = or(r, unknown)
	}
	return r
}

func refCovers(ref principalRef, raw string, p *principal, account string) tri {
	switch ref.kind {
	case refWildcard:
		return unknown
	case refOpaque:
		return triOf(p.uniqueID != "" && p.uniqueID == raw)
	}
	if ref.account != account {
		return no
	}
	if p.unplaced != "" && ref.kind != refAccount {
		// A principal of unknown name may be the one named.
		same := (ref.kind == refRole || ref.kind == refSession) && p.kind == roleSession ||
			ref.kind == refUser && p.kind == iamUser || ref.kind == refFederated && p.kind == federatedUser
		return and(unknown, triOf(same))
	}
	switch ref.kind {
	case refAccount:
		return yes
	case refRole:
		return triOf(p.kind == roleSession && strings.EqualFold(p.name, ref.name))
	case refUser:
		return triOf(p.kind == iamUser && strings.EqualFold(p.name, ref.name))
	case refSession:
		return triOf(p.kind == roleSession && strings.EqualFold(p.name, ref.name) && p.session == ref.session)
	case refFederated:
		return triOf(p.kind == federatedUser && p.name == ref.name)
	}
	return no
}

// describe says whom a Deny statement's principal element reaches among the
// account's principals, for reasons.
func (e *principalElem) describe(not bool, account string) string {
	if e == nil {
		return "every principal (no Principal element)"
	}
	el := "Principal"
	if not {
		el = "NotPrincipal"
	}
	if not {
		return fmt.Sprintf("every principal except those in %s %s", el, brief(e.raw))
	}
	if e.wildcard {
		return fmt.Sprintf("every principal (%s)", brief(e.raw))
	}
	for _, r := range e.refs {
		if r.kind == refAccount && r.account == account {
			return fmt.Sprintf("every principal of account %s (%s %s)", account, el, brief(e.raw))
		}
	}
	return fmt.Sprintf("the principals in %s %s", el, brief(e.raw))
}

// brief shortens a policy element quoted in a reason.
func brief(raw []byte) string {
	const limit = 200
	if len(raw) <= limit {
		return string(raw)
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(raw[cut]) {
		cut--
	}
	return string(raw[:cut]) + "…"
}

// shape is a form of aws:PrincipalArn of the account's principals other than
// its root user: a role (also for its sessions), a user, a federated user.
type shape struct {
	kind    principalKind
	service string // iam or sts
	res     string // how the resource part starts
}

var shapes = []shape{{roleSession, "iam", "role/"}, {iamUser, "iam", "user/"}, {federatedUser, "sts", "federated-user/"}}

// maxPlaced bounds the principals made from one condition value: each is
// a choice along the principal dimension, which multiplies the worlds.
const maxPlaced = 4

// place makes principals of the account that condition value i of clause c,
// on aws:PrincipalArn or aws:username, may match, whatever its spelling: it
// tries the pattern on each shape of principal ARN of the account and fills
// in a name, checking each principal with the clause's own matcher. none
// reports that the value provably matches no principal of the account: no
// principal ARN of the account's partition and id starts the way it
// requires (it is about another account, its root user, a session ARN...).
// No principals and not none means the analysis could not construct one.
func place(c *clause, i int, t target) (ps []*principal, none bool) {
	if c.base == nil || c.base.null || !strings.ContainsRune("sila", rune(c.base.kind)) {
		return nil, true // compared as a number, date, address...: never decided
	}
	want, pat := c.values[i], c.pats[i]
	fold := c.base.kind == 'i'
	none = true
	perShape := make([][]*principal, len(shapes))
	for si, sh := range shapes {
		if c.keyLower == "aws:username" && sh.kind != iamUser {
			continue
		}
		prefix := "arn:" + t.partition + ":" + sh.service + "::" + t.account + ":" + sh.res
		valid := validName(sh.kind)
		var ws []string
		var shapeNone bool
		switch {
		case c.keyLower == "aws:username":
			ws, shapeNone = completions(pat, "", fold, valid)
		case c.base.kind == 'a':
			// ArnLike and ArnEquals match component by component.
			parts := splitARN(want, pat.variables)
			if len(parts) != 6 {
				return nil, true // never matches: the clause is undecided
			}
			fixed := []string{"arn", t.partition, sh.service, "", t.account}
			shapeNone = false
			for j, f := range fixed {
				if compilePattern(parts[j], pat.variables, true).match(f, false) == no {
					shapeNone = true
				}
			}
			if !shapeNone {
				ws, shapeNone = completions(compilePattern(parts[5], pat.variables, true), sh.res, false, valid)
			}
		default:
			ws, shapeNone = completions(pat, prefix, fold, valid)
		}
		none = none && shapeNone
		for _, w := range ws {
			segs := strings.Split(w, "/")
			p := &principal{kind: sh.kind, name: segs[len(segs)-1], arn: prefix + w, named: true}
			if sh.kind == roleSession {
				p.session = freshSession
			}
			v := p.arn
			if c.keyLower == "aws:username" {
				v = w
			}
			if c.base.match(v, want, pat) != no {
				perShape[si] = append(perShape[si], p)
			}
		}
	}
	// The simplest principal of each shape first.
	for k := 0; len(ps) < maxPlaced; k++ {
		more := false
		for _, l := range perShape {
			if k < len(l) && len(ps) < maxPlaced {
				ps = append(ps, l[k])
				more = true
			}
		}
		if !more {
			break
		}
	}
	return ps, none
}

// validName returns what tells whether a string can follow a principal
// ARN's shape: a path (printable characters) and a name of IAM's characters,
// or a federated user's name alone.
func validName(k principalKind) func(string) bool {
	nameOK := func(s string, min, max int) bool {
		if len(s) < min || len(s) > max {
			return false
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("+=,.@_-", r)) {
				return false
			}
		}
		return true
	}
	if k == federatedUser {
		return func(s string) bool { return nameOK(s, 2, 32) }
	}
	return func(s string) bool {
		segs := strings.Split(s, "/")
		for _, seg := range segs[:len(segs)-1] {
			if seg == "" || strings.IndexFunc(seg, func(r rune) bool { return r < 0x21 || r > 0x7e }) >= 0 {
				return false
			}
		}
		return len(s) <= 512 && nameOK(segs[len(segs)-1], 1, 64)
	}
}

// fills are what completions puts for a * or a variable: nothing, a
// character, and a word longer than a run of ? would take.
var fills = []string{"", "x", "rootguard"}

// completions finds strings w that valid accepts and that make prefix+w
// match p: for each point of p that the prefix can end at, the rest of p with
// its wildcards filled in a few ways, shortest first. impossible reports that
// p cannot match anything that starts with prefix. A rest of p that valid
// refuses, even a literal one, is not taken as proof: the analysis's idea of
// valid names may be narrower than IAM's.
func completions(p pattern, prefix string, fold bool, valid func(string) bool) (ws []string, impossible bool) {
	n := len(p.toks)
	states := make([]bool, n+1)
	states[0] = true
	closure := func(st []bool) {
		for i := 0; i < n; i++ {
			if st[i] && (p.toks[i].kind == '*' || p.toks[i].kind == 'v') {
				st[i+1] = true
			}
		}
	}
	closure(states)
	for _, r := range prefix {
		next := make([]bool, n+1)
		for i := 0; i < n; i++ {
			if !states[i] {
				continue
			}
			switch tk := p.toks[i]; tk.kind {
			case '*', 'v':
				next[i] = true
			case '?':
				next[i+1] = true
			default:
				if tk.r == r || fold && equalFold(tk.r, r) {
					next[i+1] = true
				}
			}
		}
		closure(next)
		states = next
	}
	impossible = true
	seen := make(map[string]bool)
	for i, on := range states {
		if !on {
			continue
		}
		impossible = false
		literal := true
		for _, tk := range p.toks[i:] {
			literal = literal && tk.kind == 'l'
		}
		for _, fill := range fills {
			var b strings.Builder
			for _, tk := range p.toks[i:] {
				switch tk.kind {
				case 'l':
					b.WriteRune(tk.r)
				case '?':
					b.WriteByte('x')
				default:
					b.WriteString(fill)
				}
			}
			if w := b.String(); !seen[w] && valid(w) {
				seen[w] = true
				ws = append(ws, w)
			}
			if literal {
				break
			}
		}
	}
	slices.SortStableFunc(ws, func(a, b string) int { return len(a) - len(b) })
	return ws, impossible
}
