package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/rootguard/rootguard/shared/accountname"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootcreds"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
)

const (
	management = "111122223333"
	dev        = "444455556666" // invite-account.json, account-joined.json
	prod       = "555566667777" // create-account-succeeded.json
)

// --- fakes --------------------------------------------------------------------

type fakeFeatures struct {
	list  func(ctx context.Context, in *iam.ListOrganizationsFeaturesInput, optFns ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error)
	calls int
}

func (f *fakeFeatures) ListOrganizationsFeatures(ctx context.Context, in *iam.ListOrganizationsFeaturesInput, optFns ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
	f.calls++
	return f.list(ctx, in, optFns...)
}

func features(names ...iamtypes.FeatureType) func(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
	return func(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
		return &iam.ListOrganizationsFeaturesOutput{OrganizationId: aws.String("o-exampleorgid"), EnabledFeatures: names}, nil
	}
}

func featuresError(err error) func(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
	return func(context.Context, *iam.ListOrganizationsFeaturesInput, ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error) {
		return nil, err
	}
}

var bothFeatures = features(iamtypes.FeatureTypeRootCredentialsManagement, iamtypes.FeatureTypeRootSessions)

type openCall struct {
	account string
	task    rootsession.Task
}

type fakeSessions struct {
	open  func(ctx context.Context, account string, task rootsession.Task) (aws.Config, error)
	calls []openCall
}

func (f *fakeSessions) Open(ctx context.Context, account string, task rootsession.Task) (aws.Config, error) {
	f.calls = append(f.calls, openCall{account, task})
	if f.open == nil {
		return sessionConfig(account, task), nil
	}
	return f.open(ctx, account, task)
}

// sessionConfig marks a session's configuration, so the fakes can check the
// handler used the one it opened.
func sessionConfig(account string, task rootsession.Task) aws.Config {
	return aws.Config{Region: "us-east-1", AppID: account + "/" + task.String()}
}

// refuse makes Open answer err for its first n calls.
func refuse(n int, err error) func(context.Context, string, rootsession.Task) (aws.Config, error) {
	calls := 0
	return func(_ context.Context, account string, task rootsession.Task) (aws.Config, error) {
		calls++
		if n < 0 || calls <= n {
			return aws.Config{}, err
		}
		return sessionConfig(account, task), nil
	}
}

type fakeRootUser struct {
	inventory func(ctx context.Context, session aws.Config) (rootcreds.Credentials, error)
	remove    func(ctx context.Context, session aws.Config) (rootcreds.Report, error)
	// AppID of each session used, by the call that used it
	inventorySessions, removeSessions []string
}

func (f *fakeRootUser) Inventory(ctx context.Context, session aws.Config) (rootcreds.Credentials, error) {
	f.inventorySessions = append(f.inventorySessions, session.AppID)
	return f.inventory(ctx, session)
}

func (f *fakeRootUser) Remove(ctx context.Context, session aws.Config) (rootcreds.Report, error) {
	f.removeSessions = append(f.removeSessions, session.AppID)
	return f.remove(ctx, session)
}

type fakeNotifier struct {
	err       error
	delivered []notify.Finding
}

func (f *fakeNotifier) Deliver(_ context.Context, fd notify.Finding) error {
	if err := fd.Validate(); err != nil {
		return err
	}
	if f.err != nil {
		return f.err
	}
	f.delivered = append(f.delivered, fd)
	return nil
}

type fakeNamer map[string]string

func (f fakeNamer) Name(_ context.Context, account string) string {
	if n, ok := f[account]; ok {
		return n
	}
	return accountname.Unknown
}

// --- data ---------------------------------------------------------------------

var (
	created = time.Date(2026, 6, 2, 14, 15, 11, 0, time.UTC)
	virtual = "arn:aws:iam::" + prod + ":mfa/root-account-mfa-device"
	passkey = "arn:aws:iam::" + prod + ":u2f/root/passkey-abc"
	full    = rootcreds.Credentials{
		Password:            true,
		AccessKeys:          []rootcreds.AccessKey{{ID: "AKIAIOSFODNN7EXAMPLE", Status: "Active", Created: created}},
		SigningCertificates: []rootcreds.SigningCertificate{{ID: "CERTEXAMPLE1", Status: "Active"}},
		MFADevices: []rootcreds.MFADevice{
			{Serial: virtual, Kind: rootcreds.Virtual},
			{Serial: passkey, Kind: rootcreds.Passkey},
			{Serial: "GAHT12345678", Kind: rootcreds.Hardware},
		},
	}
	fullWords = []string{
		"password",
		"access key AKIAIOSFODNN7EXAMPLE (Active, created 2026-06-02T14:15:11Z)",
		"signing certificate CERTEXAMPLE1 (Active)",
		"virtual MFA device " + virtual,
		"passkey MFA device " + passkey,
		"hardware MFA device GAHT12345678",
	}
	clean = rootcreds.Credentials{}
)

// removedAll is what Remove reports for full when everything goes.
func removedAll(virtualDeleted bool) rootcreds.Report {
	r := rootcreds.Report{
		Before: full,
		Removed: []rootcreds.Item{
			{Action: rootcreds.ActionDelete, Kind: rootcreds.KindPassword},
			{Action: rootcreds.ActionDelete, Kind: rootcreds.KindAccessKey, ID: "AKIAIOSFODNN7EXAMPLE", Note: rootcreds.NoteAlreadyGone},
			{Action: rootcreds.ActionDelete, Kind: rootcreds.KindSigningCertificate, ID: "CERTEXAMPLE1"},
			{Action: rootcreds.ActionDeactivate, Kind: rootcreds.KindMFADevice, ID: virtual},
			{Action: rootcreds.ActionDeactivate, Kind: rootcreds.KindMFADevice, ID: passkey},
			{Action: rootcreds.ActionDeactivate, Kind: rootcreds.KindMFADevice, ID: "GAHT12345678"},
		},
		After: &rootcreds.Credentials{},
	}
	deleteVirtual := rootcreds.Item{Action: rootcreds.ActionDelete, Kind: rootcreds.KindVirtualMFADevice, ID: virtual}
	if virtualDeleted {
		r.Removed = append(r.Removed, deleteVirtual)
	} else {
		deleteVirtual.Note = rootcreds.NoteDeleteNotAllowed
		r.LeftBehind = append(r.LeftBehind, deleteVirtual)
	}
	return r
}

func apiError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: "answered by the test"}
}

// sessionRefused is what rootsession returns for an AccessDenied AssumeRoot.
func sessionRefused(account string) error {
	return fmt.Errorf("assume root in %s for audit root credentials: %w: %w", account, rootsession.ErrNotAllowed, apiError("AccessDenied"))
}

const (
	audit = rootsession.AuditRootUserCredentials
	del   = rootsession.DeleteRootUserCredentials
)

// Sessions opened, by task: an audit session, and a delete session only to
// remove something.
var (
	auditOnly   = []rootsession.Task{audit}
	auditDelete = []rootsession.Task{audit, del}
)

// emailInvitation is invite-account.json inviting an email address instead
// of an account id.
func emailInvitation(t *testing.T) json.RawMessage {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(fixture(t, "invite-account"), &ev); err != nil {
		t.Fatal(err)
	}
	email := map[string]any{"type": "EMAIL", "id": "owner@example.com"}
	detail := ev["detail"].(map[string]any)
	detail["requestParameters"].(map[string]any)["target"] = email
	hs := detail["responseElements"].(map[string]any)["handshake"].(map[string]any)
	hs["parties"] = []any{map[string]any{"type": "ORGANIZATION", "id": "o-exampleorgid"}, email}
	delete(hs, "resources")
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(dev)) {
		t.Fatalf("email invitation still names account %s: %s", dev, b)
	}
	return b
}

func fixture(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "events", "new-account-hardener", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// forAccount rewrites a fixture to name account instead of from.
func forAccount(raw json.RawMessage, from, account string) json.RawMessage {
	return bytes.ReplaceAll(raw, []byte(from), []byte(account))
}

// --- tests --------------------------------------------------------------------

type harness struct {
	features *fakeFeatures
	sessions *fakeSessions
	root     *fakeRootUser
	notifier *fakeNotifier
	handler  *Handler
}

func newHarness(t *testing.T, s settings.Settings) *harness {
	t.Helper()
	h := &harness{
		features: &fakeFeatures{list: bothFeatures},
		sessions: &fakeSessions{},
		root: &fakeRootUser{
			inventory: func(context.Context, aws.Config) (rootcreds.Credentials, error) { return full, nil },
			remove:    func(context.Context, aws.Config) (rootcreds.Report, error) { return removedAll(false), nil },
		},
		notifier: &fakeNotifier{},
	}
	if s.ManagementAccountID == "" {
		s.ManagementAccountID = management
	}
	if s.Mode == "" {
		s.Mode = notify.ModeEnforce
	}
	var err error
	h.handler, err = NewHandler(s, Parts{
		Features: h.features,
		Sessions: h.sessions,
		RootUser: h.root,
		Notifier: h.notifier,
		Accounts: fakeNamer{dev: "workload-dev", prod: "workload-prod-from-organizations"},
		Logger:   slog.New(slog.DiscardHandler),
		Backoff:  func(int) time.Duration { return time.Millisecond },
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func detail(t *testing.T, f *notify.Finding, key string) any {
	t.Helper()
	v, ok := f.Details.Value(key)
	if !ok {
		t.Errorf("finding has no detail %q; details: %v", key, f.Details)
	}
	return v
}

func noDetail(t *testing.T, f *notify.Finding, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := f.Details.Value(k); ok {
			t.Errorf("detail %q = %v, want none", k, v)
		}
	}
}

func TestHandle(t *testing.T) {
	type want struct {
		err      string // substring of the error; "" for none
		nilOut   bool   // ignored event: nil finding, nothing delivered
		severity notify.Severity
		summary  []string // substrings
		opens    []rootsession.Task
		removals int
		details  map[string]any
		absent   []string // details that must not be there
		actions  []string
	}
	tests := []struct {
		name     string
		event    json.RawMessage
		settings settings.Settings
		setup    func(h *harness)
		want     want
	}{
		{
			name:  "created account: everything removed, virtual device object left",
			event: fixture(t, "create-account-succeeded"),
			want: want{
				severity: notify.SeverityMedium,
				summary:  []string{"Removed root credentials of account 555566667777 (workload-prod-from-organizations), created in the organization: deleted password, 1 access key, 1 signing certificate; deactivated 3 MFA devices"},
				opens:    auditDelete, removals: 1,
				details: map[string]any{
					"joined":  "created",
					"trigger": "CreateAccountResult",
					"found":   fullWords,
					"removed": []string{
						"delete password",
						"delete access key AKIAIOSFODNN7EXAMPLE (already gone)",
						"delete signing certificate CERTEXAMPLE1",
						"deactivate MFA device " + virtual,
						"deactivate MFA device " + passkey,
						"deactivate MFA device GAHT12345678",
					},
					"left_behind": []string{"virtual MFA device " + virtual + " (" + rootcreds.NoteDeleteNotAllowed + ")"},
					"remaining":   []string{},
				},
				absent: []string{"failed", "error", "exempt", "session_attempts", "problem"},
				actions: []string{
					"delete password", "delete access key AKIAIOSFODNN7EXAMPLE", "delete signing certificate CERTEXAMPLE1",
					"deactivate MFA device " + virtual, "deactivate MFA device " + passkey, "deactivate MFA device GAHT12345678",
				},
			},
		},
		{
			name:  "virtual device deleted too",
			event: fixture(t, "create-account-succeeded"),
			setup: func(h *harness) {
				h.root.remove = func(context.Context, aws.Config) (rootcreds.Report, error) { return removedAll(true), nil }
			},
			want: want{
				severity: notify.SeverityMedium, summary: []string{"Removed root credentials"},
				opens: auditDelete, removals: 1,
				absent: []string{"left_behind"},
			},
		},
		{
			name:  "invitation: account already clean, no delete session",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) {
				h.root.inventory = func(context.Context, aws.Config) (rootcreds.Credentials, error) { return clean, nil }
			},
			want: want{
				severity: notify.SeverityInfo,
				summary:  []string{"Account 444455556666 (workload-dev), invited to the organization, has no root credentials: already clean"},
				opens:    auditOnly,
				details:  map[string]any{"joined": "invited", "trigger": "InviteAccountToOrganization", "found": []string{}, "removed": []string{}, "remaining": []string{}},
				actions:  []string{},
			},
		},
		{
			name:  "joined event: a deletion fails, credentials left",
			event: fixture(t, "account-joined"),
			setup: func(h *harness) {
				h.root.remove = func(context.Context, aws.Config) (rootcreds.Report, error) {
					left := rootcreds.Credentials{Password: true}
					return rootcreds.Report{
						Before:  rootcreds.Credentials{Password: true, AccessKeys: full.AccessKeys},
						Removed: []rootcreds.Item{{Action: rootcreds.ActionDelete, Kind: rootcreds.KindAccessKey, ID: "AKIAIOSFODNN7EXAMPLE"}},
						Failed: []rootcreds.ItemError{{
							Item: rootcreds.Item{Action: rootcreds.ActionDelete, Kind: rootcreds.KindPassword},
							Err:  apiError("AccessDenied"),
						}},
						After: &left,
					}, errors.New("remove root credentials: delete password: AccessDenied")
				}
			},
			want: want{
				severity: notify.SeverityHigh,
				summary:  []string{"Root credentials left in account 444455556666 (workload-dev), joined by invitation, after removal: password"},
				opens:    auditDelete, removals: 1,
				details: map[string]any{
					"joined":    "invited",
					"trigger":   "AccountJoinedOrganization",
					"removed":   []string{"delete access key AKIAIOSFODNN7EXAMPLE"},
					"failed":    []string{"delete password: api error AccessDenied: answered by the test"},
					"remaining": []string{"password"},
					"error":     "remove root credentials: delete password: AccessDenied",
				},
				actions: []string{"delete access key AKIAIOSFODNN7EXAMPLE"},
			},
		},
		{
			name:  "virtual device object not deleted for another reason: left behind, not left on root",
			event: fixture(t, "create-account-succeeded"),
			setup: func(h *harness) {
				h.root.remove = func(context.Context, aws.Config) (rootcreds.Report, error) {
					r := removedAll(false)
					r.LeftBehind[0].Note = rootcreds.NoteDeleteFailed + ": api error DeleteConflict"
					return r, nil
				}
			},
			want: want{
				severity: notify.SeverityMedium, summary: []string{"Removed root credentials of account 555566667777"},
				opens: auditDelete, removals: 1,
				details: map[string]any{
					"left_behind": []string{"virtual MFA device " + virtual + " (" + rootcreds.NoteDeleteFailed + ": api error DeleteConflict)"},
					"remaining":   []string{},
				},
				absent: []string{"failed", "error"},
			},
		},
		{
			name:  "a call failed, but the fresh inventory lists nothing: removed, not left",
			event: fixture(t, "account-joined"),
			setup: func(h *harness) {
				h.root.remove = func(context.Context, aws.Config) (rootcreds.Report, error) {
					return rootcreds.Report{
						Before:  rootcreds.Credentials{Password: true, AccessKeys: full.AccessKeys},
						Removed: []rootcreds.Item{{Action: rootcreds.ActionDelete, Kind: rootcreds.KindPassword}},
						Failed: []rootcreds.ItemError{{
							Item: rootcreds.Item{Action: rootcreds.ActionDelete, Kind: rootcreds.KindAccessKey, ID: "AKIAIOSFODNN7EXAMPLE"},
							Err:  apiError("ServiceFailure"),
						}},
						After: &rootcreds.Credentials{},
					}, errors.New("remove root credentials: delete access key AKIAIOSFODNN7EXAMPLE: ServiceFailure")
				}
			},
			want: want{
				severity: notify.SeverityMedium,
				summary:  []string{"Removed root credentials of account 444455556666 (workload-dev), joined by invitation: deleted password, 1 access key"},
				opens:    auditDelete, removals: 1,
				details: map[string]any{
					"failed":    []string{"delete access key AKIAIOSFODNN7EXAMPLE: api error ServiceFailure: answered by the test"},
					"remaining": []string{},
				},
			},
		},
		{
			name:  "removal not verified",
			event: fixture(t, "create-account-succeeded"),
			setup: func(h *harness) {
				h.root.remove = func(context.Context, aws.Config) (rootcreds.Report, error) {
					r := removedAll(true)
					r.After = nil
					return r, errors.New("remove root credentials: verify: throttled")
				}
			},
			want: want{
				severity: notify.SeverityHigh,
				summary:  []string{"may remain: removal could not be verified"},
				opens:    auditDelete, removals: 1,
				details: map[string]any{"error": "remove root credentials: verify: throttled"},
				absent:  []string{"remaining"},
			},
		},
		{
			name:  "first inventory fails: error, nothing delivered",
			event: fixture(t, "create-account-succeeded"),
			setup: func(h *harness) {
				h.root.remove = func(context.Context, aws.Config) (rootcreds.Report, error) {
					return rootcreds.Report{}, fmt.Errorf("remove root credentials: %w: inventory root credentials: list access keys: throttled", rootcreds.ErrInventory)
				}
			},
			want: want{err: "harden 555566667777: remove root credentials: " + rootcreds.ErrInventory.Error(), opens: auditDelete, removals: 1},
		},
		{
			name:     "report mode: audit session, nothing removed",
			event:    fixture(t, "create-account-succeeded"),
			settings: settings.Settings{Mode: notify.ModeReport},
			want: want{
				severity: notify.SeverityHigh,
				summary:  []string{"Account 555566667777 (workload-prod-from-organizations), created in the organization, has root credentials (password, 1 access key, 1 signing certificate, 3 MFA devices); report mode: not removed"},
				opens:    auditOnly,
				details:  map[string]any{"found": fullWords, "removed": []string{}, "remaining": fullWords},
				absent:   []string{"left_behind", "failed", "error"},
				actions:  []string{},
			},
		},
		{
			name:     "report mode: clean account",
			event:    fixture(t, "create-account-succeeded"),
			settings: settings.Settings{Mode: notify.ModeReport},
			setup: func(h *harness) {
				h.root.inventory = func(context.Context, aws.Config) (rootcreds.Credentials, error) { return clean, nil }
			},
			want: want{
				severity: notify.SeverityInfo,
				summary:  []string{"has no root credentials"},
				opens:    auditOnly,
			},
		},
		{
			name:     "report mode: inventory fails",
			event:    fixture(t, "create-account-succeeded"),
			settings: settings.Settings{Mode: notify.ModeReport},
			setup: func(h *harness) {
				h.root.inventory = func(context.Context, aws.Config) (rootcreds.Credentials, error) {
					return clean, errors.New("inventory root credentials: boom")
				}
			},
			want: want{err: "inventory root credentials of 555566667777: inventory root credentials: boom", opens: auditOnly},
		},
		{
			name:     "exempt account: reported, not touched",
			event:    fixture(t, "invite-account"),
			settings: settings.Settings{ExemptAccounts: []string{dev}},
			want: want{
				severity: notify.SeverityLow,
				summary:  []string{"Exempt account 444455556666 (workload-dev), invited to the organization, has root credentials (password, 1 access key, 1 signing certificate, 3 MFA devices); not changed"},
				opens:    auditOnly,
				details:  map[string]any{"exempt": "yes", "found": fullWords, "removed": []string{}},
			},
		},
		{
			name:     "exempt clean account",
			event:    fixture(t, "invite-account"),
			settings: settings.Settings{ExemptAccounts: []string{dev}},
			setup: func(h *harness) {
				h.root.inventory = func(context.Context, aws.Config) (rootcreds.Credentials, error) { return clean, nil }
			},
			want: want{severity: notify.SeverityInfo, summary: []string{"has no root credentials"}, opens: auditOnly,
				details: map[string]any{"exempt": "yes"}},
		},
		{
			name:  "RootSessions off: critical, no session",
			event: fixture(t, "create-account-succeeded"),
			setup: func(h *harness) { h.features.list = features(iamtypes.FeatureTypeRootCredentialsManagement) },
			want: want{
				severity: notify.SeverityCritical,
				summary:  []string{"Root credentials of account 555566667777 (workload-prod-from-organizations), created in the organization, not checked: centralized root access is off (RootSessions not enabled)"},
				details: map[string]any{
					"problem": "RootSessions not enabled", "enabled_features": []string{"RootCredentialsManagement"},
					"remedy": "From the management account: aws iam enable-organizations-root-sessions. Then redeliver this event, or let the audit find the account.",
				},
				absent:  []string{"found", "removed", "remaining"},
				actions: []string{},
			},
		},
		{
			name:  "RootCredentialsManagement off",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) { h.features.list = features(iamtypes.FeatureTypeRootSessions) },
			want: want{
				severity: notify.SeverityCritical,
				summary:  []string{"(RootCredentialsManagement not enabled)"},
				details: map[string]any{
					"enabled_features": []string{"RootSessions"},
					"remedy":           "From the management account: aws iam enable-organizations-root-credentials-management. Then redeliver this event, or let the audit find the account.",
				},
			},
		},
		{
			name:  "both features off",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) { h.features.list = features() },
			want: want{
				severity: notify.SeverityCritical,
				summary:  []string{"(RootCredentialsManagement and RootSessions not enabled)"},
				details: map[string]any{
					"enabled_features": []string{},
					"remedy":           "From the management account: aws iam enable-organizations-root-credentials-management; aws iam enable-organizations-root-sessions. Then redeliver this event, or let the audit find the account.",
				},
			},
		},
		{
			name:  "trusted access off",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) { h.features.list = featuresError(apiError("ServiceAccessNotEnabledException")) },
			want: want{
				severity: notify.SeverityCritical,
				summary:  []string{"trusted access for IAM is not enabled"},
				absent:   []string{"enabled_features"},
				details: map[string]any{
					"remedy": "From the management account: aws organizations enable-aws-service-access --service-principal iam.amazonaws.com; aws iam enable-organizations-root-credentials-management; aws iam enable-organizations-root-sessions. Then redeliver this event, or let the audit find the account.",
				},
			},
		},
		{
			name:  "not in all-features mode, code without suffix",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) { h.features.list = featuresError(apiError("OrganizationNotInAllFeaturesMode")) },
			want:  want{severity: notify.SeverityCritical, summary: []string{"does not have all features enabled"}},
		},
		{
			name:  "features unreadable: error",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) {
				h.features.list = featuresError(apiError("AccountNotManagementOrDelegatedAdministratorException"))
			},
			want: want{err: "list organization features: api error AccountNotManagementOrDelegatedAdministratorException"},
		},
		{
			name:  "root session refused as feature off",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) {
				h.sessions.open = refuse(-1, fmt.Errorf("assume root: %w", rootsession.ErrFeatureDisabled))
			},
			want: want{
				severity: notify.SeverityCritical, summary: []string{"centralized root access is off (assume root: root sessions are not enabled"},
				opens:  auditOnly,
				absent: []string{"enabled_features"},
			},
		},
		{
			name:  "delete session refused as feature off",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) {
				h.sessions.open = func(_ context.Context, account string, task rootsession.Task) (aws.Config, error) {
					if task == del {
						return aws.Config{}, fmt.Errorf("assume root: %w", rootsession.ErrFeatureDisabled)
					}
					return sessionConfig(account, task), nil
				}
			},
			want: want{
				severity: notify.SeverityCritical, summary: []string{"centralized root access is off"},
				opens: auditDelete,
			},
		},
		{
			name:  "delete session fails otherwise: error",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) {
				h.sessions.open = func(_ context.Context, account string, task rootsession.Task) (aws.Config, error) {
					if task == del {
						return aws.Config{}, fmt.Errorf("assume root: %w", rootsession.ErrExpired)
					}
					return sessionConfig(account, task), nil
				}
			},
			want: want{err: "caller credentials have expired", opens: auditDelete},
		},
		{
			name:  "expired caller credentials: error at once",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) { h.sessions.open = refuse(-1, fmt.Errorf("assume root: %w", rootsession.ErrExpired)) },
			want:  want{err: "caller credentials have expired", opens: auditOnly},
		},
		{
			name:  "session refused twice, then hardened",
			event: fixture(t, "invite-account"),
			setup: func(h *harness) { h.sessions.open = refuse(2, sessionRefused(dev)) },
			want: want{
				severity: notify.SeverityMedium, summary: []string{"Removed root credentials of account 444455556666"},
				opens: []rootsession.Task{audit, audit, audit, del}, removals: 1,
				details: map[string]any{"session_attempts": "3"},
			},
		},
		{
			name:  "account name from the event when Organizations does not know it",
			event: forAccount(fixture(t, "account-joined"), dev, "666677778888"),
			want: want{
				severity: notify.SeverityMedium, summary: []string{"account 666677778888 (workload-dev)"},
				opens: auditDelete, removals: 1,
			},
		},
		{
			name:  "redacted name in the event: unknown, not the stars",
			event: forAccount(fixture(t, "create-account-succeeded"), prod, "666677778888"),
			want: want{
				severity: notify.SeverityMedium, summary: []string{"account 666677778888 (" + accountname.Unknown + ")"},
				opens: auditDelete, removals: 1,
			},
		},
		{
			name:  "invitation by email only: ignored",
			event: emailInvitation(t),
			want:  want{nilOut: true},
		},
		{
			name:  "management account: ignored",
			event: forAccount(fixture(t, "account-joined"), dev, management),
			want:  want{nilOut: true},
		},
		{
			name:  "failed creation: ignored",
			event: fixture(t, "create-account-failed"),
			want:  want{nilOut: true},
		},
		{
			name:  "unrelated event: ignored",
			event: fixture(t, "unrelated-event"),
			want:  want{nilOut: true},
		},
		{
			name:  "failed invitation call: ignored",
			event: bytes.Replace(fixture(t, "invite-account"), []byte(`"eventID"`), []byte(`"errorCode": "AccessDeniedException", "eventID"`), 1),
			want:  want{nilOut: true},
		},
		{
			name:  "malformed: SUCCEEDED without account id",
			event: bytes.Replace(fixture(t, "create-account-succeeded"), []byte(`"accountId": "555566667777",`), nil, 1),
			want:  want{err: "parse CreateAccountResult: "},
		},
		{
			name:  "not JSON",
			event: json.RawMessage(`{"detail": `),
			want:  want{err: "parse event: "},
		},
		{
			name:  "delivery fails",
			event: fixture(t, "create-account-succeeded"),
			setup: func(h *harness) { h.notifier.err = errors.New("sns down") },
			want:  want{err: "sns down", opens: auditDelete, removals: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.settings)
			if tt.setup != nil {
				tt.setup(h)
			}
			got, err := h.handler.Handle(context.Background(), tt.event)
			w := tt.want

			var tasks []rootsession.Task
			for _, c := range h.sessions.calls {
				tasks = append(tasks, c.task)
				if c.account == management {
					t.Errorf("session opened in the management account")
				}
			}
			if !slices.Equal(tasks, w.opens) {
				t.Errorf("root sessions opened %v, want %v", h.sessions.calls, w.opens)
			}
			account := h.sessions.lastAccount(tt.event)
			for _, s := range h.root.inventorySessions {
				if s != account+"/"+audit.String() {
					t.Errorf("root user listed through session %q, want an audit session in %s", s, account)
				}
			}
			for _, s := range h.root.removeSessions {
				if s != account+"/"+del.String() {
					t.Errorf("root user stripped through session %q, want a delete session in %s", s, account)
				}
			}
			if len(h.root.removeSessions) != w.removals {
				t.Errorf("%d removals, want %d", len(h.root.removeSessions), w.removals)
			}
			if w.nilOut && h.features.calls != 0 {
				t.Errorf("ignored event listed organization features")
			}

			switch {
			case w.err != "":
				if err == nil || !strings.Contains(err.Error(), w.err) {
					t.Fatalf("error %v, want one containing %q", err, w.err)
				}
				if got != nil || len(h.notifier.delivered) > 0 {
					t.Errorf("failed event returned %v and delivered %d findings", got, len(h.notifier.delivered))
				}
				return
			case err != nil:
				t.Fatalf("Handle: %v", err)
			case w.nilOut:
				if got != nil || len(h.notifier.delivered) > 0 {
					t.Errorf("ignored event returned %+v and delivered %d findings", got, len(h.notifier.delivered))
				}
				return
			}

			if got == nil || len(h.notifier.delivered) != 1 || !reflect.DeepEqual(*got, h.notifier.delivered[0]) {
				t.Fatalf("returned %+v, delivered %+v: want the one delivered finding returned", got, h.notifier.delivered)
			}
			// Only a features-off finding is critical, and it has a kind of its own.
			wantKind := notify.KindRootCredentialsRemoved
			if w.severity == notify.SeverityCritical {
				wantKind = notify.KindCentralizedRootAccessOff
			}
			if got.Kind != wantKind || got.Severity != w.severity {
				t.Errorf("kind %s severity %s, want %s %s", got.Kind, got.Severity, wantKind, w.severity)
			}
			for _, s := range w.summary {
				if !strings.Contains(got.Summary, s) {
					t.Errorf("summary %q, want it to contain %q", got.Summary, s)
				}
			}
			if strings.Contains(got.Summary, "*") || strings.Contains(got.AccountName, "*") {
				t.Errorf("summary %q, account name %q: a redacted name printed", got.Summary, got.AccountName)
			}
			if got.Resource != "arn:aws:iam::"+account+":root" || got.AccountID != account {
				t.Errorf("account %s resource %s, want %s", got.AccountID, got.Resource, account)
			}
			if got.Mode != h.handler.settings.Mode || got.Region != "us-east-1" || got.EventTime.IsZero() {
				t.Errorf("mode %s region %s time %v", got.Mode, got.Region, got.EventTime)
			}
			for k, v := range w.details {
				if d := detail(t, got, k); !reflect.DeepEqual(d, v) {
					t.Errorf("detail %s = %#v, want %#v", k, d, v)
				}
			}
			noDetail(t, got, w.absent...)
			if w.actions != nil && !reflect.DeepEqual(got.Actions, w.actions) {
				t.Errorf("actions %q, want %q", got.Actions, w.actions)
			}
		})
	}
}

// lastAccount is the account the event names, from the sessions opened or,
// when none was, from the event.
func (f *fakeSessions) lastAccount(event json.RawMessage) string {
	if len(f.calls) > 0 {
		return f.calls[len(f.calls)-1].account
	}
	for _, a := range []string{"666677778888", prod, dev} {
		if bytes.Contains(event, []byte(`"`+a+`"`)) {
			return a
		}
	}
	return ""
}

func TestHandleSameEventSameFinding(t *testing.T) {
	h := newHarness(t, settings.Settings{})
	event := fixture(t, "create-account-succeeded")
	first, err := h.handler.Handle(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	h.root.inventory = func(context.Context, aws.Config) (rootcreds.Credentials, error) { return clean, nil }
	second, err := h.handler.Handle(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != second.ID {
		t.Errorf("redelivery gave finding id %s, first %s: want the same", second.ID, first.ID)
	}
	if first.Severity != notify.SeverityMedium || second.Severity != notify.SeverityInfo || !strings.Contains(second.Summary, "already clean") {
		t.Errorf("first %s %q, second %s %q", first.Severity, first.Summary, second.Severity, second.Summary)
	}
	h.features.list = features(iamtypes.FeatureTypeRootCredentialsManagement)
	off, err := h.handler.Handle(context.Background(), event)
	if err != nil {
		t.Fatal(err)
	}
	if off.Severity != notify.SeverityCritical || off.ID == first.ID {
		t.Errorf("features off: %s finding with id %s, want critical with an id of its own", off.Severity, off.ID)
	}
	other, err := h.handler.Handle(context.Background(), fixture(t, "account-joined"))
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == first.ID {
		t.Errorf("another event gave the same finding id")
	}
}

// clock is a fake time: sleeping advances it.
type clock struct {
	now    time.Time
	waits  []time.Duration
	cancel context.CancelFunc // if set, called on the first sleep
}

func (c *clock) Now() time.Time { return c.now }

func (c *clock) Sleep(ctx context.Context, d time.Duration) error {
	c.waits = append(c.waits, d)
	if c.cancel != nil {
		c.cancel()
		return ctx.Err()
	}
	c.now = c.now.Add(d)
	return nil
}

func TestOpenRetryBudget(t *testing.T) {
	tests := []struct {
		name      string
		timeout   time.Duration // 0: no deadline
		backoff   time.Duration // constant
		refusals  int           // -1: always
		cancel    bool
		wantOpens int
		wantErr   error
		wantWaits time.Duration // total
	}{
		// 100s: a quarter (25s) is kept, retries may start until 75s: at 0, 10, ... 70s.
		{name: "short invocation keeps a quarter", timeout: 100 * time.Second, backoff: 10 * time.Second, refusals: -1, wantOpens: 8, wantErr: rootsession.ErrNotAllowed, wantWaits: 70 * time.Second},
		// 900s: 60s kept, retries until 840s: at 0, 100, ... 800s.
		{name: "long invocation keeps a minute", timeout: 900 * time.Second, backoff: 100 * time.Second, refusals: -1, wantOpens: 9, wantErr: rootsession.ErrNotAllowed, wantWaits: 800 * time.Second},
		// No deadline: 4 minutes, at 0, 60, ... 240s.
		{name: "no deadline", backoff: 60 * time.Second, refusals: -1, wantOpens: 5, wantErr: rootsession.ErrNotAllowed, wantWaits: 240 * time.Second},
		{name: "ready within the budget", timeout: 100 * time.Second, backoff: 10 * time.Second, refusals: 7, wantOpens: 8, wantWaits: 70 * time.Second},
		{name: "backoff longer than the budget", timeout: 100 * time.Second, backoff: 76 * time.Second, refusals: -1, wantOpens: 1, wantErr: rootsession.ErrNotAllowed},
		{name: "cancelled while waiting", timeout: 100 * time.Second, backoff: 10 * time.Second, refusals: -1, cancel: true, wantOpens: 1, wantErr: context.Canceled, wantWaits: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, settings.Settings{})
			h.sessions.open = refuse(tt.refusals, sessionRefused(dev))
			var retries []int
			h.handler.backoff = func(n int) time.Duration {
				retries = append(retries, n)
				return tt.backoff
			}
			c := &clock{now: time.Now()}
			h.handler.now, h.handler.sleep = c.Now, c.Sleep

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.timeout > 0 {
				ctx, cancel = context.WithDeadline(ctx, c.now.Add(tt.timeout))
				defer cancel()
			}
			if tt.cancel {
				c.cancel = cancel
			}
			got, err := h.handler.Handle(ctx, fixture(t, "invite-account"))

			// wantOpens counts the audit session's attempts; the delete
			// session follows once it is open.
			want := slices.Repeat(auditOnly, tt.wantOpens)
			if tt.wantErr == nil {
				want = append(want, del)
			}
			var tasks []rootsession.Task
			for _, c := range h.sessions.calls {
				tasks = append(tasks, c.task)
			}
			if !slices.Equal(tasks, want) {
				t.Errorf("sessions opened for %v, want %v", tasks, want)
			}
			for i, n := range retries {
				if n != i {
					t.Errorf("backoff asked for retries %v, want 0, 1, 2...", retries)
					break
				}
			}
			var waited time.Duration
			for _, w := range c.waits {
				waited += w
			}
			if waited != tt.wantWaits {
				t.Errorf("waited %v (%v), want %v", waited, c.waits, tt.wantWaits)
			}
			if tt.wantErr == nil {
				if err != nil || got == nil || got.Severity != notify.SeverityMedium {
					t.Fatalf("Handle = %+v, %v: want credentials removed", got, err)
				}
				if v, _ := got.Details.Value("session_attempts"); v != fmt.Sprint(tt.wantOpens) {
					t.Errorf("session_attempts %v, want %d", v, tt.wantOpens)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || got != nil || len(h.notifier.delivered) > 0 {
				t.Fatalf("Handle = %v, %v (%d delivered): want error %v and nothing delivered", got, err, len(h.notifier.delivered), tt.wantErr)
			}
			if len(h.root.removeSessions) != 0 {
				t.Errorf("removal attempted without a session")
			}
			if tt.wantErr == rootsession.ErrNotAllowed && !strings.Contains(err.Error(), fmt.Sprintf("after %d attempts", tt.wantOpens)) {
				t.Errorf("error %q does not say how many attempts", err)
			}
		})
	}
}

func TestDefaultBackoff(t *testing.T) {
	tests := []struct {
		retry    int
		min, max time.Duration
	}{
		{0, 1 * time.Second, 2 * time.Second},
		{1, 2 * time.Second, 4 * time.Second},
		{3, 8 * time.Second, 16 * time.Second},
		{4, 15 * time.Second, 30 * time.Second},
		{60, 15 * time.Second, 30 * time.Second},   // no overflow
		{1000, 15 * time.Second, 30 * time.Second}, // no overflow
	}
	for _, tt := range tests {
		seen := map[time.Duration]bool{}
		for range 100 {
			d := defaultBackoff(tt.retry)
			if d < tt.min || d > tt.max {
				t.Fatalf("defaultBackoff(%d) = %v, want %v to %v", tt.retry, d, tt.min, tt.max)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("defaultBackoff(%d) has no jitter", tt.retry)
		}
	}
}

func TestNewHandler(t *testing.T) {
	good := Parts{Features: &fakeFeatures{}, Sessions: &fakeSessions{}, RootUser: &fakeRootUser{}, Notifier: &fakeNotifier{}, Accounts: fakeNamer{}}
	s := settings.Settings{Mode: notify.ModeEnforce, ManagementAccountID: management}
	if _, err := NewHandler(s, good); err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	if _, err := NewHandler(settings.Settings{Mode: notify.ModeEnforce}, good); err == nil || !strings.Contains(err.Error(), settings.EnvManagementAccountID) {
		t.Errorf("no management account: error %v, want one naming %s", err, settings.EnvManagementAccountID)
	}
	for _, drop := range []func(*Parts){
		func(p *Parts) { p.Features = nil },
		func(p *Parts) { p.Sessions = nil },
		func(p *Parts) { p.RootUser = nil },
		func(p *Parts) { p.Notifier = nil },
		func(p *Parts) { p.Accounts = nil },
	} {
		p := good
		drop(&p)
		if _, err := NewHandler(s, p); err == nil {
			t.Errorf("NewHandler(%+v) accepted a missing part", p)
		}
	}
}

func TestFixturesHandled(t *testing.T) {
	// Every sample event is either hardened or ignored, never an error.
	files, err := filepath.Glob(filepath.Join("..", "..", "events", "new-account-hardener", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	ignored := []string{"create-account-failed", "unrelated-event"}
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, settings.Settings{})
			got, err := h.handler.Handle(context.Background(), fixture(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if wantNil := slices.Contains(ignored, name); (got == nil) != wantNil {
				t.Errorf("finding %v, want ignored: %v", got, wantNil)
			}
		})
	}
}

func TestHandleEmailInvitationWarns(t *testing.T) {
	h := newHarness(t, settings.Settings{})
	var logs bytes.Buffer
	h.handler.logger = slog.New(slog.NewJSONHandler(&logs, nil))
	got, err := h.handler.Handle(context.Background(), emailInvitation(t))
	if err != nil || got != nil {
		t.Fatalf("Handle = %v, %v: want nothing", got, err)
	}
	if h.features.calls != 0 || len(h.sessions.calls) != 0 || len(h.notifier.delivered) != 0 {
		t.Errorf("email invitation acted: %d feature checks, sessions %v, %d findings", h.features.calls, h.sessions.calls, len(h.notifier.delivered))
	}
	var rec struct {
		Level       string `json:"level"`
		Msg         string `json:"msg"`
		HandshakeID string `json:"handshake_id"`
		EventID     string `json:"event_id"`
	}
	if err := json.Unmarshal(logs.Bytes(), &rec); err != nil {
		t.Fatalf("want one log record, got %q: %v", logs.String(), err)
	}
	if rec.Level != slog.LevelWarn.String() || rec.HandshakeID != "h-7c2a9e4b1d3f4a6c8e0b2d4f6a8c0e2b" || rec.EventID != inviteEventID ||
		!strings.Contains(rec.Msg, "AccountJoinedOrganization hardens it when it joins") {
		t.Errorf("log %+v, want a warning naming the handshake and what hardens the account", rec)
	}
	if strings.Contains(logs.String(), "owner@example.com") {
		t.Errorf("log %s names the invited email address", logs.String())
	}
}
