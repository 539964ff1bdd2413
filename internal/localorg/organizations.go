package localorg

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// listOrganizationsFeatures answers iam:ListOrganizationsFeatures (facts §4).
func (o *Org) listOrganizationsFeatures(req *request) *response {
	o.mu.Lock()
	defer o.mu.Unlock()
	if req.caller != CallerManagement {
		return req.errorResponse(apiError{status: http.StatusBadRequest, code: "AccountNotManagementOrDelegatedAdministratorException",
			message: "The requested operation can only be performed by the management account or delegated administrator of the organization."})
	}
	if !o.trustedAccess {
		return req.errorResponse(apiError{status: http.StatusBadRequest, code: "ServiceAccessNotEnabledException",
			message: "Trusted access for IAM is not enabled in AWS Organizations."})
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<OrganizationId>%s</OrganizationId><EnabledFeatures>", o.organizationID)
	for _, f := range o.features {
		fmt.Fprintf(&b, "<member>%s</member>", f)
	}
	b.WriteString("</EnabledFeatures>")
	return req.queryResponse(iamNamespace, b.String())
}

// organizationsAccount is an Account of the Organizations JSON API.
type organizationsAccount struct {
	ID              string  `json:"Id"`
	Arn             string  `json:"Arn"`
	Email           string  `json:"Email"`
	Name            string  `json:"Name"`
	Status          string  `json:"Status"`
	State           string  `json:"State"`
	JoinedMethod    string  `json:"JoinedMethod"`
	JoinedTimestamp float64 `json:"JoinedTimestamp"`
}

func (o *Org) organizationsAccount(a *account) organizationsAccount {
	return organizationsAccount{
		ID:              a.id,
		Arn:             fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.managementID, o.organizationID, a.id),
		Email:           a.email,
		Name:            a.name,
		Status:          "ACTIVE",
		State:           "ACTIVE",
		JoinedMethod:    strings.ToUpper(a.joined),
		JoinedTimestamp: float64(a.joinedAt.Unix()),
	}
}

// serveOrganizations answers the Organizations calls whose answers depend on
// the seeded accounts; nil passes the rest to moto.
func (o *Org) serveOrganizations(req *request) *response {
	switch req.action {
	case "ListAccounts", "DescribeAccount", "DescribeOrganization":
	default:
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if req.caller != CallerManagement && req.action != "DescribeOrganization" {
		return req.errorResponse(apiError{status: http.StatusBadRequest, code: "AccessDeniedException",
			message: "You don't have permissions to access this resource."})
	}
	switch req.action {
	case "DescribeOrganization":
		mgmt := o.accounts[o.managementID]
		return req.jsonResponse(map[string]any{"Organization": map[string]any{
			"Id":                 o.organizationID,
			"Arn":                fmt.Sprintf("arn:aws:organizations::%s:organization/%s", o.managementID, o.organizationID),
			"FeatureSet":         "ALL",
			"MasterAccountArn":   fmt.Sprintf("arn:aws:organizations::%s:account/%s/%s", o.managementID, o.organizationID, o.managementID),
			"MasterAccountId":    o.managementID,
			"MasterAccountEmail": mgmt.email,
			"AvailablePolicyTypes": []map[string]string{
				{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"},
			},
		}})
	case "DescribeAccount":
		id := req.param("AccountId")
		a := o.accounts[id]
		if a == nil {
			return req.errorResponse(apiError{status: http.StatusBadRequest, code: "AccountNotFoundException",
				message: "You specified an account that doesn't exist."})
		}
		return req.jsonResponse(map[string]any{"Account": o.organizationsAccount(a)})
	}
	maxResults := 20
	if v, ok := req.jsonBody["MaxResults"].(float64); ok {
		if v < 1 || v > 20 {
			return req.errorResponse(apiError{status: http.StatusBadRequest, code: "InvalidInputException",
				message: "MaxResults must be between 1 and 20."})
		}
		maxResults = int(v)
	}
	start := 0
	if tok := req.param("NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "localorg-"))
		if err != nil || n < 0 || n > len(o.accountOrder) {
			return req.errorResponse(apiError{status: http.StatusBadRequest, code: "InvalidInputException",
				message: "The NextToken is not valid."})
		}
		start = n
	}
	end := min(start+maxResults, len(o.accountOrder))
	page := []organizationsAccount{}
	for _, id := range o.accountOrder[start:end] {
		page = append(page, o.organizationsAccount(o.accounts[id]))
	}
	out := map[string]any{"Accounts": page}
	if end < len(o.accountOrder) {
		out["NextToken"] = "localorg-" + strconv.Itoa(end)
	}
	return req.jsonResponse(out)
}
