package rootsession

import (
	"strings"
	"testing"
)

func TestTask(t *testing.T) {
	tests := []struct {
		task  Task
		arn   string
		words string
	}{
		{AuditRootUserCredentials, "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials", "audit root credentials"},
		{CreateRootUserPassword, "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword", "re-enable root password recovery"},
		{DeleteRootUserCredentials, "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials", "delete root credentials"},
		{UnlockS3BucketPolicy, "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy", "unlock S3 bucket policy"},
		{UnlockSQSQueuePolicy, "arn:aws:iam::aws:policy/root-task/SQSUnlockQueuePolicy", "unlock SQS queue policy"},
	}
	for _, tt := range tests {
		t.Run(tt.words, func(t *testing.T) {
			if got := tt.task.ARN(); got != tt.arn {
				t.Errorf("ARN() = %q, want %q", got, tt.arn)
			}
			if got := tt.task.String(); got != tt.words {
				t.Errorf("String() = %q, want %q", got, tt.words)
			}
			if tt.task.Description() == "" {
				t.Error("Description() is empty")
			}
			got, ok := TaskFromARN(tt.arn)
			if !ok || got != tt.task {
				t.Errorf("TaskFromARN(%q) = %v, %v; want %v, true", tt.arn, got, ok, tt.task)
			}
		})
	}
}

func TestTaskFromARNUnknown(t *testing.T) {
	for _, arn := range []string{
		"",
		"arn:aws:iam::aws:policy/root-task/",
		"arn:aws:iam::aws:policy/root-task/iamauditrootusercredentials",
		"arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials/extra",
		"arn:aws:iam::aws:policy/IAMAuditRootUserCredentials",
		"arn:aws:iam::111122223333:policy/root-task/IAMAuditRootUserCredentials",
		"arn:aws:iam::aws:policy/AdministratorAccess",
	} {
		if task, ok := TaskFromARN(arn); ok {
			t.Errorf("TaskFromARN(%q) = %v, true; want false", arn, task)
		}
	}
}

func TestUnknownTask(t *testing.T) {
	for _, task := range []Task{0, -1, UnlockSQSQueuePolicy + 1} {
		if task.ARN() != "" || task.Description() != "" {
			t.Errorf("task %d: ARN %q, Description %q; want empty", int(task), task.ARN(), task.Description())
		}
		if !strings.HasPrefix(task.String(), "unknown task") {
			t.Errorf("task %d: String() = %q", int(task), task.String())
		}
	}
}

func TestTaskFromPolicyName(t *testing.T) {
	for task := AuditRootUserCredentials; task <= UnlockSQSQueuePolicy; task++ {
		got, ok := TaskFromPolicyName(task.PolicyName())
		if !ok || got != task {
			t.Errorf("TaskFromPolicyName(%q) = %v, %v; want %v", task.PolicyName(), got, ok, task)
		}
	}
	if _, ok := TaskFromPolicyName("IAMDeleteEverything"); ok {
		t.Error("an unknown policy name was accepted")
	}
}
