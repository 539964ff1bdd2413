package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
)

// snsPublisher is the SNS call the notifier makes.
type snsPublisher interface {
	Publish(ctx context.Context, params *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ snsPublisher = (*sns.Client)(nil)

const (
	// SNS accepts subjects of fewer than 100 characters.
	maxSubject = 99
	// SNS messages, attributes included, are at most 256 KiB.
	maxSNSMessage = 256 * 1024
)

// snsSink publishes findings to one topic.
type snsSink struct {
	client   snsPublisher
	topicARN string
}

// publish sends f as JSON with a readable subject and the attributes
// severity and kind, which subscription filter policies can match. It
// returns the SNS message id.
func (s snsSink) publish(ctx context.Context, f Finding) (string, error) {
	body, err := snsBody(f)
	if err != nil {
		return "", err
	}
	attrs := map[string]types.MessageAttributeValue{
		"severity": {DataType: aws.String("String"), StringValue: aws.String(string(f.Severity))},
		"kind":     {DataType: aws.String("String"), StringValue: aws.String(string(f.Kind))},
	}
	size := len(body)
	for name, v := range attrs {
		size += len(name) + len(*v.DataType) + len(*v.StringValue)
	}
	if size > maxSNSMessage {
		return "", fmt.Errorf("finding %s is %d bytes, more than SNS accepts (%d)", f.ID, size, maxSNSMessage)
	}
	in := &sns.PublishInput{
		TopicArn:          aws.String(s.topicARN),
		Message:           aws.String(string(body)),
		Subject:           aws.String(Subject(f)),
		MessageAttributes: attrs,
	}
	if strings.HasSuffix(s.topicARN, ".fifo") {
		// A FIFO topic drops a repeated finding id within its
		// deduplication interval: redelivered events stay silent.
		group := f.AccountID
		if group == "" {
			group = "organization"
		}
		in.MessageGroupId = aws.String(group)
		in.MessageDeduplicationId = aws.String(f.ID)
	}
	out, err := s.client.Publish(ctx, in)
	if err != nil {
		return "", err
	}
	return aws.ToString(out.MessageId), nil
}

// snsBody is the finding as indented JSON, readable in e-mail subscriptions.
func snsBody(f Finding) ([]byte, error) {
	compact, err := marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode finding %s: %w", f.ID, err)
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		return nil, fmt.Errorf("encode finding %s: %w", f.ID, err)
	}
	return b.Bytes(), nil
}

// Subject is the SNS subject of f: "rootguard HIGH: <summary>", printable
// ASCII only (anything else becomes '?', control characters and line
// breaks become spaces), shortened to fewer than 100 characters.
func Subject(f Finding) string {
	raw := "rootguard " + strings.ToUpper(string(f.Severity)) + ": " + f.Summary
	var b strings.Builder
	space := false
	for _, r := range raw {
		switch {
		case r < 0x20 || r == 0x7f || r == ' ' || (r >= 0x80 && r <= 0x9f) || r == '\u2028' || r == '\u2029':
			space = true
			continue
		case r > 0x7e:
			r = '?'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	s := b.String()
	if len(s) > maxSubject {
		s = strings.TrimRight(s[:maxSubject-3], " ") + "..."
	}
	return s
}
