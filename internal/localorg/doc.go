// Package localorg runs a local AWS organization for rootguard's tests and
// demo: moto_server (one state per account) behind a Go layer that adds what
// moto lacks and what rootguard depends on. Start runs one in process;
// `go run ./cmd/localorg serve` runs one for other processes.
//
// # Callers
//
// The layer, an HTTP server on a loopback port, classifies every request by
// the access key of its SigV4 credential (Authorization header or presigned
// X-Amz-Credential):
//
//   - keys it issued for AssumeRoot are root sessions of their target account;
//   - keys moto returned for AssumeRole into a role of a member account are
//     that member's (AssumeRole into an account outside the organization is
//     refused with AccessDenied; keys of a management-account role stay the
//     management account's);
//   - any other key, such as ManagementKeyID, is the management account.
//
// It forwards the request unchanged to moto with the header x-moto-account-id
// naming that account, except for what it answers itself:
//
//   - sts:AssumeRoot, validated as AWS does (management caller, RootSessions
//     feature, member target, one of the five root task policies, duration
//     0..900), issuing credentials bound to the target account, the task
//     policy and an expiry; later requests with them fail with ExpiredToken;
//   - enforcement of each task policy's action list on every root-session
//     request (AccessDenied in the service's own error format);
//   - the root user of each member account (login profile, access keys,
//     signing certificates, MFA devices, GetAccountSummary, GetUser) for IAM
//     calls of a root session without UserName;
//   - S3 bucket ownership: a request on a bucket of another account answers
//     405 MethodNotAllowed for a root session's Get/Put/DeleteBucketPolicy
//     and 403 AccessDenied otherwise (facts §6);
//   - iam:ListOrganizationsFeatures and Organizations ListAccounts,
//     DescribeAccount and DescribeOrganization from the seeded accounts;
//   - injected faults: errors, latency and rate limits per service, action,
//     account and caller.
//
// # Seed
//
// A seed (Seed; LoadSeed, ParseSeed) describes the organization. Every field
// but an account's id is optional:
//
//	{"management_account_id": "111122223333",  // default 111122223333
//	 "organization_id": "o-exampleorgid",       // default o-exampleorgid
//	 "features": ["RootCredentialsManagement", "RootSessions"],
//	 "iam_trusted_access": true,          // false: ListOrganizationsFeatures fails
//	 "delete_virtual_mfa_allowed": false, // may IAMDeleteRootUserCredentials DeleteVirtualMFADevice
//	 "accounts": [{
//	   "id": "444455556666", "name": "workload-dev", "email": "dev@example.com",
//	   "joined": "created",               // or "invited"
//	   "root": {"password": true, "access_keys": 1, "signing_certificates": 1,
//	            "mfa_devices": ["virtual", "passkey", "hardware"]},
//	   "buckets": [{"name": "dev-data", "region": "us-east-1", "policy": {...}}],
//	   "queues": [{"name": "dev-jobs", "region": "us-east-1", "policy": {...}}]}]}
//
// An organization starts with both features and IAM trusted access on, so a
// first seed without features has both; "features": [] turns both off.
// Unknown fields are errors. access_keys and signing_certificates are 0
// to 2, mfa_devices at most 8; a region defaults to us-east-1; an absent or
// null policy means none. The management account may appear in accounts, to
// name it or give it buckets and queues. Bucket names are global: a bucket may
// appear in one account only.
//
// A later seed (POST /_localorg/seed, ApplySeed) adds accounts; for an
// existing account it adds or replaces the buckets and queues it lists and,
// when root is given, replaces the root user's credentials. Top-level fields
// it gives replace the organization's; absent ones (null features included)
// leave them. A refused seed changes nothing: it is checked as a whole
// (format, the management account, a bucket owned by another account or moved
// to another region) before anything is created.
//
// # Admin API
//
// The admin API lives under /_localorg/ on the same port; Client speaks it.
// Answers are JSON; errors are {"error": "..."} with status 400 (404 for an
// unknown route).
//
//   - GET state: the State, read live (buckets and queues from moto).
//   - POST seed: apply a seed as above.
//   - POST faults: replace the fault rules with a JSON list; DELETE faults
//     removes them.
//   - POST clock {"advance_seconds": N}: move the layer's clock forward N >= 0
//     seconds, for good (root-session expiry without sleeping); answers
//     {"now": "2025-01-01T00:00:00Z"}.
//   - POST slack: a Slack incoming-webhook sink; records the payload (JSON
//     body, or the payload field of a form) and answers "ok".
//
// # Fault rules
//
// Each rule (FaultRule) has a match, whose fields (service as the SigV4
// signing name, action as the API operation or IAM action, account, caller)
// are all optional, and one effect:
//
//	{"match": {"service": "sts", "action": "AssumeRoot"}, "error": "Throttling", "status": 400, "times": 3}
//	{"match": {"service": "s3", "account": "444455556666"}, "latency_ms": 50}
//	{"match": {"service": "sqs", "caller": "root-session"}, "rate_per_second": 100}
//	{"match": {"service": "slack"}, "status": 429}
//
// An error rule answers its code in the service's own format (status default
// 400; times 0 means every time). A rate rule answers the service's throttling
// error (S3 SlowDown 503, SQS RequestThrottled, Organizations
// TooManyRequestsException, Throttling elsewhere) beyond the rate, with a
// burst of max(1, rate). For AssumeRoot, account also matches the target
// account. A slack rule makes the sink answer its status (default 500; 429
// adds Retry-After: 1) with error, when given, as the body.
//
// # State
//
// GET /_localorg/state answers:
//
//	{"accounts": {"444455556666": {
//	   "root": {"password": true, "access_keys": ["AKIA..."], "signing_certificates": ["..."],
//	            "mfa_devices": [{"serial": "arn:aws:iam::444455556666:mfa/root-account-mfa-device",
//	                             "kind": "virtual", "active": true}]},
//	   "buckets": {"dev-data": {"policy": {...}}},
//	   "queues": {"dev-jobs": {"url": "http://127.0.0.1:PORT/444455556666/dev-jobs",
//	                           "region": "us-east-1", "policy": null}}}},
//	 "sns": [{"topic_arn": "...", "subject": "...", "message": "...", "attributes": {"k": "v"}}],
//	 "slack": [{"text": "..."}],
//	 "calls": [{"account": "444455556666", "service": "iam", "action": "ListAccessKeys",
//	            "caller": "root-session", "task_policy": "IAMAuditRootUserCredentials",
//	            "region": "us-east-1", "status": 200, "error_code": ""}]}
//
// A deactivated virtual MFA device stays (active false) until it is deleted;
// other devices go. Queues are keyed by name; a name used in two regions of
// one account is keyed REGION/NAME in both. task_policy is the task policy's
// short name, empty for other callers. Calls are in arrival order and logged
// before the answer is written, every call the layer saw (admin API calls
// excluded): take the length before acting to read only one's own.
//
// # Limits
//
// Signatures and session tokens are not verified; S3 must use path-style
// addressing; the IAM delegated administrator is not modelled (only the
// management account may call AssumeRoot); the global and regional STS
// endpoints are not told apart; task policies are enforced as action lists
// (facts §2), not evaluated as policy documents, and bucket or queue policies
// are not evaluated at all; root-user answers carry no UserName; other
// Organizations calls reach moto's own, empty, organization; moto drops a
// queue policy whose Statement list is empty. Expired root sessions answer
// ExpiredToken (Query, S3, SQS) or ExpiredTokenException (other JSON
// services), 403 as AWS's common errors list it, 400 from S3; an unknown TaskPolicyArn and a DurationSeconds over 900 answer
// ValidationError (400); DurationSeconds 0 means the default, 900.
package localorg
