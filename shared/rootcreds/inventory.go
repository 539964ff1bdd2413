// Package rootcreds lists and removes the credentials of an AWS account's
// root user through an IAM client that runs in a root session
// (rootsession.AuditRootUserCredentials or DeleteRootUserCredentials).
//
// Every call omits UserName: inside a root session IAM then acts on the root
// user of the session's account.
package rootcreds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rootguard/rootguard/shared/awserr"
)

// InventoryAPI is the IAM calls Inventory makes, all allowed by the audit
// and delete task policies.
type InventoryAPI interface {
	GetLoginProfile(ctx context.Context, params *iam.GetLoginProfileInput, optFns ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	ListAccessKeys(ctx context.Context, params *iam.ListAccessKeysInput, optFns ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	ListSigningCertificates(ctx context.Context, params *iam.ListSigningCertificatesInput, optFns ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error)
	ListMFADevices(ctx context.Context, params *iam.ListMFADevicesInput, optFns ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
}

var _ InventoryAPI = (*iam.Client)(nil)

// Credentials is what a root user has: the result of Inventory.
type Credentials struct {
	Password            bool                 `json:"password"`
	AccessKeys          []AccessKey          `json:"access_keys"`
	SigningCertificates []SigningCertificate `json:"signing_certificates"`
	MFADevices          []MFADevice          `json:"mfa_devices"`
}

// AccessKey is a root access key.
type AccessKey struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"` // Active or Inactive
	Created time.Time `json:"created,omitzero"`
}

// SigningCertificate is a root X.509 signing certificate.
type SigningCertificate struct {
	ID       string    `json:"id"`
	Status   string    `json:"status"`
	Uploaded time.Time `json:"uploaded,omitzero"`
}

// MFADevice is an MFA device assigned to the root user.
type MFADevice struct {
	Serial     string    `json:"serial"`
	Kind       MFAKind   `json:"kind"`
	EnableDate time.Time `json:"enable_date,omitzero"`
}

// MFAKind tells MFA devices apart by what their serial looks like.
type MFAKind string

// Kinds of MFA device (facts §3).
const (
	Virtual  MFAKind = "virtual"  // arn:aws:iam::<account>:mfa/<name>; an IAM object of its own
	Passkey  MFAKind = "passkey"  // arn:aws:iam::<account>:u2f/...; FIDO security key or passkey
	Hardware MFAKind = "hardware" // any other serial: hardware TOTP token
)

// KindOf classifies an MFA device by its serial number.
func KindOf(serial string) MFAKind {
	// arn:partition:iam::account:resource
	parts := strings.SplitN(serial, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return Hardware
	}
	switch resource := parts[5]; {
	case strings.HasPrefix(resource, "mfa/"):
		return Virtual
	case strings.HasPrefix(resource, "u2f/"):
		return Passkey
	}
	return Hardware
}

// Empty reports whether the root user has no credentials at all.
func (inv Credentials) Empty() bool {
	return !inv.Password && len(inv.AccessKeys) == 0 && len(inv.SigningCertificates) == 0 && len(inv.MFADevices) == 0
}

// Inventory lists the root user's credentials. The four lists are fetched
// concurrently; every page of each is read.
func Inventory(ctx context.Context, client InventoryAPI) (Credentials, error) {
	var (
		inv  Credentials
		wg   sync.WaitGroup
		errs [4]error
	)
	wg.Go(func() { inv.Password, errs[0] = hasPassword(ctx, client) })
	wg.Go(func() { inv.AccessKeys, errs[1] = listAccessKeys(ctx, client) })
	wg.Go(func() { inv.SigningCertificates, errs[2] = listSigningCertificates(ctx, client) })
	wg.Go(func() { inv.MFADevices, errs[3] = listMFADevices(ctx, client) })
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return Credentials{}, fmt.Errorf("inventory root credentials: %w", err)
	}
	return inv, nil
}

func hasPassword(ctx context.Context, client InventoryAPI) (bool, error) {
	_, err := client.GetLoginProfile(ctx, &iam.GetLoginProfileInput{})
	switch {
	case err == nil:
		return true, nil
	case awserr.Is(err, "NoSuchEntity"): // facts §3: no password
		return false, nil
	}
	return false, fmt.Errorf("get login profile: %w", err)
}

func listAccessKeys(ctx context.Context, client InventoryAPI) ([]AccessKey, error) {
	var keys []AccessKey
	err := pages(ctx, func(marker *string) (bool, *string, error) {
		out, err := client.ListAccessKeys(ctx, &iam.ListAccessKeysInput{Marker: marker})
		if err != nil {
			return false, nil, err
		}
		for _, k := range out.AccessKeyMetadata {
			keys = append(keys, AccessKey{ID: aws.ToString(k.AccessKeyId), Status: string(k.Status), Created: aws.ToTime(k.CreateDate)})
		}
		return out.IsTruncated, out.Marker, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	return keys, nil
}

func listSigningCertificates(ctx context.Context, client InventoryAPI) ([]SigningCertificate, error) {
	var certs []SigningCertificate
	err := pages(ctx, func(marker *string) (bool, *string, error) {
		out, err := client.ListSigningCertificates(ctx, &iam.ListSigningCertificatesInput{Marker: marker})
		if err != nil {
			return false, nil, err
		}
		for _, c := range out.Certificates {
			certs = append(certs, SigningCertificate{ID: aws.ToString(c.CertificateId), Status: string(c.Status), Uploaded: aws.ToTime(c.UploadDate)})
		}
		return out.IsTruncated, out.Marker, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list signing certificates: %w", err)
	}
	return certs, nil
}

func listMFADevices(ctx context.Context, client InventoryAPI) ([]MFADevice, error) {
	var devices []MFADevice
	err := pages(ctx, func(marker *string) (bool, *string, error) {
		out, err := client.ListMFADevices(ctx, &iam.ListMFADevicesInput{Marker: marker})
		if err != nil {
			return false, nil, err
		}
		for _, d := range out.MFADevices {
			serial := aws.ToString(d.SerialNumber)
			devices = append(devices, MFADevice{Serial: serial, Kind: KindOf(serial), EnableDate: aws.ToTime(d.EnableDate)})
		}
		return out.IsTruncated, out.Marker, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list MFA devices: %w", err)
	}
	return devices, nil
}

// pages calls page with each marker until a page is not truncated.
func pages(ctx context.Context, page func(marker *string) (truncated bool, next *string, err error)) error {
	var marker *string
	seen := map[string]bool{}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		truncated, next, err := page(marker)
		if err != nil {
			return err
		}
		if !truncated {
			return nil
		}
		// A truncated page must lead somewhere new, or the loop never ends.
		if aws.ToString(next) == "" {
			return errors.New("truncated page without a marker")
		}
		if seen[*next] {
			return fmt.Errorf("marker %q repeated", *next)
		}
		seen[*next] = true
		marker = next
	}
}
