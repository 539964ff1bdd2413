package trail

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// Queue identifies an SQS queue.
type Queue struct {
	URL       string
	AccountID string
	Region    string
	Name      string
}

// ARN is the queue's ARN, in the partition of its region.
func (q Queue) ARN() string {
	return "arn:" + Partition(q.Region) + ":sqs:" + q.Region + ":" + q.AccountID + ":" + q.Name
}

// Partition is the AWS partition of a region: aws-cn, aws-us-gov or aws.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

var (
	regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	// A region the record names is trusted to be one, but must be safe to
	// put into an ARN.
	regionNamePattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	queueNamePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,75}(\.fifo)?$|^[A-Za-z0-9_-]{1,80}$`)
)

// ParseQueueURL reads a queue URL: https://sqs.REGION.amazonaws.com/ACCOUNT/NAME,
// the legacy https://queue.amazonaws.com/ACCOUNT/NAME (us-east-1) and
// https://REGION.queue.amazonaws.com/ACCOUNT/NAME, VPC endpoint hosts
// (vpce-....sqs.REGION.vpce.amazonaws.com), and any other host such as a
// local endpoint (http://127.0.0.1:PORT/ACCOUNT/NAME). When the host names
// no region, defaultRegion (the record's awsRegion) is used.
func ParseQueueURL(rawURL, defaultRegion string) (Queue, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return Queue{}, fmt.Errorf("queue URL %q: %w", rawURL, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return Queue{}, fmt.Errorf("queue URL %q: want http or https", rawURL)
	}
	if u.Hostname() == "" {
		return Queue{}, fmt.Errorf("queue URL %q: no host", rawURL)
	}
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if len(parts) != 2 {
		return Queue{}, fmt.Errorf("queue URL %q: want path /ACCOUNT/NAME", rawURL)
	}
	q := Queue{URL: rawURL, AccountID: parts[0], Name: parts[1]}
	if !isAccountID(q.AccountID) {
		return Queue{}, fmt.Errorf("queue URL %q: %q is not a 12-digit account id", rawURL, q.AccountID)
	}
	if !queueNamePattern.MatchString(q.Name) {
		return Queue{}, fmt.Errorf("queue URL %q: %q is not a queue name", rawURL, q.Name)
	}
	q.Region = hostRegion(strings.ToLower(u.Hostname()))
	if q.Region != "" {
		return q, nil
	}
	if defaultRegion == "" {
		return Queue{}, fmt.Errorf("queue URL %q: host names no region and the record none", rawURL)
	}
	if !regionNamePattern.MatchString(defaultRegion) {
		return Queue{}, fmt.Errorf("queue URL %q: region %q is not a region name", rawURL, defaultRegion)
	}
	q.Region = defaultRegion
	return q, nil
}

func hostRegion(host string) string {
	if host == "queue.amazonaws.com" || host == "sqs.amazonaws.com" {
		return "us-east-1"
	}
	labels := strings.Split(host, ".")
	for i, l := range labels {
		if l == "sqs" && i+1 < len(labels) && regionPattern.MatchString(labels[i+1]) {
			return labels[i+1]
		}
		if l == "queue" && i > 0 && regionPattern.MatchString(labels[i-1]) {
			return labels[i-1]
		}
	}
	return ""
}

// QueuePolicyChange is a SetQueueAttributes or CreateQueue call and what it
// did to the queue's Policy attribute.
type QueuePolicyChange struct {
	Queue Queue
	// HasPolicy is true when the call set the Policy attribute, to a
	// document or to "" (removal).
	HasPolicy bool
	// Policy is the document set, always a JSON object; nil when the call
	// did not set one, removed it, or failed without a readable one.
	Policy json.RawMessage
}

// Removed reports whether the call removed the queue policy (Policy "").
func (c QueuePolicyChange) Removed() bool { return c.HasPolicy && c.Policy == nil }

// QueuePolicy decodes SetQueueAttributes or CreateQueue.
//
// SetQueueAttributes: requestParameters.queueUrl (required) and
// requestParameters.attributes.Policy. CreateQueue: requestParameters.queueName
// (required), attributes under "attributes" or, in old records, "attribute",
// and the URL from responseElements.queueUrl, or built from the record's
// account and region when the call failed. Policy is a JSON string ("" when
// removed) or, in some pipelines, an object. A policy that is not a JSON
// object is an error unless the call failed.
func (r Record) QueuePolicy() (QueuePolicyChange, error) {
	if err := r.expect(KindSetQueueAttributes, KindCreateQueue); err != nil {
		return QueuePolicyChange{}, err
	}
	req, ok, err := r.requestParameters()
	if err != nil {
		return QueuePolicyChange{}, err
	}
	if !ok {
		return QueuePolicyChange{}, missing("detail.requestParameters")
	}
	var c QueuePolicyChange
	if r.Kind() == KindCreateQueue {
		c.Queue, err = r.createdQueue(req)
	} else {
		c.Queue, err = r.queueFromURL(req, "queueUrl")
	}
	if err != nil {
		return QueuePolicyChange{}, err
	}
	key, attrsRaw := req.lookup("attributes", "attribute")
	if attrsRaw == nil {
		return c, nil
	}
	attrs, err := decodeObject(req.at(key), attrsRaw)
	if err != nil {
		return QueuePolicyChange{}, err
	}
	pkey, raw := attrs.lookup("Policy")
	if raw == nil {
		return c, nil
	}
	c.HasPolicy = true
	if jsonType(raw) == "string" {
		s, err := stringValue(attrs.at(pkey), raw)
		if err != nil {
			return QueuePolicyChange{}, err
		}
		if strings.TrimSpace(s) == "" {
			return c, nil
		}
	}
	c.Policy, err = policyDocument(attrs.at(pkey), raw)
	if err != nil {
		if r.Failed() {
			return c, nil
		}
		return QueuePolicyChange{}, err
	}
	return c, nil
}

func (r Record) queueFromURL(o object, key string) (Queue, error) {
	rawURL, err := o.requiredStr(key)
	if err != nil {
		return Queue{}, err
	}
	q, err := ParseQueueURL(rawURL, r.Region())
	if err != nil {
		return Queue{}, &FieldError{Field: o.at(key), Err: err}
	}
	return q, nil
}

func (r Record) createdQueue(req object) (Queue, error) {
	name, err := req.requiredStr("queueName")
	if err != nil {
		return Queue{}, err
	}
	resp, ok, err := r.responseElements()
	if err != nil {
		return Queue{}, err
	}
	if ok && resp.get("queueUrl") != nil {
		q, err := r.queueFromURL(resp, "queueUrl")
		if err != nil {
			return Queue{}, err
		}
		if q.Name != name {
			return Queue{}, fieldErr(resp.at("queueUrl"), "names queue %q, request named %q", q.Name, name)
		}
		return q, nil
	}
	q := Queue{AccountID: r.AccountID(), Region: r.Region(), Name: name}
	switch {
	case !queueNamePattern.MatchString(name):
		return Queue{}, fieldErr(req.at("queueName"), "%q is not a queue name", name)
	case !isAccountID(q.AccountID):
		return Queue{}, fieldErr("detail.recipientAccountId", "%q is not a 12-digit account id", q.AccountID)
	case q.Region == "":
		return Queue{}, missing("detail.awsRegion")
	}
	host := "sqs." + q.Region + ".amazonaws.com"
	if Partition(q.Region) == "aws-cn" {
		host += ".cn"
	}
	q.URL = "https://" + host + "/" + q.AccountID + "/" + name
	return q, nil
}

// QueuePermission is an SQS AddPermission call. It only grants, so it cannot
// lock anyone out; it is decoded for reporting.
type QueuePermission struct {
	Queue      Queue
	Label      string
	Actions    []string
	AccountIDs []string // AWSAccountIds, or aWSAccountIds in older records
}

// QueuePermission decodes AddPermission.
func (r Record) QueuePermission() (QueuePermission, error) {
	if err := r.expect(KindAddPermission); err != nil {
		return QueuePermission{}, err
	}
	req, ok, err := r.requestParameters()
	if err != nil {
		return QueuePermission{}, err
	}
	if !ok {
		return QueuePermission{}, missing("detail.requestParameters")
	}
	var p QueuePermission
	if p.Queue, err = r.queueFromURL(req, "queueUrl"); err != nil {
		return QueuePermission{}, err
	}
	if p.Label, err = req.str("label"); err != nil {
		return QueuePermission{}, err
	}
	if p.Actions, err = req.strList("actions"); err != nil {
		return QueuePermission{}, err
	}
	key, raw := req.lookup("AWSAccountIds")
	if p.AccountIDs, err = stringList(req.at(key), raw); err != nil {
		return QueuePermission{}, err
	}
	return p, nil
}
