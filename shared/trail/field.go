package trail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// FieldError reports a field of the event that is missing or malformed.
// Field is the path from the EventBridge event, such as
// "detail.requestParameters.bucketName".
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(path, format string, args ...any) error {
	return &FieldError{Field: path, Err: fmt.Errorf(format, args...)}
}

func missing(path string) error { return fieldErr(path, "missing") }

// jsonType names the JSON type of a value that is known to be valid JSON.
func jsonType(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}

// present reports whether raw holds a value other than null.
func present(raw json.RawMessage) bool {
	t := jsonType(raw)
	return t != "nothing" && t != "null"
}

// object is one decoded JSON object that remembers where it sits in the
// event, so every error can name the field. Decoding field by field (rather
// than into tagged structs) keeps unknown fields harmless and lets us accept
// the shape variants real records show.
type object struct {
	path   string
	fields map[string]json.RawMessage
}

func decodeObject(path string, raw json.RawMessage) (object, error) {
	if t := jsonType(raw); t != "object" {
		return object{}, fieldErr(path, "want object, got %s", t)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return object{}, fieldErr(path, "invalid JSON: %v", err)
	}
	return object{path: path, fields: m}, nil
}

// decodeObjectOrString accepts an object or a string holding a JSON object,
// a representation some pipelines use for nested documents.
func decodeObjectOrString(path string, raw json.RawMessage) (object, error) {
	if jsonType(raw) != "string" {
		return decodeObject(path, raw)
	}
	inner, err := embeddedObject(path, raw)
	if err != nil {
		return object{}, err
	}
	return decodeObject(path, inner)
}

// embeddedObject returns the JSON object held in the JSON string raw.
func embeddedObject(path string, raw json.RawMessage) (json.RawMessage, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fieldErr(path, "invalid JSON string: %v", err)
	}
	inner := json.RawMessage(strings.TrimSpace(s))
	if !json.Valid(inner) {
		return nil, fieldErr(path, "string does not hold JSON")
	}
	if t := jsonType(inner); t != "object" {
		return nil, fieldErr(path, "string holds a JSON %s, want object", t)
	}
	return inner, nil
}

func (o object) at(key string) string { return o.path + "." + key }

// get returns the value of key, or nil when it is absent or null.
func (o object) get(key string) json.RawMessage {
	raw := o.fields[key]
	if !present(raw) {
		return nil
	}
	return raw
}

// lookup finds the first of keys, matched exactly and then ignoring case,
// and returns the key as spelled in the record.
func (o object) lookup(keys ...string) (string, json.RawMessage) {
	for _, k := range keys {
		if raw := o.get(k); raw != nil {
			return k, raw
		}
	}
	for _, k := range keys {
		for _, actual := range sortedKeys(o.fields) {
			if strings.EqualFold(actual, k) && present(o.fields[actual]) {
				return actual, o.fields[actual]
			}
		}
	}
	return "", nil
}

func (o object) str(key string) (string, error) {
	return stringValue(o.at(key), o.get(key))
}

func (o object) requiredStr(key string) (string, error) {
	s, err := o.str(key)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", missing(o.at(key))
	}
	return s, nil
}

// obj returns the object under key; ok is false when it is absent or null.
func (o object) obj(key string) (child object, ok bool, err error) {
	raw := o.get(key)
	if raw == nil {
		return object{}, false, nil
	}
	child, err = decodeObject(o.at(key), raw)
	return child, err == nil, err
}

func (o object) requiredObj(key string) (object, error) {
	child, ok, err := o.obj(key)
	if err != nil {
		return object{}, err
	}
	if !ok {
		return object{}, missing(o.at(key))
	}
	return child, nil
}

// flag reads "true"/"false" (CloudTrail writes booleans as strings) or a
// JSON boolean; absent means false.
func (o object) flag(key string) (bool, error) {
	raw := o.get(key)
	if raw == nil {
		return false, nil
	}
	switch jsonType(raw) {
	case "boolean":
		return bytes.Equal(bytes.TrimSpace(raw), []byte("true")), nil
	case "string":
		s, err := stringValue(o.at(key), raw)
		if err != nil {
			return false, err
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, nil
		case "false", "":
			return false, nil
		}
		return false, fieldErr(o.at(key), "want \"true\" or \"false\", got %q", s)
	}
	return false, fieldErr(o.at(key), "want boolean string, got %s", jsonType(raw))
}

// integer reads a JSON number or a string holding one; absent means 0.
func (o object) integer(key string) (int, error) {
	raw := o.get(key)
	if raw == nil {
		return 0, nil
	}
	text := string(bytes.TrimSpace(raw))
	switch jsonType(raw) {
	case "number":
	case "string":
		s, err := stringValue(o.at(key), raw)
		if err != nil {
			return 0, err
		}
		text = strings.TrimSpace(s)
	default:
		return 0, fieldErr(o.at(key), "want number, got %s", jsonType(raw))
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		return 0, fieldErr(o.at(key), "want integer, got %q", text)
	}
	return n, nil
}

// strList reads an array of strings; a single string counts as a list of one.
func (o object) strList(key string) ([]string, error) {
	return stringList(o.at(key), o.get(key))
}

func (o object) timestamp(key string) (Timestamp, error) {
	return timestampValue(o.at(key), o.get(key))
}

func stringValue(path string, raw json.RawMessage) (string, error) {
	if !present(raw) {
		return "", nil
	}
	if t := jsonType(raw); t != "string" {
		return "", fieldErr(path, "want string, got %s", t)
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fieldErr(path, "invalid JSON string: %v", err)
	}
	return s, nil
}

func stringList(path string, raw json.RawMessage) ([]string, error) {
	switch jsonType(raw) {
	case "nothing", "null":
		return nil, nil
	case "string":
		s, err := stringValue(path, raw)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	case "array":
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, fieldErr(path, "invalid JSON: %v", err)
		}
		out := make([]string, 0, len(items))
		for i, item := range items {
			itemPath := fmt.Sprintf("%s[%d]", path, i)
			if t := jsonType(item); t != "string" {
				return nil, fieldErr(itemPath, "want string, got %s", t)
			}
			s, err := stringValue(itemPath, item)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fieldErr(path, "want string or array of strings, got %s", jsonType(raw))
}

// singleString reads a string that older S3 records wrap in a one-element
// array (["my-bucket"]).
func singleString(path string, raw json.RawMessage) (string, error) {
	list, err := stringList(path, raw)
	if err != nil {
		return "", err
	}
	switch len(list) {
	case 0:
		return "", nil
	case 1:
		return list[0], nil
	}
	return "", fieldErr(path, "want one string, got %d", len(list))
}

// isAccountID reports whether s is a 12-digit AWS account id.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
