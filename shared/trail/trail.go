// Package trail turns CloudTrail records delivered by EventBridge into typed
// values: the common record fields, and decoders for each kind of event
// rootguard handles. It makes no AWS calls.
//
// Parsing is tolerant of what real records vary in (missing optional fields,
// extra fields, nested documents as objects or as JSON strings, several
// timestamp spellings) and strict about what a decision depends on: a
// missing or mistyped field yields a *FieldError naming it, never a panic.
//
// Events are identified by detail.eventSource and detail.eventName, never by
// the detail-type, whose spelling differs between documentation and real
// events ("AWS Console Signin" vs "AWS Console Sign In").
package trail

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Event sources rootguard matches on.
const (
	SourceSTS           = "sts.amazonaws.com"
	SourceSignin        = "signin.amazonaws.com"
	SourceOrganizations = "organizations.amazonaws.com"
	SourceS3            = "s3.amazonaws.com"
	SourceSQS           = "sqs.amazonaws.com"
)

// Kind is an event rootguard knows, identified by event source and name.
type Kind string

const (
	KindOther                       Kind = ""
	KindAssumeRoot                  Kind = "AssumeRoot"
	KindConsoleLogin                Kind = "ConsoleLogin"
	KindCreateAccountResult         Kind = "CreateAccountResult"
	KindInviteAccountToOrganization Kind = "InviteAccountToOrganization"
	KindAcceptHandshake             Kind = "AcceptHandshake"
	KindAccountJoinedOrganization   Kind = "AccountJoinedOrganization"
	KindPutBucketPolicy             Kind = "PutBucketPolicy"
	KindDeleteBucketPolicy          Kind = "DeleteBucketPolicy"
	KindSetQueueAttributes          Kind = "SetQueueAttributes"
	KindCreateQueue                 Kind = "CreateQueue"
	KindAddPermission               Kind = "AddPermission"
)

var kindSources = map[Kind]string{
	KindAssumeRoot:                  SourceSTS,
	KindConsoleLogin:                SourceSignin,
	KindCreateAccountResult:         SourceOrganizations,
	KindInviteAccountToOrganization: SourceOrganizations,
	KindAcceptHandshake:             SourceOrganizations,
	KindAccountJoinedOrganization:   SourceOrganizations,
	KindPutBucketPolicy:             SourceS3,
	KindDeleteBucketPolicy:          SourceS3,
	KindSetQueueAttributes:          SourceSQS,
	KindCreateQueue:                 SourceSQS,
	KindAddPermission:               SourceSQS,
}

// Envelope is the EventBridge part of an event.
type Envelope struct {
	ID         string // EventBridge event id; the same on redelivery
	DetailType string
	Source     string
	Account    string // account whose event bus received the event first
	Region     string
	Time       time.Time
	Resources  []string
}

// Record is one CloudTrail record with its EventBridge envelope. String
// fields are empty when the record does not carry them; the raw JSON fields
// are nil when absent or null.
type Record struct {
	Envelope Envelope

	EventVersion       string
	EventTime          Timestamp
	EventSource        string
	EventName          string
	EventType          string // AwsApiCall, AwsServiceEvent, AwsConsoleSignIn
	AWSRegion          string
	SourceIPAddress    string
	UserAgent          string
	ErrorCode          string
	ErrorMessage       string
	RequestID          string
	EventID            string
	RecipientAccountID string
	UserIdentity       UserIdentity

	AdditionalEventData json.RawMessage
	RequestParameters   json.RawMessage
	ResponseElements    json.RawMessage
	ServiceEventDetails json.RawMessage // an object, or a string holding one in some pipelines
}

// UserIdentity is who made the call.
type UserIdentity struct {
	Type           string // Root, IAMUser, AssumedRole, AWSService, ...
	PrincipalID    string
	ARN            string
	AccountID      string
	AccessKeyID    string
	UserName       string
	InvokedBy      string
	SessionContext SessionContext
}

// SessionContext describes the temporary credentials a call was made with.
type SessionContext struct {
	SessionIssuer  SessionIssuer
	Attributes     SessionAttributes
	SourceIdentity string
	AssumedRoot    bool // "assumedRoot": "true"
}

// SessionIssuer is the role or user that issued the session.
type SessionIssuer struct {
	Type        string
	PrincipalID string
	ARN         string
	AccountID   string
	UserName    string
}

// SessionAttributes are the session's attributes.
type SessionAttributes struct {
	CreationDate     Timestamp
	MFAAuthenticated bool
}

// Principal names the caller for people: the ARN when the record has one,
// else the best identifier it carries.
func (u UserIdentity) Principal() string {
	for _, s := range []string{u.ARN, u.UserName, u.PrincipalID, u.InvokedBy, u.Type} {
		if s != "" {
			return s
		}
	}
	return ""
}

// ParseJSON parses a whole EventBridge event, as the events/ samples hold it.
func ParseJSON(data []byte) (Record, error) {
	var ev events.CloudWatchEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return Record{}, fmt.Errorf("event: not an EventBridge event: %w", err)
	}
	return Parse(ev)
}

// Parse reads the CloudTrail record in ev.Detail. Only eventSource and
// eventName are required; the typed decoders check what their kind needs.
func Parse(ev events.CloudWatchEvent) (Record, error) {
	r := Record{Envelope: Envelope{
		ID:         ev.ID,
		DetailType: ev.DetailType,
		Source:     ev.Source,
		Account:    ev.AccountID,
		Region:     ev.Region,
		Time:       ev.Time,
		Resources:  ev.Resources,
	}}
	if !present(ev.Detail) {
		return Record{}, missing("detail")
	}
	if !json.Valid(ev.Detail) {
		return Record{}, fieldErr("detail", "not valid JSON")
	}
	d, err := decodeObject("detail", ev.Detail)
	if err != nil {
		return Record{}, err
	}
	if err := readStrings(d, []stringField{
		{"eventVersion", &r.EventVersion},
		{"eventSource", &r.EventSource},
		{"eventName", &r.EventName},
		{"eventType", &r.EventType},
		{"awsRegion", &r.AWSRegion},
		{"sourceIPAddress", &r.SourceIPAddress},
		{"userAgent", &r.UserAgent},
		{"errorCode", &r.ErrorCode},
		{"errorMessage", &r.ErrorMessage},
		{"requestID", &r.RequestID},
		{"eventID", &r.EventID},
		{"recipientAccountId", &r.RecipientAccountID},
	}); err != nil {
		return Record{}, err
	}
	if r.EventSource == "" {
		return Record{}, missing("detail.eventSource")
	}
	if r.EventName == "" {
		return Record{}, missing("detail.eventName")
	}
	if r.EventTime, err = d.timestamp("eventTime"); err != nil {
		return Record{}, err
	}
	// Findings are keyed on the event and dated by it: one of the record's
	// and the envelope's id and time must be there.
	if r.SourceID() == "" {
		return Record{}, missing("detail.eventID")
	}
	if r.SourceTime().IsZero() {
		return Record{}, fieldErr("detail.eventTime", "missing or not a time, and the event has no time either")
	}
	if r.UserIdentity, err = parseUserIdentity(d); err != nil {
		return Record{}, err
	}
	raws := []struct {
		key string
		dst *json.RawMessage
	}{
		{"additionalEventData", &r.AdditionalEventData},
		{"requestParameters", &r.RequestParameters},
		{"responseElements", &r.ResponseElements},
		{"serviceEventDetails", &r.ServiceEventDetails},
	}
	for _, f := range raws {
		*f.dst = d.get(f.key)
	}
	return r, nil
}

func parseUserIdentity(d object) (UserIdentity, error) {
	var u UserIdentity
	ui, ok, err := d.obj("userIdentity")
	if err != nil || !ok {
		return u, err
	}
	if err := readStrings(ui, []stringField{
		{"type", &u.Type},
		{"principalId", &u.PrincipalID},
		{"arn", &u.ARN},
		{"accountId", &u.AccountID},
		{"accessKeyId", &u.AccessKeyID},
		{"userName", &u.UserName},
		{"invokedBy", &u.InvokedBy},
	}); err != nil {
		return u, err
	}
	sc, ok, err := ui.obj("sessionContext")
	if err != nil || !ok {
		return u, err
	}
	ctx := &u.SessionContext
	if ctx.SourceIdentity, err = sc.str("sourceIdentity"); err != nil {
		return u, err
	}
	if ctx.AssumedRoot, err = sc.flag("assumedRoot"); err != nil {
		return u, err
	}
	if si, ok, err := sc.obj("sessionIssuer"); err != nil {
		return u, err
	} else if ok {
		iss := &ctx.SessionIssuer
		if err := readStrings(si, []stringField{
			{"type", &iss.Type},
			{"principalId", &iss.PrincipalID},
			{"arn", &iss.ARN},
			{"accountId", &iss.AccountID},
			{"userName", &iss.UserName},
		}); err != nil {
			return u, err
		}
	}
	if at, ok, err := sc.obj("attributes"); err != nil {
		return u, err
	} else if ok {
		if ctx.Attributes.CreationDate, err = at.timestamp("creationDate"); err != nil {
			return u, err
		}
		if ctx.Attributes.MFAAuthenticated, err = at.flag("mfaAuthenticated"); err != nil {
			return u, err
		}
	}
	return u, nil
}

type stringField struct {
	key string
	dst *string
}

// readStrings reads string fields in order, so the first bad one is reported.
func readStrings(o object, fields []stringField) error {
	for _, f := range fields {
		s, err := o.str(f.key)
		if err != nil {
			return err
		}
		*f.dst = s
	}
	return nil
}

// Kind identifies the record by event source and name; KindOther for
// anything rootguard does not handle.
func (r Record) Kind() Kind {
	k := Kind(r.EventName)
	if src, ok := kindSources[k]; ok && src == r.EventSource {
		return k
	}
	return KindOther
}

// Failed reports whether the call failed (the record has an errorCode).
// A failed console sign-in has no errorCode: see ConsoleLogin.Success.
func (r Record) Failed() bool { return r.ErrorCode != "" }

// IsRoot reports whether the caller was a root user, signed in or through a
// root session.
func (r Record) IsRoot() bool { return strings.EqualFold(r.UserIdentity.Type, "Root") }

// IsRootSession reports whether the call was made with credentials from
// sts:AssumeRoot. The caller's type must be Root too: AWS's example
// AssumeRoot record carries assumedRoot on the calling role's identity.
func (r Record) IsRootSession() bool {
	return r.IsRoot() && r.UserIdentity.SessionContext.AssumedRoot
}

// AccountID is the account the record was delivered to (recipientAccountId),
// else the caller's account, else the account of the event bus.
func (r Record) AccountID() string {
	for _, s := range []string{r.RecipientAccountID, r.UserIdentity.AccountID, r.Envelope.Account} {
		if s != "" {
			return s
		}
	}
	return ""
}

// SourceID identifies the recorded call: CloudTrail's event id, else the
// EventBridge event's. A redelivered event, or the same record through another
// bus, has the same SourceID, so findings keyed on it are stable.
func (r Record) SourceID() string {
	if r.EventID != "" {
		return r.EventID
	}
	return r.Envelope.ID
}

// SourceTime is when the call was recorded, else when the event was put on
// the bus; UTC, to the second.
func (r Record) SourceTime() time.Time {
	t := r.EventTime.Time
	if t.IsZero() {
		t = r.Envelope.Time
	}
	return t.UTC().Truncate(time.Second)
}

// Region is the region the call was recorded in, else the event's region.
func (r Record) Region() string {
	if r.AWSRegion != "" {
		return r.AWSRegion
	}
	return r.Envelope.Region
}

// expect checks that the record is one of kinds before a typed decoder reads it.
func (r Record) expect(kinds ...Kind) error {
	k := r.Kind()
	for _, want := range kinds {
		if k == want {
			return nil
		}
	}
	names := make([]string, len(kinds))
	for i, want := range kinds {
		names[i] = kindSources[want] + " " + string(want)
	}
	return fieldErr("detail.eventName", "%s %s is not %s", r.EventSource, r.EventName, strings.Join(names, " or "))
}

// requestParameters decodes detail.requestParameters; ok is false when absent.
func (r Record) requestParameters() (object, bool, error) {
	return optionalObject("detail.requestParameters", r.RequestParameters)
}

func (r Record) responseElements() (object, bool, error) {
	return optionalObject("detail.responseElements", r.ResponseElements)
}

func optionalObject(path string, raw json.RawMessage) (object, bool, error) {
	if !present(raw) {
		return object{}, false, nil
	}
	o, err := decodeObject(path, raw)
	return o, err == nil, err
}
