package lockout

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// node is a JSON value decoded strictly: objects keep their members in order,
// duplicate member names are an error (two parsers could disagree on which
// one counts), and raw holds the value's own bytes.
type node struct {
	kind    nodeKind
	str     string // string value, or a number's literal
	boolean bool
	items   []*node
	members []member
	raw     []byte
}

type member struct {
	name  string
	value *node
}

type nodeKind int

const (
	nullNode nodeKind = iota
	boolNode
	numberNode
	stringNode
	arrayNode
	objectNode
)

func (k nodeKind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "a list", "an object"}[k]
}

const maxDepth = 64

func parseJSON(data []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	n, err := parseValue(dec, data, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the document")
	}
	return n, nil
}

func parseValue(dec *json.Decoder, data []byte, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, errors.New("nested too deeply")
	}
	start := dec.InputOffset()
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("unexpected end of JSON")
		}
		return nil, err
	}
	n := &node{}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n.kind = objectNode
			seen := make(map[string]bool)
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				name, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key %v is not a string", kt)
				}
				if seen[name] {
					return nil, fmt.Errorf("duplicate key %q", name)
				}
				seen[name] = true
				v, err := parseValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				n.members = append(n.members, member{name, v})
			}
		case '[':
			n.kind = arrayNode
			for dec.More() {
				v, err := parseValue(dec, data, depth+1)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, v)
			}
		default:
			return nil, fmt.Errorf("unexpected %q", t)
		}
		if _, err := dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.kind, n.str = stringNode, t
	case json.Number:
		n.kind, n.str = numberNode, string(t)
	case bool:
		n.kind, n.boolean = boolNode, t
	case nil:
		n.kind = nullNode
	}
	n.raw = bytes.TrimLeft(data[start:dec.InputOffset()], " \t\r\n,:")
	return n, nil
}

func (n *node) get(name string) *node {
	for _, m := range n.members {
		if m.name == name {
			return m.value
		}
	}
	return nil
}

// document is a parsed policy.
type document struct {
	raw        json.RawMessage // the object
	members    []member        // top level, in order
	single     bool            // Statement was one object, not a list
	variables  bool            // Version 2012-10-17: ${...} are policy variables
	statements []*statement
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidPolicy}, a...)...)
}

// maxDocument bounds the work on hostile input, far above the 20 KB AWS
// accepts for a bucket policy.
const maxDocument = 256 << 10

func parseDocument(data []byte) (*document, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, invalid("empty document")
	}
	if len(data) > maxDocument {
		return nil, invalid("%d bytes, more than the %d this analysis reads", len(data), maxDocument)
	}
	if data[0] == '"' {
		// The policy as a JSON string, as in SQS attributes and some
		// CloudTrail records.
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, invalid("not JSON: %v", err)
		}
		data = bytes.TrimSpace([]byte(s))
		if len(data) == 0 {
			return nil, invalid("empty document")
		}
	}
	root, err := parseJSON(data)
	if err != nil {
		return nil, invalid("not JSON: %v", err)
	}
	if root.kind != objectNode {
		return nil, invalid("the document is %s, not an object", root.kind)
	}
	doc := &document{raw: json.RawMessage(data), members: root.members}
	for _, m := range root.members {
		switch m.name {
		case "Version":
			if m.value.kind != stringNode {
				return nil, invalid("Version is %s, not a string", m.value.kind)
			}
			doc.variables = m.value.str == "2012-10-17"
		case "Id":
			if m.value.kind != stringNode {
				return nil, invalid("Id is %s, not a string", m.value.kind)
			}
		case "Statement":
		default:
			return nil, invalid("unknown top-level element %q", m.name)
		}
	}
	st := root.get("Statement")
	if st == nil {
		return nil, invalid("no Statement")
	}
	var items []*node
	switch st.kind {
	case objectNode:
		doc.single = true
		items = []*node{st}
	case arrayNode:
		if len(st.items) == 0 {
			return nil, invalid("Statement is an empty list")
		}
		items = st.items
	default:
		return nil, invalid("Statement is %s, not an object or a list", st.kind)
	}
	for i, it := range items {
		s, err := parseStatement(it, i, doc.variables)
		if err != nil {
			return nil, err
		}
		doc.statements = append(doc.statements, s)
	}
	return doc, nil
}

// without returns the document without the statements in drop, compacted,
// other members kept in their order; nil when no statement remains.
func (d *document) without(drop map[int]bool) json.RawMessage {
	var kept [][]byte
	for i, s := range d.statements {
		if !drop[i] {
			kept = append(kept, s.raw)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range d.members {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(m.name)
		b.Write(name)
		b.WriteByte(':')
		if m.name != "Statement" {
			b.Write(compact(m.value.raw))
			continue
		}
		if d.single {
			b.Write(kept[0])
			continue
		}
		b.WriteByte('[')
		for j, k := range kept {
			if j > 0 {
				b.WriteByte(',')
			}
			b.Write(k)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return json.RawMessage(b.Bytes())
}

func compact(raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw // cannot happen: raw was parsed
	}
	return b.Bytes()
}

// statement is one parsed statement.
type statement struct {
	index        int
	sid          string
	deny         bool
	principal    *principalElem // nil when there is neither Principal nor NotPrincipal
	notPrincipal bool
	actions      []string // lower case
	actionRaw    []byte
	notAction    bool
	resources    []string // nil when there is neither Resource nor NotResource
	notResource  bool
	conditions   []clause
	raw          json.RawMessage // compacted
}

func parseStatement(n *node, i int, variables bool) (*statement, error) {
	bad := func(format string, a ...any) error {
		return invalid("statement %d: "+format, append([]any{i}, a...)...)
	}
	if n.kind != objectNode {
		return nil, bad("is %s, not an object", n.kind)
	}
	s := &statement{index: i, raw: compact(n.raw)}
	var effect *node
	for _, m := range n.members {
		v := m.value
		switch m.name {
		case "Sid":
			if v.kind != stringNode {
				return nil, bad("Sid is %s, not a string", v.kind)
			}
			s.sid = v.str
		case "Effect":
			effect = v
		case "Principal", "NotPrincipal":
			if s.principal != nil {
				return nil, bad("has both Principal and NotPrincipal")
			}
			p, err := parsePrincipal(v)
			if err != nil {
				return nil, bad("%s: %v", m.name, err)
			}
			s.principal, s.notPrincipal = p, m.name == "NotPrincipal"
		case "Action", "NotAction":
			if s.actions != nil {
				return nil, bad("has both Action and NotAction")
			}
			list, err := stringList(v)
			if err != nil {
				return nil, bad("%s: %v", m.name, err)
			}
			for _, a := range list {
				if a == "" {
					return nil, bad("%s: empty action", m.name)
				}
				s.actions = append(s.actions, strings.ToLower(a))
			}
			s.actionRaw, s.notAction = compact(v.raw), m.name == "NotAction"
		case "Resource", "NotResource":
			if s.resources != nil {
				return nil, bad("has both Resource and NotResource")
			}
			list, err := stringList(v)
			if err != nil {
				return nil, bad("%s: %v", m.name, err)
			}
			s.resources, s.notResource = list, m.name == "NotResource"
		case "Condition":
			cs, err := parseCondition(v, variables)
			if err != nil {
				return nil, bad("Condition: %v", err)
			}
			s.conditions = cs
		default:
			return nil, bad("unknown element %q", m.name)
		}
	}
	if effect == nil {
		return nil, bad("no Effect")
	}
	if effect.kind != stringNode || (effect.str != "Allow" && effect.str != "Deny") {
		return nil, bad("Effect %s is neither \"Allow\" nor \"Deny\"", effect.raw)
	}
	s.deny = effect.str == "Deny"
	if s.actions == nil {
		return nil, bad("no Action or NotAction")
	}
	return s, nil
}

// stringList accepts a string or a non-empty list of strings.
func stringList(n *node) ([]string, error) {
	switch n.kind {
	case stringNode:
		return []string{n.str}, nil
	case arrayNode:
		if len(n.items) == 0 {
			return nil, errors.New("empty list")
		}
		out := make([]string, 0, len(n.items))
		for _, it := range n.items {
			if it.kind != stringNode {
				return nil, fmt.Errorf("list holds %s, not only strings", it.kind)
			}
			out = append(out, it.str)
		}
		return out, nil
	}
	return nil, fmt.Errorf("is %s, not a string or a list of strings", n.kind)
}
