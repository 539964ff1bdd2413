package localorg

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
)

// Organization features as ListOrganizationsFeatures names them.
const (
	FeatureRootCredentialsManagement = "RootCredentialsManagement"
	FeatureRootSessions              = "RootSessions"
)

// Kinds of root MFA device a seed may give an account.
const (
	MFAVirtual  = "virtual"
	MFAPasskey  = "passkey"
	MFAHardware = "hardware"
)

// Defaults used when a seed leaves the organization's identity out
// (documentation values).
const (
	DefaultManagementAccountID = "111122223333"
	DefaultOrganizationID      = "o-exampleorgid"
	DefaultRegion              = "us-east-1"
)

// Seed describes an organization: its management account, its features and
// its member accounts with their root credentials, buckets and queues.
//
// Every field but an account's ID is optional. For the first seed an absent
// Features list means both features are enabled; in a later seed (POST
// /_localorg/seed) absent top-level fields leave the organization unchanged.
type Seed struct {
	ManagementAccountID string   `json:"management_account_id,omitempty"`
	OrganizationID      string   `json:"organization_id,omitempty"`
	Features            []string `json:"features"` // null or absent: unchanged; [] none
	// IAMTrustedAccess false makes ListOrganizationsFeatures answer
	// ServiceAccessNotEnabledException. Absent means true.
	IAMTrustedAccess *bool `json:"iam_trusted_access,omitempty"`
	// DeleteVirtualMFAAllowed decides whether the IAMDeleteRootUserCredentials
	// session may call DeleteVirtualMFADevice (open in AWS's facts; default no).
	DeleteVirtualMFAAllowed *bool         `json:"delete_virtual_mfa_allowed,omitempty"`
	Accounts                []SeedAccount `json:"accounts,omitempty"`
}

// SeedAccount is one account of the organization. The management account may
// appear here too, to give it a name and email.
type SeedAccount struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Joined is "created" (default) or "invited".
	Joined  string       `json:"joined,omitempty"`
	Root    *SeedRoot    `json:"root,omitempty"`
	Buckets []SeedBucket `json:"buckets,omitempty"`
	Queues  []SeedQueue  `json:"queues,omitempty"`
}

// SeedRoot gives the credentials of an account's root user.
type SeedRoot struct {
	Password            bool     `json:"password,omitempty"`
	AccessKeys          int      `json:"access_keys,omitempty"`
	SigningCertificates int      `json:"signing_certificates,omitempty"`
	MFADevices          []string `json:"mfa_devices,omitempty"`
}

// SeedBucket is an S3 bucket; a nil Policy means no bucket policy.
type SeedBucket struct {
	Name   string          `json:"name"`
	Region string          `json:"region,omitempty"`
	Policy json.RawMessage `json:"policy,omitempty"`
}

// SeedQueue is an SQS queue; a nil Policy means no Policy attribute.
type SeedQueue struct {
	Name   string          `json:"name"`
	Region string          `json:"region,omitempty"`
	Policy json.RawMessage `json:"policy,omitempty"`
}

// LoadSeed reads and validates a seed file.
func LoadSeed(path string) (*Seed, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read seed: %w", err)
	}
	s, err := ParseSeed(b)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", path, err)
	}
	return s, nil
}

// ParseSeed decodes and validates a seed; unknown fields are errors.
func ParseSeed(b []byte) (*Seed, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var s Seed
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("decode seed: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode seed: trailing data after the JSON object")
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

var (
	accountIDPattern  = regexp.MustCompile(`^[0-9]{12}$`)
	orgIDPattern      = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
	bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	queueNamePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}(\.fifo)?$`)
	regionPattern     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
)

// Validate reports the first problem of the seed, naming where it is.
func (s *Seed) Validate() error {
	if s.ManagementAccountID != "" && !accountIDPattern.MatchString(s.ManagementAccountID) {
		return fmt.Errorf("management_account_id %q: want 12 digits", s.ManagementAccountID)
	}
	if s.OrganizationID != "" && !orgIDPattern.MatchString(s.OrganizationID) {
		return fmt.Errorf("organization_id %q: want o- and 10 to 32 lower-case letters or digits", s.OrganizationID)
	}
	for _, f := range s.Features {
		if f != FeatureRootCredentialsManagement && f != FeatureRootSessions {
			return fmt.Errorf("features: unknown feature %q (known: %s, %s)", f, FeatureRootCredentialsManagement, FeatureRootSessions)
		}
	}
	seen := map[string]bool{}
	bucketAccount := map[string]string{} // bucket names are global
	for i, a := range s.Accounts {
		where := fmt.Sprintf("accounts[%d]", i)
		if !accountIDPattern.MatchString(a.ID) {
			return fmt.Errorf("%s: id %q: want 12 digits", where, a.ID)
		}
		if seen[a.ID] {
			return fmt.Errorf("%s: account %s listed twice", where, a.ID)
		}
		seen[a.ID] = true
		if err := a.validate(); err != nil {
			return fmt.Errorf("%s (%s): %w", where, a.ID, err)
		}
		for _, b := range a.Buckets {
			if other, ok := bucketAccount[b.Name]; ok {
				return fmt.Errorf("%s (%s): bucket %q is also seeded in account %s; bucket names are global", where, a.ID, b.Name, other)
			}
			bucketAccount[b.Name] = a.ID
		}
	}
	return nil
}

func (a *SeedAccount) validate() error {
	if a.Joined != "" && a.Joined != "created" && a.Joined != "invited" {
		return fmt.Errorf("joined %q: want created or invited", a.Joined)
	}
	if r := a.Root; r != nil {
		if r.AccessKeys < 0 || r.AccessKeys > 2 {
			return fmt.Errorf("root.access_keys %d: want 0 to 2", r.AccessKeys)
		}
		if r.SigningCertificates < 0 || r.SigningCertificates > 2 {
			return fmt.Errorf("root.signing_certificates %d: want 0 to 2", r.SigningCertificates)
		}
		for _, k := range r.MFADevices {
			if k != MFAVirtual && k != MFAPasskey && k != MFAHardware {
				return fmt.Errorf("root.mfa_devices: unknown kind %q (known: virtual, passkey, hardware)", k)
			}
		}
		if len(r.MFADevices) > 8 {
			return fmt.Errorf("root.mfa_devices: %d devices, at most 8", len(r.MFADevices))
		}
	}
	var names []string
	for i, b := range a.Buckets {
		if !bucketNamePattern.MatchString(b.Name) {
			return fmt.Errorf("buckets[%d]: name %q is not a valid bucket name", i, b.Name)
		}
		if slices.Contains(names, b.Name) {
			return fmt.Errorf("buckets[%d]: bucket %q listed twice", i, b.Name)
		}
		names = append(names, b.Name)
		if err := validateRegionPolicy(b.Region, b.Policy); err != nil {
			return fmt.Errorf("buckets[%d] (%s): %w", i, b.Name, err)
		}
	}
	names = nil // queue names are per region
	for i, q := range a.Queues {
		if !queueNamePattern.MatchString(q.Name) {
			return fmt.Errorf("queues[%d]: name %q is not a valid queue name", i, q.Name)
		}
		if slices.Contains(names, regionOr(q.Region)+"/"+q.Name) {
			return fmt.Errorf("queues[%d]: queue %q listed twice in %s", i, q.Name, regionOr(q.Region))
		}
		names = append(names, regionOr(q.Region)+"/"+q.Name)
		if err := validateRegionPolicy(q.Region, q.Policy); err != nil {
			return fmt.Errorf("queues[%d] (%s): %w", i, q.Name, err)
		}
	}
	return nil
}

func validateRegionPolicy(region string, policy json.RawMessage) error {
	if region != "" && !regionPattern.MatchString(region) {
		return fmt.Errorf("region %q is not a region name", region)
	}
	if hasPolicy(policy) {
		var obj map[string]any
		if err := json.Unmarshal(policy, &obj); err != nil {
			return fmt.Errorf("policy: want a JSON object: %w", err)
		}
	}
	return nil
}

// hasPolicy reports whether a seed's policy field holds a policy (absent and
// JSON null both mean none).
func hasPolicy(p json.RawMessage) bool {
	return len(p) > 0 && string(bytes.TrimSpace(p)) != "null"
}

func regionOr(r string) string {
	if r == "" {
		return DefaultRegion
	}
	return r
}
