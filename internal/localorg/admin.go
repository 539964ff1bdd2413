package localorg

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/rootguard/rootguard/shared/awserr"
)

const adminPrefix = "/_localorg/"

func (o *Org) serveAdmin(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		adminError(w, http.StatusBadRequest, fmt.Errorf("read body: %w", err))
		return
	}
	route := r.Method + " " + strings.TrimPrefix(r.URL.Path, adminPrefix)
	switch route {
	case "GET state":
		s, err := o.State(r.Context())
		if err != nil {
			adminError(w, http.StatusInternalServerError, err)
			return
		}
		adminJSON(w, s)
	case "POST seed":
		s, err := ParseSeed(body)
		if err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		if err := o.ApplySeed(r.Context(), s); err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		adminJSON(w, map[string]string{"result": "seeded"})
	case "POST faults":
		var rules []FaultRule
		if err := decodeStrict(body, &rules); err != nil {
			adminError(w, http.StatusBadRequest, fmt.Errorf("fault rules: %w", err))
			return
		}
		if err := o.SetFaults(rules); err != nil {
			adminError(w, http.StatusBadRequest, err)
			return
		}
		adminJSON(w, map[string]int{"rules": len(rules)})
	case "DELETE faults":
		_ = o.SetFaults(nil)
		adminJSON(w, map[string]int{"rules": 0})
	case "POST clock":
		var c struct {
			AdvanceSeconds *int64 `json:"advance_seconds"`
		}
		if err := decodeStrict(body, &c); err != nil || c.AdvanceSeconds == nil || *c.AdvanceSeconds < 0 {
			adminError(w, http.StatusBadRequest, fmt.Errorf(`clock: want {"advance_seconds": N} with N >= 0 (err: %v)`, err))
			return
		}
		adminJSON(w, map[string]string{"now": isoTime(o.AdvanceClock(time.Duration(*c.AdvanceSeconds) * time.Second))})
	case "POST slack":
		o.serveSlack(w, r, body)
	default:
		adminError(w, http.StatusNotFound, fmt.Errorf("no admin route %s %s", r.Method, r.URL.Path))
	}
}

// AdvanceClock moves the layer's clock forward by d and returns its new time.
func (o *Org) AdvanceClock(d time.Duration) time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.clockOffset += d
	return o.nowLocked()
}

// serveSlack is a Slack incoming-webhook sink: it records the payload (JSON
// body, or the payload field of a form) and answers "ok".
func (o *Org) serveSlack(w http.ResponseWriter, r *http.Request, body []byte) {
	if status, msg := o.slackFault(r); status != 0 {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		http.Error(w, msg, status)
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err == nil {
			body = []byte(form.Get("payload"))
		}
	}
	if !json.Valid(body) || !bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")) {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.slack = append(o.slack, json.RawMessage(bytes.Clone(body)))
	o.mu.Unlock()
	w.Header().Set("Content-Type", "text/html")
	_, _ = io.WriteString(w, "ok")
}

// State is the organization as GET /_localorg/state shows it: root users from
// the layer, buckets and queues read live from moto.
func (o *Org) State(ctx context.Context) (*State, error) {
	o.mu.Lock()
	s := &State{
		Accounts: map[string]AccountState{},
		SNS:      slices.Clone(o.sns),
		Slack:    slices.Clone(o.slack),
		Calls:    slices.Clone(o.calls),
	}
	ids := slices.Clone(o.accountOrder)
	for _, id := range ids {
		s.Accounts[id] = AccountState{Root: o.accounts[id].root.state()}
	}
	regions := slices.Sorted(maps.Keys(o.regions))
	o.mu.Unlock()
	if s.SNS == nil {
		s.SNS = []SNSMessage{}
	}
	if s.Slack == nil {
		s.Slack = []json.RawMessage{}
	}
	if s.Calls == nil {
		s.Calls = []Call{}
	}
	for _, id := range ids {
		a := s.Accounts[id]
		var err error
		if a.Buckets, err = o.liveBuckets(ctx, id); err != nil {
			return nil, fmt.Errorf("account %s: %w", id, err)
		}
		if a.Queues, err = o.liveQueues(ctx, id, regions); err != nil {
			return nil, fmt.Errorf("account %s: %w", id, err)
		}
		s.Accounts[id] = a
	}
	return s, nil
}

func (o *Org) liveBuckets(ctx context.Context, accountID string) (map[string]BucketState, error) {
	client := o.motoS3(accountID, DefaultRegion)
	out, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil {
		return nil, fmt.Errorf("list buckets: %w", err)
	}
	buckets := map[string]BucketState{}
	for _, b := range out.Buckets {
		name := aws.ToString(b.Name)
		p, err := client.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: b.Name})
		switch {
		case awserr.Is(err, "NoSuchBucketPolicy"):
			buckets[name] = BucketState{Policy: nil}
		case err != nil:
			return nil, fmt.Errorf("bucket %s policy: %w", name, err)
		default:
			buckets[name] = BucketState{Policy: policyJSON(aws.ToString(p.Policy))}
		}
	}
	return buckets, nil
}

// liveQueues reads an account's queues in every region the layer has seen,
// keyed by name; a name used in several regions is keyed REGION/NAME instead,
// in each of them.
func (o *Org) liveQueues(ctx context.Context, accountID string, regions []string) (map[string]QueueState, error) {
	var all []QueueState
	regionsOf := map[string]int{}
	for _, region := range regions {
		client := o.motoSQS(accountID, region)
		out, err := client.ListQueues(ctx, &sqs.ListQueuesInput{})
		if err != nil {
			return nil, fmt.Errorf("list queues in %s: %w", region, err)
		}
		for _, u := range out.QueueUrls {
			attrs, err := client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
				QueueUrl:       aws.String(u),
				AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy},
			})
			if err != nil {
				return nil, fmt.Errorf("queue %s attributes: %w", u, err)
			}
			all = append(all, QueueState{URL: u, Region: region, Policy: policyJSON(attrs.Attributes["Policy"])})
			regionsOf[path.Base(u)]++
		}
	}
	queues := map[string]QueueState{}
	for _, q := range all {
		key := path.Base(q.URL)
		if regionsOf[key] > 1 {
			key = q.Region + "/" + key
		}
		queues[key] = q
	}
	return queues, nil
}

// policyJSON is a policy document as JSON: nil when there is none, a JSON
// string when it is not valid JSON.
func policyJSON(doc string) json.RawMessage {
	if strings.TrimSpace(doc) == "" {
		return nil
	}
	if json.Valid([]byte(doc)) {
		return json.RawMessage(doc)
	}
	b, _ := json.Marshal(doc)
	return b
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func adminJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func adminError(w http.ResponseWriter, status int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
