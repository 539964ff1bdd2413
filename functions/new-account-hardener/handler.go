package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/rootguard/rootguard/shared/accountname"
	"github.com/rootguard/rootguard/shared/awserr"
	"github.com/rootguard/rootguard/shared/notify"
	"github.com/rootguard/rootguard/shared/rootcreds"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/settings"
	"github.com/rootguard/rootguard/shared/trail"
)

// featureLister reads which centralized root access features the
// organization has on (an IAM client of the management account).
type featureLister interface {
	ListOrganizationsFeatures(ctx context.Context, params *iam.ListOrganizationsFeaturesInput, optFns ...func(*iam.Options)) (*iam.ListOrganizationsFeaturesOutput, error)
}

var _ featureLister = (*iam.Client)(nil)

// sessionOpener opens root sessions in member accounts.
type sessionOpener interface {
	Open(ctx context.Context, accountID string, task rootsession.Task) (aws.Config, error)
}

var _ sessionOpener = (*rootsession.Opener)(nil)

// rootUser lists and removes the credentials of the root user a root
// session's configuration signs as.
type rootUser interface {
	Inventory(ctx context.Context, session aws.Config) (rootcreds.Credentials, error)
	Remove(ctx context.Context, session aws.Config) (rootcreds.Report, error)
}

var _ rootUser = iamRootUser{}

// deliverer sends a finding to the security team.
type deliverer interface {
	Deliver(ctx context.Context, f notify.Finding) error
}

// namer names accounts for findings; it never fails.
type namer interface {
	Name(ctx context.Context, accountID string) string
}

// iamMaxAttempts is what the SDK's retryer may spend on one IAM call: enough
// to ride out throttling, as AWS publishes no IAM rate quota (facts §1).
const iamMaxAttempts = 8

// iamRootUser works through an IAM client in the session, with rootcreds.
type iamRootUser struct{}

func (iamRootUser) client(session aws.Config) *iam.Client {
	return iam.NewFromConfig(session, func(o *iam.Options) { o.RetryMaxAttempts = iamMaxAttempts })
}

func (u iamRootUser) Inventory(ctx context.Context, session aws.Config) (rootcreds.Credentials, error) {
	return rootcreds.Inventory(ctx, u.client(session))
}

func (u iamRootUser) Remove(ctx context.Context, session aws.Config) (rootcreds.Report, error) {
	return rootcreds.Remove(ctx, u.client(session))
}

// Retry budget for a refused root session.
const (
	// maxReserve is the most of an invocation kept, after the last attempt,
	// for removal, inventory and delivery; shorter invocations keep a
	// quarter of their time.
	maxReserve = time.Minute
	// noDeadlineBudget bounds the retries when ctx has no deadline (not
	// under Lambda).
	noDeadlineBudget = 4 * time.Minute
)

// defaultBackoff is the wait before retry n (0 for the first) of a refused
// root session: doubling from 2s to 30s, with jitter so accounts created in
// a batch do not retry in step.
func defaultBackoff(n int) time.Duration {
	d := min(2*time.Second<<min(n, 5), 30*time.Second)
	return d/2 + rand.N(d/2+1)
}

// Parts are what a Handler works with. All are required but Logger (nil:
// slog.Default()) and Backoff (nil: doubling from 2s to 30s, jittered).
type Parts struct {
	Features featureLister // IAM client of the management account
	Sessions sessionOpener
	RootUser rootUser
	Notifier deliverer
	Accounts namer
	Logger   *slog.Logger
	// Backoff is the wait before retry n (0 for the first) of a root
	// session the account refused.
	Backoff func(n int) time.Duration
}

// Handler strips root credentials from accounts that join the organization.
type Handler struct {
	settings settings.Settings
	features featureLister
	sessions sessionOpener
	root     rootUser
	notifier deliverer
	accounts namer
	logger   *slog.Logger
	backoff  func(n int) time.Duration
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
}

// NewHandler returns a Handler. The settings must name the management
// account, which the handler never touches.
func NewHandler(s settings.Settings, p Parts) (*Handler, error) {
	if p.Features == nil || p.Sessions == nil || p.RootUser == nil || p.Notifier == nil || p.Accounts == nil {
		return nil, errors.New("new handler: features, sessions, root user, notifier and account names are required")
	}
	if err := requireManagement(s); err != nil {
		return nil, fmt.Errorf("new handler: %w", err)
	}
	h := &Handler{
		settings: s,
		features: p.Features,
		sessions: p.Sessions,
		root:     p.RootUser,
		notifier: p.Notifier,
		accounts: p.Accounts,
		logger:   cmp.Or(p.Logger, slog.Default()),
		backoff:  p.Backoff,
		now:      time.Now,
		sleep:    sleep,
	}
	if h.backoff == nil {
		h.backoff = defaultBackoff
	}
	return h, nil
}

func requireManagement(s settings.Settings) error {
	if s.ManagementAccountID == "" {
		return fmt.Errorf("%s is required: the hardener must know the account it never acts on", settings.EnvManagementAccountID)
	}
	return nil
}

// sessionDuration is how long the hardener's root sessions last: its work
// takes seconds, and rootsession refreshes a session that outlives it.
const sessionDuration = 2 * time.Minute

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Handle hardens the account an event says joined the organization and
// returns the delivered finding, or nil for an event that asks for nothing
// (a failed creation, an invitation by email only, an unrelated event). It
// fails, so that Lambda retries the event, when the account still refuses a
// root session at the end of the retry budget or nothing could be read.
func (h *Handler) Handle(ctx context.Context, event json.RawMessage) (*notify.Finding, error) {
	rec, err := trail.ParseJSON(event)
	if err != nil {
		return nil, fmt.Errorf("parse event: %w", err)
	}
	j, err := rec.Joining()
	switch {
	case errors.Is(err, trail.ErrEmailInvitation):
		// Nothing names the account yet; if it never joins, there is nothing
		// of the organization's to protect.
		inv, _ := rec.Invitation() // decoded by Joining already
		h.logger.WarnContext(ctx, "invitation by email address: the account is not hardened now; AccountJoinedOrganization hardens it when it joins",
			"event_id", rec.EventID, "event_name", rec.EventName, "handshake_id", inv.Handshake.ID)
		return nil, nil
	case errors.Is(err, trail.ErrNotApplicable):
		h.logger.InfoContext(ctx, "ignoring event", "event_id", rec.EventID, "event_source", rec.EventSource, "event_name", rec.EventName, "reason", err.Error())
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("parse %s: %w", rec.EventName, err)
	}
	log := h.logger.With("event_id", rec.EventID, "event_name", rec.EventName, "account", j.AccountID)
	if h.settings.IsManagement(j.AccountID) {
		// AssumeRoot cannot target it (facts §3); its root is secured by hand.
		log.WarnContext(ctx, "ignoring event about the management account: rootguard never acts on it")
		return nil, nil
	}
	f, err := h.harden(ctx, log, rec, j)
	if err != nil {
		return nil, err
	}
	if err := h.notifier.Deliver(ctx, f); err != nil {
		return nil, fmt.Errorf("deliver finding %s: %w", f.ID, err)
	}
	log.InfoContext(ctx, "finding delivered", "finding_id", f.ID, "kind", f.Kind, "severity", f.Severity)
	return &f, nil
}

// harden checks the organization, lists the root user's credentials in an
// audit session and, in enforce mode and only when there are some, removes
// them in a delete session.
func (h *Handler) harden(ctx context.Context, log *slog.Logger, rec trail.Record, j trail.Joining) (notify.Finding, error) {
	access, err := h.checkFeatures(ctx)
	if err != nil {
		return notify.Finding{}, err
	}
	if access.problem != "" {
		log.WarnContext(ctx, "centralized root access is off", "problem", access.problem)
		return h.featuresOff(ctx, rec, j, access), nil
	}

	exempt := h.settings.IsExempt(j.AccountID)
	enforce := !exempt && h.settings.Mode == notify.ModeEnforce
	// The audit session comes first, and waits for the account: an account
	// that is already clean (a redelivered event, or hardened on an earlier
	// one) never gets a session that may delete.
	audit, attempts, err := h.open(ctx, log, j.AccountID, rootsession.AuditRootUserCredentials)
	if err != nil {
		return h.openFailed(ctx, rec, j, err)
	}
	o := outcome{joining: j, exempt: exempt, attempts: attempts}
	inv, err := h.root.Inventory(ctx, audit)
	if err != nil {
		return notify.Finding{}, fmt.Errorf("inventory root credentials of %s: %w", j.AccountID, err)
	}
	if !enforce || inv.Empty() {
		o.report = rootcreds.Report{Before: inv, After: &inv}
		return h.outcomeFinding(ctx, rec, o), nil
	}

	del, _, err := h.open(ctx, log, j.AccountID, rootsession.DeleteRootUserCredentials)
	if err != nil {
		return h.openFailed(ctx, rec, j, err)
	}
	report, err := h.root.Remove(ctx, del)
	if errors.Is(err, rootcreds.ErrInventory) {
		return notify.Finding{}, fmt.Errorf("harden %s: %w", j.AccountID, err)
	}
	if err != nil {
		log.WarnContext(ctx, "removal of root credentials incomplete", "err", err)
	}
	o.report, o.removeErr = report, err
	return h.outcomeFinding(ctx, rec, o), nil
}

// openFailed is what harden returns when a root session cannot be opened:
// the features-off finding if that is why, else the error.
func (h *Handler) openFailed(ctx context.Context, rec trail.Record, j trail.Joining, err error) (notify.Finding, error) {
	if errors.Is(err, rootsession.ErrFeatureDisabled) {
		// Turned off since the check, or refused for that reason anyway:
		// the features listed a moment ago no longer tell which.
		return h.featuresOff(ctx, rec, j, rootAccess{problem: err.Error(), fixes: enableFeatures()}), nil
	}
	return notify.Finding{}, err
}

// Commands that turn centralized root access on, from the management account.
const (
	enableAllFeatures   = "aws organizations enable-all-features"
	enableTrustedAccess = "aws organizations enable-aws-service-access --service-principal iam.amazonaws.com"
)

// rootAccessFeatures are those centralized root access needs, each with the command
// that turns it on.
var rootAccessFeatures = []struct {
	name   iamtypes.FeatureType
	enable string
}{
	{iamtypes.FeatureTypeRootCredentialsManagement, "aws iam enable-organizations-root-credentials-management"},
	{iamtypes.FeatureTypeRootSessions, "aws iam enable-organizations-root-sessions"},
}

// enableFeatures is the commands that turn on every feature.
func enableFeatures() []string {
	var out []string
	for _, f := range rootAccessFeatures {
		out = append(out, f.enable)
	}
	return out
}

// rootAccess is the state of the organization's centralized root access.
type rootAccess struct {
	enabled []string // the features on; nil when they could not be listed
	problem string   // what is off; empty when all is on
	fixes   []string // the commands that turn on what is off
}

// checkFeatures reads the organization's root access features.
func (h *Handler) checkFeatures(ctx context.Context) (rootAccess, error) {
	out, err := h.features.ListOrganizationsFeatures(ctx, &iam.ListOrganizationsFeaturesInput{})
	switch {
	case awserr.Is(err, "ServiceAccessNotEnabled"):
		// The features cannot be listed, nor be on, without trusted access.
		return rootAccess{
			problem: "trusted access for IAM is not enabled in AWS Organizations",
			fixes:   append([]string{enableTrustedAccess}, enableFeatures()...),
		}, nil
	case awserr.Is(err, "OrganizationNotInAllFeaturesMode"):
		return rootAccess{
			problem: "the organization does not have all features enabled",
			fixes:   append([]string{enableAllFeatures, enableTrustedAccess}, enableFeatures()...),
		}, nil
	case err != nil:
		return rootAccess{}, fmt.Errorf("list organization features: %w", err)
	}
	a := rootAccess{enabled: []string{}}
	for _, f := range out.EnabledFeatures {
		a.enabled = append(a.enabled, string(f))
	}
	var missing []string
	for _, f := range rootAccessFeatures {
		if !slices.Contains(out.EnabledFeatures, f.name) {
			missing = append(missing, string(f.name))
			a.fixes = append(a.fixes, f.enable)
		}
	}
	if len(missing) > 0 {
		a.problem = strings.Join(missing, " and ") + " not enabled"
	}
	return a, nil
}

// open opens a root session, retrying while the account refuses it: a new
// account may not accept one for a while, and an invited account only once
// it has accepted the invitation. It gives up when the next attempt would
// start inside the time kept for the rest of the invocation.
func (h *Handler) open(ctx context.Context, log *slog.Logger, account string, task rootsession.Task) (aws.Config, int, error) {
	giveUp := h.giveUpAt(ctx)
	for attempt := 1; ; attempt++ {
		cfg, err := h.sessions.Open(ctx, account, task)
		if err == nil {
			return cfg, attempt, nil
		}
		if !errors.Is(err, rootsession.ErrNotAllowed) {
			return aws.Config{}, attempt, err
		}
		wait := h.backoff(attempt - 1)
		if h.now().Add(wait).After(giveUp) {
			return aws.Config{}, attempt, fmt.Errorf("account %s still refuses a root session after %d attempts (not ready, invitation not accepted yet, or rootguard may not assume root there); failing so the event is retried: %w", account, attempt, err)
		}
		log.InfoContext(ctx, "root session refused, retrying", "attempt", attempt, "wait", wait.Round(time.Millisecond).String(), "err", err.Error())
		if err := h.sleep(ctx, wait); err != nil {
			return aws.Config{}, attempt, fmt.Errorf("wait for a root session in %s: %w", account, err)
		}
	}
}

// giveUpAt is when open stops retrying: the invocation's deadline less the
// time kept for the work after it.
func (h *Handler) giveUpAt(ctx context.Context) time.Time {
	now := h.now()
	deadline, ok := ctx.Deadline()
	if !ok {
		return now.Add(noDeadlineBudget)
	}
	return deadline.Add(-min(maxReserve, deadline.Sub(now)/4))
}

// outcome is what hardening one account found and did.
type outcome struct {
	joining   trail.Joining
	exempt    bool
	attempts  int
	report    rootcreds.Report // After is nil when the final inventory failed
	removeErr error            // Remove's error: something failed, is left or unverified
}

// Severities: critical when the organization cannot harden any account;
// high when root credentials remain in an account rootguard should clean
// (report mode, or the fresh inventory after removal lists some or could
// not be taken); medium when it removed them all; low when an exempt
// account has some; info when there were none.
func (h *Handler) outcomeFinding(ctx context.Context, rec trail.Record, o outcome) notify.Finding {
	account := o.joining.AccountID
	name := h.name(ctx, o.joining)
	how := joinedWords(o.joining)
	r := o.report
	enforce := !o.exempt && h.settings.Mode == notify.ModeEnforce

	var sev notify.Severity
	var summary string
	switch {
	case r.Before.Empty():
		sev = notify.SeverityInfo
		summary = fmt.Sprintf("Account %s (%s), %s, has no root credentials", account, name, how)
		if enforce {
			summary += ": already clean"
		}
	case o.exempt:
		sev = notify.SeverityLow
		summary = fmt.Sprintf("Exempt account %s (%s), %s, has root credentials (%s); not changed", account, name, how, counts(r.Before))
	case !enforce:
		sev = notify.SeverityHigh
		summary = fmt.Sprintf("Account %s (%s), %s, has root credentials (%s); report mode: not removed", account, name, how, counts(r.Before))
	case r.After == nil:
		sev = notify.SeverityHigh
		summary = fmt.Sprintf("Root credentials of account %s (%s), %s, may remain: removal could not be verified", account, name, how)
	case !r.After.Empty():
		sev = notify.SeverityHigh
		summary = fmt.Sprintf("Root credentials left in account %s (%s), %s, after removal: %s", account, name, how, counts(*r.After))
	default:
		// The fresh inventory is the proof; a call that failed on something
		// gone anyway is in the details.
		sev = notify.SeverityMedium
		summary = fmt.Sprintf("Removed root credentials of account %s (%s), %s: %s", account, name, how, removedCounts(r.Before))
	}

	d := joinFacts(rec, o.joining)
	if o.exempt {
		d = append(d, notify.Fact{Key: "exempt", Value: "yes"})
	}
	if o.attempts > 1 {
		d = append(d, notify.Fact{Key: "session_attempts", Value: strconv.Itoa(o.attempts)})
	}
	removed := []string{}
	actions := []string{}
	for _, it := range r.Removed {
		removed = append(removed, itemWords(it))
		actions = append(actions, it.String())
	}
	d = append(d,
		notify.Fact{Key: "found", Value: listCredentials(r.Before)},
		notify.Fact{Key: "removed", Value: removed},
	)
	if len(r.LeftBehind) > 0 {
		var left []string
		for _, it := range r.LeftBehind {
			left = append(left, string(it.Kind)+" "+it.ID+" ("+it.Note+")")
		}
		d = append(d, notify.Fact{Key: "left_behind", Value: left})
	}
	if len(r.Failed) > 0 {
		var failed []string
		for _, it := range r.Failed {
			failed = append(failed, it.Error())
		}
		d = append(d, notify.Fact{Key: "failed", Value: failed})
	}
	if r.After != nil {
		d = append(d, notify.Fact{Key: "remaining", Value: listCredentials(*r.After)})
	}
	if o.removeErr != nil {
		d = append(d, notify.Fact{Key: "error", Value: o.removeErr.Error()})
	}
	return h.finding(rec, notify.KindRootCredentialsRemoved, sev, account, name, summary, d, actions)
}

// featuresOff is the finding for an account left as it is because the
// organization has centralized root access off.
func (h *Handler) featuresOff(ctx context.Context, rec trail.Record, j trail.Joining, a rootAccess) notify.Finding {
	name := h.name(ctx, j)
	summary := fmt.Sprintf("Root credentials of account %s (%s), %s, not checked: centralized root access is off (%s)", j.AccountID, name, joinedWords(j), a.problem)
	d := joinFacts(rec, j)
	d = append(d, notify.Fact{Key: "problem", Value: a.problem})
	if a.enabled != nil {
		d = append(d, notify.Fact{Key: "enabled_features", Value: a.enabled})
	}
	d = append(d, notify.Fact{Key: "remedy", Value: "From the management account: " + strings.Join(a.fixes, "; ") +
		". Then redeliver this event, or let the audit find the account."})
	return h.finding(rec, notify.KindCentralizedRootAccessOff, notify.SeverityCritical, j.AccountID, name, summary, d, nil)
}

func joinFacts(rec trail.Record, j trail.Joining) notify.Details {
	return notify.Details{
		{Key: "joined", Value: joinedMethod(j)},
		{Key: "trigger", Value: rec.EventName},
	}
}

// name prefers Organizations' name, else the one the event carries.
func (h *Handler) name(ctx context.Context, j trail.Joining) string {
	name := h.accounts.Name(ctx, j.AccountID)
	if name == accountname.Unknown && j.AccountName != "" {
		return j.AccountName
	}
	return name
}

// finding fills what every finding of this function shares.
func (h *Handler) finding(rec trail.Record, kind notify.Kind, sev notify.Severity, account, name, summary string, d notify.Details, actions []string) notify.Finding {
	eventID := rec.SourceID()
	resource := "arn:aws:iam::" + account + ":root"
	if actions == nil {
		actions = []string{}
	}
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
		Actions:     actions,
		Mode:        h.settings.Mode,
		EventID:     eventID,
		EventTime:   rec.SourceTime(),
	}
}

func joinedMethod(j trail.Joining) string {
	switch j.Method {
	case trail.JoinCreated:
		return "created"
	case trail.JoinInvited:
		return "invited"
	}
	return "unknown"
}

func joinedWords(j trail.Joining) string {
	switch {
	case j.Method == trail.JoinCreated:
		return "created in the organization"
	case j.Method == trail.JoinInvited && j.Pending:
		return "invited to the organization"
	case j.Method == trail.JoinInvited:
		return "joined by invitation"
	}
	return "joined the organization"
}

// counts sums credentials up for a summary: "password, 1 access key, 3 MFA devices".
func counts(c rootcreds.Credentials) string {
	parts := deletable(c)
	if n := len(c.MFADevices); n > 0 {
		parts = append(parts, plural(n, "MFA device"))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// removedCounts says what removing c did: "deleted password, 1 access key;
// deactivated 3 MFA devices". MFA devices are deactivated, which takes
// them from root; only virtual ones may also be deleted.
func removedCounts(c rootcreds.Credentials) string {
	var parts []string
	if d := deletable(c); len(d) > 0 {
		parts = append(parts, "deleted "+strings.Join(d, ", "))
	}
	if n := len(c.MFADevices); n > 0 {
		parts = append(parts, "deactivated "+plural(n, "MFA device"))
	}
	return strings.Join(parts, "; ")
}

// deletable counts the credentials removal deletes.
func deletable(c rootcreds.Credentials) []string {
	var parts []string
	if c.Password {
		parts = append(parts, "password")
	}
	if n := len(c.AccessKeys); n > 0 {
		parts = append(parts, plural(n, "access key"))
	}
	if n := len(c.SigningCertificates); n > 0 {
		parts = append(parts, plural(n, "signing certificate"))
	}
	return parts
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// listCredentials names each credential, for details.
func listCredentials(c rootcreds.Credentials) []string {
	out := []string{}
	if c.Password {
		out = append(out, "password")
	}
	for _, k := range c.AccessKeys {
		out = append(out, fmt.Sprintf("access key %s (%s%s)", k.ID, k.Status, since("created", k.Created)))
	}
	for _, s := range c.SigningCertificates {
		out = append(out, fmt.Sprintf("signing certificate %s (%s%s)", s.ID, s.Status, since("uploaded", s.Uploaded)))
	}
	for _, m := range c.MFADevices {
		out = append(out, fmt.Sprintf("%s MFA device %s", m.Kind, m.Serial))
	}
	return out
}

func since(verb string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return ", " + verb + " " + t.UTC().Format(time.RFC3339)
}

func itemWords(it rootcreds.Item) string {
	if it.Note == "" {
		return it.String()
	}
	return it.String() + " (" + it.Note + ")"
}
