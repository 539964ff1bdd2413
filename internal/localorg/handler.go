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
		resp.write(w, r.Method == http.MethodHead)
		o.logCall(req, resp.status, resp.errorCode)
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
			return req.errorResponse(apiError{status: http.StatusBadRequest, code: "ExpiredToken",
				message: "The security token included in the request is expired"})
		}
		if resp := o.enforce(req); resp != nil {
			return resp
		}
	}
	switch {
	case req.service == "sts" && req.action == "AssumeRoot":
		return o.assumeRoot(req)
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
// from AssumeRole, SNS messages, and the call log.
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
	resp.write(w, r.Method == http.MethodHead)
	o.logCall(req, resp.status, resp.errorCode)
}

// recordAssumeRole remembers the keys of a role in a member account, so that
// later requests signed with them act in that account.
func (o *Org) recordAssumeRole(req *request, body []byte) {
	roleARN := req.param("RoleArn")
	parts := strings.Split(roleARN, ":")
	if len(parts) < 6 || !accountIDPattern.MatchString(parts[4]) {
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
	if parts[4] != o.managementID {
		o.memberKeys[out.KeyID] = parts[4]
	}
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
