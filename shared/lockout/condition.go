package lockout

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// clause is one key under one condition operator.
type clause struct {
	op       string // as written
	base     *operator
	ifExists bool
	set      byte // 0, 'a' ForAnyValue, 'l' ForAllValues
	key      string
	keyLower string
	values   []string
	pats     []pattern // values compiled for string and ARN matching
}

type operator struct {
	negated bool
	null    bool
	kind    byte // 's' string, 'i' string ignore case, 'l' like, 'n' numeric, 'd' date, 'b' bool, 'x' binary, 'p' ip, 'a' arn
	cmp     string
}

var operators = map[string]*operator{
	"stringequals":              {kind: 's'},
	"stringnotequals":           {kind: 's', negated: true},
	"stringequalsignorecase":    {kind: 'i'},
	"stringnotequalsignorecase": {kind: 'i', negated: true},
	"stringlike":                {kind: 'l'},
	"stringnotlike":             {kind: 'l', negated: true},
	"numericequals":             {kind: 'n', cmp: "=="},
	"numericnotequals":          {kind: 'n', cmp: "==", negated: true},
	"numericlessthan":           {kind: 'n', cmp: "<"},
	"numericlessthanequals":     {kind: 'n', cmp: "<="},
	"numericgreaterthan":        {kind: 'n', cmp: ">"},
	"numericgreaterthanequals":  {kind: 'n', cmp: ">="},
	"dateequals":                {kind: 'd'},
	"datenotequals":             {kind: 'd', negated: true},
	"datelessthan":              {kind: 'd'},
	"datelessthanequals":        {kind: 'd'},
	"dategreaterthan":           {kind: 'd'},
	"dategreaterthanequals":     {kind: 'd'},
	"bool":                      {kind: 'b'},
	"binaryequals":              {kind: 'x'},
	"ipaddress":                 {kind: 'p'},
	"notipaddress":              {kind: 'p', negated: true},
	"arnequals":                 {kind: 'a'},
	"arnlike":                   {kind: 'a'},
	"arnnotequals":              {kind: 'a', negated: true},
	"arnnotlike":                {kind: 'a', negated: true},
	"null":                      {null: true},
}

func parseCondition(n *node, variables bool) ([]clause, error) {
	if n.kind != objectNode {
		return nil, fmt.Errorf("is %s, not an object", n.kind)
	}
	var out []clause
	for _, m := range n.members {
		if m.value.kind != objectNode {
			return nil, fmt.Errorf("%s is %s, not an object", m.name, m.value.kind)
		}
		for _, k := range m.value.members {
			vals, err := conditionValues(k.value)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %v", m.name, k.name, err)
			}
			if k.name == "" {
				return nil, fmt.Errorf("%s: empty condition key", m.name)
			}
			c := clause{op: m.name, key: k.name, keyLower: strings.ToLower(k.name), values: vals}
			c.resolve(variables)
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues accepts a string, number or boolean, or a list of them. An
// empty list matches nothing, so a negated operator holds.
func conditionValues(n *node) ([]string, error) {
	one := func(n *node) (string, error) {
		switch n.kind {
		case stringNode, numberNode:
			return n.str, nil
		case boolNode:
			return strconv.FormatBool(n.boolean), nil
		}
		return "", fmt.Errorf("value is %s", n.kind)
	}
	if n.kind != arrayNode {
		v, err := one(n)
		return []string{v}, err
	}
	out := make([]string, 0, len(n.items))
	for _, it := range n.items {
		v, err := one(it)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// resolve reads the operator name: ForAnyValue:/ForAllValues: qualifiers and
// the IfExists suffix, case-insensitively. An operator it does not know leaves
// base nil: the clause then evaluates to unknown.
func (c *clause) resolve(variables bool) {
	op := strings.ToLower(c.op)
	switch {
	case strings.HasPrefix(op, "foranyvalue:"):
		c.set, op = 'a', op[len("foranyvalue:"):]
	case strings.HasPrefix(op, "forallvalues:"):
		c.set, op = 'l', op[len("forallvalues:"):]
	}
	if strings.HasSuffix(op, "ifexists") && op != "null" {
		c.ifExists, op = true, strings.TrimSuffix(op, "ifexists")
	}
	base := operators[op]
	if base == nil || (base.null && (c.ifExists || c.set != 0)) {
		return
	}
	c.base = base
	c.pats = make([]pattern, len(c.values))
	for i, v := range c.values {
		c.pats[i] = compilePattern(v, variables, base.kind == 'l' || base.kind == 'a')
	}
}

// value is what a request carries for a condition key.
type value struct {
	state valueState
	vals  []string
}

type valueState int8

const (
	absent valueState = iota
	present
	indeterminate
	presentUnknown // present, but its value cannot be told
)

var (
	absentValue    = value{state: absent}
	undecidedValue = value{state: indeterminate}
	// opaqueValue is a key every request carries with a value nobody can
	// predict, such as aws:userid.
	opaqueValue = value{state: presentUnknown}
)

func presentValue(vals ...string) value { return value{state: present, vals: vals} }

// eval applies the clause to the key's value in a request.
func (c *clause) eval(v value) tri {
	if c.base == nil || v.state == indeterminate {
		return unknown
	}
	if c.base.null {
		r := no
		for _, want := range c.values {
			switch strings.ToLower(want) {
			case "true":
				r = or(r, triOf(v.state == absent))
			case "false":
				r = or(r, triOf(v.state != absent))
			default:
				r = or(r, unknown)
			}
		}
		return r
	}
	if v.state == presentUnknown {
		return unknown
	}
	if v.state == absent || len(v.vals) == 0 {
		switch {
		case c.ifExists:
			return yes
		case c.set == 'l':
			return yes // ForAllValues holds for no values
		case c.set == 'a':
			return no // ForAnyValue needs one
		}
		return triOf(c.base.negated)
	}
	if c.set == 0 {
		if len(v.vals) != 1 {
			return unknown // a multivalued key without a set operator
		}
		return c.matchOne(v.vals[0])
	}
	r := triOf(c.set == 'l')
	for _, one := range v.vals {
		m := c.matchOne(one)
		if c.set == 'l' {
			r = and(r, m)
		} else {
			r = or(r, m)
		}
	}
	return r
}

// matchOne applies the operator to one request value: a positive operator
// holds when some policy value matches, a negated one when none does.
func (c *clause) matchOne(v string) tri {
	r := no
	for i, want := range c.values {
		r = or(r, c.base.match(v, want, c.pats[i]))
		if r == yes {
			break
		}
	}
	if c.base.negated {
		return not(r)
	}
	return r
}

func (o *operator) match(v, want string, p pattern) tri {
	switch o.kind {
	case 's':
		if p.variables {
			return p.match(v, false)
		}
		return triOf(v == want)
	case 'i':
		if p.variables {
			return p.match(v, true)
		}
		return triOf(strings.EqualFold(v, want))
	case 'l':
		return p.match(v, false)
	case 'a':
		return arnMatch(want, v, p.variables)
	case 'n':
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(want, 64)
		if err1 != nil || err2 != nil {
			return unknown
		}
		switch o.cmp {
		case "==":
			return triOf(a == b)
		case "<":
			return triOf(a < b)
		case "<=":
			return triOf(a <= b)
		case ">":
			return triOf(a > b)
		}
		return triOf(a >= b)
	case 'b':
		w := strings.ToLower(want)
		if w != "true" && w != "false" {
			return unknown
		}
		return triOf(strings.EqualFold(v, w))
	case 'p':
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return unknown
		}
		pfx, ok := parsePrefix(want)
		if !ok {
			return unknown
		}
		return triOf(pfx.Contains(addr))
	}
	return unknown // dates and binary values are never decided
}

// parsePrefix reads a CIDR block or a single address.
func parsePrefix(s string) (netip.Prefix, bool) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}
