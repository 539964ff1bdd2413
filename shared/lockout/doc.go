// Package lockout decides whether an S3 bucket policy or an SQS queue policy
// locks every principal of the owning account, except its root user, out of
// changing that policy, and which statements to remove to repair it. It makes
// no AWS calls.
//
// # The question
//
// A policy is a lockout when every principal of the owning account other than
// its root user is denied, whatever the request, every way to change the
// policy: for S3 both s3:PutBucketPolicy and s3:DeleteBucketPolicy on
// arn:PARTITION:s3:::BUCKET, for SQS sqs:SetQueueAttributes on the queue ARN.
// The partition (Input.Partition, aws unless set; a queue's is its ARN's)
// is that of the bucket's ARN and of every principal of the account: a
// bucket in aws-us-gov is judged with arn:aws-us-gov:iam::ACCOUNT:... roles. It is
// conditional when the same denial can be escaped only from a particular
// network location (aws:SourceIp, aws:SourceVpce, aws:SourceVpc, ...), or only
// under conditions the analysis cannot decide. It is ok when some principal of
// the account can still change the policy from an ordinary request: signed
// with SigV4, over TLS or not, from the internet, with MFA if a statement asks
// for it. Only Deny statements matter: the account's identity policies grant
// what the resource policy does not deny, so no Allow can lock anyone out.
//
// # The model
//
// Analyze builds, for each policy-changing action, a finite set of request
// worlds from the values the Deny statements mention: principals of the
// account (a new role, user and federated user; every role, user or session
// of the account the policy names; for each value aws:PrincipalArn or
// aws:username is compared with, however spelt ("*:role/Admin",
// "arn:*:iam::ACCOUNT:*/Admin", "ARN:AWS:IAM::ACCOUNT:ROLE/Admin" under an
// IgnoreCase operator), the roles, users and federated users of the account
// whose ARN it matches: the pattern is run over each shape of principal ARN,
// arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME, .../user/[PATH/]NAME and
// arn:PARTITION:sts::ACCOUNT:federated-user/NAME, and its wildcards filled
// with nothing, one character and a word, each result checked with the
// operator's own matcher; and, for an identifier it cannot place such as
// AROA..., copies of those that carry it). A value of a negated operator
// that provably names no principal of the account (another account or
// partition, the root user, a session ARN) spares nobody; one for which no
// principal can be built, without such proof, stands for uncertain
// principals of unknown name, so the statement is at worst conditional,
// never a lockout. Network origins (an internet address
// outside every listed range, addresses at and beside each listed range,
// requests through a VPC endpoint, which carry no aws:SourceIp); transport
// (TLS 1.2, TLS 1.3, plain HTTP); MFA (long-term keys, a session without MFA,
// sessions with MFA of several ages); and for every other condition key its
// absence, each listed value, an example of each listed pattern, neighbours of
// listed numbers and an unlisted value. Each world is ordinary,
// network-specific (a listed address range, a VPC endpoint) or uncertain (a
// request AWS may never produce for the action, a principal only an opaque
// identifier names).
//
// Statements are evaluated in three-valued logic (applies, does not apply,
// cannot tell) with IAM's rules: Action/NotAction and Resource/NotResource
// with * and ? wildcards (actions case-insensitive, ARNs not); Principal and
// NotPrincipal, where an account principal (arn:aws:iam::ACCOUNT:root or the
// bare id) covers every principal of that account and a role covers its
// sessions; condition operators with IfExists, Null, ForAnyValue and
// ForAllValues, negated operators holding for absent keys, keys
// case-insensitive, operators ANDed, the values of one key ORed; ${...} policy
// variables in 2012-10-17 documents, which are never resolved.
//
// For each action: it is open when an ordinary world escapes every Deny
// statement (a real principal and request, one the account's administrators
// can create if it does not exist yet); locked when one statement applies in
// every world; conditional otherwise. The policy is ok when some action is
// open, a lockout when every action is locked, conditional otherwise. A
// statement offends with verdict Lockout when it applies in every world, and
// with verdict Conditional when only network-specific or uncertain worlds
// escape it, or when it is escapable alone but, together with the other
// statements left, leaves no ordinary world. Removing every offending
// statement gives a policy Analyze calls ok; removing only the Lockout ones
// gives a policy that is never a lockout.
//
// Condition keys are sorted by who decides them:
//   - about the principal (aws:PrincipalArn, aws:PrincipalAccount,
//     aws:PrincipalOrgID, aws:PrincipalType, aws:PrincipalIsAWSService,
//     aws:username, aws:PrincipalTag/...): evaluated for each candidate
//     principal; tags count as settable by the account;
//   - set by the caller (aws:SecureTransport, aws:MultiFactorAuthPresent,
//     aws:MultiFactorAuthAge, aws:Referer, aws:UserAgent, aws:SourceIdentity,
//     s3:TlsVersion, s3:authType, s3:signatureAge, s3:x-amz-content-sha256;
//     s3:signatureversion AWS4-HMAC-SHA256, while SigV2 is uncertain);
//   - fixed for the resource (aws:ResourceAccount, s3:ResourceAccount,
//     aws:ResourceOrgID with Input.OrgID, aws:RequestedRegion for a queue);
//   - network (aws:SourceIp, aws:SourceVpce, aws:SourceVpc, aws:VpcSourceIp,
//     aws:SourceVpcArn, aws:VpceAccount, aws:VpceOrgID, ...);
//   - request parameters the policy actions do not carry (s3:x-amz-acl,
//     s3:x-amz-server-side-encryption and the other object keys, aws:SourceArn,
//     aws:SourceAccount, aws:CalledVia, aws:RequestTag/..., aws:TagKeys, other
//     services' keys; aws:ViaAWSService true): absent in an ordinary request,
//     any value only in an uncertain one;
//   - unpredictable (aws:CurrentTime, aws:EpochTime, aws:TokenIssueTime,
//     aws:userid, which every request by the account's principals carries
//     (so Null decides it), aws:PrincipalOrgPaths, aws:ResourceTag/..., a bucket's
//     aws:RequestedRegion, aws:PrincipalOrgID and aws:ResourceOrgID without
//     Input.OrgID, and every global key this package does not know): cannot
//     tell, so never ok on their account and never lockout.
//
// # Limits
//
// The analysis reads one document. It does not see SCPs, RCPs, VPC endpoint
// policies, permissions boundaries or identity policies, which can deny more
// but never restore what a bucket or queue policy denies. It counts a
// principal the account's administrators can create (a role of a given name,
// a tag) as available: a Deny sparing arn:aws:iam::ACCOUNT:role/Admin is ok
// even if that role does not exist today. So is a role's path: a Deny
// sparing arn:aws:iam::ACCOUNT:role/Admin (ArnNotEquals) is ok even when the
// account's Admin role is /ops/Admin, although that role is denied, and no
// role named Admin can be created beside it (role names are unique whatever
// the path): the administrators must delete and recreate it, or use
// another. NotPrincipal naming a user or role
// of the account counts as sparing it, although AWS warns that some services
// deny it unless the account is listed too; and an account in NotPrincipal
// spares all its principals. Statements that jointly cover every request while
// none does alone are reported conditional, never lockout. Dates, unique ids
// and canonical user ids are never decided. Principal and request attributes
// are varied independently (a role with long-term keys is one of the worlds).
// When a statement's conditions combine more values than a fixed budget, it is
// reported conditional; when the search for an escape exceeds its budget, the
// policy is not called ok. A Deny that only a request carrying a parameter
// the policy-changing actions never carry could escape (aws:SourceArn,
// s3:x-amz-server-side-encryption) is conditional, its reason saying it
// likely locks out. Wildcards in compared ARNs are filled in a few ways
// only: statements that jointly spare only a name no filling reaches are
// reported conditional where ok would be right.
package lockout
