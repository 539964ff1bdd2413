package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/rootguard/rootguard/shared/awserr"
	"github.com/rootguard/rootguard/shared/lockout"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/trail"
	"github.com/rootguard/rootguard/shared/unlock"
)

// bucketPolicyAPI is what the unlocker calls in a root session: exactly the
// bucket-policy calls S3UnlockBucketPolicy allows.
type bucketPolicyAPI interface {
	GetBucketPolicy(ctx context.Context, params *s3.GetBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(ctx context.Context, params *s3.PutBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	DeleteBucketPolicy(ctx context.Context, params *s3.DeleteBucketPolicyInput, optFns ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
}

var _ bucketPolicyAPI = (*s3.Client)(nil)

// s3MaxAttempts rides out throttling; beyond it the function fails and
// Lambda retries the event.
const s3MaxAttempts = 6

// newS3Client is the S3 client of a root session.
func newS3Client(session aws.Config) bucketPolicyAPI {
	return s3.NewFromConfig(session, func(o *s3.Options) {
		// An endpoint override (the local organization) serves buckets by
		// path, not by virtual host.
		o.UsePathStyle = session.BaseEndpoint != nil
		o.RetryMaxAttempts = s3MaxAttempts
	})
}

// buckets is the S3 side of the unlock flow.
type buckets struct {
	client func(session aws.Config) bucketPolicyAPI
}

var _ unlock.Service = buckets{}

func (buckets) Task() rootsession.Task { return rootsession.UnlockS3BucketPolicy }

// Change decodes PutBucketPolicy. The bucket belongs to the account that
// recorded the call (only the owner may set a bucket policy) and lives in
// the region the call was recorded in.
func (buckets) Change(rec trail.Record) (unlock.Change, error) {
	if rec.Kind() != trail.KindPutBucketPolicy {
		return unlock.Change{}, fmt.Errorf("%s %s sets no bucket policy: %w", rec.EventSource, rec.EventName, trail.ErrNotApplicable)
	}
	c, err := rec.BucketPolicy()
	if err != nil {
		return unlock.Change{}, err
	}
	region := rec.Region()
	return unlock.Change{
		Target: unlock.Target{
			Service:   lockout.S3,
			Name:      c.Bucket,
			ARN:       "arn:" + trail.Partition(region) + ":s3:::" + c.Bucket,
			AccountID: rec.AccountID(),
			Region:    region,
		},
		Policy: c.Policy,
	}, nil
}

func (b buckets) Policies(session aws.Config, t unlock.Target) unlock.Policies {
	return bucketPolicy{client: b.client(session), bucket: t.Name, owner: t.AccountID}
}

// bucketPolicy is one bucket's policy. Every call names the expected owner,
// so that rootguard never touches a bucket of the same name elsewhere.
type bucketPolicy struct {
	client bucketPolicyAPI
	bucket string
	owner  string
}

func (p bucketPolicy) Get(ctx context.Context) (json.RawMessage, error) {
	out, err := p.client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(p.bucket), ExpectedBucketOwner: aws.String(p.owner)})
	switch {
	case awserr.Is(err, "NoSuchBucketPolicy"):
		return nil, nil
	case err != nil:
		return nil, p.wrap("get bucket policy", err)
	case strings.TrimSpace(aws.ToString(out.Policy)) == "":
		return nil, nil
	}
	return json.RawMessage(aws.ToString(out.Policy)), nil
}

func (p bucketPolicy) Put(ctx context.Context, policy json.RawMessage) error {
	_, err := p.client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{
		Bucket:              aws.String(p.bucket),
		Policy:              aws.String(string(policy)),
		ExpectedBucketOwner: aws.String(p.owner),
	})
	return p.wrap("put bucket policy", err)
}

func (p bucketPolicy) Delete(ctx context.Context) error {
	_, err := p.client.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(p.bucket), ExpectedBucketOwner: aws.String(p.owner)})
	if awserr.Is(err, "NoSuchBucketPolicy") {
		return nil // already gone: what deleting wanted
	}
	return p.wrap("delete bucket policy", err)
}

func (p bucketPolicy) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case awserr.Is(err, "NoSuchBucket"):
		return fmt.Errorf("%s %s: %w: %w", op, p.bucket, unlock.ErrGone, err)
	}
	return fmt.Errorf("%s %s: %w", op, p.bucket, err)
}
