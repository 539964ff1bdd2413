package settings

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rootguard/rootguard/shared/notify"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadDefaults(t *testing.T) {
	s, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := Settings{
		Notify: notify.Config{SlackMinSeverity: notify.SeverityInfo},
		Mode:   notify.ModeEnforce,
	}
	if !reflect.DeepEqual(s, want) {
		t.Errorf("Load(empty) = %+v, want %+v", s, want)
	}
}

func TestLoad(t *testing.T) {
	const topic = "arn:aws:sns:us-east-1:111122223333:rootguard-findings"
	const secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:rootguard/slack-AbCdEf"
	tests := []struct {
		name    string
		vars    map[string]string
		check   func(t *testing.T, s Settings)
		wantErr []string
	}{
		{
			name: "topic", vars: map[string]string{EnvSNSTopicARN: " " + topic + " "},
			check: func(t *testing.T, s Settings) { eq(t, s.Notify.TopicARN, topic) },
		},
		{
			name: "fifo topic", vars: map[string]string{EnvSNSTopicARN: topic + ".fifo"},
			check: func(t *testing.T, s Settings) { eq(t, s.Notify.TopicARN, topic+".fifo") },
		},
		{name: "topic not an ARN", vars: map[string]string{EnvSNSTopicARN: "rootguard-findings"}, wantErr: []string{`ROOTGUARD_SNS_TOPIC_ARN: "rootguard-findings" is not an SNS topic ARN`}},
		{name: "topic of another service", vars: map[string]string{EnvSNSTopicARN: "arn:aws:sqs:us-east-1:111122223333:q"}, wantErr: []string{"ROOTGUARD_SNS_TOPIC_ARN:"}},
		{name: "topic without region", vars: map[string]string{EnvSNSTopicARN: "arn:aws:sns::111122223333:t"}, wantErr: []string{"ROOTGUARD_SNS_TOPIC_ARN:"}},
		{name: "topic bad account", vars: map[string]string{EnvSNSTopicARN: "arn:aws:sns:us-east-1:1111:t"}, wantErr: []string{"ROOTGUARD_SNS_TOPIC_ARN:"}},
		{name: "topic bad name", vars: map[string]string{EnvSNSTopicARN: "arn:aws:sns:us-east-1:111122223333:a/b"}, wantErr: []string{"ROOTGUARD_SNS_TOPIC_ARN:"}},
		{
			name: "slack secret ARN", vars: map[string]string{EnvSlackWebhookSecret: secret},
			check: func(t *testing.T, s Settings) {
				eq(t, s.Notify.SlackWebhook, notify.SecretRef{Store: notify.SecretsManager, ID: secret, Region: "us-east-1"})
			},
		},
		{
			name: "slack parameter name", vars: map[string]string{EnvSlackWebhookSecret: "/rootguard/slack"},
			check: func(t *testing.T, s Settings) {
				eq(t, s.Notify.SlackWebhook, notify.SecretRef{Store: notify.ParameterStore, ID: "/rootguard/slack"})
			},
		},
		{name: "slack secret bad", vars: map[string]string{EnvSlackWebhookSecret: "arn:aws:s3:::bucket"}, wantErr: []string{"ROOTGUARD_SLACK_WEBHOOK_SECRET:"}},
		{name: "slack URL instead of secret", vars: map[string]string{EnvSlackWebhookSecret: "https://hooks.slack.com/services/T/B/s3cr3t"}, wantErr: []string{"ROOTGUARD_SLACK_WEBHOOK_SECRET: value is a URL"}},
		{
			name: "slack min severity", vars: map[string]string{EnvSlackMinSeverity: "High"},
			check: func(t *testing.T, s Settings) { eq(t, s.Notify.SlackMinSeverity, notify.SeverityHigh) },
		},
		{name: "slack min severity bad", vars: map[string]string{EnvSlackMinSeverity: "warn"}, wantErr: []string{`ROOTGUARD_SLACK_MIN_SEVERITY: "warn" is not critical, high, medium, low or info`}},
		{
			name: "report mode", vars: map[string]string{EnvMode: "report"},
			check: func(t *testing.T, s Settings) { eq(t, s.Mode, notify.ModeReport) },
		},
		{
			name: "blank mode is enforce", vars: map[string]string{EnvMode: "  "},
			check: func(t *testing.T, s Settings) { eq(t, s.Mode, notify.ModeEnforce) },
		},
		{name: "mode bad", vars: map[string]string{EnvMode: "enforced"}, wantErr: []string{`ROOTGUARD_MODE: "enforced" is not enforce or report`}},
		{
			name: "exempt accounts", vars: map[string]string{EnvExemptAccounts: " 444455556666 ,555566667777,, "},
			check: func(t *testing.T, s Settings) {
				eq(t, s.ExemptAccounts, []string{"444455556666", "555566667777"})
			},
		},
		{name: "exempt account short", vars: map[string]string{EnvExemptAccounts: "444455556666,12345"}, wantErr: []string{`ROOTGUARD_EXEMPT_ACCOUNTS: "12345" is not a 12-digit account id`}},
		{name: "exempt account with letters", vars: map[string]string{EnvExemptAccounts: "44445555666x"}, wantErr: []string{"ROOTGUARD_EXEMPT_ACCOUNTS:"}},
		{name: "exempt accounts separated by spaces", vars: map[string]string{EnvExemptAccounts: "444455556666 555566667777"}, wantErr: []string{"ROOTGUARD_EXEMPT_ACCOUNTS:"}},
		{
			name: "own role patterns", vars: map[string]string{EnvOwnRolePatterns: "arn:aws:iam::111122223333:role/rootguard-*, arn:aws:iam::*:role/path/rootguard-hardener"},
			check: func(t *testing.T, s Settings) {
				eq(t, s.OwnRoles, []OwnRole{{Pattern: "arn:aws:iam::111122223333:role/rootguard-*"}, {Pattern: "arn:aws:iam::*:role/path/rootguard-hardener"}})
			},
		},
		{
			name: "own roles with their task policies", vars: map[string]string{EnvOwnRolePatterns: "arn:aws:iam::111122223333:role/rg-hardener=IAMAuditRootUserCredentials+IAMDeleteRootUserCredentials, arn:aws:iam::111122223333:role/rg-bucket= S3UnlockBucketPolicy"},
			check: func(t *testing.T, s Settings) {
				eq(t, s.OwnRoles, []OwnRole{
					{Pattern: "arn:aws:iam::111122223333:role/rg-hardener", Tasks: []string{"IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials"}},
					{Pattern: "arn:aws:iam::111122223333:role/rg-bucket", Tasks: []string{"S3UnlockBucketPolicy"}},
				})
			},
		},
		{name: "own role with an unknown task", vars: map[string]string{EnvOwnRolePatterns: "arn:aws:iam::111122223333:role/rg=DeleteEverything"}, wantErr: []string{"ROOTGUARD_OWN_ROLE_PATTERNS:", `"DeleteEverything"`, "not a task policy name"}},
		{name: "own role with an empty task list", vars: map[string]string{EnvOwnRolePatterns: "arn:aws:iam::111122223333:role/rg="}, wantErr: []string{"ROOTGUARD_OWN_ROLE_PATTERNS:", "not a task policy name"}},
		{name: "own role pattern not a role", vars: map[string]string{EnvOwnRolePatterns: "arn:aws:iam::111122223333:user/x"}, wantErr: []string{"ROOTGUARD_OWN_ROLE_PATTERNS:", "not an IAM role ARN pattern"}},
		{name: "own role pattern assumed-role", vars: map[string]string{EnvOwnRolePatterns: "arn:aws:sts::111122223333:assumed-role/rootguard/*"}, wantErr: []string{"ROOTGUARD_OWN_ROLE_PATTERNS:"}},
		{name: "own role pattern bare name", vars: map[string]string{EnvOwnRolePatterns: "rootguard-*"}, wantErr: []string{"ROOTGUARD_OWN_ROLE_PATTERNS:"}},
		{name: "own role pattern with region", vars: map[string]string{EnvOwnRolePatterns: "arn:aws:iam:us-east-1:111122223333:role/x"}, wantErr: []string{"ROOTGUARD_OWN_ROLE_PATTERNS:"}},
		{name: "own role pattern matching everything", vars: map[string]string{EnvOwnRolePatterns: "arn:aws:iam::*:role/*"}, wantErr: []string{"ROOTGUARD_OWN_ROLE_PATTERNS:", "matches every role"}},
		{name: "own role pattern every path", vars: map[string]string{EnvOwnRolePatterns: "arn:aws:iam::111122223333:role/*/*"}, wantErr: []string{"matches every role"}},
		{
			name: "management account", vars: map[string]string{EnvManagementAccountID: " 111122223333 "},
			check: func(t *testing.T, s Settings) { eq(t, s.ManagementAccountID, "111122223333") },
		},
		{name: "management account bad", vars: map[string]string{EnvManagementAccountID: "1111-2222-3333"}, wantErr: []string{`ROOTGUARD_MANAGEMENT_ACCOUNT_ID: "1111-2222-3333" is not a 12-digit account id`}},
		{
			name: "organization id", vars: map[string]string{EnvOrganizationID: " o-exampleorgid "},
			check: func(t *testing.T, s Settings) { eq(t, s.OrganizationID, "o-exampleorgid") },
		},
		{name: "organization id bad", vars: map[string]string{EnvOrganizationID: "exampleorgid"}, wantErr: []string{`ROOTGUARD_ORGANIZATION_ID: "exampleorgid" is not an organization id`}},
		{name: "organization id upper case", vars: map[string]string{EnvOrganizationID: "o-EXAMPLEORGID"}, wantErr: []string{"ROOTGUARD_ORGANIZATION_ID:"}},
		{name: "organization id too short", vars: map[string]string{EnvOrganizationID: "o-abc"}, wantErr: []string{"ROOTGUARD_ORGANIZATION_ID:"}},
		{
			name: "repair conditional", vars: map[string]string{EnvRepairConditional: " TRUE "},
			check: func(t *testing.T, s Settings) { eq(t, s.RepairConditional, true) },
		},
		{
			name: "repair conditional false", vars: map[string]string{EnvRepairConditional: "false"},
			check: func(t *testing.T, s Settings) { eq(t, s.RepairConditional, false) },
		},
		{name: "repair conditional bad", vars: map[string]string{EnvRepairConditional: "yes"}, wantErr: []string{`ROOTGUARD_REPAIR_CONDITIONAL: "yes" is not true or false`}},
		{name: "repair conditional numeric", vars: map[string]string{EnvRepairConditional: "1"}, wantErr: []string{"ROOTGUARD_REPAIR_CONDITIONAL:"}},
		{
			name:    "every error reported",
			vars:    map[string]string{EnvMode: "x", EnvSlackMinSeverity: "y", EnvExemptAccounts: "z"},
			wantErr: []string{"ROOTGUARD_MODE:", "ROOTGUARD_SLACK_MIN_SEVERITY:", "ROOTGUARD_EXEMPT_ACCOUNTS:"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(env(tt.vars))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Load succeeded: %+v", s)
				}
				for _, want := range tt.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("Load error %q does not contain %q", err, want)
					}
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Errorf("error reveals a webhook URL: %v", err)
				}
				if !reflect.DeepEqual(s, Settings{}) {
					t.Errorf("Load returned settings with an error: %+v", s)
				}
				return
			}
			if err != nil {
				t.Fatalf("Load = %v", err)
			}
			tt.check(t, s)
		})
	}
}

func eq[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestAccounts(t *testing.T) {
	s, err := Load(env(map[string]string{
		EnvExemptAccounts:      "444455556666,555566667777",
		EnvManagementAccountID: "111122223333",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for account, want := range map[string][2]bool{ // IsExempt, IsManagement
		"444455556666": {true, false},
		"555566667777": {true, false},
		"111122223333": {false, true},
		"666677778888": {false, false},
		"":             {false, false},
	} {
		if got := s.IsExempt(account); got != want[0] {
			t.Errorf("IsExempt(%q) = %v", account, got)
		}
		if got := s.IsManagement(account); got != want[1] {
			t.Errorf("IsManagement(%q) = %v", account, got)
		}
	}
	if (Settings{}).IsManagement("") {
		t.Error("IsManagement(\"\") with no management account configured")
	}
}

func TestMatchOwnRole(t *testing.T) {
	s, err := Load(env(map[string]string{EnvOwnRolePatterns: "arn:aws:iam::111122223333:role/rootguard-*," +
		"arn:aws:iam::111122223333:role/automation/rootguard/*," +
		"arn:aws:iam::*:role/delegated-rootguard-?"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		principal string
		want      bool
	}{
		{"arn:aws:iam::111122223333:role/rootguard-hardener", true},
		{"arn:aws:sts::111122223333:assumed-role/rootguard-hardener/1732000000", true},
		{"arn:aws:iam::111122223333:role/automation/rootguard/hardener", true},
		// A session ARN has no path: path patterns cannot vouch for it.
		{"arn:aws:sts::111122223333:assumed-role/hardener/session", false},
		{"arn:aws:iam::444455556666:role/delegated-rootguard-1", true},
		{"arn:aws:sts::444455556666:assumed-role/delegated-rootguard-1/s", true},
		{"arn:aws:iam::444455556666:role/delegated-rootguard-12", false},
		{"arn:aws:iam::444455556666:role/rootguard-hardener", false},
		{"arn:aws:iam::111122223333:role/RootGuard-hardener", false},
		{"arn:aws:iam::111122223333:role/evil-rootguard-hardener", false},
		{"arn:aws:iam::111122223333:user/rootguard-hardener", false},
		{"arn:aws:sts::111122223333:federated-user/rootguard-x", false},
		{"arn:aws:sts::111122223333:assumed-role/rootguard-x", false},
		{"arn:aws:sts::111122223333:assumed-role//s", false},
		{"arn:aws:iam::111122223333:root", false},
		{"rootguard-hardener", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := s.MatchOwnRole(tt.principal); got != tt.want {
			t.Errorf("MatchOwnRole(%q) = %v, want %v", tt.principal, got, tt.want)
		}
	}
	if (Settings{}).MatchOwnRole("arn:aws:iam::111122223333:role/rootguard-hardener") {
		t.Error("matched with no patterns configured")
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"*", "", true},
		{"*", "anything/at/all", true},
		{"a*c", "abbbc", true},
		{"a*c", "abbbd", false},
		{"a?c", "abc", true},
		{"a?c", "ac", false},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"role/x*", "role/x/y/z", true},
		{"é?", "éü", true},
		{"abc", "abcd", false},
		{"abc*", "ab", false},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestOwnRoleTasks(t *testing.T) {
	s, err := Load(env(map[string]string{EnvOwnRolePatterns: "arn:aws:iam::111122223333:role/rg-hardener=IAMAuditRootUserCredentials+IAMDeleteRootUserCredentials," +
		"arn:aws:iam::111122223333:role/rg-bucket=S3UnlockBucketPolicy,arn:aws:iam::111122223333:role/rg-any-*"}))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		principal string
		wantOwn   bool
		wantTasks []string
	}{
		{"arn:aws:iam::111122223333:role/rg-hardener", true, []string{"IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials"}},
		{"arn:aws:sts::111122223333:assumed-role/rg-bucket/session", true, []string{"S3UnlockBucketPolicy"}},
		{"arn:aws:iam::111122223333:role/rg-any-thing", true, nil},
		{"arn:aws:iam::111122223333:role/rg-other", false, nil},
		{"arn:aws:iam::444455556666:role/rg-hardener", false, nil},
	}
	for _, tt := range tests {
		tasks, own := s.OwnRoleTasks(tt.principal)
		if own != tt.wantOwn || !reflect.DeepEqual(tasks, tt.wantTasks) {
			t.Errorf("OwnRoleTasks(%s) = %v, %v; want %v, %v", tt.principal, tasks, own, tt.wantTasks, tt.wantOwn)
		}
		if s.MatchOwnRole(tt.principal) != tt.wantOwn {
			t.Errorf("MatchOwnRole(%s) disagrees", tt.principal)
		}
	}
}
