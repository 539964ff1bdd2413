package lockout

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Statement classes for one action, judged alone.
const (
	never     = 'f' // applies in no world
	total     = 't' // applies in every world
	escapable = 'e' // some ordinary world escapes it
	network   = 'n' // only network-specific worlds escape it
	undecided = 'u' // only uncertain worlds escape it, or it cannot be told
)

// Budgets bound the work on hostile input; past them the answer is the
// cautious one (undecided, not open).
const (
	maxStatementWorlds = 1 << 15
	maxSearchNodes     = 1 << 18
)

// evaluation holds the analysis of some of a document's statements.
type evaluation struct {
	actions []*actionEval
}

// actionEval is the analysis of one policy-changing action.
type actionEval struct {
	action  string
	t       target
	dims    []*dim
	dimOf   map[string]int
	stmts   []*stmtEval // Deny statements whose Action and Resource may cover it
	open    bool
	witness []int
}

type stmtEval struct {
	s       *statement
	static  tri   // Resource
	cover   []tri // applies to each principal candidate, before conditions
	clauses []clauseAt
	dims    []int // dimensions it looks at, in order, principal first
	class   byte
	notes   []string // what the analysis could not decide about it
}

type clauseAt struct {
	c   *clause
	dim int
}

func evaluate(doc *document, idx []int, t target) *evaluation {
	e := &evaluation{}
	for _, a := range t.actions {
		e.actions = append(e.actions, evaluateAction(doc, idx, t, a))
	}
	return e
}

func evaluateAction(doc *document, idx []int, t target, action string) *actionEval {
	ae := &actionEval{action: action, t: t, dimOf: make(map[string]int)}
	for _, i := range idx {
		s := doc.statements[i]
		if !s.deny || !coversAction(s, action) {
			continue
		}
		static, note := s.coversResource(t, doc.variables)
		if static == no {
			continue
		}
		se := &stmtEval{s: s, static: static}
		if note != "" {
			se.notes = append(se.notes, note)
		}
		ae.stmts = append(ae.stmts, se)
	}

	// Dimensions and the values worth trying along each.
	m := make(mentions)
	keysOf := make(map[string][]string)
	ae.dimOf[principalDim] = 0
	order := []string{principalDim}
	for _, se := range ae.stmts {
		for ci := range se.s.conditions {
			c := &se.s.conditions[ci]
			m[c.keyLower] = append(m[c.keyLower], c)
			d := spec(c.keyLower, t).dim
			if _, ok := ae.dimOf[d]; !ok {
				ae.dimOf[d] = len(order)
				order = append(order, d)
			}
			if !slices.Contains(keysOf[d], c.keyLower) {
				keysOf[d] = append(keysOf[d], c.keyLower)
			}
		}
	}
	principals, unplaced := candidatePrincipals(ae.stmts, m, t)
	for _, id := range order {
		ae.dims = append(ae.dims, buildDim(id, keysOf[id], m, t, principals))
	}

	for _, se := range ae.stmts {
		se.cover = make([]tri, len(principals))
		for pi, p := range principals {
			switch {
			case se.s.principal == nil:
				se.cover[pi] = unknown
			case se.s.notPrincipal:
				se.cover[pi] = not(se.s.principal.covers(p, t.account))
			default:
				se.cover[pi] = se.s.principal.covers(p, t.account)
			}
		}
		se.notes = append(se.notes, principalNotes(se.s, t)...)
		used := map[int]bool{0: true}
		for ci := range se.s.conditions {
			c := &se.s.conditions[ci]
			d := ae.dimOf[spec(c.keyLower, t).dim]
			se.clauses = append(se.clauses, clauseAt{c, d})
			used[d] = true
			if c.base == nil {
				se.notes = append(se.notes, "the condition operator "+c.op+" is unknown")
			}
			for _, v := range unplaced[c] {
				se.notes = append(se.notes, fmt.Sprintf("%s %q may match principals of the account the analysis cannot construct", c.key, v))
			}
		}
		for d := range used {
			se.dims = append(se.dims, d)
		}
		sort.Ints(se.dims)
		ae.classify(se)
	}
	ae.open, ae.witness = ae.search()
	return ae
}

func coversAction(s *statement, action string) bool {
	hit := false
	for _, a := range s.actions {
		if actionMatch(a, action) {
			hit = true
			break
		}
	}
	return hit != s.notAction
}

// coversResource tells whether the statement's Resource covers the target.
func (s *statement) coversResource(t target, variables bool) (tri, string) {
	if s.resources == nil {
		return unknown, "it has no Resource element"
	}
	r := no
	for _, pat := range s.resources {
		r = or(r, resourceMatch(pat, t.arn(), variables))
	}
	if s.notResource {
		r = not(r)
	}
	if r == unknown {
		return r, "its resource pattern may or may not cover " + t.arn()
	}
	return r, ""
}

// arn is the target's ARN.
func (t target) arn() string {
	if t.service == SQS {
		return t.queueARN
	}
	return "arn:" + t.partition + ":s3:::" + t.bucket
}

// resourceName names the target for people.
func (t target) resourceName() string {
	if t.service == SQS {
		return "queue " + t.queueARN
	}
	return "bucket " + t.bucket
}

func principalNotes(s *statement, t target) []string {
	e := s.principal
	if e == nil {
		return []string{"it has no Principal element"}
	}
	if e.wildcard {
		return nil
	}
	var notes []string
	for i, r := range e.refs {
		v := e.aws[i]
		switch r.kind {
		case refWildcard:
			notes = append(notes, "the principal "+v+" holds a wildcard")
		case refOpaque:
			if s.notPrincipal {
				notes = append(notes, "the principal "+v+" may be one of the account's")
			}
		}
	}
	for _, v := range e.canonical {
		notes = append(notes, "the canonical user "+v+" may be the account's")
	}
	return notes
}

// candidatePrincipals are the account's principals worth trying: a new role,
// user and federated user, and every role, user or session of the account that
// the statements name or compare aws:PrincipalArn or aws:username with. A
// principal named only by an identifier the analysis cannot place may be any
// of them: each gets an uncertain copy carrying that identifier. When a
// negated comparison may spare a principal the analysis cannot construct,
// uncertain principals of unknown name stand for it; the values of such
// comparisons are returned by clause, for reasons.
func candidatePrincipals(stmts []*stmtEval, m mentions, t target) ([]*principal, map[*clause][]string) {
	var out []*principal
	seen := make(map[string]bool)
	add := func(p *principal) {
		k := strings.ToLower(p.arn) + "|" + p.session + "|" + p.uniqueID + "|" + p.unplaced + "|" + string(rune('0'+p.kind))
		if !seen[k] {
			seen[k] = true
			out = append(out, p)
		}
	}
	prefix := "arn:" + t.partition + ":iam::" + t.account + ":"
	add(&principal{kind: roleSession, name: "rootguard-new-role", arn: prefix + "role/rootguard-new-role", session: freshSession})
	add(&principal{kind: iamUser, name: "rootguard-new-user", arn: prefix + "user/rootguard-new-user"})
	add(&principal{kind: federatedUser, name: "rootguard-new-federated-user",
		arn: "arn:" + t.partition + ":sts::" + t.account + ":federated-user/rootguard-new-federated-user"})
	fromRef := func(r principalRef) {
		if r.account != t.account {
			return
		}
		switch r.kind {
		case refRole:
			add(&principal{kind: roleSession, name: r.name, arn: r.arn, session: freshSession, named: true})
		case refSession:
			// A session's aws:PrincipalArn is its role's ARN (path unknown).
			partition := strings.SplitN(r.arn, ":", 3)[1]
			arn := "arn:" + partition + ":iam::" + r.account + ":role/" + r.name
			add(&principal{kind: roleSession, name: r.name, arn: arn, session: r.session, named: true})
		case refUser:
			add(&principal{kind: iamUser, name: r.name, arn: r.arn, named: true})
		case refFederated:
			add(&principal{kind: federatedUser, name: r.name, arn: r.arn, named: true})
		}
	}
	var ids []string
	for _, se := range stmts {
		e := se.s.principal
		if e == nil {
			continue
		}
		for i, r := range e.refs {
			v := e.aws[i]
			if r.kind == refOpaque && v != "*" && !slices.Contains(ids, v) {
				ids = append(ids, v)
			}
			fromRef(r)
		}
	}
	unplaced := make(map[*clause][]string)
	var first string
	for _, key := range []string{"aws:principalarn", "aws:username"} {
		for _, c := range m[key] {
			for i, v := range c.values {
				ps, none := place(c, i, t)
				for _, p := range ps {
					add(p)
				}
				if len(ps) == 0 && !none && c.base.negated {
					unplaced[c] = append(unplaced[c], v)
					first = cmp.Or(first, v)
				}
			}
		}
	}
	base := out
	for _, id := range ids {
		for _, p := range base {
			c := *p
			c.uniqueID, c.named, c.class = id, true, uncertain
			add(&c)
		}
	}
	if first != "" {
		// A negated comparison may spare principals the analysis cannot
		// construct: never call the statement a lockout for want of
		// imagination.
		for _, k := range []principalKind{roleSession, iamUser, federatedUser} {
			add(&principal{kind: k, unplaced: first, session: freshSession, named: true, class: uncertain})
		}
	}
	return out, unplaced
}

// lookup is a key's value in world w.
func (ae *actionEval) lookup(key string, d int, w []int) value {
	c := &ae.dims[d].cands[w[d]]
	if d == 0 {
		return principalValue(key, c.p, ae.t)
	}
	if v, ok := c.vals[key]; ok {
		return v
	}
	return absentValue
}

func (ae *actionEval) eval(se *stmtEval, w []int) tri {
	r := and(se.static, se.cover[w[0]])
	for _, ca := range se.clauses {
		if r == no {
			return no
		}
		r = and(r, ca.c.eval(ae.lookup(ca.c.keyLower, ca.dim, w)))
	}
	return r
}

func (ae *actionEval) worldClass(w []int, dims []int) class {
	c := ordinary
	for _, d := range dims {
		c = max(c, ae.dims[d].cands[w[d]].class)
	}
	return c
}

// classify judges a statement alone over every world of the dimensions it
// looks at.
func (ae *actionEval) classify(se *stmtEval) {
	n := 1
	for _, d := range se.dims {
		n *= len(ae.dims[d].cands)
		if n > maxStatementWorlds {
			se.class = undecided
			se.notes = append(se.notes, "its conditions combine too many values to decide")
			return
		}
		if ae.dims[d].overflow {
			se.notes = append(se.notes, "its network conditions combine too many values to decide")
		}
	}
	w := make([]int, len(ae.dims))
	allYes, anyYes := true, false
	escape := class(-1)
	for {
		switch ae.eval(se, w) {
		case yes:
			anyYes = true
		case no:
			allYes = false
			if c := ae.worldClass(w, se.dims); escape < 0 || c < escape {
				escape = c
			}
		default:
			allYes = false
			anyYes = true
		}
		if !next(w, se.dims, ae.dims) {
			break
		}
	}
	switch {
	case !anyYes:
		se.class = never
	case allYes:
		se.class = total
	case escape == ordinary:
		se.class = escapable
	case escape == networkSpecific:
		se.class = network
	default:
		se.class = undecided
	}
}

// next advances w over the given dimensions, odometer style.
func next(w []int, over []int, dims []*dim) bool {
	for _, d := range over {
		w[d]++
		if w[d] < len(dims[d].cands) {
			return true
		}
		w[d] = 0
	}
	return false
}

// search looks for an ordinary world that no statement applies in: a
// principal of the account and a request that can change the policy.
func (ae *actionEval) search() (bool, []int) {
	var live []*stmtEval
	used := map[int]bool{0: true}
	for _, se := range ae.stmts {
		if se.class == never {
			continue
		}
		if se.class != escapable {
			return false, nil
		}
		live = append(live, se)
		for _, d := range se.dims {
			used[d] = true
		}
	}
	var order []int
	for d := range used {
		order = append(order, d)
	}
	sort.Ints(order)
	// A statement is checked as soon as its last dimension is chosen.
	readyAt := make([][]*stmtEval, len(order))
	pos := make(map[int]int)
	for i, d := range order {
		pos[d] = i
	}
	for _, se := range live {
		last := 0
		for _, d := range se.dims {
			last = max(last, pos[d])
		}
		readyAt[last] = append(readyAt[last], se)
	}
	w := make([]int, len(ae.dims))
	budget := maxSearchNodes
	var try func(level int) bool
	try = func(level int) bool {
		if level == len(order) {
			return true
		}
		d := order[level]
		for ci := range ae.dims[d].cands {
			if budget--; budget < 0 {
				return false
			}
			if ae.dims[d].cands[ci].class != ordinary {
				continue
			}
			w[d] = ci
			ok := true
			for _, se := range readyAt[level] {
				if ae.eval(se, w) != no {
					ok = false
					break
				}
			}
			if ok && try(level+1) {
				return true
			}
		}
		w[d] = 0
		return false
	}
	if try(0) {
		return true, w
	}
	return false, nil
}

func (e *evaluation) verdict() Verdict {
	locked := true
	for _, ae := range e.actions {
		if ae.open {
			return OK
		}
		if !ae.locked() {
			locked = false
		}
	}
	if locked {
		return Lockout
	}
	return Conditional
}

func (ae *actionEval) locked() bool {
	for _, se := range ae.stmts {
		if se.class == total {
			return true
		}
	}
	return false
}
