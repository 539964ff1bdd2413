package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/shared/trail"
)

// demoUnlock locks workload-dev's bucket dev-data and queue dev-jobs with the
// deny-all policies of the sample events, as someone in the account would,
// lets the unlockers repair them, and delivers each event a second time to
// show that nothing is left to do.
func demoUnlock(ctx context.Context, d *demoRun) error {
	const account, bucket, queue = "444455556666", "dev-data", "dev-jobs"
	member, err := d.memberConfig(ctx, account)
	if err != nil {
		return err
	}
	bucketPolicy, err := d.eventPolicy("bucket-policy-unlocker", "deny-all")
	if err != nil {
		return err
	}
	queuePolicy, err := d.eventPolicy("queue-policy-unlocker", "set-queue-attributes-deny-all")
	if err != nil {
		return err
	}
	s3c := s3.NewFromConfig(member, func(o *s3.Options) { o.UsePathStyle = true })
	sqsc := sqs.NewFromConfig(member)
	queueURL, err := sqsc.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(queue)})
	if err != nil {
		return fmt.Errorf("find queue %s: %w", queue, err)
	}

	fmt.Fprintf(d.out, "  a developer of %s sets deny-all policies on bucket %s and queue %s\n", account, bucket, queue)
	if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(bucketPolicy))}); err != nil {
		return fmt.Errorf("lock bucket %s: %w", bucket, err)
	}
	if _, err := sqsc.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl:   queueURL.QueueUrl,
		Attributes: map[string]string{"Policy": string(queuePolicy)},
	}); err != nil {
		return fmt.Errorf("lock queue %s: %w", queue, err)
	}

	st, err := d.bed.Org.State(ctx)
	if err != nil {
		return err
	}
	sns, slack := len(st.SNS), len(st.Slack)
	for _, u := range []struct{ function, event, kind, name string }{
		{"bucket-policy-unlocker", "deny-all", "bucket", bucket},
		{"queue-policy-unlocker", "set-queue-attributes-deny-all", "queue", queue},
	} {
		policy := func(st localorg.AccountState) json.RawMessage {
			if u.kind == "bucket" {
				return st.Buckets[u.name].Policy
			}
			return st.Queues[u.name].Policy
		}
		fmt.Fprintf(d.out, "\n  %s %s policy before: %s\n", u.kind, u.name, policySummary(policy(st.Accounts[account])))
		for _, delivery := range []string{"first delivery", "second delivery (EventBridge delivers at least once)"} {
			fmt.Fprintf(d.out, "  %s:\n", delivery)
			out, err := d.invoke(ctx, u.function, u.event)
			if err != nil {
				return err
			}
			d.finding(out)
			prevSNS, prevSlack := sns, slack
			if sns, slack, err = d.deliveries(ctx, sns, slack); err != nil {
				return err
			}
			if sns == prevSNS && slack == prevSlack {
				fmt.Fprintln(d.out, "     (the same finding id as before: not sent again)")
			}
		}
		if st, err = d.bed.Org.State(ctx); err != nil {
			return err
		}
		after := policy(st.Accounts[account])
		fmt.Fprintf(d.out, "  %s %s policy after:  %s\n", u.kind, u.name, policySummary(after))
		if len(after) != 0 {
			return fmt.Errorf("%s %s is still locked", u.kind, u.name)
		}
	}
	return demoSurgicalRepair(ctx, d, s3c, account)
}

// demoSurgicalRepair shows a lockout mixed with legitimate statements: only
// the offending statement goes, the rest of the policy stays as it was.
func demoSurgicalRepair(ctx context.Context, d *demoRun, s3c *s3.Client, account string) error {
	const bucket, event = "dev-shared", "lockout-mixed-with-legitimate"
	policy, err := d.eventPolicy("bucket-policy-unlocker", event)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "\n  a developer of %s creates bucket %s with a policy that grants, requires TLS, and freezes the policy\n", account, bucket)
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	if _, err := s3c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(bucket), Policy: aws.String(string(policy))}); err != nil {
		return fmt.Errorf("lock bucket %s: %w", bucket, err)
	}
	fmt.Fprintf(d.out, "  bucket %s policy before: %s\n", bucket, compact(policy))
	st, err := d.bed.Org.State(ctx)
	if err != nil {
		return err
	}
	out, err := d.invoke(ctx, "bucket-policy-unlocker", event)
	if err != nil {
		return err
	}
	d.finding(out)
	if _, _, err := d.deliveries(ctx, len(st.SNS), len(st.Slack)); err != nil {
		return err
	}
	if st, err = d.bed.Org.State(ctx); err != nil {
		return err
	}
	after := st.Accounts[account].Buckets[bucket].Policy
	fmt.Fprintf(d.out, "  bucket %s policy after:  %s\n", bucket, policySummary(after))
	var doc struct{ Statement []json.RawMessage }
	if err := json.Unmarshal(after, &doc); err != nil || len(doc.Statement) != 2 {
		return fmt.Errorf("bucket %s: want the two legitimate statements kept, got %s", bucket, policySummary(after))
	}
	return nil
}

// memberConfig is an SDK configuration for someone in account: the
// management account's role into it, through the local organization.
func (d *demoRun) memberConfig(ctx context.Context, account string) (aws.Config, error) {
	out, err := sts.NewFromConfig(d.bed.AWSConfig()).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + account + ":role/OrganizationAccountAccessRole"),
		RoleSessionName: aws.String("demo-developer"),
	})
	if err != nil {
		return aws.Config{}, fmt.Errorf("assume a role in %s: %w", account, err)
	}
	c := out.Credentials
	cfg := d.bed.AWSConfig()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	return cfg, nil
}

// eventPolicy is the policy document the sample event events/<function>/<event>.json sets.
func (d *demoRun) eventPolicy(function, event string) (json.RawMessage, error) {
	body, err := os.ReadFile(filepath.Join(d.eventsDir, function, event+".json"))
	if err != nil {
		return nil, err
	}
	rec, err := trail.ParseJSON(body)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", function, event, err)
	}
	var policy json.RawMessage
	switch rec.Kind() {
	case trail.KindPutBucketPolicy:
		c, err := rec.BucketPolicy()
		if err != nil {
			return nil, err
		}
		policy = c.Policy
	default:
		c, err := rec.QueuePolicy()
		if err != nil {
			return nil, err
		}
		policy = c.Policy
	}
	if policy == nil {
		return nil, fmt.Errorf("%s/%s sets no policy", function, event)
	}
	return policy, nil
}
