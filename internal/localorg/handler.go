package localorg

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type requestKey struct{}

// ServeHTTP is the layer: admin API, faults, root-session checks, the calls
// it answers itself, and moto for everything else.
func (o *Org) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		o.serveAdmin(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "read request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	req := classify(r, body)
	o.identify(req)
	if resp := o.answer(req); resp != nil {
		// Logged first: a client that reads the state after the answer sees the call.
		o.logCall(req, resp.status, resp.errorCode)
		resp.write(w, r.Method == http.MethodHead)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.Header.Set(motoAccountHeader, req.account)
	o.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestKey{}, req)))
}

// identify decides who signed the request and which account it acts in.
func (o *Org) identify(req *request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if req.region != "" {
		o.regions[req.region] = true
	}
	switch {
	case o.sessions[req.keyID] != nil:
		req.session = o.sessions[req.keyID]
		req.caller, req.account = CallerRootSession, req.session.account
	case o.memberKeys[req.keyID] != "":
		req.caller, req.account = CallerMember, o.memberKeys[req.keyID]
	default:
		req.caller, req.account = CallerManagement, o.managementID
	}
}

// answer returns the layer's own answer to req, or nil to pass it to moto.
func (o *Org) answer(req *request) *response {
	if resp := o.applyFaults(req); resp != nil {
		return resp
	}
	if s := req.session; s != nil {
		if !o.now().Before(s.expires) {
			// AWS's common errors give ExpiredTokenException 403; S3's error
			// list gives ExpiredToken 400.
			status := http.StatusForbidden
			if req.protocol == protoS3 {
				status = http.StatusBadRequest
			}
			return req.errorResponse(apiError{status: status, code: "ExpiredToken",
				message: "The security token included in the request is expired"})
		}
		if resp := o.enforce(req); resp != nil {
			return resp
		}
	}
	if resp := o.checkBucketOwner(req); resp != nil {
		return resp
	}
	switch {
	case req.service == "sts" && req.action == "AssumeRoot":
		return o.assumeRoot(req)
	case req.service == "sts" && req.action == "AssumeRole":
		return o.checkAssumeRole(req)
	case req.service == "sts" && req.action == "GetCallerIdentity" && req.session != nil:
		return req.queryResponse(stsNamespace, "<Arn>arn:aws:iam::"+req.account+":root</Arn><UserId>"+req.account+"</UserId><Account>"+req.account+"</Account>")
	case req.service == "iam" && req.action == "ListOrganizationsFeatures":
		return o.listOrganizationsFeatures(req)
	case req.service == "iam" && req.session != nil:
		return o.serveRootUser(req)
	case req.service == "organizations":
		return o.serveOrganizations(req)
	}
	return nil
}

// afterMoto records what the layer learns from moto's answers: member keys
// from AssumeRole, bucket owners, SNS messages, and the call log. It runs
// before the answer's body reaches the client.
func (o *Org) afterMoto(resp *http.Response) error {
	req, _ := resp.Request.Context().Value(requestKey{}).(*request)
	if req == nil {
		return nil
	}
	code := ""
	ok := resp.StatusCode < 300
	needBody := !ok || (req.service == "sts" && req.action == "AssumeRole")
	if needBody {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if !ok {
			code = errorCodeOf(resp.Header, body)
		} else {
			o.recordAssumeRole(req, body)
		}
	}
	if ok && req.service == "sns" && req.action == "Publish" {
		o.recordPublish(req)
	}
	o.recordBucket(req, resp.StatusCode)
	o.logCall(req, resp.StatusCode, code)
	return nil
}

func (o *Org) motoFailed(w http.ResponseWriter, r *http.Request, err error) {
	req, _ := r.Context().Value(requestKey{}).(*request)
	o.logger.Error("moto request failed", "err", err)
	if req == nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	resp := req.errorResponse(apiError{status: http.StatusBadGateway, code: "ServiceUnavailable", message: "local organization: moto_server: " + err.Error()})
	o.logCall(req, resp.status, resp.errorCode)
	resp.write(w, r.Method == http.MethodHead)
}

// checkAssumeRole refuses AssumeRole into a role of an account outside the
// organization, as the role's trust policy would; nil passes the request to
// moto, which would hand out keys for any account.
func (o *Org) checkAssumeRole(req *request) *response {
	roleARN := req.param("RoleArn")
	account := arnAccount(roleARN)
	if account == "" {
		return nil // moto validates the ARN
	}
	o.mu.Lock()
	_, inOrg := o.accounts[account]
	o.mu.Unlock()
	if inOrg {
		return nil
	}
	return req.errorResponse(apiError{status: http.StatusForbidden, code: "AccessDenied",
		message: "User in account " + req.account + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN +
			" (account " + account + " is not in the organization)"})
}

// recordAssumeRole remembers the keys of a role in a member account, so that
// later requests signed with them act in that account. Keys of a role in the
// management account stay the management account's.
func (o *Org) recordAssumeRole(req *request, body []byte) {
	account := arnAccount(req.param("RoleArn"))
	if account == "" {
		return
	}
	var out struct {
		KeyID string `xml:"AssumeRoleResult>Credentials>AccessKeyId"`
	}
	if err := xml.Unmarshal(body, &out); err != nil || out.KeyID == "" {
		o.logger.Warn("AssumeRole answer without credentials", "err", err)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, member := o.accounts[account]; member && account != o.managementID {
		o.memberKeys[out.KeyID] = account
	}
}

// arnAccount is the account field of an ARN, or "" when it has none.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || !accountIDPattern.MatchString(parts[4]) {
		return ""
	}
	return parts[4]
}

// recordPublish keeps a published SNS message for the state.
func (o *Org) recordPublish(req *request) {
	p := req.params
	msg := SNSMessage{TopicARN: p.Get("TopicArn"), Subject: p.Get("Subject"), Message: p.Get("Message"), Attributes: map[string]string{}}
	if msg.TopicARN == "" {
		msg.TopicARN = p.Get("TargetArn")
	}
	for i := 1; ; i++ {
		prefix := "MessageAttributes.entry." + strconv.Itoa(i)
		name := p.Get(prefix + ".Name")
		if name == "" {
			break
		}
		v := p.Get(prefix + ".Value.StringValue")
		if v == "" {
			v = p.Get(prefix + ".Value.BinaryValue")
		}
		msg.Attributes[name] = v
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sns = append(o.sns, msg)
}

func (o *Org) logCall(req *request, status int, code string) {
	c := Call{Account: req.account, Service: req.service, Action: req.action, Caller: req.caller,
		Region: req.region, Status: status, ErrorCode: code}
	if req.session != nil {
		c.TaskPolicy = req.session.task
	}
	o.mu.Lock()
	o.calls = append(o.calls, c)
	o.mu.Unlock()
	o.logger.Debug("call", "account", c.Account, "service", c.Service, "action", c.Action,
		"caller", c.Caller, "task_policy", c.TaskPolicy, "status", c.Status, "error_code", c.ErrorCode)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
