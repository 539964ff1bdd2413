package localorg

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// TaskPolicyPrefix is the ARN prefix of the AWS managed root task policies.
const TaskPolicyPrefix = "arn:aws:iam::aws:policy/root-task/"

// Root task policies (facts §2).
const (
	TaskAuditRootUserCredentials  = "IAMAuditRootUserCredentials"
	TaskCreateRootUserPassword    = "IAMCreateRootUserPassword"
	TaskDeleteRootUserCredentials = "IAMDeleteRootUserCredentials"
	TaskS3UnlockBucketPolicy      = "S3UnlockBucketPolicy"
	TaskSQSUnlockQueuePolicy      = "SQSUnlockQueuePolicy"
)

// taskActions lists, per task policy, the service:action pairs a root session
// may perform. DeleteVirtualMFADevice is added at check time when the seed
// allows it.
var taskActions = map[string][]string{
	TaskAuditRootUserCredentials: {"iam:GetLoginProfile", "iam:ListAccessKeys", "iam:ListSigningCertificates",
		"iam:ListMFADevices", "iam:GetAccountSummary", "iam:GetUser", "iam:GetAccessKeyLastUsed"},
	TaskCreateRootUserPassword: {"iam:CreateLoginProfile", "iam:GetLoginProfile"},
	TaskDeleteRootUserCredentials: {"iam:DeleteLoginProfile", "iam:DeleteAccessKey", "iam:DeleteSigningCertificate",
		"iam:DeactivateMFADevice", "iam:GetLoginProfile", "iam:ListAccessKeys", "iam:ListSigningCertificates",
		"iam:ListMFADevices", "iam:GetUser", "iam:GetAccessKeyLastUsed"},
	TaskS3UnlockBucketPolicy: {"s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:ListAllMyBuckets"},
	TaskSQSUnlockQueuePolicy: {"sqs:GetQueueAttributes", "sqs:SetQueueAttributes", "sqs:ListQueues", "sqs:GetQueueUrl"},
}

const maxRootSession = 900 * time.Second

// assumeRoot answers sts:AssumeRoot as AWS validates it.
func (o *Org) assumeRoot(req *request) *response {
	denied := func(msg string) *response {
		return req.errorResponse(apiError{status: http.StatusForbidden, code: "AccessDenied", message: msg})
	}
	invalid := func(msg string) *response {
		return req.errorResponse(apiError{status: http.StatusBadRequest, code: "ValidationError", message: msg})
	}
	target := req.param("TargetPrincipal")
	policyARN := req.param("TaskPolicyArn.arn")
	duration := maxRootSession
	if d := req.param("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 || n > 900 {
			return invalid(fmt.Sprintf("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 900", d))
		}
		// 0 is inside AWS's documented range; like other STS calls it means the default.
		if n > 0 {
			duration = time.Duration(n) * time.Second
		}
	}
	if len(target) < 12 || len(target) > 2048 {
		return invalid("1 validation error detected: Value at 'targetPrincipal' failed to satisfy constraint: Member must have length between 12 and 2048")
	}
	task, ok := strings.CutPrefix(policyARN, TaskPolicyPrefix)
	if _, known := taskActions[task]; !ok || !known {
		return invalid(fmt.Sprintf("TaskPolicyArn %q is not one of the root task policies (%s<IAMAuditRootUserCredentials|IAMCreateRootUserPassword|IAMDeleteRootUserCredentials|S3UnlockBucketPolicy|SQSUnlockQueuePolicy>)", policyARN, TaskPolicyPrefix))
	}
	if req.caller != CallerManagement {
		return denied(fmt.Sprintf("User in account %s is not authorized to perform: sts:AssumeRoot: only the organization's management account or delegated administrator can call AssumeRoot", req.account))
	}
	targetAccount := principalAccount(target)
	if targetAccount == "" {
		return invalid(fmt.Sprintf("TargetPrincipal %q is not an account id or principal ARN", target))
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.hasFeature(FeatureRootSessions) {
		return denied("Centralized root access is not enabled for this organization: the RootSessions feature (root sessions) must be enabled to call AssumeRoot")
	}
	if targetAccount == o.managementID {
		return denied("AssumeRoot cannot target the management account " + targetAccount)
	}
	if _, member := o.accounts[targetAccount]; !member {
		return denied("Account " + targetAccount + " is not a member of organization " + o.organizationID)
	}
	keyID := "ASIA" + randomString(upperDigits, 16)
	expires := o.nowLocked().Add(duration).Truncate(time.Second)
	o.sessions[keyID] = &rootSession{account: targetAccount, task: task, expires: expires}
	token := base64.StdEncoding.EncodeToString([]byte("localorg-root-session/" + randomString(lowerDigits, 96)))
	return req.queryResponse(stsNamespace, fmt.Sprintf(
		"<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>%s</Expiration></Credentials>",
		keyID, randomString(upperDigits+lowerDigits, 40), token, isoTime(expires)))
}

// enforce checks a root session's request against its task policy; nil means
// allowed.
func (o *Org) enforce(req *request) *response {
	s := req.session
	action := req.service + ":" + req.iamAction
	o.mu.Lock()
	allowed := slices.Contains(taskActions[s.task], action) ||
		action == "sts:GetCallerIdentity" ||
		(o.deleteVirtualMFA && s.task == TaskDeleteRootUserCredentials && action == "iam:DeleteVirtualMFADevice")
	o.mu.Unlock()
	reason := "the root task policy " + s.task + " does not allow it"
	switch {
	case allowed && req.service == "iam" && req.param("UserName") != "":
		// The task policies only reach the root user of the session's account.
		allowed, reason = false, "the root task policy "+s.task+" only allows acting on the root user"
	case allowed && req.service == "sqs":
		if owner := queueOwner(req.param("QueueUrl")); owner != "" && owner != s.account {
			allowed, reason = false, "the root task policy "+s.task+" only allows the account's own queues"
		}
		if owner := req.param("QueueOwnerAWSAccountId"); owner != "" && owner != s.account {
			allowed, reason = false, "the root task policy "+s.task+" only allows the account's own queues"
		}
	}
	if allowed {
		return nil
	}
	return req.errorResponse(apiError{status: http.StatusForbidden, code: "AccessDenied",
		message: fmt.Sprintf("User: arn:aws:iam::%s:root is not authorized to perform: %s because %s", s.account, action, reason)})
}

// queueOwner is the account of a queue URL (https://host/ACCOUNT/name).
func queueOwner(queueURL string) string {
	parts := strings.Split(strings.TrimRight(queueURL, "/"), "/")
	if len(parts) < 2 {
		return ""
	}
	if a := parts[len(parts)-2]; accountIDPattern.MatchString(a) {
		return a
	}
	return ""
}

// principalAccount is the account of an AssumeRoot TargetPrincipal (an account
// id or a principal ARN), or "" when it names none.
func principalAccount(target string) string {
	if strings.HasPrefix(target, "arn:") {
		return arnAccount(target)
	}
	if !accountIDPattern.MatchString(target) {
		return ""
	}
	return target
}
