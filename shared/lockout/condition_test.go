package lockout

import (
	"strings"
	"testing"
)

func TestClauseEval(t *testing.T) {
	absentV, unknownV := absentValue, undecidedValue
	one := func(v string) value { return presentValue(v) }
	tests := []struct {
		op     string
		values []string
		v      value
		want   tri
	}{
		{"StringEquals", []string{"a", "b"}, one("b"), yes},
		{"StringEquals", []string{"a", "b"}, one("B"), no},
		{"StringEquals", []string{"a"}, absentV, no},
		{"StringNotEquals", []string{"a", "b"}, one("c"), yes},
		{"StringNotEquals", []string{"a", "b"}, one("a"), no},
		{"StringNotEquals", []string{"a"}, absentV, yes},
		{"StringNotEquals", []string{}, one("a"), yes},
		{"StringEqualsIgnoreCase", []string{"ABC"}, one("abc"), yes},
		{"StringNotEqualsIgnoreCase", []string{"ABC"}, one("abc"), no},
		{"StringLike", []string{"vpce-*"}, one("vpce-1"), yes},
		{"StringNotLike", []string{"vpce-*"}, one("vpce-1"), no},
		{"StringEqualsIfExists", []string{"a"}, absentV, yes},
		{"StringEqualsIfExists", []string{"a"}, one("b"), no},
		{"StringNotEqualsIfExists", []string{"a"}, one("a"), no},
		{"Null", []string{"true"}, absentV, yes},
		{"Null", []string{"true"}, one("x"), no},
		{"Null", []string{"false"}, one("x"), yes},
		{"Null", []string{"TRUE"}, absentV, yes},
		{"Null", []string{"maybe"}, absentV, unknown},
		{"NullIfExists", []string{"true"}, absentV, unknown},
		{"Bool", []string{"false"}, one("false"), yes},
		{"Bool", []string{"False"}, one("false"), yes},
		{"Bool", []string{"false"}, one("true"), no},
		{"Bool", []string{"yes"}, one("true"), unknown},
		{"BoolIfExists", []string{"false"}, absentV, yes},
		{"NumericLessThan", []string{"1.2"}, one("1.2"), no},
		{"NumericLessThan", []string{"1.2"}, one("1"), yes},
		{"NumericLessThanEquals", []string{"1.2"}, one("1.2"), yes},
		{"NumericGreaterThan", []string{"3600"}, one("3601"), yes},
		{"NumericGreaterThanEquals", []string{"3600"}, one("3599"), no},
		{"NumericEquals", []string{"10"}, one("10.0"), yes},
		{"NumericNotEquals", []string{"10"}, one("10"), no},
		{"NumericEquals", []string{"ten"}, one("10"), unknown},
		{"DateLessThan", []string{"2030-01-01T00:00:00Z"}, one("2020-01-01T00:00:00Z"), unknown},
		{"DateLessThan", []string{"2030-01-01T00:00:00Z"}, absentV, no},
		{"BinaryEquals", []string{"QmluYXJ5"}, one("QmluYXJ5"), unknown},
		{"IpAddress", []string{"192.0.2.0/24"}, one("192.0.2.77"), yes},
		{"IpAddress", []string{"192.0.2.0/24"}, one("198.51.100.1"), no},
		{"IpAddress", []string{"203.0.113.1"}, one("203.0.113.1"), yes},
		{"IpAddress", []string{"2001:DB8::/32"}, one("2001:db8::1"), yes},
		{"NotIpAddress", []string{"192.0.2.0/24"}, absentV, yes},
		{"NotIpAddress", []string{"192.0.2.0/24"}, one("192.0.2.1"), no},
		{"IpAddress", []string{"not-an-ip"}, one("192.0.2.1"), unknown},
		{"ArnLike", []string{"arn:aws:iam::*:role/Admin"}, one("arn:aws:iam::111122223333:role/Admin"), yes},
		{"ArnEquals", []string{"arn:aws:iam::*:role/Admin"}, one("arn:aws:iam::111122223333:role/Admin"), yes},
		{"ArnNotLike", []string{"arn:aws:iam::*:role/Admin"}, one("arn:aws:iam::111122223333:role/Other"), yes},
		{"ArnNotEquals", []string{"arn:aws:iam::111122223333:role/Admin"}, absentV, yes},
		{"ForAnyValue:StringEquals", []string{"a"}, presentValue("b", "a"), yes},
		{"ForAnyValue:StringEquals", []string{"a"}, absentV, no},
		{"ForAnyValue:StringEqualsIfExists", []string{"a"}, absentV, yes},
		{"ForAllValues:StringEquals", []string{"a", "b"}, presentValue("b", "a"), yes},
		{"ForAllValues:StringEquals", []string{"a"}, presentValue("a", "c"), no},
		{"ForAllValues:StringEquals", []string{"a"}, absentV, yes},
		{"ForAnyValue:StringNotEquals", []string{"a"}, presentValue("a", "c"), yes},
		{"ForAllValues:StringNotLike", []string{"a*"}, presentValue("ab", "c"), no},
		{"forallvalues:stringequalsifexists", []string{"a"}, presentValue("a"), yes},
		{"StringEquals", []string{"a"}, presentValue("a", "b"), unknown}, // multivalued without a set operator
		{"StringEquals", []string{"a"}, unknownV, unknown},
		{"Null", []string{"true"}, unknownV, unknown},
		{"StringWhatever", []string{"a"}, one("a"), unknown},
		{"ForAnyValue:Null", []string{"true"}, absentV, unknown},
	}
	for _, tt := range tests {
		c := clause{op: tt.op, key: "k", keyLower: "k", values: tt.values}
		c.resolve(true)
		if got := c.eval(tt.v); got != tt.want {
			t.Errorf("%s %q on %+v = %v, want %v", tt.op, tt.values, tt.v, got, tt.want)
		}
	}
}

func TestKeySpec(t *testing.T) {
	s3t := target{service: S3, account: "111122223333"}
	sqst := target{service: SQS, account: "111122223333", region: "us-east-1", org: "o-a1b2c3d4e5"}
	tests := []struct {
		key  string
		t    target
		dim  string
		kind keyKind
		cat  category
	}{
		{"aws:principalarn", s3t, principalDim, kindCoupled, catPrincipal},
		{"aws:principaltag/team", s3t, "key:aws:principaltag/team", kindCaller, catPrincipal},
		{"aws:sourcevpce", s3t, networkDim, kindCoupled, catNetwork},
		{"aws:securetransport", s3t, transportDim, kindCoupled, catCaller},
		{"s3:tlsversion", s3t, transportDim, kindCoupled, catCaller},
		{"s3:tlsversion", sqst, "key:s3:tlsversion", kindRequest, catRequest},
		{"aws:multifactorauthage", s3t, mfaDim, kindCoupled, catCaller},
		{"s3:x-amz-server-side-encryption", s3t, "key:s3:x-amz-server-side-encryption", kindRequest, catRequest},
		{"aws:sourcearn", s3t, "key:aws:sourcearn", kindRequest, catRequest},
		{"aws:requestedregion", s3t, "key:aws:requestedregion", kindFixed, catUnknown},
		{"aws:requestedregion", sqst, "key:aws:requestedregion", kindFixed, catCaller},
		{"aws:resourceorgid", s3t, "key:aws:resourceorgid", kindFixed, catUnknown},
		{"aws:resourceorgid", sqst, "key:aws:resourceorgid", kindFixed, catCaller},
		{"aws:currenttime", s3t, "key:aws:currenttime", kindFixed, catUnknown},
		{"aws:somethingnew", s3t, "key:aws:somethingnew", kindFixed, catUnknown},
		{"s3:signatureversion", s3t, "key:s3:signatureversion", kindEnum, catCaller},
		{"kms:viaservice", sqst, "key:kms:viaservice", kindRequest, catRequest},
	}
	for _, tt := range tests {
		s := spec(tt.key, tt.t)
		if s.dim != tt.dim || s.kind != tt.kind || s.cat != tt.cat {
			t.Errorf("spec(%q, %s) = %+v", tt.key, tt.t.service, s)
		}
	}
}

func TestNetworkCandidates(t *testing.T) {
	clause := func(op string, values ...string) *clause {
		c := &clause{op: op, key: "aws:SourceIp", keyLower: "aws:sourceip", values: values}
		c.resolve(true)
		return c
	}
	tests := []struct {
		name  string
		m     mentions
		fresh string
	}{
		{"outside documentation ranges", mentions{"aws:sourceip": {clause("NotIpAddress", "192.0.2.0/24")}}, "52.94.1.77"},
		{"the first choices listed", mentions{"aws:sourceip": {clause("NotIpAddress", "52.94.1.0/24", "3.0.0.0/8", "18.0.0.0/8", "198.51.100.0/24", "203.0.113.0/24")}}, "52.94.0.255"},
		{"the whole IPv4 space", mentions{"aws:sourceip": {clause("NotIpAddress", "0.0.0.0/1", "128.0.0.0/1")}}, "52.94.1.77"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &dim{id: networkDim}
			buildNetwork(d, []string{"aws:sourceip"}, tt.m)
			c := d.cands[0]
			if c.class != ordinary || c.vals["aws:sourceip"].vals[0] != tt.fresh {
				t.Errorf("ordinary origin %+v, want %s", c, tt.fresh)
			}
			vpc := d.cands[len(d.cands)-1]
			if vpc.class != networkSpecific || !strings.HasPrefix(vpc.desc, "through a VPC endpoint") || vpc.vals["aws:sourceip"].state != absent {
				t.Errorf("last choice %+v, want a VPC endpoint request without aws:SourceIp", vpc)
			}
		})
	}
}
