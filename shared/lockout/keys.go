package lockout

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// class says how a request world can be produced: ordinary worlds by any
// principal of the account from the internet; network-specific ones only from
// a particular network location; uncertain ones perhaps not at all.
type class int8

const (
	ordinary class = iota
	networkSpecific
	uncertain
)

// Dimensions of a request world. Keys that vary together share one.
const (
	principalDim = "principal"
	networkDim   = "network"
	transportDim = "transport"
	mfaDim       = "mfa"
)

// category sorts condition keys by who decides them, for reasons.
type category byte

const (
	catPrincipal category = 'p' // about the principal
	catCaller    category = 'c' // set by the caller or fixed for the account
	catNetwork   category = 'n' // network location
	catRequest   category = 'r' // request parameter S3/SQS do not set for the policy actions
	catUnknown   category = 'u' // nobody can predict it
)

type keyKind int8

const (
	kindCoupled keyKind = iota // principal, network, transport or mfa dimension
	kindFixed                  // one value (or absence, or unknown) for every request
	kindCaller                 // any value or none, chosen by the caller
	kindPresent                // any value, always present
	kindNumeric                // any number, always present
	kindEnum                   // listed values with their classes
	kindRequest                // absent in an ordinary request; any value is uncertain
)

type keySpec struct {
	dim   string
	kind  keyKind
	cat   category
	fixed value
	enum  []enumValue
	multi bool
}

type enumValue struct {
	v     string
	class class
}

var (
	principalKeys = map[string]bool{
		"aws:principalarn": true, "aws:principalaccount": true, "aws:principalorgid": true,
		"aws:principalorgpaths": true, "aws:principaltype": true, "aws:principalisawsservice": true,
		"aws:principalservicename": true, "aws:principalservicenameslist": true,
		"aws:userid": true, "aws:username": true, "aws:assumedroot": true,
	}
	networkKeys = map[string]bool{
		"aws:sourceip": true, "aws:sourcevpce": true, "aws:sourcevpc": true, "aws:vpcsourceip": true,
		"aws:sourcevpcarn": true, "aws:vpceaccount": true, "aws:vpceorgid": true, "aws:vpceorgpaths": true,
		"aws:ec2instancesourcevpc": true, "aws:ec2instancesourceprivateipv4": true,
	}
	// Keys present only when an AWS service calls on someone's behalf, or
	// carrying request data the policy actions do not have.
	requestKeys = map[string]bool{
		"aws:calledvia": true, "aws:calledviafirst": true, "aws:calledvialast": true,
		"aws:sourcearn": true, "aws:sourceaccount": true, "aws:sourceorgid": true,
		"aws:sourceorgpaths": true, "aws:sourceowner": true, "aws:tagkeys": true,
	}
	multiKeys = map[string]bool{
		"aws:calledvia": true, "aws:tagkeys": true, "aws:principalservicenameslist": true,
		"aws:principalorgpaths": true, "aws:resourceorgpaths": true, "aws:sourceorgpaths": true,
		"aws:vpceorgpaths": true,
	}
	callerKeys = map[string]bool{"aws:referer": true, "aws:useragent": true, "aws:sourceidentity": true}
)

// spec says how key (lower case) behaves in a request to change the policy.
func spec(key string, t target) keySpec {
	s3 := t.service == S3
	switch {
	case principalKeys[key]:
		return keySpec{dim: principalDim, kind: kindCoupled, cat: catPrincipal, multi: multiKeys[key]}
	case strings.HasPrefix(key, "aws:principaltag/"):
		return keySpec{dim: "key:" + key, kind: kindCaller, cat: catPrincipal}
	case networkKeys[key]:
		return keySpec{dim: networkDim, kind: kindCoupled, cat: catNetwork, multi: multiKeys[key]}
	case key == "aws:securetransport", s3 && key == "s3:tlsversion":
		return keySpec{dim: transportDim, kind: kindCoupled, cat: catCaller}
	case key == "aws:multifactorauthpresent", key == "aws:multifactorauthage":
		return keySpec{dim: mfaDim, kind: kindCoupled, cat: catCaller}
	case callerKeys[key]:
		return keySpec{dim: "key:" + key, kind: kindCaller, cat: catCaller}
	case requestKeys[key], strings.HasPrefix(key, "aws:requesttag/"):
		return keySpec{dim: "key:" + key, kind: kindRequest, cat: catRequest, multi: multiKeys[key]}
	case key == "aws:viaawsservice":
		return keySpec{dim: "key:" + key, kind: kindEnum, cat: catRequest,
			enum: []enumValue{{"false", ordinary}, {"true", uncertain}}}
	}
	fixed := func(v value, c category) keySpec {
		return keySpec{dim: "key:" + key, kind: kindFixed, cat: c, fixed: v}
	}
	switch key {
	case "aws:resourceaccount":
		return fixed(presentValue(t.account), catCaller)
	case "aws:resourceorgid":
		if t.org == "" {
			return fixed(undecidedValue, catUnknown)
		}
		return fixed(presentValue(t.org), catCaller)
	case "aws:requestedregion":
		if t.region == "" {
			return fixed(undecidedValue, catUnknown) // a bucket's region is not known here
		}
		return fixed(presentValue(t.region), catCaller)
	}
	if s3 {
		switch key {
		case "s3:resourceaccount":
			return fixed(presentValue(t.account), catCaller)
		case "s3:authtype":
			return keySpec{dim: "key:" + key, kind: kindEnum, cat: catCaller,
				enum: []enumValue{{"REST-HEADER", ordinary}, {"REST-QUERY-STRING", ordinary}, {"POST", uncertain}}}
		case "s3:signatureversion":
			return keySpec{dim: "key:" + key, kind: kindEnum, cat: catCaller,
				enum: []enumValue{{"AWS4-HMAC-SHA256", ordinary}, {"AWS", uncertain}}}
		case "s3:signatureage":
			return keySpec{dim: "key:" + key, kind: kindNumeric, cat: catCaller}
		case "s3:x-amz-content-sha256":
			return keySpec{dim: "key:" + key, kind: kindPresent, cat: catCaller}
		}
	}
	if strings.HasPrefix(key, "aws:") {
		// Time, unique ids, resource tags, organization paths, and keys this
		// analysis does not know.
		return fixed(undecidedValue, catUnknown)
	}
	return keySpec{dim: "key:" + key, kind: kindRequest, cat: catRequest, multi: multiKeys[key]}
}

// cand is one choice along a dimension.
type cand struct {
	p     *principal       // principal dimension
	vals  map[string]value // keys this choice sets; others are absent
	class class
	desc  string
}

// dim is one dimension of request worlds; cands[0] is ordinary and is the
// choice for statements that do not look at the dimension.
type dim struct {
	id    string
	cands []cand
	// overflow: there were too many combinations; the choices left make the
	// keys undecided rather than drop possibilities.
	overflow bool
}

const (
	freshValue = "rootguard-unlisted-value"
	maxDimSize = 4096
)

// mentions gathers, per condition key, the values the statements compare it with.
type mentions map[string][]*clause

func (m mentions) candidates(key string) []string {
	var out []string
	seen := make(map[string]bool)
	add := func(v string) {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	for _, c := range m[key] {
		for i, v := range c.values {
			if c.pats != nil {
				if !c.pats[i].variables {
					add(v)
				}
				add(c.pats[i].example())
			} else {
				add(v)
			}
			if c.base != nil && c.base.kind == 'n' {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					add(formatNumber(f - 1))
					add(formatNumber(f + 1))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// buildDim makes the choices along dimension id for the keys of m.
func buildDim(id string, keys []string, m mentions, t target, principals []*principal) *dim {
	d := &dim{id: id}
	switch id {
	case principalDim:
		for _, p := range principals {
			d.cands = append(d.cands, cand{p: p, class: p.class, desc: p.String()})
		}
	case networkDim:
		buildNetwork(d, keys, m)
	case transportDim:
		tls := func(v string) map[string]value {
			if t.service != S3 {
				return map[string]value{"aws:securetransport": presentValue("true")}
			}
			return map[string]value{"aws:securetransport": presentValue("true"), "s3:tlsversion": presentValue(v)}
		}
		d.cands = []cand{
			{vals: tls("1.2"), desc: "over TLS 1.2"},
			{vals: tls("1.3"), desc: "over TLS 1.3"},
			{vals: map[string]value{"aws:securetransport": presentValue("false")}, desc: "without TLS"},
		}
	case mfaDim:
		d.cands = []cand{
			{vals: map[string]value{"aws:multifactorauthpresent": presentValue("false")}, desc: "in a session without MFA"},
			{vals: map[string]value{}, desc: "with long-term credentials"},
		}
		ages := []string{"0"}
		for _, v := range m.candidates("aws:multifactorauthage") {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
				ages = append(ages, v)
			}
		}
		for _, a := range dedupe(ages) {
			d.cands = append(d.cands, cand{
				vals: map[string]value{"aws:multifactorauthpresent": presentValue("true"), "aws:multifactorauthage": presentValue(a)},
				desc: "with MFA " + a + " seconds old",
			})
		}
	default:
		key := strings.TrimPrefix(id, "key:")
		buildKey(d, key, spec(key, t), m)
	}
	return d
}

func buildKey(d *dim, key string, s keySpec, m mentions) {
	set := func(v value, c class, desc string) {
		d.cands = append(d.cands, cand{vals: map[string]value{key: v}, class: c, desc: desc})
	}
	listed := m.candidates(key)
	switch s.kind {
	case kindFixed:
		switch s.fixed.state {
		case absent:
			set(s.fixed, ordinary, "without "+key)
		case indeterminate:
			set(s.fixed, ordinary, key+" unknown")
		default:
			set(s.fixed, ordinary, "with "+key+" "+s.fixed.vals[0])
		}
	case kindCaller:
		set(absentValue, ordinary, "without "+key)
		for _, v := range append(listed, freshValue) {
			set(presentValue(v), ordinary, "with "+key+" "+v)
		}
	case kindPresent:
		for _, v := range append(listed, freshValue) {
			set(presentValue(v), ordinary, "with "+key+" "+v)
		}
	case kindNumeric:
		for _, v := range dedupe(append([]string{"0"}, listed...)) {
			set(presentValue(v), ordinary, "with "+key+" "+v)
		}
	case kindEnum:
		seen := make(map[string]bool)
		for _, e := range s.enum {
			seen[e.v] = true
			set(presentValue(e.v), e.class, "with "+key+" "+e.v)
		}
		for _, v := range append(listed, freshValue) {
			if !seen[v] {
				set(presentValue(v), uncertain, "with "+key+" "+v)
			}
		}
	case kindRequest:
		set(absentValue, ordinary, "without "+key)
		vals := append(listed, freshValue)
		for _, v := range vals {
			set(presentValue(v), uncertain, "with "+key+" "+v)
		}
		if s.multi && len(listed) > 1 {
			set(presentValue(listed...), uncertain, "with "+key+" "+strings.Join(listed, ","))
		}
	}
}

// Internet addresses to try as an ordinary origin, outside documentation
// ranges policies tend to list.
var publicAddrs = []string{"52.94.1.77", "3.5.140.9", "18.200.1.1", "198.51.100.201", "203.0.113.201"}

func buildNetwork(d *dim, keys []string, m mentions) {
	uses := make(map[string]bool)
	for _, k := range keys {
		uses[k] = true
	}
	var listed []netip.Prefix
	for _, c := range m["aws:sourceip"] {
		for _, v := range c.values {
			if p, ok := parsePrefix(v); ok {
				listed = append(listed, p)
			}
		}
	}
	inListed := func(a netip.Addr) bool {
		for _, p := range listed {
			if p.Bits() > 0 && p.Contains(a) {
				return true
			}
		}
		return false
	}
	var probes []netip.Addr
	for _, s := range publicAddrs {
		probes = append(probes, netip.MustParseAddr(s))
	}
	probes = append(probes, edges(listed)...)
	// The ordinary origin: an IPv4 address in no listed range. If the ranges
	// cover every IPv4 address, any address is as ordinary as another.
	fresh := probes[0]
	for _, a := range probes {
		if a.Is4() && !inListed(a) {
			fresh = a
			break
		}
	}
	d.cands = append(d.cands, cand{
		vals: map[string]value{"aws:sourceip": presentValue(fresh.String())},
		desc: "from the internet (aws:SourceIp " + fresh.String() + ")",
	})
	if !uses["aws:sourceip"] && len(keys) == 0 {
		return
	}
	if uses["aws:sourceip"] {
		seen := map[netip.Addr]bool{fresh: true}
		for _, a := range probes[len(publicAddrs):] {
			if seen[a] {
				continue
			}
			seen[a] = true
			c := ordinary
			if !a.Is4() || inListed(a) {
				c = networkSpecific
			}
			d.cands = append(d.cands, cand{
				vals:  map[string]value{"aws:sourceip": presentValue(a.String())},
				class: c,
				desc:  "from the internet (aws:SourceIp " + a.String() + ")",
			})
		}
	}
	// Requests through a VPC endpoint carry no aws:SourceIp.
	var vpcKeys []string
	for _, k := range keys {
		if k != "aws:sourceip" {
			vpcKeys = append(vpcKeys, k)
		}
	}
	sort.Strings(vpcKeys)
	choices := make([][]string, len(vpcKeys))
	total := 1
	for i, k := range vpcKeys {
		if k == "aws:vpcsourceip" || k == "aws:ec2instancesourceprivateipv4" {
			var ps []netip.Prefix
			for _, c := range m[k] {
				for _, v := range c.values {
					if p, ok := parsePrefix(v); ok {
						ps = append(ps, p)
					}
				}
			}
			choices[i] = append(choices[i], "10.255.255.77")
			for _, a := range edges(ps) {
				choices[i] = append(choices[i], a.String())
			}
			choices[i] = dedupe(choices[i])
		} else {
			choices[i] = append(m.candidates(k), freshValue)
		}
		total *= len(choices[i])
		if total > maxDimSize {
			break
		}
	}
	if total > maxDimSize {
		d.overflow = true
		vals := make(map[string]value)
		for _, k := range vpcKeys {
			vals[k] = undecidedValue
		}
		d.cands = append(d.cands, cand{vals: vals, class: networkSpecific, desc: "through a VPC endpoint"})
		return
	}
	idx := make([]int, len(vpcKeys))
	for {
		vals := make(map[string]value)
		var desc []string
		for i, k := range vpcKeys {
			vals[k] = presentValue(choices[i][idx[i]])
			desc = append(desc, k+" "+choices[i][idx[i]])
		}
		d.cands = append(d.cands, cand{vals: vals, class: networkSpecific,
			desc: strings.TrimSpace("through a VPC endpoint " + strings.Join(desc, ", "))})
		i := 0
		for ; i < len(idx); i++ {
			idx[i]++
			if idx[i] < len(choices[i]) {
				break
			}
			idx[i] = 0
		}
		if i == len(idx) {
			return
		}
	}
}

// edges returns, for each range, its first and last address and the
// addresses just outside it: enough to land inside or outside any
// combination of the ranges.
func edges(ps []netip.Prefix) []netip.Addr {
	var out []netip.Addr
	for _, p := range ps {
		first := p.Masked().Addr()
		last := lastAddr(p)
		out = append(out, first, last)
		if prev := first.Prev(); prev.IsValid() {
			out = append(out, prev)
		}
		if next := last.Next(); next.IsValid() {
			out = append(out, next)
		}
	}
	return out
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func dedupe(in []string) []string {
	seen := make(map[string]bool)
	out := in[:0:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// principalValue is a principal key's value for candidate p.
func principalValue(key string, p *principal, t target) value {
	if p.unplaced != "" && (key == "aws:principalarn" || key == "aws:username" && p.kind == iamUser) {
		return undecidedValue
	}
	switch key {
	case "aws:principalarn":
		return presentValue(p.arn)
	case "aws:principalaccount":
		return presentValue(t.account)
	case "aws:principalorgid":
		if t.org == "" {
			return undecidedValue
		}
		return presentValue(t.org)
	case "aws:principaltype":
		return presentValue([...]string{"AssumedRole", "User", "FederatedUser"}[p.kind])
	case "aws:principalisawsservice":
		return presentValue("false")
	case "aws:principalservicename", "aws:principalservicenameslist", "aws:assumedroot":
		return absentValue
	case "aws:username":
		if p.kind == iamUser {
			return presentValue(p.name)
		}
		return absentValue
	case "aws:userid":
		return opaqueValue // a unique id, with a session name for a role
	}
	return undecidedValue // aws:principalorgpaths
}
