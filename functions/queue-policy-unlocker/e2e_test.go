package main

import (
	"encoding/json"
	"testing"

	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/testbed/unlockertest"
)

// End-to-end: the built bootstrap under the Lambda runtime harness, against
// the local organization. The cases the unlockers share run from testbed;
// this file says what is SQS's.

var queueUnlocker = unlockertest.Unlocker{
	Function: "queue-policy-unlocker",
	Noun:     "queue",
	Account:  dev,
	Service:  "sqs",
	Task:     localorg.TaskSQSUnlockQueuePolicy,
	Get:      "GetQueueAttributes",
	// Removing a queue policy is setting the Policy attribute to "".
	Put:       "SetQueueAttributes",
	Delete:    "SetQueueAttributes",
	SCPDenial: "Access to the resource is denied by a service control policy",

	DenyAll:     "set-queue-attributes-deny-all",
	Mixed:       "lockout-mixed-with-legitimate",
	Removed:     "FreezeQueuePolicy (index 2)",
	Legitimate:  "legitimate-sns-to-sqs",
	Conditional: "conditional-source-ip",
	FailedCall:  "failed-call",

	Event: readEvent,
	Resource: func(t *testing.T, event []byte) (string, json.RawMessage) {
		c := queueChange(t, event)
		return c.Queue.Name, c.Policy
	},
	Seed: func(name string, policy json.RawMessage) localorg.SeedAccount {
		return localorg.SeedAccount{ID: dev, Queues: []localorg.SeedQueue{{Name: name, Region: "us-east-1", Policy: policy}}}
	},
	Policy: func(a localorg.AccountState, name string) (json.RawMessage, bool) {
		q, ok := a.Queues[name]
		return q.Policy, ok
	},
	Details: func(name string) map[string]string {
		return map[string]string{"queue": name, "queue_url": urlPrefix + name}
	},
}

func TestEndToEnd(t *testing.T) {
	b := unlockertest.Start(t, queueUnlocker)
	b.Run(t)

	t.Run("CreateQueue with a deny-all policy", func(t *testing.T) {
		f := b.Unlocks(t, readEvent(t, "create-queue-with-deny-all"))
		if v, _ := f.Details.Value("event"); v != "CreateQueue" {
			t.Errorf("event = %v", v)
		}
	})

	t.Run("policy removed: ignored", func(t *testing.T) {
		b.Ignores(t, readEvent(t, "set-queue-attributes-policy-removed"))
	})
}
