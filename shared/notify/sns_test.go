package notify

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

// fakeSNS is an SNS client whose Publish is a function field.
type fakeSNS struct {
	publish func(ctx context.Context, in *sns.PublishInput) (*sns.PublishOutput, error)
}

func (f *fakeSNS) Publish(ctx context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	return f.publish(ctx, in)
}

const testTopic = "arn:aws:sns:us-east-1:111122223333:rootguard-findings"

func TestSNSPublish(t *testing.T) {
	f := validFinding()
	f.Details = Details{{"caller", "arn:aws:iam::111122223333:role/ops"}}
	f.Actions = []string{"none"}
	var got *sns.PublishInput
	sink := snsSink{topicARN: testTopic, client: &fakeSNS{publish: func(_ context.Context, in *sns.PublishInput) (*sns.PublishOutput, error) {
		got = in
		return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
	}}}
	id, err := sink.publish(context.Background(), f)
	if err != nil || id != "m-1" {
		t.Fatalf("publish = %q, %v", id, err)
	}
	if aws.ToString(got.TopicArn) != testTopic {
		t.Errorf("TopicArn = %q", aws.ToString(got.TopicArn))
	}
	if s := aws.ToString(got.Subject); s != "rootguard HIGH: root session opened" {
		t.Errorf("Subject = %q", s)
	}
	var body Finding
	if err := json.Unmarshal([]byte(aws.ToString(got.Message)), &body); err != nil {
		t.Fatalf("message is not a Finding: %v", err)
	}
	if !reflect.DeepEqual(body, f) {
		t.Errorf("message =\n%#v\nwant\n%#v", body, f)
	}
	for name, want := range map[string]string{"severity": "high", "kind": "root-session"} {
		a, ok := got.MessageAttributes[name]
		if !ok || aws.ToString(a.DataType) != "String" || aws.ToString(a.StringValue) != want {
			t.Errorf("attribute %s = %+v, want String %q", name, a, want)
		}
	}
	if len(got.MessageAttributes) != 2 {
		t.Errorf("attributes = %v, want severity and kind only", got.MessageAttributes)
	}
	if got.MessageGroupId != nil || got.MessageDeduplicationId != nil {
		t.Error("standard topic got FIFO parameters")
	}
}

func TestSNSPublishFIFO(t *testing.T) {
	f := validFinding()
	var got *sns.PublishInput
	sink := snsSink{topicARN: testTopic + ".fifo", client: &fakeSNS{publish: func(_ context.Context, in *sns.PublishInput) (*sns.PublishOutput, error) {
		got = in
		return &sns.PublishOutput{}, nil
	}}}
	if _, err := sink.publish(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.MessageDeduplicationId) != f.ID || aws.ToString(got.MessageGroupId) != f.AccountID {
		t.Errorf("dedup id %q, group %q; want %q, %q", aws.ToString(got.MessageDeduplicationId), aws.ToString(got.MessageGroupId), f.ID, f.AccountID)
	}
}

func TestSNSPublishErrors(t *testing.T) {
	calls := 0
	fail := errors.New("AuthorizationError")
	sink := snsSink{topicARN: testTopic, client: &fakeSNS{publish: func(context.Context, *sns.PublishInput) (*sns.PublishOutput, error) {
		calls++
		return nil, fail
	}}}
	if _, err := sink.publish(context.Background(), validFinding()); !errors.Is(err, fail) {
		t.Errorf("publish error = %v, want the client's", err)
	}

	calls = 0
	big := validFinding()
	big.Details = Details{{"policy", strings.Repeat("x", maxSNSMessage)}}
	_, err := sink.publish(context.Background(), big)
	if err == nil || !strings.Contains(err.Error(), "more than SNS accepts") {
		t.Errorf("oversized finding: error = %v", err)
	}
	if calls != 0 {
		t.Errorf("oversized finding was published (%d calls)", calls)
	}
}

func TestSubject(t *testing.T) {
	tests := []struct {
		name     string
		severity Severity
		summary  string
		want     string
	}{
		{"plain", SeverityCritical, "root signed in to 444455556666 without MFA", "rootguard CRITICAL: root signed in to 444455556666 without MFA"},
		{"newlines and tabs", SeverityHigh, "line one\r\nline\ttwo\n", "rootguard HIGH: line one line two"},
		{"control characters", SeverityLow, "a\x00b\x1bc\x7fd\u0085e", "rootguard LOW: a b c d e"},
		{"non-ASCII", SeverityInfo, "Zugriff für Konto «prod» 🔥", "rootguard INFO: Zugriff f?r Konto ?prod? ?"},
		{"line separator", SeverityMedium, "a\u2028b", "rootguard MEDIUM: a b"},
		{"invalid UTF-8", SeverityMedium, "a\xffb", "rootguard MEDIUM: a?b"},
		{"long", SeverityHigh, strings.Repeat("abcdefghij ", 20), "rootguard HIGH: abcdefghij abcdefghij abcdefghij abcdefghij abcdefghij abcdefghij abcdefghij abc..."},
		{"long ending in space", SeverityHigh, strings.Repeat("a", 79) + "          tail", "rootguard HIGH: " + strings.Repeat("a", 79) + "..."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validFinding()
			f.Severity, f.Summary = tt.severity, tt.summary
			got := Subject(f)
			if got != tt.want {
				t.Errorf("Subject = %q, want %q", got, tt.want)
			}
			if len(got) >= 100 {
				t.Errorf("Subject has %d characters, SNS wants fewer than 100", len(got))
			}
			for _, r := range got {
				if r < 0x20 || r > 0x7e {
					t.Fatalf("Subject %q holds %U", got, r)
				}
			}
		})
	}
}
