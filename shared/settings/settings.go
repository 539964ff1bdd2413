// Package settings reads the configuration every rootguard function shares
// from its environment. Load fails on the first cold start with a message
// naming each invalid variable, so a bad deployment never runs half
// configured.
//
// Adding a variable: a constant for its name, a field in Settings, and one
// line in Load calling a parser that returns (value, error).
package settings

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/rootguard/rootguard/shared/notify"
)

// Environment variables.
const (
	// EnvSNSTopicARN is the topic findings are published to; unset: no SNS.
	EnvSNSTopicARN = "ROOTGUARD_SNS_TOPIC_ARN"
	// EnvSlackWebhookSecret names the Secrets Manager secret (by ARN) or
	// SSM SecureString parameter (by name or ARN) holding the Slack
	// incoming-webhook URL; unset: no Slack.
	EnvSlackWebhookSecret = "ROOTGUARD_SLACK_WEBHOOK_SECRET"
	// EnvSlackMinSeverity is the least severe finding sent to Slack:
	// critical, high, medium, low or info (default info: everything).
	EnvSlackMinSeverity = "ROOTGUARD_SLACK_MIN_SEVERITY"
	// EnvMode is enforce (default) or report.
	EnvMode = "ROOTGUARD_MODE"
	// EnvExemptAccounts lists 12-digit account ids no function acts on,
	// separated by commas.
	EnvExemptAccounts = "ROOTGUARD_EXEMPT_ACCOUNTS"
	// EnvOwnRolePatterns lists, separated by commas, IAM role ARN patterns
	// (wildcards * and ?) of rootguard's own roles, each optionally followed
	// by =TASK+TASK, the task policies that role uses (see OwnRole).
	EnvOwnRolePatterns = "ROOTGUARD_OWN_ROLE_PATTERNS"
	// EnvManagementAccountID is the organization's management account,
	// which no function acts on; optional.
	EnvManagementAccountID = "ROOTGUARD_MANAGEMENT_ACCOUNT_ID"
	// EnvOrganizationID is the organization (o-...), which lets the lockout
	// analysis decide conditions on aws:PrincipalOrgID and
	// aws:ResourceOrgID; optional.
	EnvOrganizationID = "ROOTGUARD_ORGANIZATION_ID"
	// EnvRepairConditional, true, makes the policy unlockers also remove
	// statements whose lockout depends on the request's network location
	// or on conditions the analysis cannot decide (default false: report
	// them only).
	EnvRepairConditional = "ROOTGUARD_REPAIR_CONDITIONAL"
)

// Settings is the shared configuration of a rootguard function.
type Settings struct {
	// Notify is where findings go; pass it to notify.New.
	Notify              notify.Config
	Mode                notify.Mode
	ExemptAccounts      []string
	OwnRoles            []OwnRole
	ManagementAccountID string
	OrganizationID      string
	RepairConditional   bool
}

// Load reads the settings through getenv (os.Getenv in a function's main).
// Every invalid variable is reported, each error naming its variable.
func Load(getenv func(string) string) (Settings, error) {
	var s Settings
	var errs []error
	check := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	var err error
	s.Notify.TopicARN, err = parseTopicARN(getenv(EnvSNSTopicARN))
	check(EnvSNSTopicARN, err)
	if v := strings.TrimSpace(getenv(EnvSlackWebhookSecret)); v != "" {
		s.Notify.SlackWebhook, err = notify.ParseSecretRef(v)
		check(EnvSlackWebhookSecret, err)
	}
	s.Notify.SlackMinSeverity, err = parseOr(getenv(EnvSlackMinSeverity), notify.SeverityInfo, notify.ParseSeverity)
	check(EnvSlackMinSeverity, err)
	s.Mode, err = parseOr(getenv(EnvMode), notify.ModeEnforce, notify.ParseMode)
	check(EnvMode, err)
	s.ExemptAccounts, err = parseList(getenv(EnvExemptAccounts), parseAccountID)
	check(EnvExemptAccounts, err)
	s.OwnRoles, err = parseList(getenv(EnvOwnRolePatterns), parseOwnRole)
	check(EnvOwnRolePatterns, err)
	if v := strings.TrimSpace(getenv(EnvManagementAccountID)); v != "" {
		s.ManagementAccountID, err = parseAccountID(v)
		check(EnvManagementAccountID, err)
	}
	s.OrganizationID, err = parseOrganizationID(getenv(EnvOrganizationID))
	check(EnvOrganizationID, err)
	s.RepairConditional, err = parseOr(getenv(EnvRepairConditional), false, parseBool)
	check(EnvRepairConditional, err)
	if err := errors.Join(errs...); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// IsExempt reports whether account is listed in ROOTGUARD_EXEMPT_ACCOUNTS.
func (s Settings) IsExempt(account string) bool {
	for _, a := range s.ExemptAccounts {
		if a == account {
			return true
		}
	}
	return false
}

// IsManagement reports whether account is the configured management account.
func (s Settings) IsManagement(account string) bool {
	return s.ManagementAccountID != "" && account == s.ManagementAccountID
}

// parseOr parses v, or returns def when v is blank.
func parseOr[T any](v string, def T, parse func(string) (T, error)) (T, error) {
	if strings.TrimSpace(v) == "" {
		return def, nil
	}
	return parse(v)
}

// parseList splits v at commas, ignoring spaces and empty entries, and
// parses each entry.
func parseList[T any](v string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		p, err := parse(item)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

func parseAccountID(v string) (string, error) {
	v = strings.TrimSpace(v)
	if !accountIDPattern.MatchString(v) {
		return "", fmt.Errorf("%q is not a 12-digit account id", v)
	}
	return v, nil
}

var organizationIDPattern = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

func parseOrganizationID(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v != "" && !organizationIDPattern.MatchString(v) {
		return "", fmt.Errorf("%q is not an organization id (o- and 10 to 32 lower-case letters or digits)", v)
	}
	return v, nil
}

// parseBool reads true or false, ignoring case and surrounding spaces.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("%q is not true or false", v)
}

// SNS topic names: up to 256 letters, digits, hyphens and underscores,
// plus .fifo for FIFO topics.
var topicNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$|^[A-Za-z0-9_-]{1,251}\.fifo$`)

func parseTopicARN(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	a, err := arn.Parse(v)
	if err != nil || a.Service != "sns" || a.Region == "" || !accountIDPattern.MatchString(a.AccountID) || !topicNamePattern.MatchString(a.Resource) {
		return "", fmt.Errorf("%q is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC)", v)
	}
	return v, nil
}
