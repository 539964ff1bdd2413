// Package localorgtest starts local organizations for tests and gives them
// SDK configurations for the management account, member accounts and the
// admin API.
package localorgtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/rootguard/rootguard/internal/localorg"
)

// RequireE2EEnv, set to 1, turns a missing moto_server from a skip into a
// failure (make test sets it).
const RequireE2EEnv = "ROOTGUARD_REQUIRE_E2E"

// Start starts a local organization for the test and stops it at cleanup.
// Without moto_server on PATH the test is skipped, or fails when
// ROOTGUARD_REQUIRE_E2E=1.
func Start(t testing.TB, seed *localorg.Seed) *localorg.Org {
	t.Helper()
	RequireMoto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	org, err := localorg.Start(ctx, localorg.Options{Seed: seed})
	if err != nil {
		t.Fatalf("start local organization: %v", err)
	}
	t.Cleanup(func() {
		if err := org.Close(); err != nil {
			t.Errorf("stop local organization: %v", err)
		}
	})
	return org
}

// RequireMoto skips the test when moto_server is missing, or fails it when
// ROOTGUARD_REQUIRE_E2E=1.
func RequireMoto(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("moto_server"); err != nil {
		if os.Getenv(RequireE2EEnv) == "1" {
			t.Fatalf("moto_server not found on PATH: install it with  pip install 'moto[server]'")
		}
		t.Skip("moto_server not found on PATH (pip install 'moto[server]'); set " + RequireE2EEnv + "=1 to fail instead")
	}
}

// AWSConfig is an SDK configuration for the management account of org.
// S3 clients built from it still need UsePathStyle.
func AWSConfig(t testing.TB, org *localorg.Org, region string) aws.Config {
	t.Helper()
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(org.Endpoint()),
		Credentials:  credentials.NewStaticCredentialsProvider(localorg.ManagementKeyID, localorg.ManagementSecret, ""),
	}
}

// MemberConfig is an SDK configuration for a member account, with credentials
// from AssumeRole into its OrganizationAccountAccessRole through the layer.
func MemberConfig(t testing.TB, org *localorg.Org, account, region string) aws.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := sts.NewFromConfig(AWSConfig(t, org, region)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + account + ":role/OrganizationAccountAccessRole"),
		RoleSessionName: aws.String("localorgtest"),
	})
	if err != nil {
		t.Fatalf("assume OrganizationAccountAccessRole in %s: %v", account, err)
	}
	c := out.Credentials
	cfg := AWSConfig(t, org, region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return cfg
}

// RootSessionConfig is an SDK configuration for a root session in account
// with the named task policy (e.g. localorg.TaskS3UnlockBucketPolicy), opened
// with AssumeRoot from the management account.
func RootSessionConfig(t testing.TB, org *localorg.Org, account, task, region string) aws.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := sts.NewFromConfig(AWSConfig(t, org, region)).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(account),
		TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(localorg.TaskPolicyPrefix + task)},
	})
	if err != nil {
		t.Fatalf("assume root in %s for %s: %v", account, task, err)
	}
	c := out.Credentials
	cfg := AWSConfig(t, org, region)
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return cfg
}

// State reads the organization's state, failing the test on error.
func State(t testing.TB, org *localorg.Org) *localorg.State {
	t.Helper()
	s, err := org.Client().State(context.Background())
	if err != nil {
		t.Fatalf("read local organization state: %v", err)
	}
	return s
}
