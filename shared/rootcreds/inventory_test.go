package rootcreds

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		serial string
		want   MFAKind
	}{
		{virtualSerial, Virtual},
		{"arn:aws-cn:iam::444455556666:mfa/root", Virtual},
		{passkeySerial, Passkey},
		{"arn:aws-us-gov:iam::444455556666:u2f/root/key-1", Passkey},
		{hardwareSerial, Hardware},
		{"", Hardware},
		{"arn:aws:iam::444455556666:user/mfa/x", Hardware},
		{"arn:aws:sts::444455556666:mfa/x", Hardware},
		{"mfa/root", Hardware},
	}
	for _, tt := range tests {
		if got := KindOf(tt.serial); got != tt.want {
			t.Errorf("KindOf(%q) = %s, want %s", tt.serial, got, tt.want)
		}
	}
}

func TestInventory(t *testing.T) {
	u := newRootUser(true, []string{"AKIA1", "AKIA2"}, []string{"CERT1"}, []string{virtualSerial, passkeySerial, hardwareSerial})
	got, err := Inventory(context.Background(), u.client(t))
	if err != nil {
		t.Fatal(err)
	}
	want := Credentials{
		Password: true,
		AccessKeys: []AccessKey{
			{ID: "AKIA1", Status: "Active", Created: created},
			{ID: "AKIA2", Status: "Active", Created: created},
		},
		SigningCertificates: []SigningCertificate{{ID: "CERT1", Status: "Active", Uploaded: created}},
		MFADevices: []MFADevice{
			{Serial: virtualSerial, Kind: Virtual, EnableDate: created},
			{Serial: passkeySerial, Kind: Passkey, EnableDate: created},
			{Serial: hardwareSerial, Kind: Hardware, EnableDate: created},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Inventory =\n%+v\nwant\n%+v", got, want)
	}
	if got.Empty() {
		t.Error("Empty() = true")
	}
}

func TestInventoryPassword(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		want    bool
		wantErr bool
	}{
		{"present", nil, true, false},
		{"typed NoSuchEntity", noSuchEntity("GetLoginProfile"), false, false},
		{"generic NoSuchEntity", generic("GetLoginProfile", "NoSuchEntity"), false, false},
		{"suffixed code", generic("GetLoginProfile", "NoSuchEntityException"), false, false},
		{"access denied", generic("GetLoginProfile", "AccessDenied"), false, true},
		{"service failure", apiErr("GetLoginProfile", &types.ServiceFailureException{}), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRootUser(false, nil, nil, nil).client(t)
			f.getLoginProfile = func(context.Context, *iam.GetLoginProfileInput) (*iam.GetLoginProfileOutput, error) {
				if tt.err != nil {
					return nil, tt.err
				}
				return &iam.GetLoginProfileOutput{LoginProfile: &types.LoginProfile{}}, nil
			}
			got, err := Inventory(context.Background(), f)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Inventory error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				var ae smithy.APIError
				if !errors.As(err, &ae) || !strings.Contains(err.Error(), "get login profile") {
					t.Errorf("error %q lost its context or API error", err)
				}
				return
			}
			if got.Password != tt.want || got.Empty() == tt.want {
				t.Errorf("Password = %v, Empty = %v; want Password %v", got.Password, got.Empty(), tt.want)
			}
		})
	}
}

func TestInventoryListError(t *testing.T) {
	f := newRootUser(true, []string{"AKIA1"}, nil, nil).client(t)
	f.listSigningCertificates = func(context.Context, *iam.ListSigningCertificatesInput) (*iam.ListSigningCertificatesOutput, error) {
		return nil, generic("ListSigningCertificates", "AccessDenied")
	}
	inv, err := Inventory(context.Background(), f)
	if err == nil || !strings.Contains(err.Error(), "list signing certificates") {
		t.Fatalf("Inventory error = %v, want list signing certificates failure", err)
	}
	if !reflect.DeepEqual(inv, Credentials{}) {
		t.Errorf("partial inventory returned with the error: %+v", inv)
	}
}

// paged serves items in pages of size, with markers m1, m2...
func paged[T any](t *testing.T, items []T, size int) func(marker *string) ([]T, bool, *string) {
	return func(marker *string) ([]T, bool, *string) {
		start := 0
		if marker != nil {
			if _, err := fmt.Sscanf(*marker, "m%d", &start); err != nil {
				t.Errorf("bad marker %q", *marker)
			}
		}
		end := min(start+size, len(items))
		if end == len(items) {
			return items[start:end], false, nil
		}
		return items[start:end], true, aws.String(fmt.Sprintf("m%d", end))
	}
}

func TestInventoryPagination(t *testing.T) {
	var keys []types.AccessKeyMetadata
	var certs []types.SigningCertificate
	var devices []types.MFADevice
	var wantKeys, wantCerts, wantDevices []string
	for i := range 7 {
		id := fmt.Sprintf("AKIA%d", i)
		keys = append(keys, types.AccessKeyMetadata{AccessKeyId: aws.String(id)})
		wantKeys = append(wantKeys, id)
		id = fmt.Sprintf("CERT%d", i)
		certs = append(certs, types.SigningCertificate{CertificateId: aws.String(id)})
		wantCerts = append(wantCerts, id)
		id = fmt.Sprintf("SERIAL%d", i)
		devices = append(devices, types.MFADevice{SerialNumber: aws.String(id)})
		wantDevices = append(wantDevices, id)
	}
	keyPages, certPages, devicePages := paged(t, keys, 3), paged(t, certs, 2), paged(t, devices, 7)
	f := &fakeIAM{
		t: t,
		getLoginProfile: func(context.Context, *iam.GetLoginProfileInput) (*iam.GetLoginProfileOutput, error) {
			return nil, noSuchEntity("GetLoginProfile")
		},
		listAccessKeys: func(_ context.Context, in *iam.ListAccessKeysInput) (*iam.ListAccessKeysOutput, error) {
			items, truncated, next := keyPages(in.Marker)
			return &iam.ListAccessKeysOutput{AccessKeyMetadata: items, IsTruncated: truncated, Marker: next}, nil
		},
		listSigningCertificates: func(_ context.Context, in *iam.ListSigningCertificatesInput) (*iam.ListSigningCertificatesOutput, error) {
			items, truncated, next := certPages(in.Marker)
			return &iam.ListSigningCertificatesOutput{Certificates: items, IsTruncated: truncated, Marker: next}, nil
		},
		listMFADevices: func(_ context.Context, in *iam.ListMFADevicesInput) (*iam.ListMFADevicesOutput, error) {
			items, truncated, next := devicePages(in.Marker)
			return &iam.ListMFADevicesOutput{MFADevices: items, IsTruncated: truncated, Marker: next}, nil
		},
	}
	inv, err := Inventory(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var gotKeys, gotCerts, gotDevices []string
	for _, k := range inv.AccessKeys {
		gotKeys = append(gotKeys, k.ID)
	}
	for _, c := range inv.SigningCertificates {
		gotCerts = append(gotCerts, c.ID)
	}
	for _, d := range inv.MFADevices {
		gotDevices = append(gotDevices, d.Serial)
	}
	for _, c := range []struct {
		what      string
		got, want []string
		calls     int
	}{
		{"ListAccessKeys", gotKeys, wantKeys, 3},
		{"ListSigningCertificates", gotCerts, wantCerts, 4},
		{"ListMFADevices", gotDevices, wantDevices, 1},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.what, c.got, c.want)
		}
		if n := f.count(c.what); n != c.calls {
			t.Errorf("%s called %d times, want %d", c.what, n, c.calls)
		}
	}
}

func TestInventoryBadPagination(t *testing.T) {
	tests := []struct {
		name string
		next func(marker *string) *string
	}{
		{"truncated without marker", func(*string) *string { return nil }},
		{"truncated with empty marker", func(*string) *string { return aws.String("") }},
		{"marker repeated", func(*string) *string { return aws.String("same") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newRootUser(false, nil, nil, nil).client(t)
			f.listAccessKeys = func(_ context.Context, in *iam.ListAccessKeysInput) (*iam.ListAccessKeysOutput, error) {
				return &iam.ListAccessKeysOutput{IsTruncated: true, Marker: tt.next(in.Marker)}, nil
			}
			if _, err := Inventory(context.Background(), f); err == nil || !strings.Contains(err.Error(), "list access keys") {
				t.Fatalf("Inventory error = %v, want a list access keys error", err)
			}
			if n := f.count("ListAccessKeys"); n > 2 {
				t.Errorf("ListAccessKeys called %d times", n)
			}
		})
	}
}

// TestInventoryConcurrent holds every list call until all four have
// started: a sequential Inventory would never get there.
func TestInventoryConcurrent(t *testing.T) {
	var started sync.WaitGroup
	started.Add(4)
	all := make(chan struct{})
	go func() { started.Wait(); close(all) }()
	wait := func() error {
		started.Done()
		select {
		case <-all:
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("the other inventory calls never started")
		}
	}
	u := newRootUser(true, []string{"AKIA1"}, []string{"CERT1"}, []string{hardwareSerial})
	f := u.client(t)
	getLoginProfile, listAccessKeys, listSigningCertificates, listMFADevices := f.getLoginProfile, f.listAccessKeys, f.listSigningCertificates, f.listMFADevices
	f.getLoginProfile = func(ctx context.Context, in *iam.GetLoginProfileInput) (*iam.GetLoginProfileOutput, error) {
		if err := wait(); err != nil {
			return nil, err
		}
		return getLoginProfile(ctx, in)
	}
	f.listAccessKeys = func(ctx context.Context, in *iam.ListAccessKeysInput) (*iam.ListAccessKeysOutput, error) {
		if err := wait(); err != nil {
			return nil, err
		}
		return listAccessKeys(ctx, in)
	}
	f.listSigningCertificates = func(ctx context.Context, in *iam.ListSigningCertificatesInput) (*iam.ListSigningCertificatesOutput, error) {
		if err := wait(); err != nil {
			return nil, err
		}
		return listSigningCertificates(ctx, in)
	}
	f.listMFADevices = func(ctx context.Context, in *iam.ListMFADevicesInput) (*iam.ListMFADevicesOutput, error) {
		if err := wait(); err != nil {
			return nil, err
		}
		return listMFADevices(ctx, in)
	}
	inv, err := Inventory(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if !inv.Password || len(inv.AccessKeys) != 1 || len(inv.SigningCertificates) != 1 || len(inv.MFADevices) != 1 {
		t.Errorf("Inventory = %+v", inv)
	}
}

func TestInventoryCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	u := newRootUser(false, []string{"AKIA1"}, nil, nil)
	if _, err := Inventory(ctx, u.client(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Inventory error = %v, want context.Canceled", err)
	}
}
