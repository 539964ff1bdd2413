package trail

import "strings"

// MFAUsage is what a sign-in record says about MFA.
type MFAUsage string

const (
	MFAUnknown MFAUsage = ""    // not recorded, or a value we do not know
	MFAYes     MFAUsage = "Yes" // additionalEventData.MFAUsed "Yes" (any case)
	MFANo      MFAUsage = "No"
)

// ConsoleLogin is a console sign-in (signin.amazonaws.com ConsoleLogin).
// The account, source IP, user agent and region are on the Record.
type ConsoleLogin struct {
	Root          bool   // userIdentity.type Root
	Success       bool   // responseElements.ConsoleLogin "Success"
	Result        string // the result as recorded: "Success" or "Failure"
	MFA           MFAUsage
	MFAIdentifier string // the device used, when recorded
	LoginTo       string
	MobileVersion string
	UserName      string
}

// ConsoleLogin decodes a console sign-in. The result comes from
// responseElements.ConsoleLogin; when a record lacks it but has an
// errorMessage it counts as a failure. Sign-in failures often lack
// userIdentity details, so only an account from some field is required
// (see Record.AccountID).
func (r Record) ConsoleLogin() (ConsoleLogin, error) {
	if err := r.expect(KindConsoleLogin); err != nil {
		return ConsoleLogin{}, err
	}
	c := ConsoleLogin{Root: r.IsRoot(), UserName: r.UserIdentity.UserName}
	resp, ok, err := r.responseElements()
	if err != nil {
		return ConsoleLogin{}, err
	}
	if ok {
		if c.Result, err = resp.str("ConsoleLogin"); err != nil {
			return ConsoleLogin{}, err
		}
	}
	switch {
	case strings.EqualFold(c.Result, "Success"):
		c.Success = true
	case strings.EqualFold(c.Result, "Failure"):
	case c.Result == "" && r.ErrorMessage != "":
		c.Result = "Failure"
	case c.Result == "":
		return ConsoleLogin{}, missing("detail.responseElements.ConsoleLogin")
	default:
		return ConsoleLogin{}, fieldErr("detail.responseElements.ConsoleLogin", "want Success or Failure, got %q", c.Result)
	}
	if r.AccountID() == "" {
		return ConsoleLogin{}, fieldErr("detail.recipientAccountId", "missing, and no userIdentity.accountId or event account")
	}
	extra, ok, err := optionalObject("detail.additionalEventData", r.AdditionalEventData)
	if err != nil || !ok {
		return c, err
	}
	mfa, err := extra.str("MFAUsed")
	if err != nil {
		return ConsoleLogin{}, err
	}
	switch {
	case strings.EqualFold(mfa, "yes"):
		c.MFA = MFAYes
	case strings.EqualFold(mfa, "no"):
		c.MFA = MFANo
	}
	if err := readStrings(extra, []stringField{
		{"MFAIdentifier", &c.MFAIdentifier},
		{"LoginTo", &c.LoginTo},
		{"MobileVersion", &c.MobileVersion},
	}); err != nil {
		return ConsoleLogin{}, err
	}
	return c, nil
}
