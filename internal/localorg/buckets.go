package localorg

import (
	"encoding/xml"
	"net/http"
)

// bucketOwner is the account and region of a bucket. moto keeps one bucket
// namespace for all accounts and serves any account's request on any bucket,
// so the layer remembers who owns each one.
type bucketOwner struct {
	account, region string
}

// checkBucketOwner answers a request on another account's bucket as S3 does
// for a non-owner (facts §6): a root session of another account gets 405
// MethodNotAllowed for the bucket policy actions (it would have the
// permission, but is not in the owner account) and 403 AccessDenied for the
// rest; management and member credentials of another account get 403. nil
// lets the request through. CreateBucket goes to moto, which answers
// BucketAlreadyExists as S3 does.
func (o *Org) checkBucketOwner(req *request) *response {
	if req.protocol != protoS3 || req.bucket == "" || req.action == "CreateBucket" {
		return nil
	}
	o.mu.Lock()
	owner, known := o.buckets[req.bucket]
	o.mu.Unlock()
	if !known || owner.account == req.account {
		return nil
	}
	switch req.action {
	case "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy":
		if req.session != nil {
			return req.errorResponse(apiError{status: http.StatusMethodNotAllowed, code: "MethodNotAllowed",
				message: "The specified method is not allowed against this resource."})
		}
	}
	return req.errorResponse(apiError{status: http.StatusForbidden, code: "AccessDenied", message: "Access Denied"})
}

// recordBucket keeps the owner of a bucket created through the layer, or
// forgets a deleted one. o.mu must not be held.
func (o *Org) recordBucket(req *request, status int) {
	if req.protocol != protoS3 || req.bucket == "" || status >= 300 {
		return
	}
	switch req.action {
	case "CreateBucket":
		var conf struct {
			LocationConstraint string `xml:"LocationConstraint"`
		}
		_ = xml.Unmarshal(req.body, &conf) // no body: us-east-1
		o.mu.Lock()
		o.buckets[req.bucket] = bucketOwner{account: req.account, region: regionOr(conf.LocationConstraint)}
		o.mu.Unlock()
	case "DeleteBucket":
		o.mu.Lock()
		delete(o.buckets, req.bucket)
		o.mu.Unlock()
	}
}
