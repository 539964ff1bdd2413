package lockout

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// joint marks a statement that is escapable alone but, with the others of
// its round, leaves no ordinary request.
const joint = 'j'

// offence is why a statement is offending, per action.
type offence struct {
	verdict Verdict
	kinds   map[string]byte // action -> total, network, undecided or joint
	evals   map[string]*stmtEval
	with    []int // joint: the statements it closes the account out with
}

func (o *offence) add(action string, se *stmtEval, kind byte) {
	o.kinds[action] = kind
	o.evals[action] = se
	if kind == total {
		o.verdict = Lockout
	}
}

func newOffence() *offence {
	return &offence{verdict: Conditional, kinds: make(map[string]byte), evals: make(map[string]*stmtEval)}
}

// collectOffences records the statements that no ordinary request escapes.
func (e *evaluation) collectOffences(m map[int]*offence) {
	for _, ae := range e.actions {
		for _, se := range ae.stmts {
			if se.class == total || se.class == network || se.class == undecided {
				o := m[se.s.index]
				if o == nil {
					o = newOffence()
					m[se.s.index] = o
				}
				o.add(ae.action, se, se.class)
			}
		}
	}
}

// collectJoint records, for every action still closed, every statement that
// applies in some world: together they leave no ordinary request. It reports
// whether it found any.
func (e *evaluation) collectJoint(m map[int]*offence) bool {
	found := false
	for _, ae := range e.actions {
		if ae.open {
			continue
		}
		var round []int
		for _, se := range ae.stmts {
			if se.class != never {
				round = append(round, se.s.index)
			}
		}
		for _, se := range ae.stmts {
			if se.class == never {
				continue
			}
			o := m[se.s.index]
			if o == nil {
				o = newOffence()
				m[se.s.index] = o
			}
			kind := se.class
			if kind == escapable {
				kind = joint
				for _, i := range round {
					if i != se.s.index && !slices.Contains(o.with, i) {
						o.with = append(o.with, i)
					}
				}
			}
			o.add(ae.action, se, kind)
			found = true
		}
	}
	return found
}

func (o *offence) actionNames(t target) []string {
	var out []string
	for _, a := range t.actions {
		if _, ok := o.kinds[a]; ok {
			out = append(out, a)
		}
	}
	return out
}

// reason says in words why statement s is offending.
func (o *offence) reason(s *statement, t target) string {
	var parts []string
	done := make(map[string]bool)
	for _, a := range t.actions {
		kind, ok := o.kinds[a]
		if !ok || done[a] {
			continue
		}
		var acts []string
		for _, b := range t.actions {
			if k, ok := o.kinds[b]; ok && k == kind && !done[b] {
				acts = append(acts, b)
				done[b] = true
			}
		}
		parts = append(parts, o.phrase(s, t, acts, kind, o.evals[a]))
	}
	return strings.Join(parts, "; ")
}

func (o *offence) phrase(s *statement, t target, acts []string, kind byte, se *stmtEval) string {
	el := "Action"
	if s.notAction {
		el = "NotAction"
	}
	who := s.principal.describe(s.notPrincipal, t.account)
	if kind == total && s.notPrincipal {
		who = fmt.Sprintf("every principal of account %s (NotPrincipal %s spares none of them)", t.account, brief(s.principal.raw))
	}
	head := fmt.Sprintf("denies %s (%s %s) to %s", andList(acts), el, brief(s.actionRaw), who)
	switch kind {
	case total:
		if len(s.conditions) == 0 {
			return head + " with no condition"
		}
		return head + " whatever the request: its conditions on " + keyList(s, t, nil) +
			" hold for every request by the account's principals"
	case network:
		return head + " except from particular network locations (" +
			keyList(s, t, func(k keySpec) bool { return k.cat == catNetwork }) + ")"
	case joint:
		return head + fmt.Sprintf(" under conditions an ordinary request can escape, but together with %s it leaves no ordinary request",
			statementList(slices.Sorted(slices.Values(o.with))))
	}
	undecided := undecidedKeys(s, t)
	if req := keyList(s, t, func(k keySpec) bool { return k.kind == kindRequest }); req != "" && req == undecided && len(se.notes) == 0 {
		// Only a request carrying a key the policy-changing actions never
		// set escapes: most likely a lockout, which the analysis cannot
		// prove.
		return head + " in every request that changes the policy, so it likely locks them out: it spares only requests carrying " +
			req + ", which those requests do not carry"
	}
	var why []string
	if k := undecided; k != "" {
		why = append(why, "conditions on "+k)
	}
	why = append(why, se.notes...)
	if len(why) == 0 {
		why = append(why, "its conditions")
	}
	return head + " unless what the analysis cannot decide spares them (" + strings.Join(why, "; ") + ")"
}

// keyList names, as written, the condition keys of s whose spec passes keep.
func keyList(s *statement, t target, keep func(keySpec) bool) string {
	var out []string
	seen := make(map[string]bool)
	for _, c := range s.conditions {
		if keep != nil && !keep(spec(c.keyLower, t)) {
			continue
		}
		if !seen[c.keyLower] {
			seen[c.keyLower] = true
			out = append(out, c.key)
		}
	}
	return strings.Join(out, ", ")
}

// undecidedKeys names, as written, the condition keys of s whose value in a
// request by the account's principals the analysis cannot tell, or can only
// guess at.
func undecidedKeys(s *statement, t target) string {
	probe := &principal{kind: roleSession}
	var out []string
	seen := make(map[string]bool)
	for _, c := range s.conditions {
		sp := spec(c.keyLower, t)
		undecided := sp.kind == kindRequest || sp.kind == kindEnum ||
			sp.kind == kindFixed && sp.fixed.state == indeterminate ||
			sp.dim == principalDim && principalValue(c.keyLower, probe, t).state >= indeterminate
		if undecided && !seen[c.keyLower] {
			seen[c.keyLower] = true
			out = append(out, c.key)
		}
	}
	return strings.Join(out, ", ")
}

func andList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func statementList(idx []int) string {
	s := make([]string, len(idx))
	for i, v := range idx {
		s[i] = strconv.Itoa(v)
	}
	if len(s) == 1 {
		return "statement " + s[0]
	}
	return "statements " + andList(s)
}

// summary explains a lockout or conditional verdict in one sentence.
func summary(v Verdict, offences map[int]*offence, idx []int, t target) string {
	if v == Lockout {
		var locking []int
		for _, i := range idx {
			if offences[i].verdict == Lockout {
				locking = append(locking, i)
			}
		}
		return fmt.Sprintf("every principal of account %s other than its root user is denied %s on %s whatever the request (%s)",
			t.account, andList(t.actions), t.resourceName(), statementList(locking))
	}
	hasNetwork, hasUndecided := false, false
	for _, o := range offences {
		for _, k := range o.kinds {
			hasNetwork = hasNetwork || k == network
			hasUndecided = hasUndecided || k == undecided || k == joint
		}
	}
	how := "only under conditions the analysis cannot decide"
	switch {
	case hasNetwork && hasUndecided:
		how = "only from particular network locations or under conditions the analysis cannot decide"
	case hasNetwork:
		how = "only from particular network locations"
	}
	return fmt.Sprintf("the principals of account %s can change the policy of %s %s (%s)",
		t.account, t.resourceName(), how, statementList(idx))
}

// okSummary explains an ok verdict: the way still open.
func (e *evaluation) okSummary(t target) string {
	for _, ae := range e.actions {
		if !ae.open {
			continue
		}
		used := map[int]bool{}
		for _, se := range ae.stmts {
			if se.class == never {
				continue
			}
			for _, d := range se.dims {
				used[d] = true
			}
		}
		if len(used) == 0 {
			return fmt.Sprintf("no Deny statement keeps the principals of account %s from calling %s on %s",
				t.account, ae.action, t.resourceName())
		}
		p := ae.dims[0].cands[ae.witness[0]].p
		who := p.String()
		if !p.named {
			who = "a new " + [...]string{"role", "user", "federated user"}[p.kind] + " of the account"
		}
		var how []string
		for d := 1; d < len(ae.dims); d++ {
			if used[d] {
				how = append(how, ae.dims[d].cands[ae.witness[d]].desc)
			}
		}
		if len(how) > 0 {
			who += " " + strings.Join(how, ", ")
		}
		return fmt.Sprintf("the principals of account %s can still call %s on %s: e.g. %s",
			t.account, ae.action, t.resourceName(), who)
	}
	return ""
}
