package rootcreds

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// fakeIAM is an IAM client of function fields. Every call is recorded and
// must omit UserName, as calls in a root session do (facts §3).
type fakeIAM struct {
	t *testing.T

	getLoginProfile          func(context.Context, *iam.GetLoginProfileInput) (*iam.GetLoginProfileOutput, error)
	listAccessKeys           func(context.Context, *iam.ListAccessKeysInput) (*iam.ListAccessKeysOutput, error)
	listSigningCertificates  func(context.Context, *iam.ListSigningCertificatesInput) (*iam.ListSigningCertificatesOutput, error)
	listMFADevices           func(context.Context, *iam.ListMFADevicesInput) (*iam.ListMFADevicesOutput, error)
	deleteLoginProfile       func(context.Context, *iam.DeleteLoginProfileInput) (*iam.DeleteLoginProfileOutput, error)
	deleteAccessKey          func(context.Context, *iam.DeleteAccessKeyInput) (*iam.DeleteAccessKeyOutput, error)
	deleteSigningCertificate func(context.Context, *iam.DeleteSigningCertificateInput) (*iam.DeleteSigningCertificateOutput, error)
	deactivateMFADevice      func(context.Context, *iam.DeactivateMFADeviceInput) (*iam.DeactivateMFADeviceOutput, error)
	deleteVirtualMFADevice   func(context.Context, *iam.DeleteVirtualMFADeviceInput) (*iam.DeleteVirtualMFADeviceOutput, error)

	mu    sync.Mutex
	calls []string
}

var _ RemoveAPI = (*fakeIAM)(nil)

func (f *fakeIAM) record(op string, userName *string, id string) {
	f.t.Helper()
	if userName != nil {
		f.t.Errorf("%s with UserName %q: a root session must omit it", op, *userName)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op+" "+id)
}

// count returns how many calls of op were made.
func (f *fakeIAM) count(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, op+" ") {
			n++
		}
	}
	return n
}

var errUnexpected = fmt.Errorf("unexpected call")

func call[In, Out any](f *fakeIAM, fn func(context.Context, In) (Out, error), ctx context.Context, in In) (Out, error) {
	if fn == nil {
		f.t.Errorf("unexpected call with %+v", in)
		var zero Out
		return zero, errUnexpected
	}
	return fn(ctx, in)
}

func (f *fakeIAM) GetLoginProfile(ctx context.Context, in *iam.GetLoginProfileInput, _ ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error) {
	f.record("GetLoginProfile", in.UserName, "")
	return call(f, f.getLoginProfile, ctx, in)
}

func (f *fakeIAM) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, _ ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	f.record("ListAccessKeys", in.UserName, aws.ToString(in.Marker))
	return call(f, f.listAccessKeys, ctx, in)
}

func (f *fakeIAM) ListSigningCertificates(ctx context.Context, in *iam.ListSigningCertificatesInput, _ ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error) {
	f.record("ListSigningCertificates", in.UserName, aws.ToString(in.Marker))
	return call(f, f.listSigningCertificates, ctx, in)
}

func (f *fakeIAM) ListMFADevices(ctx context.Context, in *iam.ListMFADevicesInput, _ ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error) {
	f.record("ListMFADevices", in.UserName, aws.ToString(in.Marker))
	return call(f, f.listMFADevices, ctx, in)
}

func (f *fakeIAM) DeleteLoginProfile(ctx context.Context, in *iam.DeleteLoginProfileInput, _ ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error) {
	f.record("DeleteLoginProfile", in.UserName, "")
	return call(f, f.deleteLoginProfile, ctx, in)
}

func (f *fakeIAM) DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	f.record("DeleteAccessKey", in.UserName, aws.ToString(in.AccessKeyId))
	return call(f, f.deleteAccessKey, ctx, in)
}

func (f *fakeIAM) DeleteSigningCertificate(ctx context.Context, in *iam.DeleteSigningCertificateInput, _ ...func(*iam.Options)) (*iam.DeleteSigningCertificateOutput, error) {
	f.record("DeleteSigningCertificate", in.UserName, aws.ToString(in.CertificateId))
	return call(f, f.deleteSigningCertificate, ctx, in)
}

func (f *fakeIAM) DeactivateMFADevice(ctx context.Context, in *iam.DeactivateMFADeviceInput, _ ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error) {
	f.record("DeactivateMFADevice", in.UserName, aws.ToString(in.SerialNumber))
	return call(f, f.deactivateMFADevice, ctx, in)
}

func (f *fakeIAM) DeleteVirtualMFADevice(ctx context.Context, in *iam.DeleteVirtualMFADeviceInput, _ ...func(*iam.Options)) (*iam.DeleteVirtualMFADeviceOutput, error) {
	f.record("DeleteVirtualMFADevice", nil, aws.ToString(in.SerialNumber))
	return call(f, f.deleteVirtualMFADevice, ctx, in)
}

// Errors as the SDK returns them: modelled codes typed, others generic,
// both inside an OperationError.
func apiErr(op string, err smithy.APIError) error {
	return &smithy.OperationError{ServiceID: "IAM", OperationName: op, Err: err}
}

func noSuchEntity(op string) error {
	return apiErr(op, &types.NoSuchEntityException{Message: aws.String("cannot be found")})
}

func generic(op, code string) error {
	return apiErr(op, &smithy.GenericAPIError{Code: code, Message: code})
}

const (
	virtualSerial  = "arn:aws:iam::444455556666:mfa/root-account-mfa-device"
	passkeySerial  = "arn:aws:iam::444455556666:u2f/root/passkey-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	hardwareSerial = "GAHT12345678"
)

var created = time.Date(2024, 11, 6, 10, 0, 0, 0, time.UTC)

// rootUser is an in-memory root user behind a fakeIAM, with IAM's answers:
// NoSuchEntity for what is not there, DeleteConflict for deleting a virtual
// device that is still assigned.
type rootUser struct {
	mu       sync.Mutex
	password bool
	keys     []string
	certs    []string
	mfa      []string        // serials assigned to root
	virtual  map[string]bool // virtual device objects
}

func newRootUser(password bool, keys, certs, mfa []string) *rootUser {
	u := &rootUser{password: password, keys: keys, certs: certs, mfa: mfa, virtual: map[string]bool{}}
	for _, s := range mfa {
		if KindOf(s) == Virtual {
			u.virtual[s] = true
		}
	}
	return u
}

func remove(list *[]string, id string) bool {
	i := slices.Index(*list, id)
	if i < 0 {
		return false
	}
	*list = slices.Delete(*list, i, i+1)
	return true
}

func (u *rootUser) client(t *testing.T) *fakeIAM {
	return &fakeIAM{
		t: t,
		getLoginProfile: func(context.Context, *iam.GetLoginProfileInput) (*iam.GetLoginProfileOutput, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			if !u.password {
				return nil, noSuchEntity("GetLoginProfile")
			}
			return &iam.GetLoginProfileOutput{LoginProfile: &types.LoginProfile{CreateDate: aws.Time(created)}}, nil
		},
		listAccessKeys: func(context.Context, *iam.ListAccessKeysInput) (*iam.ListAccessKeysOutput, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			out := &iam.ListAccessKeysOutput{}
			for _, id := range u.keys {
				out.AccessKeyMetadata = append(out.AccessKeyMetadata, types.AccessKeyMetadata{AccessKeyId: aws.String(id), Status: types.StatusTypeActive, CreateDate: aws.Time(created)})
			}
			return out, nil
		},
		listSigningCertificates: func(context.Context, *iam.ListSigningCertificatesInput) (*iam.ListSigningCertificatesOutput, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			out := &iam.ListSigningCertificatesOutput{}
			for _, id := range u.certs {
				out.Certificates = append(out.Certificates, types.SigningCertificate{CertificateId: aws.String(id), Status: types.StatusTypeActive, UploadDate: aws.Time(created)})
			}
			return out, nil
		},
		listMFADevices: func(context.Context, *iam.ListMFADevicesInput) (*iam.ListMFADevicesOutput, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			out := &iam.ListMFADevicesOutput{}
			for _, s := range u.mfa {
				out.MFADevices = append(out.MFADevices, types.MFADevice{SerialNumber: aws.String(s), EnableDate: aws.Time(created)})
			}
			return out, nil
		},
		deleteLoginProfile: func(context.Context, *iam.DeleteLoginProfileInput) (*iam.DeleteLoginProfileOutput, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			if !u.password {
				return nil, noSuchEntity("DeleteLoginProfile")
			}
			u.password = false
			return &iam.DeleteLoginProfileOutput{}, nil
		},
		deleteAccessKey: func(_ context.Context, in *iam.DeleteAccessKeyInput) (*iam.DeleteAccessKeyOutput, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			if !remove(&u.keys, aws.ToString(in.AccessKeyId)) {
				return nil, noSuchEntity("DeleteAccessKey")
			}
			return &iam.DeleteAccessKeyOutput{}, nil
		},
		deleteSigningCertificate: func(_ context.Context, in *iam.DeleteSigningCertificateInput) (*iam.DeleteSigningCertificateOutput, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			if !remove(&u.certs, aws.ToString(in.CertificateId)) {
				return nil, noSuchEntity("DeleteSigningCertificate")
			}
			return &iam.DeleteSigningCertificateOutput{}, nil
		},
		deactivateMFADevice: func(_ context.Context, in *iam.DeactivateMFADeviceInput) (*iam.DeactivateMFADeviceOutput, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			if !remove(&u.mfa, aws.ToString(in.SerialNumber)) {
				return nil, noSuchEntity("DeactivateMFADevice")
			}
			return &iam.DeactivateMFADeviceOutput{}, nil
		},
		deleteVirtualMFADevice: func(_ context.Context, in *iam.DeleteVirtualMFADeviceInput) (*iam.DeleteVirtualMFADeviceOutput, error) {
			u.mu.Lock()
			defer u.mu.Unlock()
			s := aws.ToString(in.SerialNumber)
			if slices.Contains(u.mfa, s) {
				return nil, generic("DeleteVirtualMFADevice", "DeleteConflict")
			}
			if !u.virtual[s] {
				return nil, noSuchEntity("DeleteVirtualMFADevice")
			}
			delete(u.virtual, s)
			return &iam.DeleteVirtualMFADeviceOutput{}, nil
		},
	}
}

// state describes what is left of the root user, in describe's words.
func (u *rootUser) state() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	inv := Credentials{Password: u.password}
	for _, k := range u.keys {
		inv.AccessKeys = append(inv.AccessKeys, AccessKey{ID: k})
	}
	for _, c := range u.certs {
		inv.SigningCertificates = append(inv.SigningCertificates, SigningCertificate{ID: c})
	}
	for _, s := range u.mfa {
		inv.MFADevices = append(inv.MFADevices, MFADevice{Serial: s})
	}
	return describe(inv)
}
