package trail

import "encoding/json"

// BucketPolicyChange is a PutBucketPolicy or DeleteBucketPolicy call. The
// bucket's account is Record.AccountID (recipientAccountId: the owner) and
// its region Record.Region.
type BucketPolicyChange struct {
	Bucket  string
	Deleted bool // DeleteBucketPolicy
	// Policy is the document PutBucketPolicy set, always a JSON object;
	// nil for DeleteBucketPolicy, and for a failed call whose record holds
	// no readable policy.
	Policy json.RawMessage
}

// BucketPolicy decodes PutBucketPolicy or DeleteBucketPolicy.
//
// requestParameters.bucketName is a string (or, in old records, a
// one-element array). The policy is requestParameters.bucketPolicy as an
// object or as a string holding one; failing that, a non-empty "policy"
// parameter holding a JSON object. (In real records "policy" is the empty
// ?policy subresource marker, "" or [""], and is ignored.) A successful
// PutBucketPolicy without a readable policy is an error; a failed one
// (errorCode) decodes with a nil Policy, since the call changed nothing.
func (r Record) BucketPolicy() (BucketPolicyChange, error) {
	if err := r.expect(KindPutBucketPolicy, KindDeleteBucketPolicy); err != nil {
		return BucketPolicyChange{}, err
	}
	req, ok, err := r.requestParameters()
	if err != nil {
		return BucketPolicyChange{}, err
	}
	if !ok {
		return BucketPolicyChange{}, missing("detail.requestParameters")
	}
	var c BucketPolicyChange
	if c.Bucket, err = singleString(req.at("bucketName"), req.get("bucketName")); err != nil {
		return BucketPolicyChange{}, err
	}
	if c.Bucket == "" {
		return BucketPolicyChange{}, missing(req.at("bucketName"))
	}
	if r.Kind() == KindDeleteBucketPolicy {
		c.Deleted = true
		return c, nil
	}
	c.Policy, err = bucketPolicyDocument(req)
	if err != nil && !r.Failed() {
		return BucketPolicyChange{}, err
	}
	return c, nil
}

func bucketPolicyDocument(req object) (json.RawMessage, error) {
	if raw := req.get("bucketPolicy"); raw != nil {
		return policyDocument(req.at("bucketPolicy"), raw)
	}
	if key, raw := req.lookup("policy"); raw != nil {
		s, err := singleString(req.at(key), raw)
		if err == nil && s != "" {
			if doc, err := policyDocument(req.at(key), raw); err == nil {
				return doc, nil
			}
		}
	}
	return nil, missing(req.at("bucketPolicy"))
}

// policyDocument accepts a policy as a JSON object or as a string holding
// one (including a one-element array of such a string).
func policyDocument(path string, raw json.RawMessage) (json.RawMessage, error) {
	switch jsonType(raw) {
	case "object":
		return raw, nil
	case "string":
		return embeddedObject(path, raw)
	case "array":
		s, err := singleString(path, raw)
		if err != nil {
			return nil, err
		}
		quoted, err := json.Marshal(s)
		if err != nil {
			return nil, fieldErr(path, "%v", err)
		}
		return embeddedObject(path, quoted)
	}
	return nil, fieldErr(path, "want policy object or JSON string, got %s", jsonType(raw))
}
