package localorg

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	const scope = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/%s/%s/aws4_request, SignedHeaders=host, Signature=x"
	sign := func(region, service string) http.Header {
		return http.Header{"Authorization": {fmt.Sprintf(scope, region, service)}}
	}
	tests := []struct {
		name           string
		method, target string
		header         http.Header
		body           string
		// want
		service, region, action, iamAction, bucket string
		protocol                                   protocol
	}{
		{name: "query form", method: "POST", target: "/", header: withType(sign("us-east-1", "sts"), "application/x-www-form-urlencoded"),
			body: "Action=AssumeRoot&Version=2011-06-15", service: "sts", region: "us-east-1", action: "AssumeRoot", iamAction: "AssumeRoot", protocol: protoQuery},
		{name: "query in URL", method: "GET", target: "/?Action=ListUsers", header: sign("us-east-1", "iam"),
			service: "iam", region: "us-east-1", action: "ListUsers", iamAction: "ListUsers", protocol: protoQuery},
		{name: "json target", method: "POST", target: "/", header: withTarget(sign("eu-west-1", "sqs"), "AmazonSQS.SetQueueAttributes"),
			body: `{"QueueUrl": "u"}`, service: "sqs", region: "eu-west-1", action: "SetQueueAttributes", iamAction: "SetQueueAttributes", protocol: protoJSON},
		{name: "json target without scope", method: "POST", target: "/", header: withTarget(http.Header{}, "AWSOrganizationsV20161128.ListAccounts"),
			service: "organizations", action: "ListAccounts", iamAction: "ListAccounts", protocol: protoJSON},
		{name: "s3 presigned", method: "GET", target: "/data/k?X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250101%2Fus-west-2%2Fs3%2Faws4_request",
			header: http.Header{}, service: "s3", region: "us-west-2", action: "GetObject", iamAction: "GetObject", bucket: "data", protocol: protoS3},
		{name: "s3 bucket policy", method: "PUT", target: "/data?policy", header: sign("us-east-1", "s3"),
			service: "s3", region: "us-east-1", action: "PutBucketPolicy", iamAction: "PutBucketPolicy", bucket: "data", protocol: protoS3},
		{name: "other REST", method: "GET", target: "/2015-03-31/functions", header: sign("us-east-1", "lambda"),
			service: "lambda", region: "us-east-1", action: "GET /2015-03-31/functions", iamAction: "GET /2015-03-31/functions", protocol: protoREST},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, strings.NewReader(tt.body))
			for k, v := range tt.header {
				r.Header[k] = v
			}
			req := classify(r, []byte(tt.body))
			wantKey := ""
			if tt.region != "" {
				wantKey = ManagementKeyID
			}
			got := fmt.Sprint([]any{req.keyID, req.service, req.region, req.action, req.iamAction, req.bucket, req.protocol})
			want := fmt.Sprint([]any{wantKey, tt.service, tt.region, tt.action, tt.iamAction, tt.bucket, tt.protocol})
			if got != want {
				t.Errorf("classify = %s, want %s", got, want)
			}
		})
	}
}

func withType(h http.Header, ctype string) http.Header {
	h.Set("Content-Type", ctype)
	return h
}

func withTarget(h http.Header, target string) http.Header {
	h.Set("X-Amz-Target", target)
	h.Set("Content-Type", "application/x-amz-json-1.0")
	return h
}

func TestS3Action(t *testing.T) {
	tests := []struct {
		method, target, copySource string
		action, iamAction          string
	}{
		{"GET", "/", "", "ListBuckets", "ListAllMyBuckets"},
		{"GET", "/b?list-type=2", "", "ListObjectsV2", "ListBucket"},
		{"GET", "/b", "", "ListObjects", "ListBucket"},
		{"HEAD", "/b", "", "HeadBucket", "ListBucket"},
		{"PUT", "/b", "", "CreateBucket", "CreateBucket"},
		{"DELETE", "/b", "", "DeleteBucket", "DeleteBucket"},
		{"GET", "/b?policy", "", "GetBucketPolicy", "GetBucketPolicy"},
		{"PUT", "/b?policy", "", "PutBucketPolicy", "PutBucketPolicy"},
		{"DELETE", "/b?policy", "", "DeleteBucketPolicy", "DeleteBucketPolicy"},
		{"GET", "/b?policyStatus", "", "GetBucketPolicyStatus", "GetBucketPolicyStatus"},
		{"GET", "/b?encryption", "", "GetBucketEncryption", "GetEncryptionConfiguration"},
		{"DELETE", "/b?encryption", "", "DeleteBucketEncryption", "PutEncryptionConfiguration"},
		{"GET", "/b?lifecycle", "", "GetBucketLifecycleConfiguration", "GetLifecycleConfiguration"},
		{"PUT", "/b?cors", "", "PutBucketCors", "PutBucketCORS"},
		{"GET", "/b?replication", "", "GetBucketReplication", "GetReplicationConfiguration"},
		{"GET", "/b?publicAccessBlock", "", "GetPublicAccessBlock", "GetBucketPublicAccessBlock"},
		{"GET", "/b?notification", "", "GetBucketNotificationConfiguration", "GetBucketNotification"},
		{"GET", "/b?accelerate", "", "GetBucketAccelerateConfiguration", "GetAccelerateConfiguration"},
		{"PUT", "/b?object-lock", "", "PutObjectLockConfiguration", "PutBucketObjectLockConfiguration"},
		{"GET", "/b?location", "", "GetBucketLocation", "GetBucketLocation"},
		{"GET", "/b?versions", "", "ListObjectVersions", "ListBucketVersions"},
		{"GET", "/b?uploads", "", "ListMultipartUploads", "ListBucketMultipartUploads"},
		{"POST", "/b?delete", "", "DeleteObjects", "DeleteObject"},
		{"GET", "/b/k", "", "GetObject", "GetObject"},
		{"HEAD", "/b/k", "", "HeadObject", "GetObject"},
		{"PUT", "/b/k", "", "PutObject", "PutObject"},
		{"PUT", "/b/k", "/src/k", "CopyObject", "PutObject"},
		{"DELETE", "/b/k/deeper", "", "DeleteObject", "DeleteObject"},
		{"GET", "/b/k?acl", "", "GetObjectAcl", "GetObjectAcl"},
		{"DELETE", "/b/k?tagging", "", "DeleteObjectTagging", "DeleteObjectTagging"},
		{"POST", "/b/k?uploads", "", "CreateMultipartUpload", "PutObject"},
		{"PUT", "/b/k?partNumber=1&uploadId=u", "", "UploadPart", "PutObject"},
		{"GET", "/b/k?uploadId=u", "", "ListParts", "ListMultipartUploadParts"},
		{"DELETE", "/b/k?uploadId=u", "", "AbortMultipartUpload", "AbortMultipartUpload"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.target, nil)
			if tt.copySource != "" {
				r.Header.Set("X-Amz-Copy-Source", tt.copySource)
			}
			action, iamAction := s3Action(r.Method, r.URL.Path, r.URL.Query(), r.Header)
			if action != tt.action || iamAction != tt.iamAction {
				t.Errorf("s3Action = %s, %s; want %s, %s", action, iamAction, tt.action, tt.iamAction)
			}
		})
	}
}
