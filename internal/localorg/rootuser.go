package localorg

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// rootUser is the root user of one account: what AssumeRoot sessions inspect
// and remove.
type rootUser struct {
	password        bool
	passwordCreated time.Time
	accessKeys      []rootKey
	certificates    []rootKey
	mfaDevices      []mfaDevice
}

type rootKey struct {
	id      string
	created time.Time
}

type mfaDevice struct {
	serial  string
	kind    string
	active  bool
	enabled time.Time
}

func newRootUser(accountID string, s SeedRoot, now time.Time) rootUser {
	now = now.Truncate(time.Second)
	r := rootUser{password: s.Password, passwordCreated: now}
	for range s.AccessKeys {
		r.accessKeys = append(r.accessKeys, rootKey{id: "AKIA" + randomString(upperDigits, 16), created: now})
	}
	for range s.SigningCertificates {
		r.certificates = append(r.certificates, rootKey{id: randomString(upperDigits, 32), created: now})
	}
	virtual := 0
	for _, kind := range s.MFADevices {
		d := mfaDevice{kind: kind, active: true, enabled: now}
		switch kind {
		case MFAVirtual:
			virtual++
			d.serial = fmt.Sprintf("arn:aws:iam::%s:mfa/root-account-mfa-device", accountID)
			if virtual > 1 {
				d.serial += fmt.Sprint("-", virtual)
			}
		case MFAPasskey:
			d.serial = fmt.Sprintf("arn:aws:iam::%s:u2f/root/passkey-%s", accountID, randomString(lowerDigits, 26))
		case MFAHardware:
			d.serial = "GAHT" + randomString("0123456789", 8)
		}
		r.mfaDevices = append(r.mfaDevices, d)
	}
	return r
}

func (r *rootUser) state() RootState {
	s := RootState{Password: r.password, AccessKeys: []string{}, SigningCertificates: []string{}, MFADevices: []MFADeviceState{}}
	for _, k := range r.accessKeys {
		s.AccessKeys = append(s.AccessKeys, k.id)
	}
	for _, c := range r.certificates {
		s.SigningCertificates = append(s.SigningCertificates, c.id)
	}
	for _, d := range r.mfaDevices {
		s.MFADevices = append(s.MFADevices, MFADeviceState{Serial: d.serial, Kind: d.kind, Active: d.active})
	}
	return s
}

func (r *rootUser) mfaEnabled() bool {
	return slices.ContainsFunc(r.mfaDevices, func(d mfaDevice) bool { return d.active })
}

// rootUserActions are the IAM actions the layer answers for the root user of a
// root session's account.
var rootUserActions = map[string]bool{
	"GetLoginProfile": true, "CreateLoginProfile": true, "DeleteLoginProfile": true,
	"ListAccessKeys": true, "DeleteAccessKey": true, "GetAccessKeyLastUsed": true,
	"ListSigningCertificates": true, "DeleteSigningCertificate": true,
	"ListMFADevices": true, "DeactivateMFADevice": true, "DeleteVirtualMFADevice": true,
	"GetAccountSummary": true, "GetUser": true,
}

// serveRootUser answers an IAM call of a root session on its account's root
// user. It returns nil when the call is not about the root user (moto then
// answers it).
func (o *Org) serveRootUser(req *request) *response {
	if req.service != "iam" || !rootUserActions[req.action] {
		return nil
	}
	p := req.params
	o.mu.Lock()
	defer o.mu.Unlock()
	acct := o.accounts[req.account]
	if acct == nil {
		return req.errorResponse(apiError{status: 404, code: "NoSuchEntity", message: "The account " + req.account + " is not part of the organization."})
	}
	r := &acct.root
	now := o.nowLocked()
	noSuch := func(msg string) *response {
		return req.errorResponse(apiError{status: http.StatusNotFound, code: "NoSuchEntity", message: msg})
	}
	var result strings.Builder
	switch req.action {
	case "GetLoginProfile":
		if !r.password {
			return noSuch("Login Profile for User root cannot be found.")
		}
		fmt.Fprintf(&result, "<LoginProfile><CreateDate>%s</CreateDate><PasswordResetRequired>false</PasswordResetRequired></LoginProfile>", isoTime(r.passwordCreated))
	case "CreateLoginProfile":
		if p.Get("Password") != "" {
			return req.errorResponse(apiError{status: 400, code: "ValidationError",
				message: "Password must be omitted for the root user: CreateLoginProfile in a root session only enables password recovery."})
		}
		if r.password {
			return req.errorResponse(apiError{status: http.StatusConflict, code: "EntityAlreadyExists", message: "Login Profile for User root already exists."})
		}
		r.password, r.passwordCreated = true, now.Truncate(time.Second)
		fmt.Fprintf(&result, "<LoginProfile><CreateDate>%s</CreateDate><PasswordResetRequired>false</PasswordResetRequired></LoginProfile>", isoTime(r.passwordCreated))
	case "DeleteLoginProfile":
		if !r.password {
			return noSuch("Login Profile for User root cannot be found.")
		}
		r.password = false
	case "ListAccessKeys":
		result.WriteString("<AccessKeyMetadata>")
		for _, k := range r.accessKeys {
			fmt.Fprintf(&result, "<member><AccessKeyId>%s</AccessKeyId><Status>Active</Status><CreateDate>%s</CreateDate></member>", k.id, isoTime(k.created))
		}
		result.WriteString("</AccessKeyMetadata><IsTruncated>false</IsTruncated>")
	case "DeleteAccessKey":
		id := p.Get("AccessKeyId")
		i := slices.IndexFunc(r.accessKeys, func(k rootKey) bool { return k.id == id })
		if i < 0 {
			return noSuch("The Access Key with id " + id + " cannot be found.")
		}
		r.accessKeys = slices.Delete(r.accessKeys, i, i+1)
	case "GetAccessKeyLastUsed":
		id := p.Get("AccessKeyId")
		if !slices.ContainsFunc(r.accessKeys, func(k rootKey) bool { return k.id == id }) {
			return nil // not root's key: moto knows the account's IAM users
		}
		result.WriteString("<AccessKeyLastUsed><Region>N/A</Region><ServiceName>N/A</ServiceName></AccessKeyLastUsed>")
	case "ListSigningCertificates":
		result.WriteString("<Certificates>")
		for _, c := range r.certificates {
			fmt.Fprintf(&result, "<member><CertificateId>%s</CertificateId><CertificateBody>%s</CertificateBody><Status>Active</Status><UploadDate>%s</UploadDate></member>",
				c.id, certificateBody, isoTime(c.created))
		}
		result.WriteString("</Certificates><IsTruncated>false</IsTruncated>")
	case "DeleteSigningCertificate":
		id := p.Get("CertificateId")
		i := slices.IndexFunc(r.certificates, func(k rootKey) bool { return k.id == id })
		if i < 0 {
			return noSuch("The Certificate with id " + id + " cannot be found.")
		}
		r.certificates = slices.Delete(r.certificates, i, i+1)
	case "ListMFADevices":
		result.WriteString("<MFADevices>")
		for _, d := range r.mfaDevices {
			if d.active {
				fmt.Fprintf(&result, "<member><SerialNumber>%s</SerialNumber><EnableDate>%s</EnableDate></member>", xmlText(d.serial), isoTime(d.enabled))
			}
		}
		result.WriteString("</MFADevices><IsTruncated>false</IsTruncated>")
	case "DeactivateMFADevice":
		serial := p.Get("SerialNumber")
		i := slices.IndexFunc(r.mfaDevices, func(d mfaDevice) bool { return d.serial == serial && d.active })
		if i < 0 {
			return noSuch("MFA Device with serial number " + serial + " does not exist.")
		}
		// A virtual device remains as an object of the account until deleted;
		// a passkey or hardware device is simply detached from root.
		if r.mfaDevices[i].kind == MFAVirtual {
			r.mfaDevices[i].active = false
		} else {
			r.mfaDevices = slices.Delete(r.mfaDevices, i, i+1)
		}
	case "DeleteVirtualMFADevice":
		serial := p.Get("SerialNumber")
		i := slices.IndexFunc(r.mfaDevices, func(d mfaDevice) bool { return d.serial == serial && d.kind == MFAVirtual })
		if i < 0 {
			return noSuch("VirtualMFADevice with serial number " + serial + " does not exist.")
		}
		if r.mfaDevices[i].active {
			return req.errorResponse(apiError{status: http.StatusConflict, code: "DeleteConflict", message: "MFA VirtualDevice in use. Must deactivate first."})
		}
		r.mfaDevices = slices.Delete(r.mfaDevices, i, i+1)
	case "GetAccountSummary":
		entries := []struct {
			key string
			on  bool
		}{
			{"AccountMFAEnabled", r.mfaEnabled()},
			{"AccountAccessKeysPresent", len(r.accessKeys) > 0},
			{"AccountPasswordPresent", r.password},
			{"AccountSigningCertificatesPresent", len(r.certificates) > 0},
		}
		result.WriteString("<SummaryMap>")
		for _, e := range entries {
			v := 0
			if e.on {
				v = 1
			}
			fmt.Fprintf(&result, "<entry><key>%s</key><value>%d</value></entry>", e.key, v)
		}
		result.WriteString("</SummaryMap>")
	case "GetUser":
		fmt.Fprintf(&result, "<User><UserId>%s</UserId><Arn>arn:aws:iam::%s:root</Arn><CreateDate>%s</CreateDate></User>",
			acct.id, acct.id, isoTime(acct.joinedAt))
	}
	return req.queryResponse(iamNamespace, result.String())
}

// certificateBody stands in for the PEM body AWS returns; nothing parses it.
const certificateBody = "-----BEGIN CERTIFICATE-----\nbG9jYWxvcmcgdGVzdCBjZXJ0aWZpY2F0ZQ==\n-----END CERTIFICATE-----"

const (
	upperDigits = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	lowerDigits = "abcdefghijklmnopqrstuvwxyz0123456789"
)

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
