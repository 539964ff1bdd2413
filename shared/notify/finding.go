package notify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Kind names what a Finding is about. Functions may add kinds of their own:
// lower-case words joined by hyphens.
type Kind string

// Kinds known so far.
const (
	KindRootSession            Kind = "root-session"
	KindRootConsoleLogin       Kind = "root-console-login"
	KindPolicyUnlocked         Kind = "policy-unlocked"
	KindRootCredentialsRemoved Kind = "root-credentials-removed"
	KindAudit                  Kind = "audit"
	// KindCentralizedRootAccessOff: an account could not be checked because
	// the organization has centralized root access off. Not
	// KindRootCredentialsRemoved: it is about the organization, and once the
	// features are on a redelivered event must yield a new finding id, not
	// one subscribers take for a duplicate.
	KindCentralizedRootAccessOff Kind = "centralized-root-access-off"
)

func (k Kind) valid() bool {
	if k == "" || k[0] == '-' || k[len(k)-1] == '-' {
		return false
	}
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// Finding is what every rootguard function reports: to SNS as JSON, to Slack
// rendered, and as the handler's result.
type Finding struct {
	ID          string    `json:"id"`
	Kind        Kind      `json:"kind"`
	Severity    Severity  `json:"severity"`
	AccountID   string    `json:"account_id"`
	AccountName string    `json:"account_name"`
	Region      string    `json:"region"`
	Resource    string    `json:"resource"`
	Summary     string    `json:"summary"`
	Details     Details   `json:"details"`
	Actions     []string  `json:"actions"`
	Mode        Mode      `json:"mode"`
	EventID     string    `json:"event_id"`
	EventTime   time.Time `json:"event_time"`
}

// NewID returns the deterministic id of the finding about resource that the
// source event eventID produced. EventBridge delivers at least once, so the
// same event must yield the same id: subscribers deduplicate on it.
func NewID(kind Kind, eventID, resource string) string {
	h := sha256.New()
	// NUL separators keep ("a","bc") and ("ab","c") apart.
	for _, part := range []string{string(kind), eventID, resource} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Validate reports what makes f unfit for delivery.
func (f Finding) Validate() error {
	var errs []error
	if f.ID == "" {
		errs = append(errs, errors.New("id is empty"))
	}
	if !f.Kind.valid() {
		errs = append(errs, fmt.Errorf("kind %q is not lower-case words joined by hyphens", f.Kind))
	}
	if !f.Severity.Valid() {
		errs = append(errs, fmt.Errorf("severity %q is not critical, high, medium, low or info", f.Severity))
	}
	if !f.Mode.Valid() {
		errs = append(errs, fmt.Errorf("mode %q is not enforce or report", f.Mode))
	}
	if f.Summary == "" {
		errs = append(errs, errors.New("summary is empty"))
	}
	if f.EventID == "" {
		errs = append(errs, errors.New("event id is empty"))
	}
	if f.EventTime.IsZero() {
		errs = append(errs, errors.New("event time is zero"))
	}
	if err := f.Details.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("invalid finding %q: %w", f.ID, err)
	}
	return nil
}

// MarshalJSON writes f with empty details as {} and no actions as [], so
// consumers never meet null, and without HTML escaping, so the SNS body
// stays readable in e-mail.
func (f Finding) MarshalJSON() ([]byte, error) {
	type plain Finding // no methods: avoids recursion
	p := plain(f)
	if p.Actions == nil {
		p.Actions = []string{}
	}
	return marshal(p)
}

// Fact is one entry of a Finding's details. Value must marshal to JSON:
// a string, or structured data such as a policy document (json.RawMessage
// or any value encoding/json accepts).
type Fact struct {
	Key   string
	Value any
}

// Details are a Finding's facts in the order their author chose. They
// marshal to a JSON object with the keys in that order, so the JSON is
// deterministic, subscribers can address details by key, and Slack shows
// them in a sensible order.
type Details []Fact

// Value returns the value of the fact named key.
func (d Details) Value(key string) (any, bool) {
	for _, f := range d {
		if f.Key == key {
			return f.Value, true
		}
	}
	return nil, false
}

func (d Details) validate() error {
	seen := make(map[string]bool, len(d))
	for _, f := range d {
		if f.Key == "" {
			return errors.New("details: empty key")
		}
		if seen[f.Key] {
			return fmt.Errorf("details: duplicate key %q", f.Key)
		}
		seen[f.Key] = true
	}
	return nil
}

// MarshalJSON writes d as an object, keys in order.
func (d Details) MarshalJSON() ([]byte, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range d {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := marshal(f.Value)
		if err != nil {
			return nil, fmt.Errorf("details %q: %w", f.Key, err)
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object, keeping key order. String values become
// strings; any other value is kept as compact json.RawMessage.
func (d *Details) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("details: %w", err)
	}
	if tok == nil {
		*d = nil
		return nil
	}
	if tok != json.Delim('{') {
		return errors.New("details: not a JSON object")
	}
	out := Details{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("details: %w", err)
		}
		key := tok.(string) // inside an object, the decoder only yields string keys
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("details %q: %w", key, err)
		}
		var value any
		if raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("details %q: %w", key, err)
			}
			value = s
		} else {
			var c bytes.Buffer
			if err := json.Compact(&c, raw); err != nil {
				return fmt.Errorf("details %q: %w", key, err)
			}
			value = json.RawMessage(c.Bytes())
		}
		out = append(out, Fact{Key: key, Value: value})
	}
	*d = out
	return nil
}

// marshal is json.Marshal without HTML escaping and without the trailing newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
