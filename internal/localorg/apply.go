package localorg

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/rootguard/rootguard/shared/awserr"
)

// ApplySeed adds the seed's accounts to the organization; for an account that
// exists, its buckets, queues and (when given) root credentials are added or
// replaced. Top-level fields present in the seed replace the organization's.
//
// A refused seed changes nothing: the seed is checked as a whole (Validate,
// the management account, bucket names owned by another account or moved to
// another region) before anything is created. Only a failure of moto_server
// itself can leave a seed half applied.
func (o *Org) ApplySeed(ctx context.Context, s *Seed) error {
	if err := s.Validate(); err != nil {
		return err
	}
	o.seedMu.Lock()
	defer o.seedMu.Unlock()
	if err := o.checkSeed(s); err != nil {
		return err
	}
	for _, a := range s.Accounts {
		for _, b := range a.Buckets {
			if err := o.seedBucket(ctx, a.ID, b); err != nil {
				return fmt.Errorf("account %s: bucket %s: %w", a.ID, b.Name, err)
			}
		}
		for _, q := range a.Queues {
			if err := o.seedQueue(ctx, a.ID, q); err != nil {
				return fmt.Errorf("account %s: queue %s: %w", a.ID, q.Name, err)
			}
		}
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	if s.OrganizationID != "" {
		o.organizationID = s.OrganizationID
	}
	if s.Features != nil {
		o.features = append([]string(nil), s.Features...)
	}
	if s.IAMTrustedAccess != nil {
		o.trustedAccess = *s.IAMTrustedAccess
	}
	if s.DeleteVirtualMFAAllowed != nil {
		o.deleteVirtualMFA = *s.DeleteVirtualMFAAllowed
	}
	for _, sa := range s.Accounts {
		a := o.addAccount(sa.ID)
		if sa.Name != "" {
			a.name = sa.Name
		}
		if sa.Email != "" {
			a.email = sa.Email
		}
		if sa.Joined != "" {
			a.joined = sa.Joined
		}
		if sa.Root != nil {
			a.root = newRootUser(sa.ID, *sa.Root, o.nowLocked())
		}
		for _, b := range sa.Buckets {
			o.regions[regionOr(b.Region)] = true
		}
		for _, q := range sa.Queues {
			o.regions[regionOr(q.Region)] = true
		}
	}
	return nil
}

// checkSeed reports what in s conflicts with the organization as it is.
func (o *Org) checkSeed(s *Seed) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s.ManagementAccountID != "" && s.ManagementAccountID != o.managementID {
		return fmt.Errorf("management_account_id %s: the organization's management account is %s and cannot change", s.ManagementAccountID, o.managementID)
	}
	for _, a := range s.Accounts {
		for _, b := range a.Buckets {
			owner, ok := o.buckets[b.Name]
			switch {
			case !ok:
			case owner.account != a.ID:
				return fmt.Errorf("account %s: bucket %s belongs to account %s (bucket names are global)", a.ID, b.Name, owner.account)
			case owner.region != regionOr(b.Region):
				return fmt.Errorf("account %s: bucket %s is in %s and cannot move to %s", a.ID, b.Name, owner.region, regionOr(b.Region))
			}
		}
	}
	return nil
}

func (o *Org) seedBucket(ctx context.Context, accountID string, b SeedBucket) error {
	region := regionOr(b.Region)
	client := o.motoS3(accountID, region)
	in := &s3.CreateBucketInput{Bucket: aws.String(b.Name)}
	if region != "us-east-1" {
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(region),
		}
	}
	if _, err := client.CreateBucket(ctx, in); err != nil && !awserr.Is(err, "BucketAlreadyOwnedByYou") {
		return fmt.Errorf("create: %w", err)
	}
	o.mu.Lock()
	o.buckets[b.Name] = bucketOwner{account: accountID, region: region}
	o.mu.Unlock()
	if hasPolicy(b.Policy) {
		_, err := client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(b.Name), Policy: aws.String(string(b.Policy))})
		if err != nil {
			return fmt.Errorf("put policy: %w", err)
		}
		return nil
	}
	if _, err := client.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(b.Name)}); err != nil && !awserr.Is(err, "NoSuchBucketPolicy") {
		return fmt.Errorf("delete policy: %w", err)
	}
	return nil
}

func (o *Org) seedQueue(ctx context.Context, accountID string, q SeedQueue) error {
	client := o.motoSQS(accountID, regionOr(q.Region))
	out, err := client.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(q.Name)})
	if err != nil {
		return fmt.Errorf("create: %w", err)
	}
	policy := ""
	if hasPolicy(q.Policy) {
		policy = string(q.Policy)
	}
	_, err = client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl:   out.QueueUrl,
		Attributes: map[string]string{"Policy": policy},
	})
	if err != nil {
		return fmt.Errorf("set policy: %w", err)
	}
	return nil
}
