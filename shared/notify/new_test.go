package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// startMoto runs moto_server on a free loopback port for this test and
// returns an aws.Config pointing at it (home region us-east-1).
func startMoto(t *testing.T) aws.Config {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		if os.Getenv("ROOTGUARD_REQUIRE_E2E") != "" {
			t.Fatal("moto_server not found: install it with  pip install 'moto[server]>=5.2'")
		}
		t.Skip("moto_server not found")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	endpoint := "http://" + addr
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(endpoint + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not start: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
	}
}

// TestNewDeliverMoto runs New and Deliver with the real SDK clients: the
// topic and the secret live in other regions than the function, so the
// clients must take their region from the ARNs.
func TestNewDeliverMoto(t *testing.T) {
	cfg := startMoto(t)
	ctx := context.Background()
	west := func(region string) aws.Config { c := cfg.Copy(); c.Region = region; return c }

	slack := newSlackServer(t, ok200)
	topic, err := sns.NewFromConfig(west("us-west-2")).CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("rootguard-findings")})
	if err != nil {
		t.Fatal(err)
	}
	sq := sqs.NewFromConfig(west("us-west-2"))
	queue, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("findings")})
	if err != nil {
		t.Fatal(err)
	}
	qattrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: queue.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sns.NewFromConfig(west("us-west-2")).Subscribe(ctx, &sns.SubscribeInput{
		TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(qattrs.Attributes["QueueArn"]),
	}); err != nil {
		t.Fatal(err)
	}
	secret, err := secretsmanager.NewFromConfig(west("eu-west-1")).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("rootguard/slack"), SecretString: aws.String(fmt.Sprintf(`{"url": %q}`, slack.url())),
	})
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ParseSecretRef(aws.ToString(secret.ARN))
	if err != nil {
		t.Fatal(err)
	}

	n, err := New(ctx, cfg, Config{TopicARN: aws.ToString(topic.TopicArn), SlackWebhook: ref}, nil)
	if err != nil {
		t.Fatalf("New = %v", err)
	}
	f := goldenFindings()["hostile-console-login"]
	if err := n.Deliver(ctx, f); err != nil {
		t.Fatalf("Deliver = %v", err)
	}

	if slack.requests() != 1 {
		t.Errorf("slack got %d requests, want 1", slack.requests())
	}
	msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: queue.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs.Messages) != 1 {
		t.Fatalf("queue got %d messages, want 1", len(msgs.Messages))
	}
	var envelope struct {
		Subject           string
		Message           string
		MessageAttributes map[string]struct{ Type, Value string }
	}
	if err := json.Unmarshal([]byte(aws.ToString(msgs.Messages[0].Body)), &envelope); err != nil {
		t.Fatal(err)
	}
	if envelope.Subject != Subject(f) {
		t.Errorf("Subject = %q, want %q", envelope.Subject, Subject(f))
	}
	var got Finding
	if err := json.Unmarshal([]byte(envelope.Message), &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != f.ID || got.AccountName != f.AccountName || got.Severity != f.Severity {
		t.Errorf("message = %+v", got)
	}
	for name, want := range map[string]string{"severity": "critical", "kind": "root-console-login"} {
		if a := envelope.MessageAttributes[name]; a.Type != "String" || a.Value != want {
			t.Errorf("attribute %s = %+v, want String %s", name, a, want)
		}
	}
}

func TestNewWebhookMoto(t *testing.T) {
	cfg := startMoto(t)
	ctx := context.Background()
	params := ssm.NewFromConfig(cfg)
	put := func(name, value string) {
		t.Helper()
		if _, err := params.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString,
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("/rootguard/slack", "http://127.0.0.1:9/_localorg/slack")
	put("/rootguard/bad", "http://hooks.slack.example/services/s3cr3t")

	for _, tt := range []struct {
		ref     string
		wantErr string
	}{
		{ref: "/rootguard/slack"},
		{ref: "arn:aws:ssm:us-east-1:123456789012:parameter/rootguard/slack"},
		{ref: "/rootguard/bad", wantErr: "https is required"},
		{ref: "/rootguard/missing", wantErr: "ParameterNotFound"},
		{ref: "arn:aws:secretsmanager:us-east-1:123456789012:secret:nothing-AbCdEf", wantErr: "ResourceNotFound"},
	} {
		ref, err := ParseSecretRef(tt.ref)
		if err != nil {
			t.Fatal(err)
		}
		n, err := New(ctx, cfg, Config{SlackWebhook: ref}, nil)
		if tt.wantErr == "" {
			if err != nil || n.slack == nil || n.slack.url != "http://127.0.0.1:9/_localorg/slack" {
				t.Errorf("New(%s) = %v", tt.ref, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.ref) {
			t.Errorf("New(%s) error = %v, want %q and the reference", tt.ref, err, tt.wantErr)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error reveals the URL: %v", err)
		}
	}
}
