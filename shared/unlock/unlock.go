// Package unlock is what the bucket and queue policy unlockers share: the
// flow from a policy-change event to one finding, with what differs between
// S3 and SQS behind Service.
//
// The flow decides from the event first. A failed call, a removed policy, a
// policy the lockout analysis calls ok, and any other event end there with a
// log line and no finding; a conditional policy is reported from the event
// alone, unless conditional statements are to be repaired
// (ROOTGUARD_REPAIR_CONDITIONAL). Only what remains proceeds, and never in
// the management account or an exempt account, which are reported only.
//
// Then it opens a root session with the service's own task policy in the
// resource's account and region, re-reads the live policy (the event may be
// stale), analyses it again and, in enforce mode, writes the policy without
// the statements the analysis proves offending, or deletes the policy when
// none would remain. Report mode reads but changes nothing. What it found
// and did travels in the finding.
//
// A policy the analysis cannot read, or a target it refuses, is a high
// finding with nothing opened or changed, not a function error: a retry
// would meet the same document.
//
// A refused root session or a root session denied by an SCP, RCP or VPC
// endpoint policy is a critical finding, not a function error: a retry would
// meet the same refusal. Errors a retry may cure (throttling beyond the SDK's
// retries, a service failure) are returned, so that Lambda retries the event.
package unlock

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/rootguard/rootguard/shared/awserr"
	"github.com/rootguard/rootguard/shared/lockout"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
	"github.com/rootguard/rootguard/shared/trail"
)

// Kinds of the findings the unlockers deliver. A finding's id comes from
// its kind, the event and the resource: a redelivered event with the same
// outcome gives the same id (subscribers deduplicate it), while a different
// outcome, such as a repair after a refusal was fixed, gives a new one.
const (
	// KindUnlocked: the policy was repaired or deleted, or on re-reading
	// there was nothing left to do.
	KindUnlocked = notify.KindPolicyUnlocked
	// KindReported: a lockout or conditional policy left as it is by
	// design (report mode, exempt or management account, conditional).
	KindReported notify.Kind = "policy-lockout-reported"
	// KindFailed: the policy should have been unlocked and was not.
	KindFailed notify.Kind = "policy-unlock-failed"
)

// ErrGone is wrapped by a Policies error when the bucket or queue no longer
// exists.
var ErrGone = errors.New("resource no longer exists")

// Target is the bucket or queue a policy is attached to.
type Target struct {
	Service   lockout.Service
	Name      string // bucket or queue name
	ARN       string
	URL       string // the queue URL; empty for a bucket
	AccountID string // the owner
	Region    string
}

// Noun is "bucket" or "queue".
func (t Target) Noun() string {
	if t.Service == lockout.SQS {
		return "queue"
	}
	return "bucket"
}

// input is what the lockout analysis needs to know about t: its partition
// is its ARN's, so that a bucket in aws-cn or aws-us-gov is judged with that
// partition's principals.
func (t Target) input(orgID string) lockout.Input {
	in := lockout.Input{Service: t.Service, Resource: t.Name, AccountID: t.AccountID, OrgID: orgID}
	if arn, ok := strings.CutPrefix(t.ARN, "arn:"); ok {
		in.Partition, _, _ = strings.Cut(arn, ":")
	}
	if t.Service == lockout.SQS {
		in.Resource = t.ARN
	}
	return in
}

// Change is a policy an event says was set on a target.
type Change struct {
	Target Target
	// Policy is the document set; nil when the call removed the policy.
	Policy json.RawMessage
}

// Service is what differs between buckets and queues.
type Service interface {
	// Change decodes the policy change rec records. For an event that
	// sets no policy it returns an error wrapping trail.ErrNotApplicable.
	Change(rec trail.Record) (Change, error)
	// Task is the root task policy that may unlock the service's policies.
	Task() rootsession.Task
	// Policies gives access to t's live policy with a root session's
	// configuration, whose region is t's.
	Policies(session aws.Config, t Target) Policies
}

// Policies reads and writes one resource's live policy.
type Policies interface {
	// Get returns the policy document, nil when there is none, or an
	// error wrapping ErrGone when the resource no longer exists.
	Get(ctx context.Context) (json.RawMessage, error)
	// Put replaces the policy; Delete removes it. Both wrap ErrGone when
	// the resource no longer exists.
	Put(ctx context.Context, policy json.RawMessage) error
	Delete(ctx context.Context) error
}

// SessionOpener opens root sessions in member accounts.
type SessionOpener interface {
	Open(ctx context.Context, accountID string, task rootsession.Task) (aws.Config, error)
}

var _ SessionOpener = (*rootsession.Opener)(nil)

// Deliverer sends a finding to the security team.
type Deliverer interface {
	Deliver(ctx context.Context, f notify.Finding) error
}

// AccountNamer names accounts for findings; it never fails.
type AccountNamer interface {
	Name(ctx context.Context, accountID string) string
}

// Parts are what a Handler works with; all are required but Logger (nil:
// slog.Default()).
type Parts struct {
	Service  Service
	Sessions SessionOpener
	Notifier Deliverer
	Accounts AccountNamer
	Logger   *slog.Logger
}

// Handler unlocks the policies of one service.
type Handler struct {
	settings settings.Settings
	service  Service
	sessions SessionOpener
	notifier Deliverer
	accounts AccountNamer
	logger   *slog.Logger
}

// NewHandler returns a Handler. The settings must name the management
// account, which the handler never changes.
func NewHandler(s settings.Settings, p Parts) (*Handler, error) {
	if p.Service == nil || p.Sessions == nil || p.Notifier == nil || p.Accounts == nil {
		return nil, errors.New("new unlock handler: service, sessions, notifier and account names are required")
	}
	if s.ManagementAccountID == "" {
		return nil, fmt.Errorf("new unlock handler: %s is required: the unlocker must know the account it never changes", settings.EnvManagementAccountID)
	}
	return &Handler{
		settings: s,
		service:  p.Service,
		sessions: p.Sessions,
		notifier: p.Notifier,
		accounts: p.Accounts,
		logger:   cmp.Or(p.Logger, slog.Default()),
	}, nil
}

// Handle handles one policy-change event and returns the delivered finding,
// or nil for an event that needs none (see the package documentation).
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (*notify.Finding, error) {
	rec, err := trail.ParseJSON(event)
	if err != nil {
		return nil, fmt.Errorf("parse event: %w", err)
	}
	log := h.logger.With("event_id", rec.EventID, "event_name", rec.EventName)
	if rec.Failed() {
		log.InfoContext(ctx, "ignoring failed call: it set no policy", "error_code", rec.ErrorCode)
		return nil, nil
	}
	ch, err := h.service.Change(rec)
	switch {
	case errors.Is(err, trail.ErrNotApplicable):
		log.InfoContext(ctx, "ignoring event", "event_source", rec.EventSource, "reason", err.Error())
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("parse %s: %w", rec.EventName, err)
	}
	t := ch.Target
	log = log.With(t.Noun(), t.Name, "account", t.AccountID, "region", t.Region)
	if ch.Policy == nil {
		log.InfoContext(ctx, "ignoring event: the policy was removed")
		return nil, nil
	}
	j := &job{h: h, rec: rec, target: t, log: log}
	f, err := j.run(ctx, ch.Policy)
	if err != nil || f == nil {
		return nil, err
	}
	if err := h.notifier.Deliver(ctx, *f); err != nil {
		return nil, fmt.Errorf("deliver finding %s: %w", f.ID, err)
	}
	log.InfoContext(ctx, "finding delivered", "finding_id", f.ID, "kind", f.Kind, "severity", f.Severity)
	return f, nil
}

// job is the handling of one event.
type job struct {
	h      *Handler
	rec    trail.Record
	target Target
	log    *slog.Logger

	event   lockout.Result  // the analysis of the event's policy
	live    *lockout.Result // the analysis of the live policy, once read
	actions []string
	name    string // the account's name, once looked up
}

func (j *job) run(ctx context.Context, policy json.RawMessage) (*notify.Finding, error) {
	s := j.h.settings
	res, err := lockout.Analyze(policy, j.target.input(s.OrganizationID))
	if err != nil {
		// AWS accepted the document for this resource, so the analysis
		// cannot tell whether it locks anyone out: a person must look. An
		// invalid target (an odd bucket name, say) is no different: a
		// retry would meet it again.
		j.log.WarnContext(ctx, "policy could not be analysed", "err", err, "invalid_input", errors.Is(err, lockout.ErrInvalidInput))
		return j.unanalysable(ctx, policy, err, "event"), nil
	}
	j.event = res
	j.log.InfoContext(ctx, "analysed the event's policy", "verdict", res.Verdict, "offending", len(res.Statements))
	repairable := j.repairable(res)
	switch {
	case res.Verdict == lockout.OK:
		j.log.InfoContext(ctx, "the policy locks nobody out: nothing to do")
		return nil, nil
	case !repairable && j.rec.IsRootSession():
		// Conditional statements survive a repair unless configured
		// otherwise, so rootguard's own re-put policy can land here; an
		// administrator's root session is reported by the alerter.
		j.log.InfoContext(ctx, "ignoring conditional policy written by a root session (rootguard's own repair or an administrator acting as root)")
		return nil, nil
	case !repairable:
		return j.reported(ctx, res, "reported, not changed (conditional statements are repaired only with "+settings.EnvRepairConditional+"=true)"), nil
	case s.IsManagement(j.target.AccountID):
		return j.reported(ctx, res, "management account: rootguard never changes it; unlock it as the account's root user"), nil
	case s.IsExempt(j.target.AccountID):
		return j.reported(ctx, res, "exempt account: not changed"), nil
	}
	return j.unlock(ctx)
}

// unlock re-reads the live policy in a root session and repairs it.
func (j *job) unlock(ctx context.Context) (*notify.Finding, error) {
	t := j.target
	task := j.h.service.Task()
	session, err := j.h.sessions.Open(ctx, t.AccountID, task)
	switch {
	case errors.Is(err, rootsession.ErrFeatureDisabled):
		return j.failed(ctx, "the root session was refused: centralized root access is off", err,
			"Turn on root sessions from the management account (aws organizations enable-aws-service-access --service-principal iam.amazonaws.com; aws iam enable-organizations-root-sessions), then redeliver this event."), nil
	case errors.Is(err, rootsession.ErrNotAllowed), errors.Is(err, rootsession.ErrRegionDisabled), errors.Is(err, rootsession.ErrManagementAccount):
		return j.failed(ctx, "the root session was refused", err,
			"Check that rootguard's role may call sts:AssumeRoot with "+taskName(task)+" (condition sts:TaskPolicyArn), that the account is a member of the organization, that STS is active in rootguard's region and that no SCP denies sts:AssumeRoot; then redeliver this event."), nil
	case err != nil:
		return nil, fmt.Errorf("open a root session in %s: %w", t.AccountID, err)
	}
	session.Region = t.Region
	j.log.InfoContext(ctx, "opened a root session", "task", taskName(task))
	j.actions = append(j.actions, fmt.Sprintf("opened a root session in %s with %s", t.AccountID, taskName(task)))
	policies := j.h.service.Policies(session, t)

	live, err := policies.Get(ctx)
	if f, err := j.callFailed(ctx, "read", err); f != nil || err != nil {
		return f, err
	}
	j.actions = append(j.actions, "read the live policy")
	if live == nil {
		j.log.InfoContext(ctx, "the policy is gone: nothing to do")
		return j.settled(ctx, "has no policy any more: nothing to do", nil), nil
	}
	res, err := lockout.Analyze(live, t.input(j.h.settings.OrganizationID))
	if err != nil {
		j.log.WarnContext(ctx, "live policy could not be analysed", "err", err)
		return j.unanalysable(ctx, live, err, "live"), nil
	}
	j.live = &res
	j.log.InfoContext(ctx, "analysed the live policy", "verdict", res.Verdict, "offending", len(res.Statements))
	repairConditional := j.h.settings.RepairConditional
	switch {
	case res.Verdict == lockout.OK:
		return j.settled(ctx, "no longer locks anyone out: nothing to do", &res), nil
	case res.Verdict == lockout.Conditional && !repairConditional:
		return j.reported(ctx, res, "the live policy is conditional: reported, not changed"), nil
	}
	repaired, err := res.Repair(repairConditional)
	if err != nil {
		return nil, fmt.Errorf("repair the policy of %s %s: %w", t.Noun(), t.Name, err)
	}
	if j.h.settings.Mode == notify.ModeReport {
		what := "would rewrite the policy without " + statementNames(res, repairConditional)
		if repaired == nil {
			what = "would delete the policy"
		}
		return j.reported(ctx, res, "report mode: not changed ("+what+")"), nil
	}
	if repaired == nil {
		err = policies.Delete(ctx)
	} else {
		err = policies.Put(ctx, repaired)
	}
	if f, err := j.callFailed(ctx, "write", err); f != nil || err != nil {
		return f, err
	}
	return j.repaired(ctx, res, repaired), nil
}

// callFailed turns an error of a live-policy call into the finding that
// explains it, or an error for Lambda to retry; nil, nil when err is nil.
func (j *job) callFailed(ctx context.Context, verb string, err error) (*notify.Finding, error) {
	t := j.target
	switch {
	case err == nil:
		return nil, nil
	case errors.Is(err, ErrGone):
		j.log.InfoContext(ctx, "the resource is gone", "err", err)
		return j.gone(ctx, err), nil
	case awserr.Is(err, "AccessDenied", "AccessDeniedException", "AllAccessDisabled", "MethodNotAllowed"):
		return j.failed(ctx, "the root session was denied: it could not "+verb+" the policy", err,
			"An SCP or RCP that does not exempt root sessions (condition aws:AssumedRoot), or a VPC endpoint policy, blocks the root session. "+
				"Exempt root sessions there and redeliver this event, or unlock by hand with "+taskName(j.h.service.Task())+"."), nil
	case awserr.Is(err, "MalformedPolicy", "InvalidAttributeValue"):
		return j.failed(ctx, fmt.Sprintf("%s rejected the repaired policy", serviceName(t)), err,
			"Repair the policy by hand with a root session ("+taskName(j.h.service.Task())+")."), nil
	}
	return nil, fmt.Errorf("%s the policy of %s %s in %s: %w", verb, t.Noun(), t.Name, t.AccountID, err)
}

// Findings. Severities: critical when rootguard should have unlocked and
// could not; high when a lockout stays as it is (report mode, exempt or
// management account) or a policy cannot be analysed; medium when rootguard
// removed statements, or a policy may lock out depending on where requests
// come from (conditional); low when the resource is gone; info when the
// live policy needed nothing.

func (j *job) repaired(ctx context.Context, res lockout.Result, repaired json.RawMessage) *notify.Finding {
	removed := statementNames(res, j.h.settings.RepairConditional)
	summary := fmt.Sprintf("%s locked everyone out; rootguard removed %s", j.subject(ctx), removed)
	changed := "rewritten without the removed statements"
	if repaired == nil {
		summary = fmt.Sprintf("%s locked everyone out; rootguard deleted its policy: removing %s left no statement", j.subject(ctx), removed)
		changed = "deleted"
		j.actions = append(j.actions, "deleted the policy: removing "+removed+" left no statement")
	} else {
		j.actions = append(j.actions, "put the policy back without "+removed)
	}
	d := j.facts(res, changed)
	d = append(d, notify.Fact{Key: "repaired_policy", Value: repaired})
	return j.finding(ctx, KindUnlocked, notify.SeverityMedium, summary, d)
}

// reported is the finding for a policy left as it is by design.
func (j *job) reported(ctx context.Context, res lockout.Result, why string) *notify.Finding {
	sev, what := notify.SeverityHigh, "locks everyone out"
	if res.Verdict == lockout.Conditional {
		sev, what = notify.SeverityMedium, "may lock everyone out (conditional)"
	}
	d := j.facts(res, "no")
	if j.repairable(res) {
		// What enforce mode would write; null: it would delete the policy.
		if repaired, err := res.Repair(j.h.settings.RepairConditional); err == nil {
			d = append(d, notify.Fact{Key: "repaired_policy", Value: repaired})
		}
	}
	if j.h.settings.IsExempt(j.target.AccountID) {
		d = append(d, notify.Fact{Key: "exempt", Value: "yes"})
	}
	return j.finding(ctx, KindReported, sev, fmt.Sprintf("%s %s; %s", j.subject(ctx), what, why), d)
}

// settled is the finding for a live policy that needs nothing; res is its
// analysis, nil when there is no policy any more.
func (j *job) settled(ctx context.Context, what string, res *lockout.Result) *notify.Finding {
	d := j.facts(j.event, "no")
	var live json.RawMessage
	if res != nil {
		live = res.Original
	}
	d = append(d, notify.Fact{Key: "live_policy", Value: live})
	return j.finding(ctx, KindUnlocked, notify.SeverityInfo, fmt.Sprintf("%s %s", j.subject(ctx), what), d)
}

func (j *job) gone(ctx context.Context, err error) *notify.Finding {
	d := j.facts(j.event, "no")
	d = append(d, notify.Fact{Key: "error", Value: err.Error()})
	return j.finding(ctx, KindUnlocked, notify.SeverityLow, fmt.Sprintf("%s no longer exists: nothing to unlock", j.subject(ctx)), d)
}

func (j *job) failed(ctx context.Context, what string, err error, remedy string) *notify.Finding {
	j.log.ErrorContext(ctx, "could not unlock", "problem", what, "err", err)
	res := j.event
	if j.live != nil {
		res = *j.live
	}
	d := j.facts(res, "no")
	d = append(d,
		notify.Fact{Key: "problem", Value: what},
		notify.Fact{Key: "error", Value: err.Error()},
		notify.Fact{Key: "remedy", Value: remedy},
	)
	return j.finding(ctx, KindFailed, notify.SeverityCritical, fmt.Sprintf("Could not unlock %s: %s", j.subject(ctx), what), d)
}

// unanalysable is the finding for a policy (the event's, or the live one)
// the analysis rejected.
func (j *job) unanalysable(ctx context.Context, policy json.RawMessage, err error, which string) *notify.Finding {
	d := j.common()
	d = append(d,
		notify.Fact{Key: "changed", Value: "no"},
		notify.Fact{Key: "error", Value: err.Error()},
		notify.Fact{Key: "policy", Value: rawOrString(policy)},
	)
	return j.finding(ctx, KindFailed, notify.SeverityHigh, fmt.Sprintf("The %s policy of %s could not be analysed; not changed", which, j.subject(ctx)), d)
}

// subject names the resource and its account for a summary:
// "bucket dev-data in 444455556666 (workload-dev)".
func (j *job) subject(ctx context.Context) string {
	t := j.target
	return fmt.Sprintf("%s %s in %s (%s)", t.Noun(), t.Name, t.AccountID, j.accountName(ctx))
}

func (j *job) accountName(ctx context.Context) string {
	if j.name == "" {
		j.name = j.h.accounts.Name(ctx, j.target.AccountID)
	}
	return j.name
}

// repairable reports whether res is a verdict rootguard repairs.
func (j *job) repairable(res lockout.Result) bool {
	return res.Verdict == lockout.Lockout || (res.Verdict == lockout.Conditional && j.h.settings.RepairConditional)
}

// common are the facts of every finding: the resource and who set the
// policy.
func (j *job) common() notify.Details {
	t := j.target
	d := notify.Details{{Key: t.Noun(), Value: t.Name}}
	if t.URL != "" {
		d = append(d, notify.Fact{Key: "queue_url", Value: t.URL})
	}
	d = append(d,
		notify.Fact{Key: "event", Value: j.rec.EventName},
		notify.Fact{Key: "set_by", Value: cmp.Or(j.rec.UserIdentity.Principal(), "unknown")},
		notify.Fact{Key: "set_by_type", Value: cmp.Or(j.rec.UserIdentity.Type, "unknown")},
		notify.Fact{Key: "source_ip", Value: cmp.Or(j.rec.SourceIPAddress, "unknown")},
	)
	if j.rec.UserAgent != "" {
		d = append(d, notify.Fact{Key: "user_agent", Value: j.rec.UserAgent})
	}
	return d
}

// facts are the common facts and the analysis res: the verdicts, whether
// the policy changed, the offending statements and the original policy.
func (j *job) facts(res lockout.Result, changed string) notify.Details {
	d := j.common()
	d = append(d, notify.Fact{Key: "event_verdict", Value: string(j.event.Verdict)})
	if j.live != nil {
		d = append(d, notify.Fact{Key: "live_verdict", Value: string(j.live.Verdict)})
	}
	d = append(d,
		notify.Fact{Key: "changed", Value: changed},
		notify.Fact{Key: "analysis", Value: res.Summary},
		notify.Fact{Key: "statements", Value: j.statements(res, changed != "no")},
		notify.Fact{Key: "original_policy", Value: res.Original},
	)
	return d
}

// statementFact is an offending statement as findings show it.
type statementFact struct {
	Index   int             `json:"index"`
	Sid     string          `json:"sid"`
	Verdict lockout.Verdict `json:"verdict"`
	Reason  string          `json:"reason"`
	// Action is "removed"; "not removed" for a statement a repair removes
	// when the policy was not changed (report mode, exempt, failure); or
	// "kept" for a conditional statement, unless those are repaired too.
	Action    string          `json:"action"`
	Statement json.RawMessage `json:"statement"`
}

func (j *job) statements(res lockout.Result, changed bool) []statementFact {
	out := []statementFact{}
	for _, st := range res.Statements {
		action := "kept"
		if removes(st, j.h.settings.RepairConditional) {
			action = "not removed"
			if changed {
				action = "removed"
			}
		}
		out = append(out, statementFact{Index: st.Index, Sid: st.Sid, Verdict: st.Verdict, Reason: st.Reason, Action: action, Statement: st.Raw})
	}
	return out
}

// removes reports whether a repair removes st.
func removes(st lockout.Statement, includeConditional bool) bool {
	return st.Verdict == lockout.Lockout || (includeConditional && st.Verdict == lockout.Conditional)
}

// statementNames names the statements a repair removes, for people:
// "statement FreezeBucketPolicy (index 2)".
func statementNames(res lockout.Result, includeConditional bool) string {
	var names []string
	for _, st := range res.Statements {
		if !removes(st, includeConditional) {
			continue
		}
		if st.Sid != "" {
			names = append(names, fmt.Sprintf("%s (index %d)", st.Sid, st.Index))
		} else {
			names = append(names, fmt.Sprintf("index %d", st.Index))
		}
	}
	if len(names) == 1 {
		return "statement " + names[0]
	}
	return "statements " + strings.Join(names, ", ")
}

// finding fills what every finding shares.
func (j *job) finding(ctx context.Context, kind notify.Kind, sev notify.Severity, summary string, d notify.Details) *notify.Finding {
	t := j.target
	eventID := j.rec.SourceID()
	actions := j.actions
	if actions == nil {
		actions = []string{}
	}
	return &notify.Finding{
		ID:          notify.NewID(kind, eventID, t.ARN),
		Kind:        kind,
		Severity:    sev,
		AccountID:   t.AccountID,
		AccountName: j.accountName(ctx),
		Region:      t.Region,
		Resource:    t.ARN,
		Summary:     upper(summary),
		Details:     d,
		Actions:     actions,
		Mode:        j.h.settings.Mode,
		EventID:     eventID,
		EventTime:   j.rec.SourceTime(),
	}
}

func taskName(t rootsession.Task) string { return path.Base(t.ARN()) }

func serviceName(t Target) string {
	if t.Service == lockout.SQS {
		return "SQS"
	}
	return "S3"
}

// upper capitalises a summary, which is never empty.
func upper(s string) string {
	return strings.ToUpper(s[:1]) + s[1:]
}

// rawOrString keeps a policy that is JSON as JSON and anything else as text.
func rawOrString(p json.RawMessage) any {
	if json.Valid(p) {
		return p
	}
	return string(p)
}
