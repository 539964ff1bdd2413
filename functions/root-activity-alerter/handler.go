package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"github.com/rootguard/rootguard/shared/accountname"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
	"github.com/rootguard/rootguard/shared/trail"
)

// deliverer sends a finding to the security team.
type deliverer interface {
	Deliver(ctx context.Context, f notify.Finding) error
}

// namer names accounts for findings; it never fails.
type namer interface {
	Name(ctx context.Context, accountID string) string
}

// ownTasks are the task policies rootguard's functions use. A session opened
// by one of rootguard's roles is expected automation when its task is one the
// role's ROOTGUARD_OWN_ROLE_PATTERNS entry names, or, for an entry that names
// none, one of these.
var ownTasks = map[rootsession.Task]bool{
	rootsession.AuditRootUserCredentials:  true,
	rootsession.DeleteRootUserCredentials: true,
	rootsession.UnlockS3BucketPolicy:      true,
	rootsession.UnlockSQSQueuePolicy:      true,
}

// Handler turns AssumeRoot calls and root console sign-ins into findings.
type Handler struct {
	settings settings.Settings
	notifier deliverer
	accounts namer
	logger   *slog.Logger
}

// NewHandler returns a Handler; logger may be nil.
func NewHandler(s settings.Settings, n deliverer, accounts namer, logger *slog.Logger) (*Handler, error) {
	if n == nil || accounts == nil {
		return nil, fmt.Errorf("new handler: notifier and account names are required")
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &Handler{settings: s, notifier: n, accounts: accounts, logger: logger}, nil
}

// Handle reports one event. It returns the delivered finding, or nil for an
// event that is not root activity (the rules should not send those, but the
// function does not trust that).
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (*notify.Finding, error) {
	rec, err := trail.ParseJSON(event)
	if err != nil {
		return nil, fmt.Errorf("parse event: %w", err)
	}
	var f notify.Finding
	switch rec.Kind() {
	case trail.KindAssumeRoot:
		if f, err = h.assumeRoot(ctx, rec); err != nil {
			return nil, err
		}
	case trail.KindConsoleLogin:
		login, err := rec.ConsoleLogin()
		if err != nil {
			return nil, fmt.Errorf("parse sign-in: %w", err)
		}
		if !login.Root {
			h.logger.InfoContext(ctx, "ignoring non-root sign-in", "event_id", rec.EventID, "identity_type", rec.UserIdentity.Type)
			return nil, nil
		}
		f = h.consoleLogin(ctx, rec, login)
	default:
		h.logger.InfoContext(ctx, "ignoring event", "event_id", rec.EventID, "event_source", rec.EventSource, "event_name", rec.EventName)
		return nil, nil
	}
	if err := h.notifier.Deliver(ctx, f); err != nil {
		return nil, err
	}
	h.logger.InfoContext(ctx, "finding delivered", "finding_id", f.ID, "kind", f.Kind, "severity", f.Severity, "account", f.AccountID)
	return &f, nil
}

func (h *Handler) assumeRoot(ctx context.Context, rec trail.Record) (notify.Finding, error) {
	a, err := rec.AssumeRoot()
	if err != nil {
		return notify.Finding{}, fmt.Errorf("parse AssumeRoot: %w", err)
	}
	task, known := rootsession.TaskFromARN(a.TaskPolicyARN)
	taskWords := "an unknown task"
	if known {
		taskWords = task.String()
	}
	caller := a.Caller()
	expected := known && h.expectedAutomation(caller, task)

	severity := notify.SeverityHigh
	if expected {
		severity = notify.SeverityInfo
	}
	// A refused call may not say whom it targeted; it is still reported.
	account := a.TargetAccount()
	name, resource := accountname.Unknown, ""
	if account != "" {
		name = h.accounts.Name(ctx, account)
		resource = "arn:aws:iam::" + account + ":root"
	}

	verb := "opened"
	if rec.Failed() {
		verb = "attempted"
	}
	who := cmp.Or(a.CallerARN, caller, "an unknown caller")
	summary := fmt.Sprintf("Root session to %s %s in %s (%s) by %s", taskWords, verb, cmp.Or(account, "an unknown account"), name, who)
	if expected {
		summary += " (rootguard automation)"
	}

	d := notify.Details{
		{Key: "caller", Value: who},
		{Key: "caller_role", Value: a.IssuerARN},
		{Key: "expected_automation", Value: boolWord(expected)},
		{Key: "target_account", Value: account},
		{Key: "target_principal", Value: a.TargetPrincipal},
		{Key: "task", Value: taskWords},
		{Key: "task_policy_arn", Value: a.TaskPolicyARN},
		{Key: "result", Value: resultWord(rec)},
		{Key: "root_session_access_key_id", Value: a.AccessKeyID},
		{Key: "source_ip", Value: rec.SourceIPAddress},
		{Key: "user_agent", Value: rec.UserAgent},
	}
	if rec.Failed() {
		d = append(d, notify.Fact{Key: "error", Value: errorText(rec)})
	}
	return h.finding(rec, notify.KindRootSession, severity, account, name, resource, summary, prune(d)), nil
}

// expectedAutomation reports whether caller is one of rootguard's roles using
// a task policy that role uses.
func (h *Handler) expectedAutomation(caller string, task rootsession.Task) bool {
	if caller == "" {
		return false
	}
	tasks, own := h.settings.OwnRoleTasks(caller)
	switch {
	case !own:
		return false
	case tasks == nil:
		return ownTasks[task]
	default:
		return slices.Contains(tasks, task.PolicyName())
	}
}

func (h *Handler) consoleLogin(ctx context.Context, rec trail.Record, login trail.ConsoleLogin) notify.Finding {
	account := rec.AccountID()
	name := h.accounts.Name(ctx, account)
	// An unrecorded MFA flag counts as no MFA: the alert errs on the loud side.
	mfa := login.MFA == trail.MFAYes

	var severity notify.Severity
	var summary string
	switch {
	case login.Success && !mfa:
		severity = notify.SeverityCritical
		summary = fmt.Sprintf("Root user signed in to %s (%s) without MFA from %s", account, name, cmp.Or(rec.SourceIPAddress, "an unknown address"))
	case login.Success:
		severity = notify.SeverityHigh
		summary = fmt.Sprintf("Root user signed in to %s (%s) with MFA from %s", account, name, cmp.Or(rec.SourceIPAddress, "an unknown address"))
	default:
		severity = notify.SeverityMedium
		summary = fmt.Sprintf("Failed root sign-in to %s (%s) from %s", account, name, cmp.Or(rec.SourceIPAddress, "an unknown address"))
	}
	d := notify.Details{
		{Key: "result", Value: cmp.Or(login.Result, resultWord(rec))},
		{Key: "mfa_used", Value: mfaWord(login.MFA)},
		{Key: "source_ip", Value: rec.SourceIPAddress},
		{Key: "user_agent", Value: rec.UserAgent},
		{Key: "sign_in_region", Value: rec.Region()},
		{Key: "login_to", Value: login.LoginTo},
		{Key: "mfa_device", Value: login.MFAIdentifier},
	}
	if rec.ErrorMessage != "" {
		d = append(d, notify.Fact{Key: "error", Value: rec.ErrorMessage})
	}
	return h.finding(rec, notify.KindRootConsoleLogin, severity, account, name, "arn:aws:iam::"+account+":root", summary, prune(d))
}

// finding fills what every finding of this function shares.
func (h *Handler) finding(rec trail.Record, kind notify.Kind, sev notify.Severity, account, name, resource, summary string, d notify.Details) notify.Finding {
	eventID := rec.SourceID()
	return notify.Finding{
		ID:          notify.NewID(kind, eventID, resource),
		Kind:        kind,
		Severity:    sev,
		AccountID:   account,
		AccountName: name,
		Region:      rec.Region(),
		Resource:    resource,
		Summary:     summary,
		Details:     d,
		Actions:     []string{},
		Mode:        h.settings.Mode,
		EventID:     eventID,
		EventTime:   rec.SourceTime(),
	}
}

// prune drops facts the record did not carry.
func prune(d notify.Details) notify.Details {
	out := d[:0]
	for _, f := range d {
		if s, ok := f.Value.(string); ok && s == "" {
			continue
		}
		out = append(out, f)
	}
	return out
}

func resultWord(rec trail.Record) string {
	if rec.Failed() {
		return "failed"
	}
	return "succeeded"
}

func errorText(rec trail.Record) string {
	if rec.ErrorMessage == "" {
		return rec.ErrorCode
	}
	return rec.ErrorCode + ": " + rec.ErrorMessage
}

func mfaWord(m trail.MFAUsage) string {
	switch m {
	case trail.MFAYes:
		return "yes"
	case trail.MFANo:
		return "no"
	default:
		return "not recorded"
	}
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
