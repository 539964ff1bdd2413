package testbed

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/shared/notify"
)

// Invocation is one invocation of a function and what it caused in the bed.
type Invocation struct {
	Result lambdaharness.Result
	// Finding is the result as a finding; nil for a null result or a
	// function error.
	Finding *notify.Finding
	// Calls are the requests the invocation made, without Secrets Manager
	// reads: a function reads the Slack webhook secret at cold start, which
	// may land in its first invocation's window.
	Calls []localorg.Call
	SNS   []localorg.SNSMessage // published during the invocation
	Slack []json.RawMessage     // posted during the invocation
	State *localorg.State       // the organization after it
}

// Invoke invokes fn with event, allowing it a minute, and returns what it
// caused. A harness error fails the test; a function error does not.
func (b *Bed) Invoke(t testing.TB, fn *lambdaharness.Function, event []byte) Invocation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := b.State(t)
	res, err := fn.Invoke(ctx, event)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	inv, err := collect(res, before, b.State(t))
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// Found is the invocation's finding; it fails the test if the function
// failed or returned none.
func (inv Invocation) Found(t testing.TB) *notify.Finding {
	t.Helper()
	if inv.Result.Error != nil {
		t.Fatalf("function failed: %v", inv.Result.Error)
	}
	if inv.Finding == nil {
		t.Fatalf("no finding, result %s", inv.Result.Payload)
	}
	return inv.Finding
}

// State reads the organization's state, failing the test if it cannot.
func (b *Bed) State(t testing.TB) *localorg.State {
	t.Helper()
	s, err := b.Org.State(context.Background())
	if err != nil {
		t.Fatalf("read state: %v", err)
	}
	return s
}

// Faults makes the organization answer with rules until the test ends.
func (b *Bed) Faults(t testing.TB, rules ...localorg.FaultRule) {
	t.Helper()
	if err := b.Org.SetFaults(rules); err != nil {
		t.Fatalf("set faults: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Org.SetFaults(nil); err != nil {
			t.Errorf("clear faults: %v", err)
		}
	})
}

// collect is the invocation res: what after holds beyond before.
func collect(res lambdaharness.Result, before, after *localorg.State) (Invocation, error) {
	if len(after.Calls) < len(before.Calls) || len(after.SNS) < len(before.SNS) || len(after.Slack) < len(before.Slack) {
		return Invocation{}, fmt.Errorf("state lost calls or deliveries during the invocation")
	}
	inv := Invocation{
		Result: res,
		SNS:    after.SNS[len(before.SNS):],
		Slack:  after.Slack[len(before.Slack):],
		State:  after,
	}
	for _, c := range after.Calls[len(before.Calls):] {
		if c.Service != "secretsmanager" {
			inv.Calls = append(inv.Calls, c)
		}
	}
	if res.Error == nil && string(res.Payload) != "null" {
		inv.Finding = new(notify.Finding)
		if err := json.Unmarshal(res.Payload, inv.Finding); err != nil {
			return Invocation{}, fmt.Errorf("result %s is not a finding: %w", res.Payload, err)
		}
	}
	return inv, nil
}
