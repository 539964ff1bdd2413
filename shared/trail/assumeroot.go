package trail

import "strings"

// AssumeRoot is an sts:AssumeRoot call, recorded in the calling (management
// or delegated administrator) account.
type AssumeRoot struct {
	TargetPrincipal string // member account id or principal ARN, as requested
	TaskPolicyARN   string // arn:aws:iam::aws:policy/root-task/<Name>
	DurationSeconds int    // 0 when the request left the default
	AccessKeyID     string // the root session's key; the member account's records carry it
	Expiration      Timestamp
	CallerARN       string // userIdentity.arn
	IssuerARN       string // the role (or user) behind CallerARN's session; empty for IAM users
}

// AssumeRoot decodes an sts:AssumeRoot record. A successful call must name
// its target and task policy; for a failed one (errorCode) they are kept
// when present, since an attempt is still worth reporting.
func (r Record) AssumeRoot() (AssumeRoot, error) {
	if err := r.expect(KindAssumeRoot); err != nil {
		return AssumeRoot{}, err
	}
	a := AssumeRoot{
		CallerARN: r.UserIdentity.ARN,
		IssuerARN: r.UserIdentity.SessionContext.SessionIssuer.ARN,
	}
	req, ok, err := r.requestParameters()
	if err != nil {
		return AssumeRoot{}, err
	}
	if !ok && !r.Failed() {
		return AssumeRoot{}, missing("detail.requestParameters")
	}
	if ok {
		if a.TargetPrincipal, err = req.str("targetPrincipal"); err != nil {
			return AssumeRoot{}, err
		}
		if a.DurationSeconds, err = req.integer("durationSeconds"); err != nil {
			return AssumeRoot{}, err
		}
		tp, hasTP, err := req.obj("taskPolicyArn")
		if err != nil {
			return AssumeRoot{}, err
		}
		if hasTP {
			if a.TaskPolicyARN, err = tp.str("arn"); err != nil {
				return AssumeRoot{}, err
			}
		}
		if !r.Failed() {
			if a.TargetPrincipal == "" {
				return AssumeRoot{}, missing("detail.requestParameters.targetPrincipal")
			}
			if a.TaskPolicyARN == "" {
				return AssumeRoot{}, missing("detail.requestParameters.taskPolicyArn.arn")
			}
		}
	}
	// The session's key helps responders but is not needed to report the
	// session, so its absence is tolerated.
	resp, ok, err := r.responseElements()
	if err != nil || !ok {
		return a, err
	}
	creds, ok, err := resp.obj("credentials")
	if err != nil || !ok {
		return a, err
	}
	if a.AccessKeyID, err = creds.str("accessKeyId"); err != nil {
		return AssumeRoot{}, err
	}
	if a.Expiration, err = creds.timestamp("expiration"); err != nil {
		return AssumeRoot{}, err
	}
	return a, nil
}

// TargetAccount is the account id of TargetPrincipal (a bare id or an ARN),
// or "" when it names none.
func (a AssumeRoot) TargetAccount() string {
	if isAccountID(a.TargetPrincipal) {
		return a.TargetPrincipal
	}
	// arn:partition:service:region:account:resource
	parts := strings.SplitN(a.TargetPrincipal, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && isAccountID(parts[4]) {
		return parts[4]
	}
	return ""
}

// TaskPolicy is the task policy's name, such as "IAMDeleteRootUserCredentials".
func (a AssumeRoot) TaskPolicy() string {
	return a.TaskPolicyARN[strings.LastIndex(a.TaskPolicyARN, "/")+1:]
}

// Caller is the principal to judge the call by: the issuing role for a role
// session (what rootguard's own-role patterns match), else the caller's ARN.
func (a AssumeRoot) Caller() string {
	if a.IssuerARN != "" {
		return a.IssuerARN
	}
	return a.CallerARN
}
