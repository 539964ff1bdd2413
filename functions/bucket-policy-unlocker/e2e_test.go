package main

import (
	"encoding/json"
	"testing"

	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/testbed/unlockertest"
)

// End-to-end: the built bootstrap under the Lambda runtime harness, against
// the local organization. The cases the unlockers share run from testbed;
// this file says what is S3's.

var bucketUnlocker = unlockertest.Unlocker{
	Function:  "bucket-policy-unlocker",
	Noun:      "bucket",
	Account:   dev,
	Service:   "s3",
	Task:      localorg.TaskS3UnlockBucketPolicy,
	Get:       "GetBucketPolicy",
	Put:       "PutBucketPolicy",
	Delete:    "DeleteBucketPolicy",
	SCPDenial: "Access Denied by service control policy",

	DenyAll:     "deny-all",
	Mixed:       "lockout-mixed-with-legitimate",
	Removed:     "FreezeBucketPolicy (index 2)",
	Legitimate:  "legitimate-tls-only",
	Conditional: "conditional-vpce",
	FailedCall:  "failed-call",

	Event: readEvent,
	Resource: func(t *testing.T, event []byte) (string, json.RawMessage) {
		c := bucketChange(t, event)
		return c.Bucket, c.Policy
	},
	Seed: func(name string, policy json.RawMessage) localorg.SeedAccount {
		return localorg.SeedAccount{ID: dev, Buckets: []localorg.SeedBucket{{Name: name, Policy: policy}}}
	},
	Policy: func(a localorg.AccountState, name string) (json.RawMessage, bool) {
		b, ok := a.Buckets[name]
		return b.Policy, ok
	},
	Details: func(name string) map[string]string { return map[string]string{"bucket": name} },
}

func TestEndToEnd(t *testing.T) {
	b := unlockertest.Start(t, bucketUnlocker)
	b.Run(t)

	t.Run("policy recorded as a JSON string", func(t *testing.T) {
		b.Unlocks(t, readEvent(t, "deny-all-policy-as-string"))
	})

	t.Run("deletion of a bucket policy: ignored", func(t *testing.T) {
		b.Ignores(t, readEvent(t, "delete-bucket-policy"))
	})
}
