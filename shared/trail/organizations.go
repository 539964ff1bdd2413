package trail

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// CreateAccountStatus is the outcome of an Organizations CreateAccount
// request, from the CreateAccountResult service event.
type CreateAccountStatus struct {
	ID                 string // car-...
	State              string // SUCCEEDED, FAILED (IN_PROGRESS only in the CreateAccount call)
	AccountID          string // set when SUCCEEDED
	AccountName        string // empty when the record redacts it ("****", as real records do)
	FailureReason      string
	RequestedTimestamp Timestamp // "May 15, 2023 8:26:57 AM" style
	CompletedTimestamp Timestamp
}

// Succeeded reports whether the account was created.
func (s CreateAccountStatus) Succeeded() bool { return strings.EqualFold(s.State, "SUCCEEDED") }

// CreateAccountResult decodes serviceEventDetails.createAccountStatus, given
// as an object or as a string holding one. A SUCCEEDED status must carry a
// 12-digit account id.
func (r Record) CreateAccountResult() (CreateAccountStatus, error) {
	if err := r.expect(KindCreateAccountResult); err != nil {
		return CreateAccountStatus{}, err
	}
	const path = "detail.serviceEventDetails"
	if !present(r.ServiceEventDetails) {
		return CreateAccountStatus{}, missing(path)
	}
	details, err := decodeObjectOrString(path, r.ServiceEventDetails)
	if err != nil {
		return CreateAccountStatus{}, err
	}
	st, err := details.requiredObj("createAccountStatus")
	if err != nil {
		return CreateAccountStatus{}, err
	}
	var s CreateAccountStatus
	if err := readStrings(st, []stringField{
		{"id", &s.ID},
		{"state", &s.State},
		{"accountId", &s.AccountID},
		{"accountName", &s.AccountName},
		{"failureReason", &s.FailureReason},
	}); err != nil {
		return CreateAccountStatus{}, err
	}
	s.AccountName = unredacted(s.AccountName)
	if s.State == "" {
		return CreateAccountStatus{}, missing(st.at("state"))
	}
	if s.Succeeded() {
		if s.AccountID == "" {
			return CreateAccountStatus{}, missing(st.at("accountId"))
		}
		if !isAccountID(s.AccountID) {
			return CreateAccountStatus{}, fieldErr(st.at("accountId"), "%q is not a 12-digit account id", s.AccountID)
		}
	}
	if s.RequestedTimestamp, err = st.timestamp("requestedTimestamp"); err != nil {
		return CreateAccountStatus{}, err
	}
	if s.CompletedTimestamp, err = st.timestamp("completedTimestamp"); err != nil {
		return CreateAccountStatus{}, err
	}
	return s, nil
}

// Handshake is an Organizations handshake as recorded in responseElements.
type Handshake struct {
	ID                  string // h-...
	ARN                 string
	State               string // OPEN, ACCEPTED, ...
	Action              string // INVITE (recorded as "invite" too), ENABLE_ALL_FEATURES, ...
	Parties             []HandshakeParty
	RequestedTimestamp  Timestamp
	ExpirationTimestamp Timestamp
}

// HandshakeParty is one side of a handshake.
type HandshakeParty struct {
	Type string // ACCOUNT, ORGANIZATION, EMAIL
	ID   string
}

// Invitation is an account invited to the organization
// (InviteAccountToOrganization, in the management account) or accepting
// an invitation (AcceptHandshake, in the invited account).
type Invitation struct {
	AccountID      string // the invited account; empty for an invitation by email
	Email          string // set when the invitation named an email address
	OrganizationID string
	Handshake      Handshake
}

// Invitation decodes InviteAccountToOrganization or AcceptHandshake.
//
// The invited account of an invitation is the ACCOUNT party of the
// handshake that is not the recording (management) account, else
// requestParameters.target when it is an ACCOUNT. An invitation by email
// names no account id: AccountID is then empty and Email set. For
// AcceptHandshake the invited account is the account that recorded it.
func (r Record) Invitation() (Invitation, error) {
	if err := r.expect(KindInviteAccountToOrganization, KindAcceptHandshake); err != nil {
		return Invitation{}, err
	}
	var inv Invitation
	resp, ok, err := r.responseElements()
	if err != nil {
		return Invitation{}, err
	}
	if ok {
		if hs, ok, err := resp.obj("handshake"); err != nil {
			return Invitation{}, err
		} else if ok {
			if inv.Handshake, err = decodeHandshake(hs); err != nil {
				return Invitation{}, err
			}
		}
	}
	for _, p := range inv.Handshake.Parties {
		if strings.EqualFold(p.Type, "ORGANIZATION") {
			inv.OrganizationID = p.ID
		}
	}
	if r.Kind() == KindAcceptHandshake {
		inv.AccountID = r.AccountID()
		if !isAccountID(inv.AccountID) {
			return Invitation{}, fieldErr("detail.recipientAccountId", "%q is not a 12-digit account id", inv.AccountID)
		}
		return inv, nil
	}
	manager := r.AccountID()
	for _, p := range inv.Handshake.Parties {
		switch {
		case strings.EqualFold(p.Type, "ACCOUNT") && p.ID != manager && inv.AccountID == "":
			inv.AccountID = p.ID
		case strings.EqualFold(p.Type, "EMAIL") && inv.Email == "":
			inv.Email = p.ID
		}
	}
	if inv.AccountID == "" {
		if err := inv.fromTarget(r, manager); err != nil {
			return Invitation{}, err
		}
	}
	switch {
	case inv.AccountID != "" && !isAccountID(inv.AccountID):
		return Invitation{}, fieldErr("detail.responseElements.handshake.parties", "invited account %q is not a 12-digit account id", inv.AccountID)
	case inv.AccountID == "" && inv.Email == "":
		return Invitation{}, fieldErr("detail.responseElements.handshake.parties", "names no invited account")
	}
	return inv, nil
}

// fromTarget falls back to requestParameters.target {type, id}.
func (inv *Invitation) fromTarget(r Record, manager string) error {
	req, ok, err := r.requestParameters()
	if err != nil || !ok {
		return err
	}
	target, ok, err := req.obj("target")
	if err != nil || !ok {
		return err
	}
	var typ, id string
	if err := readStrings(target, []stringField{{"type", &typ}, {"id", &id}}); err != nil {
		return err
	}
	switch {
	case strings.EqualFold(typ, "ACCOUNT") && id != manager:
		inv.AccountID = id
	case strings.EqualFold(typ, "EMAIL") && inv.Email == "":
		inv.Email = id
	}
	return nil
}

func decodeHandshake(o object) (Handshake, error) {
	var h Handshake
	if err := readStrings(o, []stringField{
		{"id", &h.ID},
		{"arn", &h.ARN},
		{"state", &h.State},
		{"action", &h.Action},
	}); err != nil {
		return Handshake{}, err
	}
	var err error
	if h.RequestedTimestamp, err = o.timestamp("requestedTimestamp"); err != nil {
		return Handshake{}, err
	}
	if h.ExpirationTimestamp, err = o.timestamp("expirationTimestamp"); err != nil {
		return Handshake{}, err
	}
	raw := o.get("parties")
	if raw == nil {
		return h, nil
	}
	if t := jsonType(raw); t != "array" {
		return Handshake{}, fieldErr(o.at("parties"), "want array, got %s", t)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return Handshake{}, fieldErr(o.at("parties"), "invalid JSON: %v", err)
	}
	for i, item := range items {
		p, err := decodeObject(fmt.Sprintf("%s[%d]", o.at("parties"), i), item)
		if err != nil {
			return Handshake{}, err
		}
		var party HandshakeParty
		if err := readStrings(p, []stringField{{"type", &party.Type}, {"id", &party.ID}}); err != nil {
			return Handshake{}, err
		}
		h.Parties = append(h.Parties, party)
	}
	return h, nil
}

// JoinMethod is how an account joined the organization.
type JoinMethod string

const (
	JoinUnknown JoinMethod = ""
	JoinCreated JoinMethod = "Created"
	JoinInvited JoinMethod = "Invited"
)

func parseJoinMethod(s string) JoinMethod {
	switch {
	case strings.EqualFold(s, "created"):
		return JoinCreated
	case strings.EqualFold(s, "invited"):
		return JoinInvited
	}
	return JoinUnknown
}

// AccountJoined is an AccountJoinedOrganization event (since 2026-05, in the
// management account).
type AccountJoined struct {
	AccountID   string
	AccountName string // empty when absent or redacted
	Method      JoinMethod
	JoinedTime  Timestamp
}

// Where AccountJoinedOrganization may carry its fields, in order of trust.
// AWS has documented the field names (joinedMethod, joinedTime) but not the
// record, so we look in each of these containers and one level of nested
// objects inside them, matching keys without regard to case, "_" or "-".
var (
	joinedContainers = []string{"serviceEventDetails", "requestParameters", "responseElements", "additionalEventData"}
	joinedAccountKey = []string{"accountid", "memberaccountid", "joinedaccountid"}
	joinedMethodKey  = []string{"joinedmethod", "joinmethod"}
	joinedTimeKey    = []string{"joinedtime", "joinedtimestamp", "jointime"}
	joinedNameKey    = []string{"accountname"}
)

// AccountJoined decodes AccountJoinedOrganization. The member account id is
// required; it is looked for in serviceEventDetails (object or JSON string),
// requestParameters, responseElements and additionalEventData, at their top
// level or inside an object directly beneath (e.g.
// serviceEventDetails.accountJoinedOrganizationStatus.accountId). Keys match
// ignoring case, "_" and "-": accountId, memberAccountId, joinedAccountId;
// joinedMethod or joinMethod ("Created"/"CREATED"/"Invited"/...);
// joinedTime, joinedTimestamp or joinTime; accountName.
func (r Record) AccountJoined() (AccountJoined, error) {
	if err := r.expect(KindAccountJoinedOrganization); err != nil {
		return AccountJoined{}, err
	}
	raws := map[string]json.RawMessage{
		"serviceEventDetails": r.ServiceEventDetails,
		"requestParameters":   r.RequestParameters,
		"responseElements":    r.ResponseElements,
		"additionalEventData": r.AdditionalEventData,
	}
	for _, name := range joinedContainers {
		if !present(raws[name]) {
			continue
		}
		o, err := decodeObjectOrString("detail."+name, raws[name])
		if err != nil {
			return AccountJoined{}, err
		}
		candidates := []object{o}
		for _, key := range sortedKeys(o.fields) {
			if jsonType(o.fields[key]) == "object" {
				child, err := decodeObject(o.at(key), o.fields[key])
				if err != nil {
					return AccountJoined{}, err
				}
				candidates = append(candidates, child)
			}
		}
		for _, c := range candidates {
			key, raw := c.lookupNormalized(joinedAccountKey)
			if raw == nil {
				continue
			}
			return decodeAccountJoined(c, key, raw)
		}
	}
	return AccountJoined{}, fieldErr("detail", "AccountJoinedOrganization names no member account id (looked for accountId in %s)", strings.Join(joinedContainers, ", "))
}

func decodeAccountJoined(c object, key string, raw json.RawMessage) (AccountJoined, error) {
	var j AccountJoined
	var err error
	if j.AccountID, err = stringValue(c.at(key), raw); err != nil {
		return AccountJoined{}, err
	}
	if !isAccountID(j.AccountID) {
		return AccountJoined{}, fieldErr(c.at(key), "%q is not a 12-digit account id", j.AccountID)
	}
	if key, raw := c.lookupNormalized(joinedMethodKey); raw != nil {
		method, err := stringValue(c.at(key), raw)
		if err != nil {
			return AccountJoined{}, err
		}
		j.Method = parseJoinMethod(method)
	}
	if key, raw := c.lookupNormalized(joinedNameKey); raw != nil {
		if j.AccountName, err = stringValue(c.at(key), raw); err != nil {
			return AccountJoined{}, err
		}
		j.AccountName = unredacted(j.AccountName)
	}
	if key, raw := c.lookupNormalized(joinedTimeKey); raw != nil {
		if j.JoinedTime, err = timestampValue(c.at(key), raw); err != nil {
			return AccountJoined{}, err
		}
	}
	return j, nil
}

// lookupNormalized finds a key equal to one of want once lower-cased and
// stripped of "_" and "-"; ties go to the first key in sorted order.
func (o object) lookupNormalized(want []string) (string, json.RawMessage) {
	for _, key := range sortedKeys(o.fields) {
		norm := strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(key))
		for _, w := range want {
			if norm == w && present(o.fields[key]) {
				return key, o.fields[key]
			}
		}
	}
	return "", nil
}

// unredacted is name, or "" when CloudTrail hid it: real CreateAccountResult
// records give the account name as "****".
func unredacted(name string) string {
	if strings.Trim(name, "*") == "" {
		return ""
	}
	return name
}

// ErrNotApplicable marks an event that asks for no action: a failed account
// creation, a failed call, a handshake that is not an invitation, or an
// unrelated event. Handlers log it and return.
var ErrNotApplicable = errors.New("event needs no action")

// ErrEmailInvitation marks an invitation that names only an email address:
// the account is unknown until it joins, when AccountJoinedOrganization
// names it. It wraps ErrNotApplicable.
var ErrEmailInvitation = fmt.Errorf("%w: the invitation names only an email address", ErrNotApplicable)

// Joining is a member account that joined, or was invited to join, the
// organization: what the new-account hardener acts on.
type Joining struct {
	AccountID   string
	AccountName string // when the event names it (not redacted)
	Method      JoinMethod
	// Pending is true for an invitation not yet accepted: the account is
	// not a member yet, so a root session for it is refused until it joins.
	Pending bool
}

// Joining decides from the event alone whether a member account needs
// hardening. It returns an error wrapping ErrNotApplicable when the event
// asks for nothing (see ErrNotApplicable; ErrEmailInvitation for an
// invitation by email), and a *FieldError when it is malformed.
func (r Record) Joining() (Joining, error) {
	k := r.Kind()
	switch k {
	case KindCreateAccountResult, KindInviteAccountToOrganization, KindAcceptHandshake, KindAccountJoinedOrganization:
	default:
		return Joining{}, fmt.Errorf("%w: %s %s is not an account joining", ErrNotApplicable, r.EventSource, r.EventName)
	}
	if r.Failed() {
		return Joining{}, fmt.Errorf("%w: %s failed with %s", ErrNotApplicable, r.EventName, r.ErrorCode)
	}
	switch k {
	case KindCreateAccountResult:
		s, err := r.CreateAccountResult()
		if err != nil {
			return Joining{}, err
		}
		if !s.Succeeded() {
			return Joining{}, fmt.Errorf("%w: account creation %s %s (%s)", ErrNotApplicable, s.ID, s.State, s.FailureReason)
		}
		return Joining{AccountID: s.AccountID, AccountName: s.AccountName, Method: JoinCreated}, nil
	case KindAccountJoinedOrganization:
		j, err := r.AccountJoined()
		if err != nil {
			return Joining{}, err
		}
		return Joining{AccountID: j.AccountID, AccountName: j.AccountName, Method: j.Method}, nil
	}
	inv, err := r.Invitation()
	if err != nil {
		return Joining{}, err
	}
	if a := inv.Handshake.Action; a != "" && !strings.EqualFold(a, "INVITE") {
		return Joining{}, fmt.Errorf("%w: handshake %s is %s, not an invitation", ErrNotApplicable, inv.Handshake.ID, a)
	}
	if inv.AccountID == "" {
		return Joining{}, fmt.Errorf("%w (handshake %s); the account is hardened when it joins", ErrEmailInvitation, inv.Handshake.ID)
	}
	return Joining{AccountID: inv.AccountID, Method: JoinInvited, Pending: k == KindInviteAccountToOrganization}, nil
}
