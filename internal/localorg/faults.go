package localorg

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// FaultRule injects a failure into matching requests. Exactly one of Error,
// LatencyMS and RatePerSecond says what it does:
//
//   - Error answers the error code with Status (default 400) in the service's
//     own error format, Times times (0: every time);
//   - LatencyMS delays each matching request, Times times (0: every time);
//   - RatePerSecond lets that many matching requests per second through and
//     answers the rest with the service's throttling error. The bucket holds
//     max(1, RatePerSecond) requests and starts full, so the first request
//     passes even at a rate below 1.
//
// For the Slack sink (match service "slack") Status alone makes an error rule:
// Status is the HTTP status of the answer (default 500; 429 adds
// Retry-After: 1) and Error, when given, its body.
type FaultRule struct {
	Match         FaultMatch `json:"match"`
	Error         string     `json:"error,omitempty"`
	Status        int        `json:"status,omitempty"`
	Message       string     `json:"message,omitempty"`
	Times         int        `json:"times,omitempty"`
	LatencyMS     int        `json:"latency_ms,omitempty"`
	RatePerSecond float64    `json:"rate_per_second,omitempty"`
}

// FaultMatch selects requests; empty fields match anything. Action matches the
// API operation or the IAM action name (ListBuckets or ListAllMyBuckets);
// Account the account the request acts in or, for sts:AssumeRoot, its target
// account; Caller management, member or root-session.
type FaultMatch struct {
	Service string `json:"service,omitempty"`
	Action  string `json:"action,omitempty"`
	Account string `json:"account,omitempty"`
	Caller  string `json:"caller,omitempty"`
}

// Validate reports what is wrong with a rule.
func (f FaultRule) Validate() error {
	kinds := 0
	for _, set := range []bool{f.isError(), f.LatencyMS != 0, f.RatePerSecond != 0} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds != 1:
		return errors.New("want exactly one of error, latency_ms and rate_per_second")
	case f.Status != 0 && (f.Status < 400 || f.Status > 599):
		return fmt.Errorf("status %d: want 400 to 599", f.Status)
	case f.Status != 0 && !f.isError():
		return errors.New("status needs error (only a slack rule may give status alone)")
	case f.Times < 0:
		return fmt.Errorf("times %d: want 0 (always) or more", f.Times)
	case f.LatencyMS < 0 || f.LatencyMS > 60_000:
		return fmt.Errorf("latency_ms %d: want 0 to 60000", f.LatencyMS)
	case f.RatePerSecond < 0:
		return fmt.Errorf("rate_per_second %v: want more than 0", f.RatePerSecond)
	case f.Match.Account != "" && !accountIDPattern.MatchString(f.Match.Account):
		return fmt.Errorf("match.account %q: want 12 digits", f.Match.Account)
	}
	switch f.Match.Caller {
	case "", CallerManagement, CallerMember, CallerRootSession:
	default:
		return fmt.Errorf("match.caller %q: want management, member or root-session", f.Match.Caller)
	}
	return nil
}

// isError reports whether the rule answers with an error: it names one, or it
// is a Slack rule with a status.
func (f FaultRule) isError() bool {
	return f.Error != "" || (f.Status != 0 && strings.EqualFold(f.Match.Service, "slack"))
}

// faultState is a rule with its counters.
type faultState struct {
	rule   FaultRule
	fired  int
	tokens float64
	last   time.Time
}

func (f *faultState) matches(service, action, iamAction string, accounts []string, caller string) bool {
	m := f.rule.Match
	return (m.Service == "" || strings.EqualFold(m.Service, service)) &&
		(m.Action == "" || strings.EqualFold(m.Action, action) || strings.EqualFold(m.Action, iamAction)) &&
		(m.Account == "" || slices.Contains(accounts, m.Account)) &&
		(m.Caller == "" || m.Caller == caller)
}

// fire decides what the rule does to one matching request: delay, an error
// rule that fires, or over the rate. o.mu must be held.
func (f *faultState) fire(now time.Time) (delay time.Duration, fires, throttled bool) {
	r := f.rule
	switch {
	case r.RatePerSecond > 0:
		// A bucket smaller than one request would refuse every request.
		burst := max(1, r.RatePerSecond)
		if f.last.IsZero() {
			f.tokens = burst
		} else {
			f.tokens = min(burst, f.tokens+now.Sub(f.last).Seconds()*r.RatePerSecond)
		}
		f.last = now
		if f.tokens < 1 {
			return 0, false, true
		}
		f.tokens--
		return 0, false, false
	case r.Times > 0 && f.fired >= r.Times:
		return 0, false, false
	}
	f.fired++
	if r.LatencyMS > 0 {
		return time.Duration(r.LatencyMS) * time.Millisecond, false, false
	}
	return 0, true, false
}

// SetFaults replaces the fault rules.
func (o *Org) SetFaults(rules []FaultRule) error {
	for i, r := range rules {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("rule %d: %w", i, err)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.faults = nil
	for _, r := range rules {
		o.faults = append(o.faults, &faultState{rule: r})
	}
	return nil
}

// evalFaults applies the matching rules: it returns the total delay and the
// first error rule that fires or a throttling verdict.
func (o *Org) evalFaults(service, action, iamAction string, accounts []string, caller string) (delay time.Duration, rule *FaultRule, throttled bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := time.Now()
	for _, f := range o.faults {
		if !f.matches(service, action, iamAction, accounts, caller) {
			continue
		}
		decided := rule != nil || throttled
		if decided && f.rule.LatencyMS == 0 {
			continue // the answer is chosen: later rules keep their counts
		}
		d, fires, over := f.fire(now)
		delay += d
		if fires {
			r := f.rule
			rule = &r
		}
		throttled = throttled || over
	}
	return delay, rule, throttled
}

// applyFaults returns the injected answer for req, if any, after any latency.
func (o *Org) applyFaults(req *request) *response {
	accounts := []string{req.account}
	if req.service == "sts" && req.action == "AssumeRoot" {
		// An AssumeRoot rule can single out the target account ("account not ready").
		accounts = append(accounts, principalAccount(req.param("TargetPrincipal")))
	}
	delay, rule, throttled := o.evalFaults(req.service, req.action, req.iamAction, accounts, req.caller)
	if delay > 0 {
		sleepCtx(req.http.Context(), delay)
	}
	switch {
	case throttled:
		return req.errorResponse(throttlingError(req.service))
	case rule != nil:
		msg := rule.Message
		if msg == "" {
			msg = "fault injected by the local organization"
		}
		return req.errorResponse(apiError{status: rule.Status, code: rule.Error, json: rule.Error, message: msg})
	}
	return nil
}

// slackFault returns the status and body the Slack sink should answer with,
// or 0 when it should accept the message.
func (o *Org) slackFault(r *http.Request) (int, string) {
	delay, rule, throttled := o.evalFaults("slack", "", "", nil, "")
	if delay > 0 {
		sleepCtx(r.Context(), delay)
	}
	switch {
	case throttled:
		return http.StatusTooManyRequests, "rate_limited"
	case rule != nil:
		status, body := rule.Status, rule.Error
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if body == "" {
			body = "internal_error"
			if status == http.StatusTooManyRequests {
				body = "rate_limited"
			}
		}
		return status, body
	}
	return 0, ""
}
