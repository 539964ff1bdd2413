package localorg

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// protocol is how a service frames requests and errors.
type protocol int

const (
	protoQuery protocol = iota // form-encoded Action, XML responses (STS, IAM, SNS)
	protoJSON                  // X-Amz-Target, JSON (SQS, Organizations, Secrets Manager, SSM)
	protoS3                    // REST XML of S3
	protoREST                  // other REST services: JSON errors
)

// request is one incoming AWS request, classified.
type request struct {
	http     *http.Request
	body     []byte
	protocol protocol
	service  string // SigV4 signing name, e.g. "sts", "s3"
	region   string
	action   string // API operation, e.g. "ListBuckets"
	// iamAction is the action as IAM policies name it, where it differs from
	// the operation (s3:ListAllMyBuckets for ListBuckets).
	iamAction string
	bucket    string         // S3: the bucket of a path-style request
	params    url.Values     // Query protocol parameters
	jsonBody  map[string]any // JSON protocol body
	keyID     string
	caller    string // CallerManagement, CallerMember or CallerRootSession
	account   string // account the request acts in
	session   *rootSession
	requestID string
}

// Caller kinds in the call log.
const (
	CallerManagement  = "management"
	CallerMember      = "member"
	CallerRootSession = "root-session"
)

var credentialPattern = regexp.MustCompile(`Credential=([^/,\s]+)/([^/,\s]+)/([^/,\s]+)/([^/,\s]+)/aws4_request`)

// jsonTargetServices maps X-Amz-Target prefixes to signing names, for requests
// that carry no SigV4 scope.
var jsonTargetServices = map[string]string{
	"AmazonSQS":                 "sqs",
	"AWSOrganizationsV20161128": "organizations",
	"secretsmanager":            "secretsmanager",
	"AmazonSSM":                 "ssm",
}

// classify reads what the request is: who signed it, which service and action.
func classify(r *http.Request, body []byte) *request {
	req := &request{http: r, body: body, requestID: newRequestID()}
	if m := credentialPattern.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		req.keyID, req.region, req.service = m[1], m[3], m[4]
	} else if cred := r.URL.Query().Get("X-Amz-Credential"); cred != "" {
		parts := strings.Split(cred, "/")
		if len(parts) == 5 {
			req.keyID, req.region, req.service = parts[0], parts[2], parts[3]
		}
	}
	ctype := r.Header.Get("Content-Type")
	switch target := r.Header.Get("X-Amz-Target"); {
	case target != "":
		req.protocol = protoJSON
		prefix, op, _ := strings.Cut(target, ".")
		req.action = op
		if req.service == "" {
			req.service = jsonTargetServices[prefix]
		}
		if len(bytes.TrimSpace(body)) > 0 {
			_ = json.Unmarshal(body, &req.jsonBody) // a bad body is moto's to reject
		}
	case strings.HasPrefix(ctype, "application/x-www-form-urlencoded") && r.Method == http.MethodPost && req.service != "s3",
		r.URL.Query().Get("Action") != "":
		req.protocol = protoQuery
		req.params = r.URL.Query()
		if form, err := url.ParseQuery(string(body)); err == nil && r.Method == http.MethodPost {
			for k, v := range form {
				req.params[k] = append(req.params[k], v...)
			}
		}
		req.action = req.params.Get("Action")
	case req.service == "s3" || req.service == "":
		req.protocol = protoS3
		if req.service == "" {
			req.service = "s3"
		}
		req.action, req.iamAction = s3Action(r.Method, r.URL.Path, r.URL.Query(), r.Header)
		req.bucket = s3Bucket(r.URL.Path)
	default:
		req.protocol = protoREST
		req.action = r.Method + " " + r.URL.Path
	}
	if req.iamAction == "" {
		req.iamAction = req.action
	}
	return req
}

// s3BucketOps names the bucket sub-resource requests: per sub-resource (in
// the order they are tested) and method, the API operation and the IAM action
// that authorizes it (they differ: PutBucketEncryption needs
// s3:PutEncryptionConfiguration). A method missing from a sub-resource's map
// falls through to the plain bucket request.
var s3BucketOps = []struct {
	sub string
	ops map[string][2]string
}{
	{"policy", map[string][2]string{
		http.MethodGet:    {"GetBucketPolicy", "GetBucketPolicy"},
		http.MethodPut:    {"PutBucketPolicy", "PutBucketPolicy"},
		http.MethodDelete: {"DeleteBucketPolicy", "DeleteBucketPolicy"},
	}},
	{"policyStatus", map[string][2]string{http.MethodGet: {"GetBucketPolicyStatus", "GetBucketPolicyStatus"}}},
	{"acl", map[string][2]string{
		http.MethodGet: {"GetBucketAcl", "GetBucketAcl"},
		http.MethodPut: {"PutBucketAcl", "PutBucketAcl"},
	}},
	{"cors", map[string][2]string{
		http.MethodGet:    {"GetBucketCors", "GetBucketCORS"},
		http.MethodPut:    {"PutBucketCors", "PutBucketCORS"},
		http.MethodDelete: {"DeleteBucketCors", "PutBucketCORS"},
	}},
	{"lifecycle", map[string][2]string{
		http.MethodGet:    {"GetBucketLifecycleConfiguration", "GetLifecycleConfiguration"},
		http.MethodPut:    {"PutBucketLifecycleConfiguration", "PutLifecycleConfiguration"},
		http.MethodDelete: {"DeleteBucketLifecycle", "PutLifecycleConfiguration"},
	}},
	{"location", map[string][2]string{http.MethodGet: {"GetBucketLocation", "GetBucketLocation"}}},
	{"tagging", map[string][2]string{
		http.MethodGet:    {"GetBucketTagging", "GetBucketTagging"},
		http.MethodPut:    {"PutBucketTagging", "PutBucketTagging"},
		http.MethodDelete: {"DeleteBucketTagging", "PutBucketTagging"},
	}},
	{"versioning", map[string][2]string{
		http.MethodGet: {"GetBucketVersioning", "GetBucketVersioning"},
		http.MethodPut: {"PutBucketVersioning", "PutBucketVersioning"},
	}},
	{"website", map[string][2]string{
		http.MethodGet:    {"GetBucketWebsite", "GetBucketWebsite"},
		http.MethodPut:    {"PutBucketWebsite", "PutBucketWebsite"},
		http.MethodDelete: {"DeleteBucketWebsite", "DeleteBucketWebsite"},
	}},
	{"encryption", map[string][2]string{
		http.MethodGet:    {"GetBucketEncryption", "GetEncryptionConfiguration"},
		http.MethodPut:    {"PutBucketEncryption", "PutEncryptionConfiguration"},
		http.MethodDelete: {"DeleteBucketEncryption", "PutEncryptionConfiguration"},
	}},
	{"logging", map[string][2]string{
		http.MethodGet: {"GetBucketLogging", "GetBucketLogging"},
		http.MethodPut: {"PutBucketLogging", "PutBucketLogging"},
	}},
	{"notification", map[string][2]string{
		http.MethodGet: {"GetBucketNotificationConfiguration", "GetBucketNotification"},
		http.MethodPut: {"PutBucketNotificationConfiguration", "PutBucketNotification"},
	}},
	{"replication", map[string][2]string{
		http.MethodGet:    {"GetBucketReplication", "GetReplicationConfiguration"},
		http.MethodPut:    {"PutBucketReplication", "PutReplicationConfiguration"},
		http.MethodDelete: {"DeleteBucketReplication", "PutReplicationConfiguration"},
	}},
	{"ownershipControls", map[string][2]string{
		http.MethodGet:    {"GetBucketOwnershipControls", "GetBucketOwnershipControls"},
		http.MethodPut:    {"PutBucketOwnershipControls", "PutBucketOwnershipControls"},
		http.MethodDelete: {"DeleteBucketOwnershipControls", "PutBucketOwnershipControls"},
	}},
	{"publicAccessBlock", map[string][2]string{
		http.MethodGet:    {"GetPublicAccessBlock", "GetBucketPublicAccessBlock"},
		http.MethodPut:    {"PutPublicAccessBlock", "PutBucketPublicAccessBlock"},
		http.MethodDelete: {"DeletePublicAccessBlock", "PutBucketPublicAccessBlock"},
	}},
	{"object-lock", map[string][2]string{
		http.MethodGet: {"GetObjectLockConfiguration", "GetBucketObjectLockConfiguration"},
		http.MethodPut: {"PutObjectLockConfiguration", "PutBucketObjectLockConfiguration"},
	}},
	{"accelerate", map[string][2]string{
		http.MethodGet: {"GetBucketAccelerateConfiguration", "GetAccelerateConfiguration"},
		http.MethodPut: {"PutBucketAccelerateConfiguration", "PutAccelerateConfiguration"},
	}},
	{"requestPayment", map[string][2]string{
		http.MethodGet: {"GetBucketRequestPayment", "GetBucketRequestPayment"},
		http.MethodPut: {"PutBucketRequestPayment", "PutBucketRequestPayment"},
	}},
	{"versions", map[string][2]string{http.MethodGet: {"ListObjectVersions", "ListBucketVersions"}}},
	{"uploads", map[string][2]string{http.MethodGet: {"ListMultipartUploads", "ListBucketMultipartUploads"}}},
	{"delete", map[string][2]string{http.MethodPost: {"DeleteObjects", "DeleteObject"}}},
}

// s3Action names a path-style S3 REST request: the API operation and the IAM
// action that authorizes it.
func s3Action(method, path string, q url.Values, h http.Header) (action, iamAction string) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	switch {
	case bucket == "":
		return "ListBuckets", "ListAllMyBuckets"
	case key == "":
		for _, b := range s3BucketOps {
			if op, ok := b.ops[method]; ok && q.Has(b.sub) {
				return op[0], op[1]
			}
		}
		switch method {
		case http.MethodGet:
			if q.Get("list-type") == "2" {
				return "ListObjectsV2", "ListBucket"
			}
			return "ListObjects", "ListBucket"
		case http.MethodHead:
			return "HeadBucket", "ListBucket"
		case http.MethodPut:
			return "CreateBucket", "CreateBucket"
		case http.MethodDelete:
			return "DeleteBucket", "DeleteBucket"
		}
		return "PostObject", "PutObject"
	}
	switch {
	case q.Has("uploadId"):
		switch method {
		case http.MethodPut:
			return "UploadPart", "PutObject"
		case http.MethodPost:
			return "CompleteMultipartUpload", "PutObject"
		case http.MethodDelete:
			return "AbortMultipartUpload", "AbortMultipartUpload"
		}
		return "ListParts", "ListMultipartUploadParts"
	case q.Has("uploads") && method == http.MethodPost:
		return "CreateMultipartUpload", "PutObject"
	case q.Has("acl") && (method == http.MethodGet || method == http.MethodPut):
		verb := map[string]string{http.MethodGet: "Get", http.MethodPut: "Put"}[method]
		return verb + "ObjectAcl", verb + "ObjectAcl"
	case q.Has("tagging"):
		switch method {
		case http.MethodGet:
			return "GetObjectTagging", "GetObjectTagging"
		case http.MethodPut:
			return "PutObjectTagging", "PutObjectTagging"
		case http.MethodDelete:
			return "DeleteObjectTagging", "DeleteObjectTagging"
		}
	}
	switch method {
	case http.MethodHead:
		return "HeadObject", "GetObject"
	case http.MethodPut:
		if h.Get("X-Amz-Copy-Source") != "" {
			return "CopyObject", "PutObject"
		}
		return "PutObject", "PutObject"
	case http.MethodDelete:
		return "DeleteObject", "DeleteObject"
	case http.MethodPost:
		return "PostObject", "PutObject"
	}
	return "GetObject", "GetObject"
}

// s3Bucket is the bucket a path-style S3 request names, or "".
func s3Bucket(path string) string {
	bucket, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return bucket
}

// param is a request parameter, from the Query form or the JSON body.
func (req *request) param(name string) string {
	if req.params != nil {
		return req.params.Get(name)
	}
	if s, ok := req.jsonBody[name].(string); ok {
		return s
	}
	return ""
}

// response is an answer the layer writes itself.
type response struct {
	status    int
	header    http.Header
	body      []byte
	errorCode string
}

func (resp *response) write(w http.ResponseWriter, head bool) {
	for k, v := range resp.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(resp.body)))
	w.WriteHeader(resp.status)
	if !head {
		_, _ = w.Write(resp.body)
	}
}

// apiError is an AWS error, rendered in each protocol's own format.
type apiError struct {
	status  int
	code    string // Query/S3 code; SQS's x-amzn-query-error code
	json    string // JSON __type; default code+"Exception"
	message string
	header  http.Header
}

func (e apiError) jsonType() string {
	if e.json != "" {
		return e.json
	}
	if strings.HasSuffix(e.code, "Exception") {
		return e.code
	}
	return e.code + "Exception"
}

// errorResponse renders e as the service of req would.
func (req *request) errorResponse(e apiError) *response {
	if e.status == 0 {
		e.status = http.StatusBadRequest
	}
	fault := "Sender"
	if e.status >= 500 {
		fault = "Receiver"
	}
	h := http.Header{"X-Amzn-Requestid": {req.requestID}}
	for k, v := range e.header {
		h[k] = v
	}
	resp := &response{status: e.status, header: h, errorCode: e.code}
	switch req.protocol {
	case protoQuery:
		h.Set("Content-Type", "text/xml")
		resp.body = fmt.Appendf(nil, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			queryNamespace(req.service), fault, xmlText(e.code), xmlText(e.message), req.requestID)
	case protoS3:
		h.Set("Content-Type", "application/xml")
		h.Set("X-Amz-Request-Id", req.requestID)
		resp.body = fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`,
			xmlText(e.code), xmlText(e.message), req.requestID)
	default:
		typ := e.jsonType()
		ctype := req.http.Header.Get("Content-Type")
		if req.protocol != protoJSON || ctype == "" {
			ctype = "application/json"
		}
		h.Set("Content-Type", ctype)
		h.Set("X-Amzn-Errortype", typ)
		if req.service == "sqs" {
			// SQS speaks JSON but keeps its Query error codes in this header,
			// which the SDK prefers.
			h.Set("X-Amzn-Query-Error", e.code+";"+fault)
		}
		resp.errorCode = typ
		if req.service == "sqs" {
			resp.errorCode = e.code
		}
		resp.body, _ = json.Marshal(map[string]string{"__type": typ, "message": e.message})
	}
	return resp
}

// queryResponse wraps result in the Query protocol's <ActionResponse> envelope.
func (req *request) queryResponse(namespace, result string) *response {
	var b strings.Builder
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, req.action, namespace)
	if result != "" {
		fmt.Fprintf(&b, "<%sResult>%s</%sResult>", req.action, result, req.action)
	}
	fmt.Fprintf(&b, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", req.requestID, req.action)
	return &response{status: http.StatusOK, body: []byte(b.String()),
		header: http.Header{"Content-Type": {"text/xml"}, "X-Amzn-Requestid": {req.requestID}}}
}

// jsonResponse answers a JSON-protocol request.
func (req *request) jsonResponse(v any) *response {
	body, err := json.Marshal(v)
	if err != nil {
		return req.errorResponse(apiError{status: 500, code: "InternalFailure", json: "InternalFailure", message: err.Error()})
	}
	ctype := req.http.Header.Get("Content-Type")
	if ctype == "" {
		ctype = "application/x-amz-json-1.1"
	}
	return &response{status: http.StatusOK, body: body,
		header: http.Header{"Content-Type": {ctype}, "X-Amzn-Requestid": {req.requestID}}}
}

const (
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
)

func queryNamespace(service string) string {
	switch service {
	case "iam":
		return iamNamespace
	case "sns":
		return "http://sns.amazonaws.com/doc/2010-03-31/"
	}
	return stsNamespace
}

// throttlingError is the error each service answers when a request is over
// its rate.
func throttlingError(service string) apiError {
	msg := "Rate exceeded"
	switch service {
	case "s3":
		return apiError{status: http.StatusServiceUnavailable, code: "SlowDown", message: "Please reduce your request rate."}
	case "sqs":
		return apiError{status: http.StatusBadRequest, code: "RequestThrottled", json: "ThrottlingException", message: msg}
	case "organizations":
		return apiError{status: http.StatusBadRequest, code: "TooManyRequestsException", message: msg}
	}
	return apiError{status: http.StatusBadRequest, code: "Throttling", json: "ThrottlingException", message: msg}
}

// errorCodeOf reads the AWS error code of a response from its headers or body.
func errorCodeOf(h http.Header, body []byte) string {
	if q := h.Get("X-Amzn-Query-Error"); q != "" {
		code, _, _ := strings.Cut(q, ";")
		return code
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		var v struct {
			Type string `json:"__type"`
			Code string `json:"code"`
		}
		_ = json.Unmarshal(trimmed, &v)
		code := v.Type
		if code == "" {
			code = v.Code
		}
		if code == "" {
			code = h.Get("X-Amzn-Errortype")
		}
		code, _, _ = strings.Cut(code, ":")
		if i := strings.LastIndex(code, "#"); i >= 0 {
			code = code[i+1:]
		}
		return code
	}
	dec := xml.NewDecoder(bytes.NewReader(trimmed))
	for {
		tok, err := dec.Token()
		if err != nil {
			return h.Get("X-Amzn-Errortype")
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Code" {
			var code string
			if dec.DecodeElement(&code, &se) == nil {
				return strings.TrimSpace(code)
			}
			return ""
		}
	}
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func newRequestID() string {
	s := randomString("0123456789abcdef", 32)
	return s[:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}
