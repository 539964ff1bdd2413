package localorgtest_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/localorg/localorgtest"
)

func TestConfigsActInTheirAccounts(t *testing.T) {
	org := localorgtest.Start(t, &localorg.Seed{Accounts: []localorg.SeedAccount{
		{ID: "444455556666", Root: &localorg.SeedRoot{AccessKeys: 1}},
	}})
	ctx := context.Background()
	tests := []struct {
		name    string
		cfg     aws.Config
		account string
	}{
		{"management", localorgtest.AWSConfig(t, org, "us-east-1"), localorg.DefaultManagementAccountID},
		{"member", localorgtest.MemberConfig(t, org, "444455556666", "us-east-1"), "444455556666"},
		{"root session", localorgtest.RootSessionConfig(t, org, "444455556666", localorg.TaskAuditRootUserCredentials, "us-east-1"), "444455556666"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := sts.NewFromConfig(tt.cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatalf("GetCallerIdentity: %v", err)
			}
			if got := aws.ToString(id.Account); got != tt.account {
				t.Errorf("account %s, want %s", got, tt.account)
			}
		})
	}
	keys, err := iam.NewFromConfig(tests[2].cfg).ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	state := localorgtest.State(t, org)
	if len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId) != state.Accounts["444455556666"].Root.AccessKeys[0] {
		t.Errorf("root keys %+v, state %+v", keys.AccessKeyMetadata, state.Accounts["444455556666"].Root)
	}
}
