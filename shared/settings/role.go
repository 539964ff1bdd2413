package settings

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/rootguard/rootguard/shared/rootsession"
)

// Role patterns are IAM role ARNs with the wildcards of IAM's ArnLike:
// * for any run of characters (across / too) and ? for one character,
// matched case-sensitively, component by component. For example
//
//	arn:aws:iam::111122223333:role/rootguard-*
//	arn:aws:iam::111122223333:role/rootguard/*
//
// Pin the account id: the patterns decide which AssumeRoot calls count as
// rootguard's own, expected automation.
var (
	rolePatternPartition = regexp.MustCompile(`^[a-z*?-]+$`)
	rolePatternAccount   = regexp.MustCompile(`^[0-9*?]{1,12}$`)
)

// OwnRole is one entry of ROOTGUARD_OWN_ROLE_PATTERNS: a role ARN pattern,
// optionally followed by =TASK+TASK..., the task policies (by name, such as
// IAMDeleteRootUserCredentials) that role uses. Without tasks the role may
// use any task policy rootguard uses.
type OwnRole struct {
	Pattern string
	Tasks   []string
}

func parseOwnRole(v string) (OwnRole, error) {
	pattern, tasks, hasTasks := strings.Cut(v, "=")
	p, err := parseRolePattern(strings.TrimSpace(pattern))
	if err != nil {
		return OwnRole{}, err
	}
	r := OwnRole{Pattern: p}
	if !hasTasks {
		return r, nil
	}
	for _, t := range strings.Split(tasks, "+") {
		t = strings.TrimSpace(t)
		if _, ok := rootsession.TaskFromPolicyName(t); !ok {
			return OwnRole{}, fmt.Errorf("%q after %q is not a task policy name such as IAMDeleteRootUserCredentials", t, p)
		}
		r.Tasks = append(r.Tasks, t)
	}
	return r, nil
}

func parseRolePattern(v string) (string, error) {
	parts := strings.SplitN(v, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || !rolePatternPartition.MatchString(parts[1]) ||
		parts[2] != "iam" || parts[3] != "" || !rolePatternAccount.MatchString(parts[4]) ||
		!strings.HasPrefix(parts[5], "role/") {
		return "", fmt.Errorf("%q is not an IAM role ARN pattern (arn:aws:iam::ACCOUNT:role/NAME, wildcards * and ?)", v)
	}
	if strings.Trim(strings.TrimPrefix(parts[5], "role/"), "*?/") == "" {
		return "", fmt.Errorf("%q matches every role: name rootguard's roles", v)
	}
	return v, nil
}

// MatchOwnRole reports whether principal is one of rootguard's own roles
// according to ROOTGUARD_OWN_ROLE_PATTERNS. principal may be
//
//   - a role ARN, arn:aws:iam::ACCOUNT:role/PATH/NAME, as in an AssumeRoot
//     record's userIdentity.sessionContext.sessionIssuer.arn (preferred:
//     it carries the role's path), or
//   - an assumed-role session ARN, arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION,
//     as in userIdentity.arn. Such an ARN has no path, so it is matched as
//     the role arn:aws:iam::ACCOUNT:role/NAME: a pattern that relies on a
//     path matches only role ARNs. A miss errs on the safe side (the call
//     is reported as someone else's).
func (s Settings) MatchOwnRole(principal string) bool {
	_, own := s.OwnRoleTasks(principal)
	return own
}

// OwnRoleTasks reports whether principal is one of rootguard's own roles and
// which task policies that role uses: nil when a matching entry names none
// (any task rootguard uses). Matched as MatchOwnRole.
func (s Settings) OwnRoleTasks(principal string) (tasks []string, own bool) {
	candidate, ok := roleARN(principal)
	if !ok {
		return nil, false
	}
	unrestricted := false
	for _, r := range s.OwnRoles {
		if !arnLike(r.Pattern, candidate) {
			continue
		}
		own = true
		unrestricted = unrestricted || r.Tasks == nil
		tasks = append(tasks, r.Tasks...)
	}
	if unrestricted {
		tasks = nil
	}
	return tasks, own
}

// roleARN returns the role ARN for a role or assumed-role session ARN.
func roleARN(principal string) (string, bool) {
	parts := strings.SplitN(principal, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return "", false
	}
	switch {
	case parts[2] == "iam" && strings.HasPrefix(parts[5], "role/"):
		return principal, true
	case parts[2] == "sts" && strings.HasPrefix(parts[5], "assumed-role/"):
		name, _, ok := strings.Cut(strings.TrimPrefix(parts[5], "assumed-role/"), "/")
		if !ok || name == "" {
			return "", false
		}
		return "arn:" + parts[1] + ":iam::" + parts[4] + ":role/" + name, true
	}
	return "", false
}

// arnLike matches like IAM's ArnLike: the six components one by one.
func arnLike(pattern, arn string) bool {
	p := strings.SplitN(pattern, ":", 6)
	a := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || len(a) != 6 {
		return false
	}
	for i := range p {
		if !glob(p[i], a[i]) {
			return false
		}
	}
	return true
}

// glob matches s against pattern with * (any run) and ? (one character).
func glob(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case star >= 0:
			// Let the last * absorb one more character.
			mark++
			pi, ti = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
