package main

import "context"

// demoAlerts sends a privileged root session and two root sign-ins through the
// alerter and shows what reached SNS and Slack.
func demoAlerts(ctx context.Context, d *demoRun) error {
	sns, slack := 0, 0
	for _, event := range []string{
		"assume-root-delete-credentials",
		"assume-root-rootguard-own",
		"console-login-root-success-no-mfa",
		"console-login-malicious-user-agent",
	} {
		out, err := d.invoke(ctx, "root-activity-alerter", event)
		if err != nil {
			return err
		}
		d.finding(out)
		if sns, slack, err = d.deliveries(ctx, sns, slack); err != nil {
			return err
		}
	}
	return nil
}
