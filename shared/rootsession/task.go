package rootsession

import "fmt"

// Task is one of the AWS managed task policies that scope a root session.
// The zero value is not a task.
type Task int

// The five task policies AssumeRoot accepts (facts §2).
const (
	AuditRootUserCredentials Task = iota + 1
	CreateRootUserPassword
	DeleteRootUserCredentials
	UnlockS3BucketPolicy
	UnlockSQSQueuePolicy
)

const arnPrefix = "arn:aws:iam::aws:policy/root-task/"

var tasks = [...]struct {
	policy, words, description string
}{
	AuditRootUserCredentials: {
		"IAMAuditRootUserCredentials",
		"audit root credentials",
		"read the root user's password status, access keys, signing certificates and MFA devices",
	},
	CreateRootUserPassword: {
		"IAMCreateRootUserPassword",
		"re-enable root password recovery",
		"create a login profile without a password, so the root email owner can recover the password",
	},
	DeleteRootUserCredentials: {
		"IAMDeleteRootUserCredentials",
		"delete root credentials",
		"delete the root user's password, access keys and signing certificates and deactivate its MFA devices",
	},
	UnlockS3BucketPolicy: {
		"S3UnlockBucketPolicy",
		"unlock S3 bucket policy",
		"read, rewrite or delete an S3 bucket policy in the account",
	},
	UnlockSQSQueuePolicy: {
		"SQSUnlockQueuePolicy",
		"unlock SQS queue policy",
		"read or rewrite the policy of an SQS queue in the account",
	},
}

func (t Task) valid() bool { return t > 0 && int(t) < len(tasks) }

// ARN returns the task policy ARN, or "" for an unknown task.
func (t Task) ARN() string {
	if !t.valid() {
		return ""
	}
	return arnPrefix + t.PolicyName()
}

// PolicyName is the task policy's name, e.g. IAMDeleteRootUserCredentials,
// or "" for an unknown task.
func (t Task) PolicyName() string {
	if !t.valid() {
		return ""
	}
	return tasks[t].policy
}

// String describes the task in a few words, as findings show it.
func (t Task) String() string {
	if !t.valid() {
		return fmt.Sprintf("unknown task %d", int(t))
	}
	return tasks[t].words
}

// Description says what a session with this task policy can do.
func (t Task) Description() string {
	if !t.valid() {
		return ""
	}
	return tasks[t].description
}

// TaskFromPolicyName returns the task whose policy is named name, e.g.
// IAMDeleteRootUserCredentials.
func TaskFromPolicyName(name string) (Task, bool) {
	return TaskFromARN(arnPrefix + name)
}

// TaskFromARN returns the task whose policy ARN is arn, as found in
// AssumeRoot events (requestParameters.taskPolicyArn.arn).
func TaskFromARN(arn string) (Task, bool) {
	for t := AuditRootUserCredentials; t.valid(); t++ {
		if t.ARN() == arn {
			return t, true
		}
	}
	return 0, false
}
