package coldstart

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
)

func TestLoad(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr string
	}{
		{name: "no sinks configured", env: map[string]string{"AWS_REGION": "us-east-1"}},
		{name: "invalid mode names the variable", env: map[string]string{"ROOTGUARD_MODE": "enforced"}, wantErr: "invalid configuration: ROOTGUARD_MODE"},
		{name: "invalid topic names the variable", env: map[string]string{"ROOTGUARD_SNS_TOPIC_ARN": "findings"}, wantErr: "ROOTGUARD_SNS_TOPIC_ARN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, k := range []string{"AWS_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"} {
				t.Setenv(k, tt.env[k])
			}
			env, err := Load(context.Background(), func(k string) string { return tt.env[k] }, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if env.Notifier == nil || env.Accounts == nil || env.AWS.Region != "us-east-1" {
				t.Errorf("incomplete env: %+v", env)
			}
		})
	}
}

func TestRootSessions(t *testing.T) {
	const management = "111122223333"
	if _, err := (Env{AWS: aws.Config{Region: "us-east-1"}}).RootSessions(); err == nil || !strings.Contains(err.Error(), settings.EnvManagementAccountID) {
		t.Errorf("no management account: error %v, want one naming %s", err, settings.EnvManagementAccountID)
	}
	env := Env{AWS: aws.Config{Region: "us-east-1"}, Settings: settings.Settings{ManagementAccountID: management}}
	o, err := env.RootSessions(rootsession.WithDuration(2 * time.Minute))
	if err != nil || o == nil {
		t.Fatalf("RootSessions = %v, %v", o, err)
	}
	if _, err := o.Open(context.Background(), management, rootsession.AuditRootUserCredentials); !errors.Is(err, rootsession.ErrManagementAccount) {
		t.Errorf("session in the management account: %v, want ErrManagementAccount", err)
	}
}
