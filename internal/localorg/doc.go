// Package localorg runs a local AWS organization for rootguard's tests and
// demo: moto_server (one state per account) behind a Go layer that adds what
// moto lacks and what rootguard depends on.
//
// The layer, an HTTP server on a loopback port, classifies every request by
// the access key of its SigV4 credential (Authorization header or presigned
// X-Amz-Credential): keys returned by AssumeRole into a role of another
// account are that member's, keys it issued for AssumeRoot are root sessions,
// any other key is the management account. It forwards the request unchanged
// to moto with the header x-moto-account-id naming that account, except for
// what it answers itself:
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
//   - iam:ListOrganizationsFeatures and Organizations ListAccounts,
//     DescribeAccount and DescribeOrganization from the seeded accounts;
//   - injected faults: errors, latency and rate limits per service, action,
//     account and caller.
//
// The admin API lives under /_localorg/ on the same port: GET state, POST
// seed, POST and DELETE faults, POST clock ({"advance_seconds": N} moves the
// layer's clock forward, so expiry is tested without sleeping) and POST slack
// (a Slack incoming-webhook sink). Client speaks it.
//
// Limits: signatures and session tokens are not verified; S3 must use
// path-style addressing; the IAM delegated administrator is not modelled
// (only the management account may call AssumeRoot); the global and regional
// STS endpoints are not told apart; task policies are enforced as action lists
// (facts §2), not evaluated as policy documents; root-user answers carry no
// UserName; other Organizations calls reach moto's own, empty, organization;
// moto keeps one bucket namespace for all accounts and drops a queue policy
// whose Statement list is empty. Expired root sessions answer ExpiredToken
// (Query, S3, SQS) or ExpiredTokenException (other JSON services); an unknown
// TaskPolicyArn and a DurationSeconds over 900 answer ValidationError (400);
// DurationSeconds 0 means the default, 900.
package localorg
