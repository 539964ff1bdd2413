package localorg_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/localorg/localorgtest"
)

const lockout = `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAll","Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`

func pathStyle(o *s3.Options) { o.UsePathStyle = true }

func TestActionsOutsideTheTaskPolicyAreDenied(t *testing.T) {
	o := org(t)
	const acct = "555566667777"
	seed(t, o, `{"accounts": [{"id": "555566667777", "root": {"password": true, "access_keys": 1},
		"buckets": [{"name": "deny-test-data"}], "queues": [{"name": "deny-test-jobs"}]}]}`)
	ctx := context.Background()
	s3sess := rootSession(t, o, acct, localorg.TaskS3UnlockBucketPolicy)
	sqsSess := rootSession(t, o, acct, localorg.TaskSQSUnlockQueuePolicy)
	delSess := rootSession(t, o, acct, localorg.TaskDeleteRootUserCredentials)
	auditSess := rootSession(t, o, acct, localorg.TaskAuditRootUserCredentials)
	queueURL := "http://" + strings.TrimPrefix(o.Endpoint(), "http://") + "/" + acct + "/deny-test-jobs"

	tests := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"s3 PutObject in S3 session", func() error {
			_, err := s3.NewFromConfig(s3sess, pathStyle).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("deny-test-data"), Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		}, "AccessDenied", 403},
		{"s3 GetObject in S3 session", func() error {
			_, err := s3.NewFromConfig(s3sess, pathStyle).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("deny-test-data"), Key: aws.String("k")})
			return err
		}, "AccessDenied", 403},
		{"iam in S3 session", func() error {
			_, err := iam.NewFromConfig(s3sess).ListAccessKeys(ctx, &iam.ListAccessKeysInput{})
			return err
		}, "AccessDenied", 403},
		{"sqs SendMessage in SQS session", func() error {
			_, err := sqs.NewFromConfig(sqsSess).SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String("x")})
			return err
		}, "AccessDenied", 403},
		{"sqs AddPermission in SQS session", func() error {
			_, err := sqs.NewFromConfig(sqsSess).AddPermission(ctx, &sqs.AddPermissionInput{QueueUrl: aws.String(queueURL), Label: aws.String("l"),
				AWSAccountIds: []string{acct}, Actions: []string{"SendMessage"}})
			return err
		}, "AccessDenied", 403},
		{"sqs other account's queue in SQS session", func() error {
			_, err := sqs.NewFromConfig(sqsSess).GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(strings.Replace(queueURL, acct, management, 1))})
			return err
		}, "AccessDenied", 403},
		{"s3 in SQS session", func() error {
			_, err := s3.NewFromConfig(sqsSess, pathStyle).GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("deny-test-data")})
			return err
		}, "AccessDenied", 403},
		{"GetAccountSummary in delete session", func() error {
			_, err := iam.NewFromConfig(delSess).GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
			return err
		}, "AccessDenied", 403},
		{"DeleteLoginProfile in audit session", func() error {
			_, err := iam.NewFromConfig(auditSess).DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{})
			return err
		}, "AccessDenied", 403},
		{"iam call naming a user", func() error {
			_, err := iam.NewFromConfig(auditSess).ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("deploy")})
			return err
		}, "AccessDenied", 403},
		{"iam ListUsers in audit session", func() error {
			_, err := iam.NewFromConfig(auditSess).ListUsers(ctx, &iam.ListUsersInput{})
			return err
		}, "AccessDenied", 403},
		{"organizations in audit session", func() error {
			_, err := organizations.NewFromConfig(auditSess).ListAccounts(ctx, &organizations.ListAccountsInput{})
			return err
		}, "AccessDeniedException", 403},
		{"secretsmanager in audit session", func() error {
			_, err := secretsmanager.NewFromConfig(auditSess).ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
			return err
		}, "AccessDeniedException", 403},
		{"AssumeRole in audit session", func() error {
			_, err := sts.NewFromConfig(auditSess).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::" + acct + ":role/x"), RoleSessionName: aws.String("x")})
			return err
		}, "AccessDenied", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, tt.call(), tt.code, tt.status)
		})
	}
	// Nothing was written through the denied calls.
	if _, err := s3.NewFromConfig(localorgtest.MemberConfig(t, o, acct, "us-east-1"), pathStyle).HeadObject(ctx,
		&s3.HeadObjectInput{Bucket: aws.String("deny-test-data"), Key: aws.String("k")}); err == nil {
		t.Error("object written by a denied PutObject")
	}
}

func TestS3UnlockSessionActsOnTheMembersBucket(t *testing.T) {
	o := org(t)
	const acct = "555566668888"
	seed(t, o, `{"accounts": [{"id": "555566668888", "buckets": [
		{"name": "unlock-locked", "region": "eu-west-1", "policy": `+lockout+`},
		{"name": "unlock-open"}]}]}`)
	ctx := context.Background()
	n := len(localorgtest.State(t, o).Calls)
	client := s3.NewFromConfig(rootSession(t, o, acct, localorg.TaskS3UnlockBucketPolicy), pathStyle)

	got, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("unlock-locked")})
	if err != nil {
		t.Fatalf("GetBucketPolicy: %v", err)
	}
	if !jsonEqual(t, aws.ToString(got.Policy), lockout) {
		t.Errorf("policy = %s", aws.ToString(got.Policy))
	}
	_, err = client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String("unlock-open")})
	wantError(t, err, "NoSuchBucketPolicy", 404)

	repaired := `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::555566668888:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::unlock-locked/*"}]}`
	if _, err := client.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("unlock-locked"), Policy: aws.String(repaired)}); err != nil {
		t.Fatalf("PutBucketPolicy: %v", err)
	}
	buckets, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("ListBuckets: %v", err)
	}
	var names []string
	for _, b := range buckets.Buckets {
		names = append(names, aws.ToString(b.Name))
	}
	if !slices.Equal(names, []string{"unlock-locked", "unlock-open"}) {
		t.Errorf("ListBuckets in the member = %v", names)
	}
	st := stateOf(t, o, acct)
	if !jsonEqual(t, string(st.Buckets["unlock-locked"].Policy), repaired) || st.Buckets["unlock-open"].Policy != nil {
		t.Errorf("state buckets = %s", mustJSON(t, st.Buckets))
	}
	if _, err := client.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String("unlock-locked")}); err != nil {
		t.Fatalf("DeleteBucketPolicy: %v", err)
	}
	if p := stateOf(t, o, acct).Buckets["unlock-locked"].Policy; p != nil {
		t.Errorf("policy after delete = %s", p)
	}
	// The buckets belong to the member, not to the management account.
	mgmtBuckets, err := s3.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"), pathStyle).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		t.Fatalf("management ListBuckets: %v", err)
	}
	for _, b := range mgmtBuckets.Buckets {
		if strings.HasPrefix(aws.ToString(b.Name), "unlock-") {
			t.Errorf("management account lists the member's bucket %s", aws.ToString(b.Name))
		}
	}

	var actions []string
	for _, c := range localorgtest.State(t, o).Calls[n:] {
		if c.Account == acct && c.Service == "s3" {
			actions = append(actions, c.Action+" "+c.TaskPolicy)
		}
	}
	want := []string{"GetBucketPolicy S3UnlockBucketPolicy", "GetBucketPolicy S3UnlockBucketPolicy", "PutBucketPolicy S3UnlockBucketPolicy",
		"ListBuckets S3UnlockBucketPolicy", "DeleteBucketPolicy S3UnlockBucketPolicy"}
	if !slices.Equal(actions, want) {
		t.Errorf("s3 calls = %q, want %q", actions, want)
	}
}

func TestSQSUnlockSessionActsOnTheMembersQueue(t *testing.T) {
	o := org(t)
	const acct = "555566669999"
	seed(t, o, `{"accounts": [{"id": "555566669999", "queues": [{"name": "unlock-jobs", "region": "eu-west-1", "policy": `+lockout+`}]}]}`)
	ctx := context.Background()
	client := sqs.NewFromConfig(rootSession(t, o, acct, localorg.TaskSQSUnlockQueuePolicy).Copy(), func(o *sqs.Options) { o.Region = "eu-west-1" })

	url, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("unlock-jobs")})
	if err != nil {
		t.Fatalf("GetQueueUrl: %v", err)
	}
	if want := o.Endpoint() + "/" + acct + "/unlock-jobs"; aws.ToString(url.QueueUrl) != want {
		t.Errorf("queue URL %s, want %s", aws.ToString(url.QueueUrl), want)
	}
	attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: url.QueueUrl,
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	if !jsonEqual(t, attrs.Attributes["Policy"], lockout) {
		t.Errorf("Policy = %s", attrs.Attributes["Policy"])
	}
	list, err := client.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil || !slices.Equal(list.QueueUrls, []string{aws.ToString(url.QueueUrl)}) {
		t.Errorf("ListQueues = %v, %v", list, err)
	}
	if _, err := client.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: url.QueueUrl, Attributes: map[string]string{"Policy": ""}}); err != nil {
		t.Fatalf("SetQueueAttributes: %v", err)
	}
	q := stateOf(t, o, acct).Queues["unlock-jobs"]
	if q.Policy != nil || q.Region != "eu-west-1" || q.URL != aws.ToString(url.QueueUrl) {
		t.Errorf("queue state after removing the policy = %+v", q)
	}
}

func TestOrganizationsAccounts(t *testing.T) {
	o := org(t)
	seed(t, o, `{"accounts": [
		{"id": "666677778888", "name": "invited-one", "email": "invited@example.com", "joined": "invited"},
		{"id": "666677779999", "name": "created-one", "email": "created@example.com"}]}`)
	ctx := context.Background()
	client := organizations.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"))

	byID := map[string]string{}
	pages := 0
	p := organizations.NewListAccountsPaginator(client, &organizations.ListAccountsInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListAccounts: %v", err)
		}
		pages++
		for _, a := range page.Accounts {
			byID[aws.ToString(a.Id)] = strings.Join([]string{aws.ToString(a.Name), aws.ToString(a.Email), string(a.Status), string(a.JoinedMethod), aws.ToString(a.Arn)}, " ")
			if a.JoinedTimestamp == nil || a.JoinedTimestamp.Year() < 2020 {
				t.Errorf("account %s joined %v", aws.ToString(a.Id), a.JoinedTimestamp)
			}
		}
	}
	if pages < 2 {
		t.Errorf("%d pages of 2, want pagination", pages)
	}
	if got := byID["666677778888"]; got != "invited-one invited@example.com ACTIVE INVITED arn:aws:organizations::"+management+":account/"+localorg.DefaultOrganizationID+"/666677778888" {
		t.Errorf("invited account = %q", got)
	}
	if got := byID["666677779999"]; !strings.HasPrefix(got, "created-one created@example.com ACTIVE CREATED ") {
		t.Errorf("created account = %q", got)
	}
	if _, ok := byID[management]; !ok {
		t.Error("management account not listed")
	}

	d, err := client.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("666677778888")})
	if err != nil || aws.ToString(d.Account.Name) != "invited-one" {
		t.Fatalf("DescribeAccount = %+v, %v", d, err)
	}
	_, err = client.DescribeAccount(ctx, &organizations.DescribeAccountInput{AccountId: aws.String("000000000000")})
	wantError(t, err, "AccountNotFoundException", 400)
	org, err := client.DescribeOrganization(ctx, &organizations.DescribeOrganizationInput{})
	if err != nil || aws.ToString(org.Organization.MasterAccountId) != management || aws.ToString(org.Organization.Id) != localorg.DefaultOrganizationID {
		t.Fatalf("DescribeOrganization = %+v, %v", org, err)
	}
	member := organizations.NewFromConfig(localorgtest.MemberConfig(t, o, "666677778888", "us-east-1"))
	_, err = member.ListAccounts(ctx, &organizations.ListAccountsInput{})
	wantError(t, err, "AccessDeniedException", 400)
}

func TestFaultRules(t *testing.T) {
	o := org(t)
	const acct = "777788889999"
	seed(t, o, `{"accounts": [{"id": "777788889999"}, {"id": "777788880000"}]}`)
	ctx := context.Background()
	admin := o.Client()
	stsClient := sts.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"))
	assume := func(c *sts.Client, target string, opts ...func(*sts.Options)) error {
		_, err := c.AssumeRoot(ctx, &sts.AssumeRootInput{
			TargetPrincipal: aws.String(target),
			TaskPolicyArn:   &ststypes.PolicyDescriptorType{Arn: aws.String(localorg.TaskPolicyPrefix + localorg.TaskAuditRootUserCredentials)},
		}, opts...)
		return err
	}
	noRetry := func(o *sts.Options) { o.RetryMaxAttempts = 1 }

	t.Run("default retries ride out two throttles", func(t *testing.T) {
		if err := admin.SetFaults(ctx, []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "sts", Action: "AssumeRoot"}, Error: "Throttling", Status: 400, Times: 2}}); err != nil {
			t.Fatal(err)
		}
		n := len(localorgtest.State(t, o).Calls)
		if err := assume(stsClient, acct); err != nil {
			t.Fatalf("AssumeRoot with retries: %v", err)
		}
		var got []string
		for _, c := range localorgtest.State(t, o).Calls[n:] {
			got = append(got, c.Action+" "+c.ErrorCode)
		}
		if want := []string{"AssumeRoot Throttling", "AssumeRoot Throttling", "AssumeRoot "}; !slices.Equal(got, want) {
			t.Errorf("calls = %q, want %q", got, want)
		}
	})

	t.Run("account-specific failure", func(t *testing.T) {
		if err := admin.SetFaults(ctx, []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "sts", Action: "AssumeRoot", Account: acct, Caller: "management"},
			Error: "AccessDenied", Status: 403, Message: "account not ready"}}); err != nil {
			t.Fatal(err)
		}
		wantError(t, assume(stsClient, acct), "AccessDenied", 403)
		if err := assume(stsClient, "777788880000"); err != nil {
			t.Errorf("AssumeRoot into another account: %v", err)
		}
	})

	t.Run("latency", func(t *testing.T) {
		if err := admin.SetFaults(ctx, []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "sts", Action: "GetCallerIdentity"}, LatencyMS: 300}}); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 300*time.Millisecond {
			t.Errorf("GetCallerIdentity took %v, want at least 300ms", d)
		}
	})

	t.Run("rate limit answers each service's throttling error", func(t *testing.T) {
		if err := admin.SetFaults(ctx, []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "s3"}, RatePerSecond: 2}, {Match: localorg.FaultMatch{Service: "sts"}, RatePerSecond: 1}}); err != nil {
			t.Fatal(err)
		}
		s3c := s3.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"), pathStyle, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
		var s3codes []string
		for range 4 {
			_, err := s3c.ListBuckets(ctx, &s3.ListBucketsInput{})
			if err != nil {
				code, status := apiError(t, err)
				s3codes = append(s3codes, code+" "+http.StatusText(status))
			}
		}
		if len(s3codes) < 1 || len(s3codes) > 2 || s3codes[0] != "SlowDown Service Unavailable" {
			t.Errorf("s3 errors over 2/s = %q", s3codes)
		}
		if err := assume(stsClient, acct, noRetry); err != nil {
			t.Fatalf("first AssumeRoot: %v", err)
		}
		wantError(t, assume(stsClient, acct, noRetry), "Throttling", 400)
	})

	t.Run("json services", func(t *testing.T) {
		if err := admin.SetFaults(ctx, []localorg.FaultRule{{Match: localorg.FaultMatch{Service: "sqs"}, RatePerSecond: 0.001}, {Match: localorg.FaultMatch{Service: "organizations"}, Error: "ServiceException", Status: 500}}); err != nil {
			t.Fatal(err)
		}
		sqsc := sqs.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"), func(o *sqs.Options) { o.RetryMaxAttempts = 1 })
		// A rate below 1 still lets one request through, then none for 1000s.
		if _, err := sqsc.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
			t.Fatalf("first ListQueues at 0.001/s: %v", err)
		}
		_, err := sqsc.ListQueues(ctx, &sqs.ListQueuesInput{})
		wantError(t, err, "RequestThrottled", 400)
		orgc := organizations.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"), func(o *organizations.Options) { o.RetryMaxAttempts = 1 })
		_, err = orgc.ListAccounts(ctx, &organizations.ListAccountsInput{})
		wantError(t, err, "ServiceException", 500)
	})
}

func TestSlackSink(t *testing.T) {
	o := org(t)
	ctx := context.Background()
	url := o.Client().SlackWebhookURL()
	post := func(body string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		_, _ = b.ReadFrom(resp.Body)
		return resp, strings.TrimSpace(b.String())
	}
	before := len(localorgtest.State(t, o).Slack)
	if resp, body := post(`{"text": "root session opened"}`); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("post = %d %q", resp.StatusCode, body)
	}
	if resp, _ := post(`not json`); resp.StatusCode != 400 {
		t.Errorf("invalid payload answered %d", resp.StatusCode)
	}
	if err := o.Client().SetFaults(ctx, []localorg.FaultRule{
		{Match: localorg.FaultMatch{Service: "slack"}, Status: 429, Times: 1}, // the form: no error
		{Match: localorg.FaultMatch{Service: "slack"}, Error: "internal_error", Status: 500, Times: 1},
	}); err != nil {
		t.Fatal(err)
	}
	if resp, body := post(`{"text": "a"}`); resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || body != "rate_limited" {
		t.Errorf("first faulted post = %d %q Retry-After %q", resp.StatusCode, body, resp.Header.Get("Retry-After"))
	}
	if resp, _ := post(`{"text": "b"}`); resp.StatusCode != 500 {
		t.Errorf("second faulted post = %d", resp.StatusCode)
	}
	if resp, _ := post(`{"text": "c"}`); resp.StatusCode != 200 {
		t.Errorf("post after the faults = %d", resp.StatusCode)
	}
	got := localorgtest.State(t, o).Slack[before:]
	if len(got) != 2 || !jsonEqual(t, string(got[0]), `{"text": "root session opened"}`) || !jsonEqual(t, string(got[1]), `{"text": "c"}`) {
		t.Errorf("slack payloads = %s", got)
	}
}

func TestSNSPublishIsRecorded(t *testing.T) {
	o := org(t)
	ctx := context.Background()
	client := sns.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"))
	topic, err := client.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("rootguard-findings")})
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	before := len(localorgtest.State(t, o).SNS)
	_, err = client.Publish(ctx, &sns.PublishInput{
		TopicArn: topic.TopicArn, Subject: aws.String("Root session"), Message: aws.String(`{"finding":"x"}`),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"severity": {DataType: aws.String("String"), StringValue: aws.String("high")},
			"account":  {DataType: aws.String("String"), StringValue: aws.String("444455556666")},
		},
	})
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	_, err = client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:" + management + ":missing"), Message: aws.String("lost")})
	wantError(t, err, "NotFound", 404)
	got := localorgtest.State(t, o).SNS[before:]
	want := []localorg.SNSMessage{{TopicARN: aws.ToString(topic.TopicArn), Subject: "Root session", Message: `{"finding":"x"}`,
		Attributes: map[string]string{"severity": "high", "account": "444455556666"}}}
	if mustJSON(t, got) != mustJSON(t, want) {
		t.Errorf("sns = %s, want %s", mustJSON(t, got), mustJSON(t, want))
	}
}

func TestCallLogClassifiesCallers(t *testing.T) {
	o := org(t)
	const acct = "888899990000"
	seed(t, o, `{"accounts": [{"id": "888899990000"}]}`)
	ctx := context.Background()
	n := len(localorgtest.State(t, o).Calls)
	member := localorgtest.MemberConfig(t, o, acct, "eu-west-1")
	id, err := sts.NewFromConfig(member).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != acct {
		t.Fatalf("member GetCallerIdentity = %+v, %v", id, err)
	}
	if _, err := sqs.NewFromConfig(member).CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("member-made")}); err != nil {
		t.Fatalf("member CreateQueue: %v", err)
	}
	_, err = sqs.NewFromConfig(member).GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
	wantError(t, err, "AWS.SimpleQueueService.NonExistentQueue", 400)

	var got []string
	for _, c := range localorgtest.State(t, o).Calls[n:] {
		got = append(got, strings.Join([]string{c.Account, c.Service, c.Action, c.Caller, c.Region, http.StatusText(c.Status), c.ErrorCode}, " "))
	}
	want := []string{
		management + " sts AssumeRole management eu-west-1 OK ",
		acct + " sts GetCallerIdentity member eu-west-1 OK ",
		acct + " sqs CreateQueue member eu-west-1 OK ",
		acct + " sqs GetQueueUrl member eu-west-1 Bad Request AWS.SimpleQueueService.NonExistentQueue",
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls =\n%q\nwant\n%q", got, want)
	}
	if q, ok := stateOf(t, o, acct).Queues["member-made"]; !ok || q.Region != "eu-west-1" {
		t.Errorf("member queue in state = %+v", q)
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Errorf("not JSON: %q", a)
		return false
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("not JSON: %q", b)
	}
	return mustJSON(t, x) == mustJSON(t, y)
}

// TestBucketOwnership: moto has one bucket namespace; the layer answers for
// a bucket's owner as S3 does (facts §6).
func TestBucketOwnership(t *testing.T) {
	o := org(t)
	const owner, other = "444455556666", "555566667777"
	seed(t, o, `{"accounts": [{"id": "444455556666", "buckets": [{"name": "owned-data", "policy": `+lockout+`}]}, {"id": "555566667777"}]}`)
	ctx := context.Background()
	bucket := aws.String("owned-data")
	s3For := func(cfg aws.Config) *s3.Client {
		return s3.NewFromConfig(cfg, pathStyle, func(o *s3.Options) { o.RetryMaxAttempts = 1 })
	}
	otherRoot := s3For(rootSession(t, o, other, localorg.TaskS3UnlockBucketPolicy))
	otherMember := s3For(localorgtest.MemberConfig(t, o, other, "us-east-1"))
	mgmt := s3For(localorgtest.AWSConfig(t, o, "us-east-1"))
	ownerRoot := s3For(rootSession(t, o, owner, localorg.TaskS3UnlockBucketPolicy))
	ownerMember := s3For(localorgtest.MemberConfig(t, o, owner, "us-east-1"))
	getPolicy := func(c *s3.Client) func() error {
		return func() error {
			_, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: bucket})
			return err
		}
	}

	tests := []struct {
		name   string
		call   func() error
		code   string // "" for success
		status int
	}{
		{"root session of another account: GetBucketPolicy", getPolicy(otherRoot), "MethodNotAllowed", 405},
		{"root session of another account: PutBucketPolicy", func() error {
			_, err := otherRoot.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket, Policy: aws.String(`{"Version":"2012-10-17","Statement":[]}`)})
			return err
		}, "MethodNotAllowed", 405},
		{"root session of another account: DeleteBucketPolicy", func() error {
			_, err := otherRoot.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bucket})
			return err
		}, "MethodNotAllowed", 405},
		{"management on a member's bucket: GetBucketPolicy", getPolicy(mgmt), "AccessDenied", 403},
		{"management on a member's bucket: DeleteBucketPolicy", func() error {
			_, err := mgmt.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: bucket})
			return err
		}, "AccessDenied", 403},
		{"management on a member's bucket: PutObject", func() error {
			_, err := mgmt.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("k"), Body: strings.NewReader("x")})
			return err
		}, "AccessDenied", 403},
		{"another member: GetBucketPolicy", getPolicy(otherMember), "AccessDenied", 403},
		{"another member: CreateBucket of the name", func() error {
			_, err := otherMember.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bucket})
			return err
		}, "BucketAlreadyExists", 409},
		{"owner's root session", getPolicy(ownerRoot), "", 200},
		{"owner's member credentials", getPolicy(ownerMember), "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if tt.code == "" {
				if err != nil {
					t.Fatalf("want success, got %v", err)
				}
				return
			}
			wantError(t, err, tt.code, tt.status)
		})
	}
	if p := stateOf(t, o, owner).Buckets["owned-data"].Policy; !jsonEqual(t, string(p), lockout) {
		t.Errorf("policy after refused calls = %s", p)
	}

	t.Run("buckets created and deleted through the layer", func(t *testing.T) {
		name := aws.String("made-by-member")
		if _, err := otherMember.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: name}); err != nil {
			t.Fatalf("CreateBucket: %v", err)
		}
		_, err := mgmt.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: name})
		if code, status := apiError(t, err); status != 403 {
			t.Errorf("management HeadBucket on the member's new bucket = %s (%d), want 403", code, status)
		}
		if _, err := otherMember.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: name}); err != nil {
			t.Fatalf("DeleteBucket: %v", err)
		}
		// Deleted, the name is free for anyone.
		if _, err := mgmt.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: name}); err != nil {
			t.Fatalf("management CreateBucket of the freed name: %v", err)
		}
		if _, err := mgmt.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: name}); err != nil {
			t.Fatalf("management DeleteBucket: %v", err)
		}
	})
}

// TestAssumeRoleOutsideTheOrganization: moto would hand out keys for any
// account; the layer only lets the organization's accounts be assumed.
func TestAssumeRoleOutsideTheOrganization(t *testing.T) {
	o := org(t)
	ctx := context.Background()
	mgmt := sts.NewFromConfig(localorgtest.AWSConfig(t, o, "us-east-1"))
	_, err := mgmt.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::999988887777:role/OrganizationAccountAccessRole"),
		RoleSessionName: aws.String("outside"),
	})
	wantError(t, err, "AccessDenied", 403)

	// A role of the management account itself goes to moto; its keys stay
	// the management account's.
	out, err := mgmt.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String("arn:aws:iam::" + management + ":role/Admin"),
		RoleSessionName: aws.String("own"),
	})
	if err != nil {
		t.Fatalf("AssumeRole into the management account's own role: %v", err)
	}
	cfg := localorgtest.AWSConfig(t, o, "us-east-1")
	cfg.Credentials = staticCreds(out.Credentials)
	n := len(localorgtest.State(t, o).Calls)
	if _, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	calls := localorgtest.State(t, o).Calls[n:]
	if len(calls) != 1 || calls[0].Caller != localorg.CallerManagement || calls[0].Account != management {
		t.Errorf("calls with the management role's keys = %+v", calls)
	}
}

// TestStateQueuesInTwoRegions: one queue name in two regions of an account
// must not collapse into one state entry.
func TestStateQueuesInTwoRegions(t *testing.T) {
	o := org(t)
	const acct = "555566660000"
	seed(t, o, `{"accounts": [{"id": "555566660000", "queues": [
		{"name": "twin-jobs", "region": "us-east-1"}, {"name": "twin-jobs", "region": "eu-west-1", "policy": `+lockout+`},
		{"name": "single-jobs", "region": "eu-west-1"}]}]}`)
	queues := stateOf(t, o, acct).Queues
	var keys []string
	for k := range queues {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"eu-west-1/twin-jobs", "single-jobs", "us-east-1/twin-jobs"}; !slices.Equal(keys, want) {
		t.Fatalf("queue keys = %q, want %q", keys, want)
	}
	if q := queues["eu-west-1/twin-jobs"]; q.Region != "eu-west-1" || !jsonEqual(t, string(q.Policy), lockout) {
		t.Errorf("eu-west-1 twin = %+v", q)
	}
	if q := queues["us-east-1/twin-jobs"]; q.Region != "us-east-1" || q.Policy != nil {
		t.Errorf("us-east-1 twin = %+v", q)
	}
}
