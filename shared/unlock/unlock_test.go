package unlock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rootguard/rootguard/shared/lockout"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
	"github.com/rootguard/rootguard/shared/trail"
	"github.com/rootguard/rootguard/shared/unlock/unlocktest"
)

// The flow is tested with the bucket sample events and a fake bucket
// service over an in-memory policy; the functions' own tests cover the S3
// and SQS sides with the real services and fake clients.

const (
	dev        = unlocktest.Dev
	management = unlocktest.Management
)

type fakeService struct {
	change   func(rec trail.Record) (Change, error)
	policies func(session aws.Config, t Target) Policies
}

func (f fakeService) Change(rec trail.Record) (Change, error) { return f.change(rec) }
func (f fakeService) Task() rootsession.Task                  { return rootsession.UnlockS3BucketPolicy }
func (f fakeService) Policies(session aws.Config, t Target) Policies {
	return f.policies(session, t)
}

type fakePolicies struct {
	get    func(ctx context.Context) (json.RawMessage, error)
	put    func(ctx context.Context, policy json.RawMessage) error
	delete func(ctx context.Context) error
}

func (f fakePolicies) Get(ctx context.Context) (json.RawMessage, error) { return f.get(ctx) }
func (f fakePolicies) Put(ctx context.Context, p json.RawMessage) error { return f.put(ctx, p) }
func (f fakePolicies) Delete(ctx context.Context) error                 { return f.delete(ctx) }

// world is one bucket's live state as a root session sees it, and what the
// handler did to it.
type world struct {
	live     json.RawMessage // the live policy; nil: none
	getErr   error
	writeErr error
	openErr  error

	opened   []string // account/task of each Open
	sessions []string // the region of each session handed to Policies
	puts     []json.RawMessage
	deletes  int
	sent     []notify.Finding
}

func bucketChange(rec trail.Record) (Change, error) {
	if rec.Kind() != trail.KindPutBucketPolicy {
		return Change{}, fmt.Errorf("not PutBucketPolicy: %w", trail.ErrNotApplicable)
	}
	c, err := rec.BucketPolicy()
	if err != nil {
		return Change{}, err
	}
	return Change{
		Target: Target{Service: lockout.S3, Name: c.Bucket, ARN: "arn:" + trail.Partition(rec.Region()) + ":s3:::" + c.Bucket, AccountID: rec.AccountID(), Region: rec.Region()},
		Policy: c.Policy,
	}, nil
}

func (w *world) handler(t *testing.T, vars map[string]string) *Handler {
	t.Helper()
	h, err := NewHandler(unlocktest.Settings(t, vars), Parts{
		Service: fakeService{
			change: bucketChange,
			policies: func(session aws.Config, _ Target) Policies {
				w.sessions = append(w.sessions, session.Region)
				return fakePolicies{
					get: func(context.Context) (json.RawMessage, error) { return w.live, w.getErr },
					put: func(_ context.Context, p json.RawMessage) error {
						if w.writeErr != nil {
							return w.writeErr
						}
						w.puts = append(w.puts, p)
						w.live = p
						return nil
					},
					delete: func(context.Context) error {
						if w.writeErr != nil {
							return w.writeErr
						}
						w.deletes++
						w.live = nil
						return nil
					},
				}
			},
		},
		Sessions: unlocktest.Opener{OpenFunc: func(_ context.Context, account string, task rootsession.Task) (aws.Config, error) {
			w.opened = append(w.opened, account+"/"+task.String())
			if w.openErr != nil {
				return aws.Config{}, w.openErr
			}
			// The opener's base configuration is the function's home region.
			return aws.Config{Region: unlocktest.HomeRegion}, nil
		}},
		Notifier: unlocktest.Collect(&w.sent),
		Accounts: unlocktest.Names(),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func readEvent(t *testing.T, name string) []byte {
	t.Helper()
	return unlocktest.ReadEvent(t, "bucket-policy-unlocker", name)
}

// policyOf is the policy an event sets.
func policyOf(t *testing.T, event []byte) json.RawMessage {
	t.Helper()
	rec, err := trail.ParseJSON(event)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rec.BucketPolicy()
	if err != nil {
		t.Fatal(err)
	}
	return c.Policy
}

// rootSessionEvent is event as a root session of its account records it.
func rootSessionEvent(t *testing.T, event []byte) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	ev["detail"].(map[string]any)["userIdentity"] = map[string]any{
		"type": "Root", "principalId": dev, "arn": "arn:aws:iam::" + dev + ":root", "accountId": dev,
		"accessKeyId": "ASIAEXAMPLEROOT00001",
		"sessionContext": map[string]any{
			"attributes":  map[string]any{"creationDate": "2026-06-02T13:21:00Z", "mfaAuthenticated": "false"},
			"assumedRoot": "true",
		},
	}
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func withPolicy(t *testing.T, event []byte, policy string) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	ev["detail"].(map[string]any)["requestParameters"].(map[string]any)["bucketPolicy"] = policy
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// inGovCloud is event as recorded in us-gov-west-1.
func inGovCloud(t *testing.T, event []byte) []byte {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		t.Fatal(err)
	}
	ev["detail"].(map[string]any)["awsRegion"] = "us-gov-west-1"
	ev["region"] = "us-gov-west-1"
	b, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const vpceOnlyDevData = `{"Version":"2012-10-17","Statement":[{"Sid":"VpceOnly","Effect":"Deny","Principal":"*","Action":"s3:*",` +
	`"Resource":["arn:aws:s3:::dev-data","arn:aws:s3:::dev-data/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0a1b2c3d4e5f67890"}}}]}`

const tlsOnlyDevData = `{"Version":"2012-10-17","Statement":[{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*",` +
	`"Resource":["arn:aws:s3:::dev-data","arn:aws:s3:::dev-data/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`

// lockoutAndVpce has a lockout statement, a conditional one and a
// legitimate one.
const lockoutAndVpce = `{"Version":"2012-10-17","Statement":[` +
	`{"Sid":"Freeze","Effect":"Deny","Principal":"*","Action":["s3:PutBucketPolicy","s3:DeleteBucketPolicy"],"Resource":"arn:aws:s3:::dev-data"},` +
	`{"Sid":"VpceOnly","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::dev-data","arn:aws:s3:::dev-data/*"],"Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-0a1b2c3d4e5f67890"}}},` +
	`{"Sid":"TLS","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::dev-data","arn:aws:s3:::dev-data/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`

// orgPerimeter denies everyone outside the organization o-exampleorgid.
// govPerimeter denies everyone outside account dev in aws-us-gov: its own
// perimeter there, and a lockout of a bucket in aws.
const govPerimeter = `{"Version":"2012-10-17","Statement":[{"Sid":"OwnAccountOnly","Effect":"Deny","Principal":"*","Action":"s3:*",` +
	`"Resource":"*","Condition":{"StringNotLike":{"aws:PrincipalArn":"arn:aws-us-gov:iam::444455556666:*"}}}]}`

const orgPerimeter = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyOutsideOrganization","Effect":"Deny","Principal":"*","Action":"s3:*",` +
	`"Resource":["arn:aws:s3:::dev-data","arn:aws:s3:::dev-data/*"],"Condition":{"StringNotEqualsIfExists":{"aws:PrincipalOrgID":"o-exampleorgid"},` +
	`"BoolIfExists":{"aws:PrincipalIsAWSService":"false"}}}]}`

func TestHandle(t *testing.T) {
	denyAll := readEvent(t, "deny-all")
	mixed := readEvent(t, "lockout-mixed-with-legitimate")
	tests := []struct {
		name  string
		event []byte
		vars  map[string]string
		setup func(w *world)

		wantNil     bool // no finding, no error
		wantErr     string
		kind        notify.Kind
		severity    notify.Severity
		summaryHas  []string
		wantOpened  bool
		wantPuts    int
		wantDeletes int
		check       func(t *testing.T, w *world, f notify.Finding)
	}{
		{name: "deny-all: policy deleted", event: denyAll,
			kind: KindUnlocked, severity: notify.SeverityMedium, wantOpened: true, wantDeletes: 1,
			summaryHas: []string{"Bucket dev-data in 444455556666 (workload-dev) locked everyone out", "deleted its policy", "DenyEverything (index 0)"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				detail(t, f, "changed", "deleted")
				detail(t, f, "repaired_policy", json.RawMessage(nil))
				detail(t, f, "set_by", "arn:aws:sts::444455556666:assumed-role/DeveloperAccess/dave")
				detail(t, f, "source_ip", "203.0.113.45")
				detail(t, f, "event_verdict", "lockout")
				detail(t, f, "live_verdict", "lockout")
				want := []string{"opened a root session in 444455556666 with S3UnlockBucketPolicy", "read the live policy",
					"deleted the policy: removing statement DenyEverything (index 0) left no statement"}
				if !reflect.DeepEqual(f.Actions, want) {
					t.Errorf("actions %q, want %q", f.Actions, want)
				}
			}},
		{name: "mixed: only the lockout statement removed", event: mixed,
			kind: KindUnlocked, severity: notify.SeverityMedium, wantOpened: true, wantPuts: 1,
			summaryHas: []string{"removed statement FreezeBucketPolicy (index 2)"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				was := statements(t, policyOf(t, mixed))
				got := statements(t, w.puts[0])
				if !reflect.DeepEqual(got, was[:2]) {
					t.Errorf("put %s, want the first two statements of the original", w.puts[0])
				}
				sts := statementFacts(t, f)
				if len(sts) != 1 || sts[0].Index != 2 || sts[0].Sid != "FreezeBucketPolicy" || sts[0].Action != "removed" ||
					sts[0].Verdict != lockout.Lockout || sts[0].Reason == "" || len(sts[0].Statement) == 0 {
					t.Errorf("statements %+v", sts)
				}
				detail(t, f, "changed", "rewritten without the removed statements")
			}},
		{name: "policy recorded as a string", event: readEvent(t, "deny-all-policy-as-string"),
			kind: KindUnlocked, severity: notify.SeverityMedium, wantOpened: true, wantDeletes: 1,
			summaryHas: []string{"Bucket dev-reports"}},
		{name: "legitimate: no root session", event: readEvent(t, "legitimate-tls-only"), wantNil: true},
		{name: "failed call: no root session", event: readEvent(t, "failed-call"), wantNil: true},
		{name: "policy deletion: ignored", event: readEvent(t, "delete-bucket-policy"), wantNil: true},
		{name: "conditional: reported from the event", event: readEvent(t, "conditional-vpce"),
			kind: KindReported, severity: notify.SeverityMedium,
			summaryHas: []string{"may lock everyone out (conditional)", "ROOTGUARD_REPAIR_CONDITIONAL=true"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				if _, ok := f.Details.Value("repaired_policy"); ok {
					t.Error("a policy that is not repaired has a repaired_policy")
				}
				if sts := statementFacts(t, f); len(sts) != 1 || sts[0].Action != "kept" {
					t.Errorf("statements %+v, want one kept", sts)
				}
			}},
		{name: "conditional repaired when configured", event: readEvent(t, "conditional-vpce"),
			vars: map[string]string{settings.EnvRepairConditional: "true"},
			kind: KindUnlocked, severity: notify.SeverityMedium, wantOpened: true, wantDeletes: 1},
		{name: "lockout and conditional: the conditional statement kept", event: withPolicy(t, denyAll, lockoutAndVpce),
			kind: KindUnlocked, severity: notify.SeverityMedium, wantOpened: true, wantPuts: 1,
			check: func(t *testing.T, w *world, f notify.Finding) {
				got := statements(t, w.puts[0])
				if len(got) != 2 || got[0]["Sid"] != "VpceOnly" || got[1]["Sid"] != "TLS" {
					t.Errorf("put %s, want VpceOnly and TLS kept", w.puts[0])
				}
				actions := map[string]string{}
				for _, s := range statementFacts(t, f) {
					actions[s.Sid] = s.Action
				}
				if !reflect.DeepEqual(actions, map[string]string{"Freeze": "removed", "VpceOnly": "kept"}) {
					t.Errorf("statement actions %v", actions)
				}
			}},
		{name: "lockout and conditional: both removed when configured", event: withPolicy(t, denyAll, lockoutAndVpce),
			vars: map[string]string{settings.EnvRepairConditional: "true"},
			kind: KindUnlocked, severity: notify.SeverityMedium, wantOpened: true, wantPuts: 1,
			summaryHas: []string{"statements Freeze (index 0), VpceOnly (index 1)"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				if got := statements(t, w.puts[0]); len(got) != 1 || got[0]["Sid"] != "TLS" {
					t.Errorf("put %s, want only TLS kept", w.puts[0])
				}
			}},
		{name: "management account: reported, never changed", event: []byte(strings.ReplaceAll(string(denyAll), dev, management)),
			kind: KindReported, severity: notify.SeverityHigh, summaryHas: []string{"management account", "(management)"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				detail(t, f, "repaired_policy", json.RawMessage(nil))
				detail(t, f, "changed", "no")
			}},
		{name: "exempt account: reported, not changed", event: denyAll,
			vars: map[string]string{settings.EnvExemptAccounts: dev},
			kind: KindReported, severity: notify.SeverityHigh, summaryHas: []string{"exempt account"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				detail(t, f, "exempt", "yes")
				if sts := statementFacts(t, f); len(sts) != 1 || sts[0].Action != "not removed" {
					t.Errorf("statements %+v", sts)
				}
			}},
		{name: "report mode: read, not changed", event: mixed,
			vars: map[string]string{settings.EnvMode: "report"},
			kind: KindReported, severity: notify.SeverityHigh, wantOpened: true,
			summaryHas: []string{"report mode: not changed (would rewrite the policy without statement FreezeBucketPolicy (index 2))"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				if f.Mode != notify.ModeReport {
					t.Errorf("mode %s", f.Mode)
				}
				repaired, _ := f.Details.Value("repaired_policy")
				if got := statements(t, repaired.(json.RawMessage)); len(got) != 2 {
					t.Errorf("repaired_policy %s, want the two statements enforce mode would keep", repaired)
				}
			}},
		{name: "report mode: would delete", event: denyAll,
			vars: map[string]string{settings.EnvMode: "report"},
			kind: KindReported, severity: notify.SeverityHigh, wantOpened: true, summaryHas: []string{"would delete the policy"}},
		{name: "live policy no longer a lockout: nothing to do", event: denyAll,
			setup: func(w *world) { w.live = json.RawMessage(tlsOnlyDevData) },
			kind:  KindUnlocked, severity: notify.SeverityInfo, wantOpened: true,
			summaryHas: []string{"no longer locks anyone out: nothing to do"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				detail(t, f, "live_verdict", "ok")
				detail(t, f, "live_policy", json.RawMessage(tlsOnlyDevData))
			}},
		{name: "live policy gone: nothing to do", event: denyAll,
			setup: func(w *world) { w.live = nil },
			kind:  KindUnlocked, severity: notify.SeverityInfo, wantOpened: true,
			summaryHas: []string{"has no policy any more: nothing to do"}},
		{name: "live policy conditional: reported", event: denyAll,
			setup: func(w *world) { w.live = json.RawMessage(vpceOnlyDevData) },
			kind:  KindReported, severity: notify.SeverityMedium, wantOpened: true,
			summaryHas: []string{"the live policy is conditional"}},
		{name: "live policy unreadable by the analysis", event: denyAll,
			setup: func(w *world) {
				w.live = json.RawMessage(`{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:*","Resource":"*"}]}`)
			},
			kind: KindFailed, severity: notify.SeverityHigh, wantOpened: true,
			summaryHas: []string{"The live policy of bucket dev-data", "could not be analysed"}},
		{name: "live policy not JSON", event: denyAll,
			setup: func(w *world) { w.live = json.RawMessage(`Deny everything`) },
			kind:  KindFailed, severity: notify.SeverityHigh, wantOpened: true,
			check: func(t *testing.T, w *world, f notify.Finding) { detail(t, f, "policy", "Deny everything") }},
		{name: "statements without a Sid are named by index",
			event: withPolicy(t, denyAll, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"},`+
				`{"Effect":"Deny","Principal":"*","Action":"s3:PutBucketPolicy","Resource":"arn:aws:s3:::dev-data"}]}`),
			kind: KindUnlocked, severity: notify.SeverityMedium, wantOpened: true, wantDeletes: 1,
			summaryHas: []string{"removing statements index 0, index 1 left no statement"}},
		{name: "event policy unreadable by the analysis: no root session",
			event: withPolicy(t, denyAll, `{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:*","Resource":"*"}]}`),
			kind:  KindFailed, severity: notify.SeverityHigh, summaryHas: []string{"The event policy"}},
		{name: "bucket gone when read", event: denyAll,
			setup: func(w *world) { w.getErr = fmt.Errorf("get: %w: %w", ErrGone, unlocktest.APIError("NoSuchBucket")) },
			kind:  KindUnlocked, severity: notify.SeverityLow, wantOpened: true, summaryHas: []string{"no longer exists"}},
		{name: "bucket gone when written", event: mixed,
			setup: func(w *world) { w.writeErr = fmt.Errorf("put: %w", ErrGone) },
			kind:  KindUnlocked, severity: notify.SeverityLow, wantOpened: true, summaryHas: []string{"no longer exists"}},
		{name: "read denied (SCP)", event: denyAll,
			setup: func(w *world) { w.getErr = unlocktest.APIError("AccessDenied") },
			kind:  KindFailed, severity: notify.SeverityCritical, wantOpened: true,
			summaryHas: []string{"Could not unlock bucket dev-data", "could not read the policy"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				detail(t, f, "changed", "no")
				if sts := statementFacts(t, f); len(sts) != 1 || sts[0].Action != "not removed" {
					t.Errorf("statements %+v", sts)
				}
			}},
		{name: "delete denied (SCP)", event: denyAll,
			setup: func(w *world) { w.writeErr = unlocktest.APIError("AccessDeniedException") },
			kind:  KindFailed, severity: notify.SeverityCritical, wantOpened: true, summaryHas: []string{"could not write the policy"}},
		{name: "repaired policy rejected", event: mixed,
			setup: func(w *world) { w.writeErr = unlocktest.APIError("MalformedPolicy") },
			kind:  KindFailed, severity: notify.SeverityCritical, wantOpened: true, summaryHas: []string{"S3 rejected the repaired policy"}},
		{name: "throttled beyond retries: error for Lambda to retry", event: denyAll,
			setup:   func(w *world) { w.getErr = unlocktest.APIError("SlowDown") },
			wantErr: "read the policy of bucket dev-data in 444455556666: api error SlowDown", wantOpened: true},
		{name: "write failing with a service error: error", event: mixed,
			setup:   func(w *world) { w.writeErr = unlocktest.APIError("InternalError") },
			wantErr: "write the policy of bucket dev-shared in 444455556666: api error InternalError", wantOpened: true},
		{name: "root sessions off", event: denyAll,
			setup: func(w *world) {
				w.openErr = fmt.Errorf("assume root: %w: %w", rootsession.ErrFeatureDisabled, unlocktest.APIError("AccessDenied"))
			},
			kind: KindFailed, severity: notify.SeverityCritical, wantOpened: true,
			summaryHas: []string{"the root session was refused: centralized root access is off"},
			check: func(t *testing.T, w *world, f notify.Finding) {
				if v, _ := f.Details.Value("remedy"); !strings.Contains(v.(string), "enable-organizations-root-sessions") {
					t.Errorf("remedy %v", v)
				}
				if len(f.Actions) != 0 {
					t.Errorf("actions %q for a session never opened", f.Actions)
				}
			}},
		{name: "root session not allowed", event: denyAll,
			setup: func(w *world) { w.openErr = fmt.Errorf("assume root: %w", rootsession.ErrNotAllowed) },
			kind:  KindFailed, severity: notify.SeverityCritical, wantOpened: true,
			summaryHas: []string{"the root session was refused"}},
		{name: "root session in a disabled region", event: denyAll,
			setup: func(w *world) { w.openErr = fmt.Errorf("assume root: %w", rootsession.ErrRegionDisabled) },
			kind:  KindFailed, severity: notify.SeverityCritical, wantOpened: true,
			summaryHas: []string{"the root session was refused"}},
		{name: "AssumeRoot throttled beyond retries: error", event: denyAll,
			setup:   func(w *world) { w.openErr = unlocktest.APIError("Throttling") },
			wantErr: "open a root session in 444455556666", wantOpened: true},
		{name: "conditional policy written by a root session: ignored", event: rootSessionEvent(t, readEvent(t, "conditional-vpce")), wantNil: true},
		{name: "rootguard's own re-put (a root session): not a lockout", wantNil: true,
			event: rootSessionEvent(t, withPolicy(t, mixed, `{"Version":"2012-10-17","Statement":[`+
				`{"Sid":"AllowAppReaderGet","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/app-reader"},"Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::dev-shared","arn:aws:s3:::dev-shared/*"]},`+
				`{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::dev-shared","arn:aws:s3:::dev-shared/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`))},
		{name: "a lockout written by a root session is still repaired", event: rootSessionEvent(t, denyAll),
			kind: KindUnlocked, severity: notify.SeverityMedium, wantOpened: true, wantDeletes: 1,
			check: func(t *testing.T, w *world, f notify.Finding) {
				detail(t, f, "set_by", "arn:aws:iam::444455556666:root")
				detail(t, f, "set_by_type", "Root")
			}},
		{name: "organization perimeter: ok with the organization id", event: withPolicy(t, denyAll, orgPerimeter),
			vars: map[string]string{settings.EnvOrganizationID: "o-exampleorgid"}, wantNil: true},
		{name: "organization perimeter: conditional without it", event: withPolicy(t, denyAll, orgPerimeter),
			kind: KindReported, severity: notify.SeverityMedium},
		{name: "aws-us-gov: a perimeter of the own account is no lockout", event: inGovCloud(t, withPolicy(t, denyAll, govPerimeter)), wantNil: true},
		{name: "aws: a perimeter of another partition's account locks out", event: withPolicy(t, denyAll, govPerimeter),
			kind: KindUnlocked, severity: notify.SeverityMedium, wantOpened: true, wantDeletes: 1},
		{name: "bad event", event: []byte(`{"detail":`), wantErr: "parse event"},
		{name: "mistyped bucket name", event: []byte(strings.Replace(string(denyAll), `"bucketName": "dev-data"`, `"bucketName": 7`, 1)),
			wantErr: "parse PutBucketPolicy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &world{}
			if hasPolicy(tt.event) {
				// Unless set up otherwise, the live policy is the event's.
				w.live = policyOf(t, tt.event)
			}
			if tt.setup != nil {
				tt.setup(w)
			}
			h := w.handler(t, tt.vars)
			got, err := h.Handle(context.Background(), tt.event)
			if (len(w.opened) > 0) != tt.wantOpened {
				t.Errorf("opened root sessions %v, want opened %v", w.opened, tt.wantOpened)
			}
			for _, o := range w.opened {
				if o != dev+"/unlock S3 bucket policy" {
					t.Errorf("opened %s", o)
				}
			}
			for _, r := range w.sessions {
				if r != "us-east-1" {
					t.Errorf("session region %s, want the bucket's us-east-1", r)
				}
			}
			if len(w.puts) != tt.wantPuts || w.deletes != tt.wantDeletes {
				t.Errorf("%d puts, %d deletes; want %d, %d", len(w.puts), w.deletes, tt.wantPuts, tt.wantDeletes)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if len(w.sent) != 0 {
					t.Errorf("delivered %d findings with an error", len(w.sent))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantNil {
				if got != nil || len(w.sent) != 0 {
					t.Fatalf("finding %+v, delivered %d; want none", got, len(w.sent))
				}
				return
			}
			if got == nil || len(w.sent) != 1 || w.sent[0].ID != got.ID {
				t.Fatalf("finding %v, delivered %d; want one, the one returned", got, len(w.sent))
			}
			if got.Kind != tt.kind || got.Severity != tt.severity {
				t.Errorf("finding %s %s %q, want %s %s", got.Kind, got.Severity, got.Summary, tt.kind, tt.severity)
			}
			if err := got.Validate(); err != nil {
				t.Error(err)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("finding does not marshal: %v", err)
			}
			for _, s := range tt.summaryHas {
				if !strings.Contains(got.Summary, s) {
					t.Errorf("summary %q lacks %q", got.Summary, s)
				}
			}
			if got.Resource != "arn:aws:s3:::"+bucketName(t, tt.event) || got.Region != "us-east-1" {
				t.Errorf("resource %s region %s", got.Resource, got.Region)
			}
			if tt.check != nil {
				tt.check(t, w, *got)
			}
		})
	}
}

func hasPolicy(event []byte) bool {
	rec, err := trail.ParseJSON(event)
	if err != nil {
		return false
	}
	c, err := rec.BucketPolicy()
	return err == nil && c.Policy != nil
}

func bucketName(t *testing.T, event []byte) string {
	t.Helper()
	rec, err := trail.ParseJSON(event)
	if err != nil {
		t.Fatal(err)
	}
	c, err := rec.BucketPolicy()
	if err != nil {
		t.Fatal(err)
	}
	return c.Bucket
}

func detail(t *testing.T, f notify.Finding, key string, want any) {
	t.Helper()
	got, ok := f.Details.Value(key)
	if !ok {
		t.Errorf("details lack %s", key)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("details[%s] = %#v, want %#v", key, got, want)
	}
}

func statements(t *testing.T, policy json.RawMessage) []map[string]any {
	t.Helper()
	var doc struct{ Statement []map[string]any }
	if err := json.Unmarshal(policy, &doc); err != nil {
		t.Fatalf("policy %s: %v", policy, err)
	}
	return doc.Statement
}

func statementFacts(t *testing.T, f notify.Finding) []statementFact {
	t.Helper()
	v, ok := f.Details.Value("statements")
	if !ok {
		t.Fatal("details lack statements")
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out []statementFact
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// A redelivered event gives the same finding id; each outcome its own.
func TestFindingIDs(t *testing.T) {
	denyAll := readEvent(t, "deny-all")
	ids := map[string]string{}
	for _, tc := range []struct {
		name    string
		openErr error
		live    bool
	}{
		{"unlocked", nil, true},
		{"nothing to do", nil, false},
		{"failed", fmt.Errorf("x: %w", rootsession.ErrNotAllowed), true},
	} {
		w := &world{openErr: tc.openErr}
		if tc.live {
			w.live = policyOf(t, denyAll)
		}
		f, err := w.handler(t, nil).Handle(context.Background(), denyAll)
		if err != nil {
			t.Fatal(err)
		}
		ids[f.ID] += tc.name + ";"
	}
	// Repaired, then nothing to do on redelivery: one id, so subscribers
	// see a duplicate; a failure has an id of its own.
	if len(ids) != 2 {
		t.Errorf("ids %v, want unlocked and nothing to do sharing one, failed apart", ids)
	}
}

// A service may report a removed policy (SQS sets Policy ""): nothing to
// analyse.
func TestRemovedPolicy(t *testing.T) {
	w := &world{}
	h := w.handler(t, nil)
	h.service = fakeService{change: func(rec trail.Record) (Change, error) {
		c, err := bucketChange(rec)
		c.Policy = nil
		return c, err
	}}
	f, err := h.Handle(context.Background(), readEvent(t, "deny-all"))
	if f != nil || err != nil || len(w.opened) != 0 {
		t.Fatalf("finding %v, err %v, opened %v; want nothing", f, err, w.opened)
	}
}

func TestDeliveryFailureIsAnError(t *testing.T) {
	w := &world{live: policyOf(t, readEvent(t, "deny-all"))}
	h := w.handler(t, nil)
	h.notifier = unlocktest.Deliverer{DeliverFunc: func(context.Context, notify.Finding) error { return errors.New("sns: 500") }}
	if _, err := h.Handle(context.Background(), readEvent(t, "deny-all")); err == nil || !strings.Contains(err.Error(), "sns: 500") {
		t.Fatalf("err = %v, want the delivery error", err)
	}
}

// TestInvalidTarget: a target the analysis refuses is reported, not retried
// for ever, and nothing is opened or changed.
func TestInvalidTarget(t *testing.T) {
	for name, spoil := range map[string]func(*Target){
		"short account":     func(t *Target) { t.AccountID = "4444" },
		"odd bucket name":   func(t *Target) { t.Name = "dev-data:x" },
		"unknown partition": func(t *Target) { t.ARN = "arn:gov:s3:::" + t.Name },
	} {
		t.Run(name, func(t *testing.T) {
			w := &world{live: policyOf(t, readEvent(t, "deny-all"))}
			h := w.handler(t, nil)
			h.service = fakeService{change: func(rec trail.Record) (Change, error) {
				c, err := bucketChange(rec)
				spoil(&c.Target)
				return c, err
			}}
			f, err := h.Handle(context.Background(), readEvent(t, "deny-all"))
			if err != nil {
				t.Fatalf("err = %v, want a finding", err)
			}
			if len(w.opened) != 0 || len(w.puts) != 0 || w.deletes != 0 {
				t.Errorf("opened %v, %d puts, %d deletes; want nothing", w.opened, len(w.puts), w.deletes)
			}
			if f == nil || f.Kind != KindFailed || f.Severity != notify.SeverityHigh || !strings.Contains(f.Summary, "could not be analysed; not changed") {
				t.Fatalf("finding %+v, want a high unanalysable finding", f)
			}
			if len(w.sent) != 1 || len(f.Actions) != 0 {
				t.Errorf("delivered %d findings, actions %q; want one, none", len(w.sent), f.Actions)
			}
			detail(t, *f, "changed", "no")
			if v, _ := f.Details.Value("error"); !strings.Contains(v.(string), lockout.ErrInvalidInput.Error()) {
				t.Errorf("error fact %v", v)
			}
		})
	}
}

func TestNewHandler(t *testing.T) {
	s := unlocktest.Settings(t, nil)
	full := Parts{Service: fakeService{}, Sessions: unlocktest.Opener{}, Notifier: unlocktest.Deliverer{}, Accounts: unlocktest.Namer{}}
	if _, err := NewHandler(s, full); err != nil {
		t.Errorf("complete parts: %v", err)
	}
	for name, p := range map[string]Parts{
		"no service":  {Sessions: full.Sessions, Notifier: full.Notifier, Accounts: full.Accounts},
		"no sessions": {Service: full.Service, Notifier: full.Notifier, Accounts: full.Accounts},
		"no notifier": {Service: full.Service, Sessions: full.Sessions, Accounts: full.Accounts},
		"no accounts": {Service: full.Service, Sessions: full.Sessions, Notifier: full.Notifier},
	} {
		if _, err := NewHandler(s, p); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := NewHandler(settings.Settings{}, full); err == nil || !strings.Contains(err.Error(), settings.EnvManagementAccountID) {
		t.Errorf("without a management account: err = %v", err)
	}
}

func TestTargetInput(t *testing.T) {
	b := Target{Service: lockout.S3, Name: "dev-data", ARN: "arn:aws:s3:::dev-data", AccountID: dev}
	q := Target{Service: lockout.SQS, Name: "dev-jobs", ARN: "arn:aws:sqs:us-east-1:444455556666:dev-jobs", AccountID: dev}
	if in := b.input("o-exampleorgid"); in.Resource != "dev-data" || in.OrgID != "o-exampleorgid" || in.Service != lockout.S3 {
		t.Errorf("bucket input %+v", in)
	}
	if in := q.input(""); in.Resource != q.ARN || in.Service != lockout.SQS || in.AccountID != dev || in.Partition != "aws" {
		t.Errorf("queue input %+v", in)
	}
	gov := Target{Service: lockout.S3, Name: "dev-data", ARN: "arn:aws-us-gov:s3:::dev-data", AccountID: dev}
	if in := gov.input(""); in.Partition != "aws-us-gov" || in.Resource != "dev-data" {
		t.Errorf("bucket input in aws-us-gov %+v", in)
	}
	cnQueue := Target{Service: lockout.SQS, Name: "dev-jobs", ARN: "arn:aws-cn:sqs:cn-north-1:444455556666:dev-jobs", AccountID: dev}
	if in := cnQueue.input(""); in.Partition != "aws-cn" || in.Resource != cnQueue.ARN {
		t.Errorf("queue input in aws-cn %+v", in)
	}
	if b.Noun() != "bucket" || q.Noun() != "queue" {
		t.Errorf("nouns %s %s", b.Noun(), q.Noun())
	}
}
