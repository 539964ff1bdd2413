package lockout

import (
	"errors"
	"fmt"
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
