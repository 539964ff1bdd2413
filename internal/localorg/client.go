package localorg

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// State is the JSON of GET /_localorg/state.
type State struct {
	Accounts map[string]AccountState `json:"accounts"`
	SNS      []SNSMessage            `json:"sns"`
	Slack    []json.RawMessage       `json:"slack"`
	Calls    []Call                  `json:"calls"`
}

// AccountState is one account: its root user, buckets and queues by name.
type AccountState struct {
	Root    RootState              `json:"root"`
	Buckets map[string]BucketState `json:"buckets"`
	Queues  map[string]QueueState  `json:"queues"`
}

// RootState lists the credentials of an account's root user.
type RootState struct {
	Password            bool             `json:"password"`
	AccessKeys          []string         `json:"access_keys"`
	SigningCertificates []string         `json:"signing_certificates"`
	MFADevices          []MFADeviceState `json:"mfa_devices"`
}

// MFADeviceState is a root MFA device. A deactivated virtual device stays
// (Active false) until DeleteVirtualMFADevice; deactivated passkeys and
// hardware devices are gone.
type MFADeviceState struct {
	Serial string `json:"serial"`
	Kind   string `json:"kind"`
	Active bool   `json:"active"`
}

// BucketState is a bucket; Policy is nil when it has none.
type BucketState struct {
	Policy json.RawMessage `json:"policy"`
}

// QueueState is a queue; Policy is nil when it has none.
type QueueState struct {
	URL    string          `json:"url"`
	Region string          `json:"region"`
	Policy json.RawMessage `json:"policy"`
}

// SNSMessage is a message published to SNS through the layer.
type SNSMessage struct {
	TopicARN   string            `json:"topic_arn"`
	Subject    string            `json:"subject"`
	Message    string            `json:"message"`
	Attributes map[string]string `json:"attributes"`
}

// Call is one request that passed through the layer, in arrival order.
type Call struct {
	Account    string `json:"account"`
	Service    string `json:"service"`
	Action     string `json:"action"`
	Caller     string `json:"caller"`
	TaskPolicy string `json:"task_policy"`
	Region     string `json:"region"`
	Status     int    `json:"status"`
	ErrorCode  string `json:"error_code"`
}

// Client talks to the admin API of a local organization, in process or in
// another process (cmd/localorg serve).
type Client struct {
	endpoint string
	http     *http.Client
}

// NewClient returns a client for the organization at endpoint
// (AWS_ENDPOINT_URL).
func NewClient(endpoint string) *Client {
	return &Client{endpoint: strings.TrimRight(endpoint, "/"), http: &http.Client{Timeout: 30 * time.Second}}
}

// State reads the organization's state.
func (c *Client) State(ctx context.Context) (*State, error) {
	var s State
	if err := c.do(ctx, http.MethodGet, "state", nil, &s); err != nil {
		return nil, err
	}
	// A JSON null decodes into a RawMessage as "null": make it nil, as documented.
	for id, a := range s.Accounts {
		for name, b := range a.Buckets {
			b.Policy = nilIfNull(b.Policy)
			a.Buckets[name] = b
		}
		for name, q := range a.Queues {
			q.Policy = nilIfNull(q.Policy)
			a.Queues[name] = q
		}
		s.Accounts[id] = a
	}
	return &s, nil
}

// Seed adds accounts, buckets, queues and root credentials.
func (c *Client) Seed(ctx context.Context, s *Seed) error {
	return c.do(ctx, http.MethodPost, "seed", s, nil)
}

// SetFaults replaces the fault rules.
func (c *Client) SetFaults(ctx context.Context, rules []FaultRule) error {
	if rules == nil {
		rules = []FaultRule{}
	}
	return c.do(ctx, http.MethodPost, "faults", rules, nil)
}

// ClearFaults removes every fault rule.
func (c *Client) ClearFaults(ctx context.Context) error {
	return c.do(ctx, http.MethodDelete, "faults", nil, nil)
}

// AdvanceClock moves the organization's clock forward, for expiry tests.
func (c *Client) AdvanceClock(ctx context.Context, d time.Duration) error {
	return c.do(ctx, http.MethodPost, "clock", map[string]int64{"advance_seconds": int64(d / time.Second)}, nil)
}

// SlackWebhookURL is the URL of the organization's Slack webhook sink.
func (c *Client) SlackWebhookURL() string { return c.endpoint + adminPrefix + "slack" }

func (c *Client) do(ctx context.Context, method, route string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("localorg %s: %w", route, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+adminPrefix+route, body)
	if err != nil {
		return fmt.Errorf("localorg %s: %w", route, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("localorg %s: %w", route, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("localorg %s: read answer: %w", route, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(b))
		}
		return fmt.Errorf("localorg %s: %s: %s", route, resp.Status, e.Error)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("localorg %s: decode answer: %w", route, err)
		}
	}
	return nil
}

func nilIfNull(m json.RawMessage) json.RawMessage {
	if string(m) == "null" {
		return nil
	}
	return m
}
