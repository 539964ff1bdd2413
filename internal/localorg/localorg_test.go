package localorg_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/localorg/localorgtest"
)

// One organization serves the whole package: starting moto_server takes a
// second or two. Each test seeds its own member accounts.
var shared *localorg.Org

const management = "111122223333"

func TestMain(m *testing.M) {
	code := func() int {
		if _, err := exec.LookPath("moto_server"); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			org, err := localorg.Start(ctx, localorg.Options{Seed: &localorg.Seed{ManagementAccountID: management}})
			if err != nil {
				fmt.Fprintln(os.Stderr, "start local organization:", err)
				return 1
			}
			defer org.Close()
			shared = org
		}
		return m.Run()
	}()
	os.Exit(code)
}

// org returns the shared organization, skipping (or failing under
// ROOTGUARD_REQUIRE_E2E=1) without moto_server.
func org(t *testing.T) *localorg.Org {
	t.Helper()
	localorgtest.RequireMoto(t)
	if shared == nil {
		t.Fatal("shared organization not started")
	}
	t.Cleanup(func() {
		if err := shared.Client().ClearFaults(context.Background()); err != nil {
			t.Errorf("clear faults: %v", err)
		}
	})
	return shared
}

// seed applies s to the shared organization.
func seed(t *testing.T, o *localorg.Org, s string) {
	t.Helper()
	parsed, err := localorg.ParseSeed([]byte(s))
	if err != nil {
		t.Fatalf("parse seed: %v", err)
	}
	if err := o.Client().Seed(context.Background(), parsed); err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func fullRootSeed(account string) string {
	return fmt.Sprintf(`{"accounts": [{"id": %q, "root": {"password": true, "access_keys": 2,
		"signing_certificates": 1, "mfa_devices": ["virtual", "passkey", "hardware"]}}]}`, account)
}

// apiError returns the AWS error code and HTTP status of err.
func apiError(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an AWS API error, got %v", err)
	}
	status := 0
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), status
}

func wantError(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s (%d), got success", code, status)
	}
	gotCode, gotStatus := apiError(t, err)
	if gotCode != code || gotStatus != status {
		t.Fatalf("want %s (%d), got %s (%d): %v", code, status, gotCode, gotStatus, err)
	}
}

func rootSession(t *testing.T, o *localorg.Org, account, task string) aws.Config {
	t.Helper()
	return localorgtest.RootSessionConfig(t, o, account, task, "us-east-1")
}

func stateOf(t *testing.T, o *localorg.Org, account string) localorg.AccountState {
	t.Helper()
	s := localorgtest.State(t, o)
	a, ok := s.Accounts[account]
	if !ok {
		t.Fatalf("account %s not in state", account)
	}
	return a
}

func TestAssumeRootInventoryAndDeleteRootCredentials(t *testing.T) {
	o := org(t)
	const acct = "444455556666"
	seed(t, o, fullRootSeed(acct))
	ctx := context.Background()
	n := len(localorgtest.State(t, o).Calls)
	before := stateOf(t, o, acct).Root
	if len(before.AccessKeys) != 2 || len(before.SigningCertificates) != 1 || len(before.MFADevices) != 3 || !before.Password {
		t.Fatalf("seeded root = %+v", before)
	}

	audit := iam.NewFromConfig(rootSession(t, o, acct, localorg.TaskAuditRootUserCredentials))
	if _, err := audit.GetLoginProfile(ctx, &iam.GetLoginProfileInput{}); err != nil {
		t.Fatalf("GetLoginProfile: %v", err)
	}
	keys, err := audit.ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
	if err != nil {
		t.Fatalf("ListAccessKeys: %v", err)
	}
	var keyIDs []string
	for _, k := range keys.AccessKeyMetadata {
		keyIDs = append(keyIDs, aws.ToString(k.AccessKeyId))
	}
	if !slices.Equal(keyIDs, before.AccessKeys) {
		t.Errorf("ListAccessKeys = %v, state %v", keyIDs, before.AccessKeys)
	}
	certs, err := audit.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{})
	if err != nil || len(certs.Certificates) != 1 || aws.ToString(certs.Certificates[0].CertificateId) != before.SigningCertificates[0] {
		t.Fatalf("ListSigningCertificates = %+v, %v", certs, err)
	}
	mfa, err := audit.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	if err != nil {
		t.Fatalf("ListMFADevices: %v", err)
	}
	var serials []string
	for _, d := range mfa.MFADevices {
		serials = append(serials, aws.ToString(d.SerialNumber))
	}
	wantSerials := []string{"arn:aws:iam::" + acct + ":mfa/root-account-mfa-device", before.MFADevices[1].Serial, before.MFADevices[2].Serial}
	if !slices.Equal(serials, wantSerials) {
		t.Errorf("ListMFADevices = %v, want %v", serials, wantSerials)
	}
	last, err := audit.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(keyIDs[0])})
	if err != nil || aws.ToString(last.AccessKeyLastUsed.ServiceName) != "N/A" {
		t.Fatalf("GetAccessKeyLastUsed = %+v, %v", last, err)
	}
	user, err := audit.GetUser(ctx, &iam.GetUserInput{})
	if err != nil || aws.ToString(user.User.Arn) != "arn:aws:iam::"+acct+":root" {
		t.Fatalf("GetUser = %+v, %v", user, err)
	}
	summary, err := audit.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatalf("GetAccountSummary: %v", err)
	}
	for _, k := range []string{"AccountMFAEnabled", "AccountAccessKeysPresent", "AccountPasswordPresent", "AccountSigningCertificatesPresent"} {
		if summary.SummaryMap[k] != 1 {
			t.Errorf("summary %s = %d, want 1", k, summary.SummaryMap[k])
		}
	}
	id, err := sts.NewFromConfig(rootSession(t, o, acct, localorg.TaskAuditRootUserCredentials)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != acct {
		t.Fatalf("GetCallerIdentity = %+v, %v", id, err)
	}

	del := iam.NewFromConfig(rootSession(t, o, acct, localorg.TaskDeleteRootUserCredentials))
	if _, err := del.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{}); err != nil {
		t.Fatalf("DeleteLoginProfile: %v", err)
	}
	for _, k := range keyIDs {
		if _, err := del.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(k)}); err != nil {
			t.Fatalf("DeleteAccessKey: %v", err)
		}
	}
	if _, err := del.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{CertificateId: certs.Certificates[0].CertificateId}); err != nil {
		t.Fatalf("DeleteSigningCertificate: %v", err)
	}
	for _, s := range serials {
		if _, err := del.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(s)}); err != nil {
			t.Fatalf("DeactivateMFADevice %s: %v", s, err)
		}
	}
	_, err = del.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(serials[0])})
	wantError(t, err, "AccessDenied", 403) // default seed: the delete session may not

	// Already gone: NoSuchEntity, as AWS answers.
	_, err = del.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	wantError(t, err, "NoSuchEntity", 404)
	_, err = del.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{})
	wantError(t, err, "NoSuchEntity", 404)
	_, err = del.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(keyIDs[0])})
	wantError(t, err, "NoSuchEntity", 404)
	_, err = del.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(serials[1])})
	wantError(t, err, "NoSuchEntity", 404)
	left, err := del.ListMFADevices(ctx, &iam.ListMFADevicesInput{})
	if err != nil || len(left.MFADevices) != 0 {
		t.Fatalf("ListMFADevices after deactivation = %+v, %v", left, err)
	}

	after := stateOf(t, o, acct).Root
	want := localorg.RootState{AccessKeys: []string{}, SigningCertificates: []string{},
		MFADevices: []localorg.MFADeviceState{{Serial: serials[0], Kind: "virtual", Active: false}}}
	if fmt.Sprint(after) != fmt.Sprint(want) {
		t.Errorf("root after deletion = %+v, want %+v", after, want)
	}
	summary, err = iam.NewFromConfig(rootSession(t, o, acct, localorg.TaskAuditRootUserCredentials)).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
	if err != nil {
		t.Fatalf("GetAccountSummary: %v", err)
	}
	for k, v := range summary.SummaryMap {
		if v != 0 {
			t.Errorf("summary %s = %d after deletion, want 0", k, v)
		}
	}

	// The call log names the session's account, caller kind and task policy.
	calls := localorgtest.State(t, o).Calls[n:]
	var got []string
	for _, c := range calls {
		if c.Account == acct && c.Service == "iam" && c.TaskPolicy == localorg.TaskDeleteRootUserCredentials {
			if c.Caller != localorg.CallerRootSession {
				t.Errorf("call %+v: caller %q", c, c.Caller)
			}
			got = append(got, fmt.Sprintf("%s %d %s", c.Action, c.Status, c.ErrorCode))
		}
	}
	wantCalls := []string{"DeleteLoginProfile 200 ", "DeleteAccessKey 200 ", "DeleteAccessKey 200 ", "DeleteSigningCertificate 200 ",
		"DeactivateMFADevice 200 ", "DeactivateMFADevice 200 ", "DeactivateMFADevice 200 ", "DeleteVirtualMFADevice 403 AccessDenied",
		"GetLoginProfile 404 NoSuchEntity", "DeleteLoginProfile 404 NoSuchEntity", "DeleteAccessKey 404 NoSuchEntity",
		"DeactivateMFADevice 404 NoSuchEntity", "ListMFADevices 200 "}
	if !slices.Equal(got, wantCalls) {
		t.Errorf("delete-session calls =\n%q\nwant\n%q", got, wantCalls)
	}
	i := slices.IndexFunc(calls, func(c localorg.Call) bool { return c.Action == "AssumeRoot" })
	if i < 0 {
		t.Fatal("no AssumeRoot in the call log")
	}
	if c := calls[i]; c.Caller != localorg.CallerManagement || c.Account != management || c.Status != 200 {
		t.Errorf("AssumeRoot call = %+v", c)
	}
}

func TestDeleteVirtualMFADeviceWhenSeedAllows(t *testing.T) {
	o := org(t)
	const acct = "444455557777"
	seed(t, o, `{"delete_virtual_mfa_allowed": true, "accounts": [{"id": "444455557777", "root": {"mfa_devices": ["virtual"]}}]}`)
	t.Cleanup(func() { seed(t, o, `{"delete_virtual_mfa_allowed": false}`) })
	ctx := context.Background()
	del := iam.NewFromConfig(rootSession(t, o, acct, localorg.TaskDeleteRootUserCredentials))
	serial := aws.String("arn:aws:iam::" + acct + ":mfa/root-account-mfa-device")

	_, err := del.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: serial})
	wantError(t, err, "DeleteConflict", 409)
	if _, err := del.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: serial}); err != nil {
		t.Fatalf("DeactivateMFADevice: %v", err)
	}
	if _, err := del.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: serial}); err != nil {
		t.Fatalf("DeleteVirtualMFADevice: %v", err)
	}
	if got := stateOf(t, o, acct).Root.MFADevices; len(got) != 0 {
		t.Errorf("mfa devices after delete = %+v", got)
	}
	_, err = del.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: serial})
	wantError(t, err, "NoSuchEntity", 404)
}

func TestCreateLoginProfileInRootSession(t *testing.T) {
	o := org(t)
	const acct = "444455558888"
	seed(t, o, `{"accounts": [{"id": "444455558888", "root": {}}]}`) // no password, also on a second run
	ctx := context.Background()
	c := iam.NewFromConfig(rootSession(t, o, acct, localorg.TaskCreateRootUserPassword))

	_, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{Password: aws.String("Not-allowed-1")})
	wantError(t, err, "ValidationError", 400)
	if stateOf(t, o, acct).Root.Password {
		t.Fatal("a refused CreateLoginProfile set a password")
	}
	if _, err := c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{}); err != nil {
		t.Fatalf("CreateLoginProfile: %v", err)
	}
	if !stateOf(t, o, acct).Root.Password {
		t.Error("password not enabled")
	}
	if _, err := c.GetLoginProfile(ctx, &iam.GetLoginProfileInput{}); err != nil {
		t.Errorf("GetLoginProfile: %v", err)
	}
	_, err = c.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{})
	wantError(t, err, "EntityAlreadyExists", 409)
}

func TestAssumeRootRefusals(t *testing.T) {
	o := org(t)
	const acct = "444455559999"
	seed(t, o, `{"accounts": [{"id": "444455559999"}]}`)
	ctx := context.Background()
	mgmt := sts.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"))
	member := sts.NewFromConfig(localorgtest.MemberConfig(t, o, acct, "us-east-1"))
	audit := localorg.TaskPolicyPrefix + localorg.TaskAuditRootUserCredentials
	rootSess := sts.NewFromConfig(rootSession(t, o, acct, localorg.TaskAuditRootUserCredentials))

	tests := []struct {
		name     string
		client   *sts.Client
		target   string
		policy   string
		duration *int32
		code     string
		status   int
	}{
		{"member caller", member, acct, audit, nil, "AccessDenied", 403},
		{"root-session caller", rootSess, acct, audit, nil, "AccessDenied", 403},
		{"not a task policy", mgmt, acct, "arn:aws:iam::aws:policy/AdministratorAccess", nil, "ValidationError", 400},
		{"unknown task policy", mgmt, acct, localorg.TaskPolicyPrefix + "IAMDeleteEverything", nil, "ValidationError", 400},
		{"management target", mgmt, management, audit, nil, "AccessDenied", 403},
		{"management target as ARN", mgmt, "arn:aws:iam::" + management + ":root", audit, nil, "AccessDenied", 403},
		{"account outside the organization", mgmt, "999988887777", audit, nil, "AccessDenied", 403},
		{"duration 901", mgmt, acct, audit, aws.Int32(901), "ValidationError", 400},
		{"negative duration", mgmt, acct, audit, aws.Int32(-1), "ValidationError", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.client.AssumeRoot(ctx, &sts.AssumeRootInput{
				TargetPrincipal: aws.String(tt.target),
				TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(tt.policy)},
				DurationSeconds: tt.duration,
			})
			wantError(t, err, tt.code, tt.status)
		})
	}

	t.Run("principal ARN of a member and duration 900", func(t *testing.T) {
		out, err := mgmt.AssumeRoot(ctx, &sts.AssumeRootInput{
			TargetPrincipal: aws.String("arn:aws:iam::" + acct + ":root"),
			TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(audit)},
			DurationSeconds: aws.Int32(900),
		})
		if err != nil {
			t.Fatalf("AssumeRoot: %v", err)
		}
		if left := time.Until(aws.ToTime(out.Credentials.Expiration)); left < 890*time.Second || left > 901*time.Second {
			t.Errorf("expiration in %v, want 900s", left)
		}
	})

	t.Run("feature RootSessions off", func(t *testing.T) {
		seed(t, o, `{"features": ["RootCredentialsManagement"]}`)
		defer seed(t, o, `{"features": ["RootCredentialsManagement", "RootSessions"]}`)
		_, err := mgmt.AssumeRoot(ctx, &sts.AssumeRootInput{
			TargetPrincipal: aws.String(acct),
			TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(audit)},
		})
		wantError(t, err, "AccessDenied", 403)
		var ae smithy.APIError
		errors.As(err, &ae)
		if !regexpMatch(`(?i)root sessions|centralized root access`, ae.ErrorMessage()) {
			t.Errorf("message %q does not say root sessions are off", ae.ErrorMessage())
		}
	})
}

// TestExpiredRootSession moves the clock, for good: it runs on an
// organization of its own.
func TestExpiredRootSession(t *testing.T) {
	t.Parallel()
	const acct = "444455550000"
	o := localorgtest.Start(t, &localorg.Seed{Accounts: []localorg.SeedAccount{{ID: acct, Root: &localorg.SeedRoot{Password: true}}}})
	ctx := context.Background()
	out, err := sts.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1")).AssumeRoot(ctx, &sts.AssumeRootInput{
		TargetPrincipal: aws.String(acct),
		TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(localorg.TaskPolicyPrefix + localorg.TaskAuditRootUserCredentials)},
		DurationSeconds: aws.Int32(60),
	})
	if err != nil {
		t.Fatalf("AssumeRoot: %v", err)
	}
	cfg := localorgtest.AWSConfig(t, o, "us-east-1")
	cfg.Credentials = staticCreds(out.Credentials)
	client := iam.NewFromConfig(cfg)
	if _, err := client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{}); err != nil {
		t.Fatalf("GetLoginProfile before expiry: %v", err)
	}
	if err := o.Client().AdvanceClock(ctx, 61*time.Second); err != nil {
		t.Fatal(err)
	}
	_, err = client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	wantError(t, err, "ExpiredToken", 403)
	_, err = sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	wantError(t, err, "ExpiredToken", 403)
}

func TestListOrganizationsFeatures(t *testing.T) {
	o := org(t)
	const acct = "444455551111"
	seed(t, o, `{"accounts": [{"id": "444455551111"}]}`)
	ctx := context.Background()
	mgmt := iam.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"))
	restore := func() {
		seed(t, o, `{"features": ["RootCredentialsManagement", "RootSessions"], "iam_trusted_access": true}`)
	}
	t.Cleanup(restore)

	out, err := mgmt.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	if err != nil {
		t.Fatalf("ListOrganizationsFeatures: %v", err)
	}
	if aws.ToString(out.OrganizationId) != localorg.DefaultOrganizationID ||
		fmt.Sprint(out.EnabledFeatures) != "[RootCredentialsManagement RootSessions]" {
		t.Errorf("features = %s %v", aws.ToString(out.OrganizationId), out.EnabledFeatures)
	}

	seed(t, o, `{"features": []}`)
	out, err = mgmt.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	if err != nil || len(out.EnabledFeatures) != 0 {
		t.Errorf("features off = %v, %v", out.EnabledFeatures, err)
	}

	seed(t, o, `{"iam_trusted_access": false}`)
	_, err = mgmt.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	wantError(t, err, "ServiceAccessNotEnabledException", 400)
	restore()

	member := iam.NewFromConfig(localorgtest.MemberConfig(t, o, acct, "us-east-1"))
	_, err = member.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	wantError(t, err, "AccountNotManagementOrDelegatedAdministratorException", 400)
}

func TestSeedReplacesRootCredentials(t *testing.T) {
	o := org(t)
	const acct = "444455552222"
	seed(t, o, fullRootSeed(acct))
	first := stateOf(t, o, acct).Root
	seed(t, o, `{"accounts": [{"id": "444455552222", "name": "renamed", "root": {"access_keys": 1}}]}`)
	second := stateOf(t, o, acct).Root
	if second.Password || len(second.AccessKeys) != 1 || len(second.MFADevices) != 0 || second.AccessKeys[0] == first.AccessKeys[0] {
		t.Errorf("root after re-seed = %+v (before %+v)", second, first)
	}
	// A seed that names no root leaves it alone.
	seed(t, o, `{"accounts": [{"id": "444455552222"}]}`)
	if third := stateOf(t, o, acct).Root; fmt.Sprint(third) != fmt.Sprint(second) {
		t.Errorf("root changed by a seed without root: %+v", third)
	}
	// An invalid seed changes nothing.
	bad := &localorg.Seed{Accounts: []localorg.SeedAccount{{ID: acct, Root: &localorg.SeedRoot{MFADevices: []string{"sms"}}}}}
	if err := o.Client().Seed(context.Background(), bad); err == nil {
		t.Fatal("seed with an unknown MFA kind accepted")
	}
	if err := o.Client().Seed(context.Background(), &localorg.Seed{ManagementAccountID: "999999999999"}); err == nil {
		t.Fatal("seed changing the management account accepted")
	}
	if fourth := stateOf(t, o, acct).Root; fmt.Sprint(fourth) != fmt.Sprint(second) {
		t.Errorf("root changed by a refused seed: %+v", fourth)
	}
}

func TestAdminAPIRefusesBadInput(t *testing.T) {
	o := org(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		rules []localorg.FaultRule
	}{
		{"no effect", []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "sts"}}}},
		{"two effects", []localorg.FaultRule{{Error: "Throttling", LatencyMS: 5}}},
		{"bad status", []localorg.FaultRule{{Error: "Throttling", Status: 200}}},
		{"status without error", []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "sts"}, Status: 429}}},
		{"bad caller", []localorg.FaultRule{{Error: "Throttling", Match: localorg.FaultMatch{Caller: "root"}}}},
		{"bad account", []localorg.FaultRule{{Error: "Throttling", Match: localorg.FaultMatch{Account: "12"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := o.Client().SetFaults(ctx, tt.rules); err == nil {
				t.Error("accepted")
			}
		})
	}
}

func staticCreds(c *ststypes.Credentials) aws.CredentialsProvider {
	return aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId), SecretAccessKey: aws.ToString(c.SecretAccessKey),
			SessionToken: aws.ToString(c.SessionToken), CanExpire: true, Expires: aws.ToTime(c.Expiration)}, nil
	}))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

// TestRefusedSeedChangesNothing: a seed is checked as a whole before any of
// it is applied.
func TestRefusedSeedChangesNothing(t *testing.T) {
	o := org(t)
	const owner = "444466667777"
	seed(t, o, `{"accounts": [{"id": "444466667777", "buckets": [{"name": "refusal-owned"}]}]}`)
	ctx := context.Background()
	fresh := localorg.SeedAccount{ID: "444466668888", Name: "never-made", Root: &localorg.SeedRoot{Password: true},
		Buckets: []localorg.SeedBucket{{Name: "refusal-new"}}, Queues: []localorg.SeedQueue{{Name: "refusal-jobs"}}}
	tests := []struct {
		name, wantErr string
		seed          localorg.Seed
	}{
		{"bucket owned by another account", "belongs to account " + owner, localorg.Seed{Features: []string{},
			Accounts: []localorg.SeedAccount{fresh, {ID: "444466669999", Buckets: []localorg.SeedBucket{{Name: "refusal-owned"}}}}}},
		{"bucket moved to another region", "cannot move to eu-west-1", localorg.Seed{
			Accounts: []localorg.SeedAccount{fresh, {ID: owner, Buckets: []localorg.SeedBucket{{Name: "refusal-owned", Region: "eu-west-1"}}}}}},
		{"bucket in two accounts of the seed", "bucket names are global", localorg.Seed{
			Accounts: []localorg.SeedAccount{fresh, {ID: "444466669999", Buckets: []localorg.SeedBucket{{Name: "refusal-new"}}}}}},
		{"management account changed", "cannot change", localorg.Seed{ManagementAccountID: "999999999999",
			Accounts: []localorg.SeedAccount{fresh}}},
	}
	before := localorgtest.State(t, o)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := o.Client().Seed(ctx, &tt.seed)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("seed error = %v, want it to contain %q", err, tt.wantErr)
			}
			after := localorgtest.State(t, o)
			if mustJSON(t, after.Accounts) != mustJSON(t, before.Accounts) {
				t.Errorf("accounts changed by a refused seed:\n%s\nbefore:\n%s", mustJSON(t, after.Accounts), mustJSON(t, before.Accounts))
			}
			_, err = s3.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"), pathStyle).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("refusal-new")})
			wantError(t, err, "NotFound", 404)
			features, err := iam.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1")).ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
			if err != nil || len(features.EnabledFeatures) != 2 {
				t.Errorf("features after a refused seed = %+v, %v", features, err)
			}
		})
	}
}
