package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/rootguard/rootguard/shared/lockout"
	"github.com/rootguard/rootguard/shared/rootsession"
	"github.com/rootguard/rootguard/shared/trail"
	"github.com/rootguard/rootguard/shared/unlock"
)

// queuePolicyAPI is what the unlocker calls in a root session: the
// attribute calls SQSUnlockQueuePolicy allows.
type queuePolicyAPI interface {
	GetQueueAttributes(ctx context.Context, params *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	SetQueueAttributes(ctx context.Context, params *sqs.SetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.SetQueueAttributesOutput, error)
}

var _ queuePolicyAPI = (*sqs.Client)(nil)

// sqsMaxAttempts rides out throttling; beyond it the function fails and
// Lambda retries the event.
const sqsMaxAttempts = 6

// newSQSClient is the SQS client of a root session.
func newSQSClient(session aws.Config) queuePolicyAPI {
	return sqs.NewFromConfig(session, func(o *sqs.Options) { o.RetryMaxAttempts = sqsMaxAttempts })
}

// queues is the SQS side of the unlock flow.
type queues struct {
	client func(session aws.Config) queuePolicyAPI
}

var _ unlock.Service = queues{}

func (queues) Task() rootsession.Task { return rootsession.UnlockSQSQueuePolicy }

// Change decodes SetQueueAttributes and CreateQueue calls that set the
// Policy attribute; the queue's account and region come from its URL.
func (queues) Change(rec trail.Record) (unlock.Change, error) {
	if k := rec.Kind(); k != trail.KindSetQueueAttributes && k != trail.KindCreateQueue {
		return unlock.Change{}, fmt.Errorf("%s %s sets no queue policy: %w", rec.EventSource, rec.EventName, trail.ErrNotApplicable)
	}
	c, err := rec.QueuePolicy()
	if err != nil {
		return unlock.Change{}, err
	}
	if !c.HasPolicy {
		return unlock.Change{}, fmt.Errorf("%s of %s sets no Policy attribute: %w", rec.EventName, c.Queue.Name, trail.ErrNotApplicable)
	}
	q := c.Queue
	return unlock.Change{
		Target: unlock.Target{
			Service:   lockout.SQS,
			Name:      q.Name,
			ARN:       q.ARN(),
			URL:       q.URL,
			AccountID: q.AccountID,
			Region:    q.Region,
		},
		Policy: c.Policy,
	}, nil
}

func (s queues) Policies(session aws.Config, t unlock.Target) unlock.Policies {
	return queuePolicy{client: s.client(session), url: t.URL, name: t.Name}
}

// queuePolicy is one queue's Policy attribute.
type queuePolicy struct {
	client queuePolicyAPI
	url    string
	name   string
}

func (p queuePolicy) Get(ctx context.Context) (json.RawMessage, error) {
	out, err := p.client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(p.url),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy},
	})
	if err != nil {
		return nil, p.wrap("get queue attributes", err)
	}
	policy := out.Attributes[string(sqstypes.QueueAttributeNamePolicy)]
	if strings.TrimSpace(policy) == "" {
		return nil, nil
	}
	return json.RawMessage(policy), nil
}

func (p queuePolicy) Put(ctx context.Context, policy json.RawMessage) error {
	return p.set(ctx, string(policy))
}

// Delete sets the Policy attribute to "", which removes it.
func (p queuePolicy) Delete(ctx context.Context) error { return p.set(ctx, "") }

func (p queuePolicy) set(ctx context.Context, policy string) error {
	_, err := p.client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{
		QueueUrl:   aws.String(p.url),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNamePolicy): policy},
	})
	return p.wrap("set queue attributes", err)
}

func (p queuePolicy) wrap(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case isQueueGone(err):
		return fmt.Errorf("%s of %s: %w: %w", op, p.name, unlock.ErrGone, err)
	}
	return fmt.Errorf("%s of %s: %w", op, p.name, err)
}

// isQueueGone recognises a deleted queue: QueueDoesNotExist in the JSON
// protocol, AWS.SimpleQueueService.NonExistentQueue in the query protocol.
func isQueueGone(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	code := apiErr.ErrorCode()
	return code == "QueueDoesNotExist" || code == "AWS.SimpleQueueService.NonExistentQueue"
}
