package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/rootguard/rootguard/internal/localorg"
)

// demoHarden invites workload-dev, whose root user has a password, an access
// key, a signing certificate and three MFA devices, and lets the hardener
// strip it; the AccountJoinedOrganization event that follows finds the
// account clean.
func demoHarden(ctx context.Context, d *demoRun) error {
	const account = "444455556666"
	st, err := d.bed.Org.State(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "  account %s root user before: %s\n", account, rootSummary(st.Accounts[account].Root))
	sns, slack := len(st.SNS), len(st.Slack)
	for _, event := range []string{"invite-account", "account-joined"} {
		out, err := d.invoke(ctx, "new-account-hardener", event)
		if err != nil {
			return err
		}
		d.finding(out)
		leftBehind(d, out)
		if sns, slack, err = d.deliveries(ctx, sns, slack); err != nil {
			return err
		}
	}
	if st, err = d.bed.Org.State(ctx); err != nil {
		return err
	}
	root := st.Accounts[account].Root
	fmt.Fprintf(d.out, "  account %s root user after:  %s\n", account, rootSummary(root))
	if hasCredentials(root) {
		return fmt.Errorf("account %s still has root credentials", account)
	}
	return nil
}

// leftBehind prints what a hardening finding says it could not delete.
func leftBehind(d *demoRun, payload json.RawMessage) {
	var f struct {
		Details struct {
			LeftBehind []string `json:"left_behind"`
		} `json:"details"`
	}
	if json.Unmarshal(payload, &f) != nil {
		return
	}
	for _, s := range f.Details.LeftBehind {
		fmt.Fprintf(d.out, "       left behind: %s\n", s)
	}
}

// hasCredentials reports whether a root user can still sign in or call AWS:
// a deactivated virtual MFA device object is no credential.
func hasCredentials(r localorg.RootState) bool {
	if r.Password || len(r.AccessKeys) > 0 || len(r.SigningCertificates) > 0 {
		return true
	}
	for _, m := range r.MFADevices {
		if m.Active {
			return true
		}
	}
	return false
}
