package lockout

import (
	"strings"
	"unicode/utf8"
)

// tri is a truth value that may be unknown.
type tri int8

const (
	no tri = iota
	unknown
	yes
)

func and(a, b tri) tri { return min(a, b) }
func or(a, b tri) tri  { return max(a, b) }
func not(a tri) tri    { return yes - a }

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

// pattern is a string with * and ? wildcards and, in 2012-10-17 policies,
// ${...} policy variables (${*}, ${?} and ${$} stand for the characters).
type pattern struct {
	toks      []ptok
	variables bool // holds a variable, whose value the analysis does not know
}

type ptok struct {
	kind byte // 'l' literal, '*', '?', 'v' variable
	r    rune
}

func compilePattern(s string, variables, wildcards bool) pattern {
	var p pattern
	for i := 0; i < len(s); {
		if variables && strings.HasPrefix(s[i:], "${") {
			if end := strings.IndexByte(s[i:], '}'); end > 0 {
				switch name := s[i+2 : i+end]; name {
				case "*", "?", "$":
					p.toks = append(p.toks, ptok{'l', rune(name[0])})
				default:
					p.toks = append(p.toks, ptok{kind: 'v'})
					p.variables = true
				}
				i += end + 1
				continue
			}
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case wildcards && r == '*':
			p.toks = append(p.toks, ptok{kind: '*'})
		case wildcards && r == '?':
			p.toks = append(p.toks, ptok{kind: '?'})
		default:
			p.toks = append(p.toks, ptok{'l', r})
		}
	}
	return p
}

// match tells whether s matches; a variable may stand for anything, so a
// pattern with variables that could match gives unknown.
func (p pattern) match(s string, fold bool) tri {
	if !globMatch(p.toks, s, fold) {
		return no
	}
	if p.variables {
		return unknown
	}
	return yes
}

// globMatch matches s against toks, a variable matching like *.
func globMatch(toks []ptok, s string, fold bool) bool {
	rs := []rune(s)
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(rs) {
		if ti < len(toks) {
			switch t := toks[ti]; t.kind {
			case '*', 'v':
				starT, starS = ti, si
				ti++
				continue
			case '?':
				ti++
				si++
				continue
			default:
				if t.r == rs[si] || (fold && equalFold(t.r, rs[si])) {
					ti++
					si++
					continue
				}
			}
		}
		if starT < 0 {
			return false
		}
		starS++
		ti, si = starT+1, starS
	}
	for ti < len(toks) && (toks[ti].kind == '*' || toks[ti].kind == 'v') {
		ti++
	}
	return ti == len(toks)
}

func equalFold(a, b rune) bool {
	return strings.EqualFold(string(a), string(b))
}

// example returns a string the pattern matches: wildcards and variables
// become "x".
func (p pattern) example() string {
	var b strings.Builder
	for _, t := range p.toks {
		if t.kind == 'l' {
			b.WriteRune(t.r)
		} else {
			b.WriteByte('x')
		}
	}
	return b.String()
}

// arnMatch compares an ARN with an ARN pattern component by component, as
// ArnLike and ArnEquals do. A pattern that is not six components cannot be
// decided, whatever the value; a value that is not an ARN does not match.
func arnMatch(pat, value string, variables bool) tri {
	pp := splitARN(pat, variables)
	if len(pp) != 6 {
		return unknown
	}
	vp := strings.SplitN(value, ":", 6)
	if len(vp) != 6 || vp[0] != "arn" {
		return no
	}
	r := yes
	for i := range pp {
		r = and(r, compilePattern(pp[i], variables, true).match(vp[i], false))
		if r == no {
			return no
		}
	}
	return r
}

// resourceMatch tells whether a Resource entry covers the target ARN. IAM
// documents matching per ARN component; where matching the whole string would
// answer differently (a * spanning colons), the answer is unknown.
func resourceMatch(pat, arn string, variables bool) tri {
	if pat == "*" {
		return yes
	}
	whole := compilePattern(pat, variables, true).match(arn, false)
	parts := arnMatch(pat, arn, variables)
	if len(splitARN(pat, variables)) != 6 {
		parts = no
	}
	if whole == parts {
		return whole
	}
	return unknown
}

// splitARN splits an ARN pattern into at most six components, never inside
// a ${...} policy variable (${aws:PrincipalAccount} holds a colon).
func splitARN(s string, variables bool) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s) && len(parts) < 5; i++ {
		if variables && strings.HasPrefix(s[i:], "${") {
			if end := strings.IndexByte(s[i:], '}'); end > 0 {
				i += end
				continue
			}
		}
		if s[i] == ':' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// actionMatch tells whether an action pattern (lower case) covers action.
func actionMatch(pat, action string) bool {
	return globMatch(compilePattern(pat, false, true).toks, strings.ToLower(action), false)
}
