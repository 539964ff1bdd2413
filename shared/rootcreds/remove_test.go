package rootcreds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"
)

// noWait is the test backoff; it records the retries asked for.
type noWait struct {
	mu      sync.Mutex
	retries []int
}

func (b *noWait) backoff(n int) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.retries = append(b.retries, n)
	return 0
}

// words lists items as "action kind id (note)".
func words[T interface{ String() string }](items []T) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.String())
	}
	return out
}

func noted(items []Item) []string {
	var out []string
	for _, it := range items {
		s := it.String()
		if it.Note != "" {
			s += " (" + it.Note + ")"
		}
		out = append(out, s)
	}
	return out
}

// failNTimes makes fn fail with err for its first n calls.
func failNTimes[In, Out any](n int, err error, fn func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	var calls atomic.Int32
	return func(ctx context.Context, in In) (Out, error) {
		if int(calls.Add(1)) <= n {
			var zero Out
			return zero, err
		}
		return fn(ctx, in)
	}
}

// goneFirst makes fn act, then answer NoSuchEntity as if another actor had
// been first.
func goneFirst[In, Out any](op string, fn func(context.Context, In) (Out, error)) func(context.Context, In) (Out, error) {
	return func(ctx context.Context, in In) (Out, error) {
		out, err := fn(ctx, in)
		if err != nil {
			return out, err
		}
		var zero Out
		return zero, noSuchEntity(op)
	}
}

func TestRemove(t *testing.T) {
	full := func() *rootUser {
		return newRootUser(true, []string{"AKIA1", "AKIA2"}, []string{"CERT1"}, []string{virtualSerial, passkeySerial, hardwareSerial})
	}
	removedAll := []string{
		"delete password",
		"delete access key AKIA1",
		"delete access key AKIA2",
		"delete signing certificate CERT1",
		"deactivate MFA device " + virtualSerial,
		"delete virtual MFA device " + virtualSerial,
		"deactivate MFA device " + passkeySerial,
		"deactivate MFA device " + hardwareSerial,
	}
	tests := []struct {
		name   string
		user   func() *rootUser
		tweak  func(f *fakeIAM)
		check  func(t *testing.T, f *fakeIAM, b *noWait)
		remove []string // Removed, with notes
		left   []string // LeftBehind, with notes
		failed []string // Failed items
		state  string   // what the root user keeps
		clean  bool
		err    string // in the error; "" means no error
	}{
		{
			name:  "already clean",
			user:  func() *rootUser { return newRootUser(false, nil, nil, nil) },
			clean: true,
			check: func(t *testing.T, f *fakeIAM, _ *noWait) {
				for _, c := range f.calls {
					if !strings.HasPrefix(c, "Get") && !strings.HasPrefix(c, "List") {
						t.Errorf("clean account got %s", c)
					}
				}
				if n := f.count("ListAccessKeys"); n != 1 {
					t.Errorf("ListAccessKeys called %d times, want one inventory", n)
				}
			},
		},
		{
			name:   "full removal",
			user:   full,
			remove: removedAll,
			clean:  true,
			check: func(t *testing.T, f *fakeIAM, _ *noWait) {
				if n := f.count("DeleteVirtualMFADevice"); n != 1 {
					t.Errorf("DeleteVirtualMFADevice called %d times, want once (virtual device only)", n)
				}
				if n := f.count("ListAccessKeys"); n != 2 {
					t.Errorf("ListAccessKeys called %d times, want inventories before and after", n)
				}
			},
		},
		{
			name: "NoSuchEntity on every delete is already gone",
			user: full,
			tweak: func(f *fakeIAM) {
				f.deleteLoginProfile = goneFirst("DeleteLoginProfile", f.deleteLoginProfile)
				f.deleteAccessKey = goneFirst("DeleteAccessKey", f.deleteAccessKey)
				f.deleteSigningCertificate = goneFirst("DeleteSigningCertificate", f.deleteSigningCertificate)
				f.deactivateMFADevice = goneFirst("DeactivateMFADevice", f.deactivateMFADevice)
				f.deleteVirtualMFADevice = goneFirst("DeleteVirtualMFADevice", f.deleteVirtualMFADevice)
			},
			remove: func() []string {
				var out []string
				for _, s := range removedAll {
					out = append(out, s+" ("+NoteAlreadyGone+")")
				}
				return out
			}(),
			clean: true,
		},
		{
			name: "temporarily unmodifiable then success",
			user: full,
			tweak: func(f *fakeIAM) {
				f.deleteLoginProfile = failNTimes(2, generic("DeleteLoginProfile", "EntityTemporarilyUnmodifiable"), f.deleteLoginProfile)
				f.deactivateMFADevice = failNTimes(1, generic("DeactivateMFADevice", "ConcurrentModification"), f.deactivateMFADevice)
			},
			remove: removedAll,
			clean:  true,
			check: func(t *testing.T, f *fakeIAM, b *noWait) {
				if n := f.count("DeleteLoginProfile"); n != 3 {
					t.Errorf("DeleteLoginProfile called %d times, want 3", n)
				}
				if n := f.count("DeactivateMFADevice"); n != 4 {
					t.Errorf("DeactivateMFADevice called %d times, want 3 devices + 1 retry", n)
				}
				if len(b.retries) != 3 {
					t.Errorf("backoff asked for retries %v, want 3 waits", b.retries)
				}
			},
		},
		{
			name: "persistent failure of one key",
			user: full,
			tweak: func(f *fakeIAM) {
				next := f.deleteAccessKey
				f.deleteAccessKey = func(ctx context.Context, in *iam.DeleteAccessKeyInput) (*iam.DeleteAccessKeyOutput, error) {
					if *in.AccessKeyId == "AKIA2" {
						return nil, generic("DeleteAccessKey", "ServiceFailure")
					}
					return next(ctx, in)
				}
			},
			remove: without(removedAll, "delete access key AKIA2"),
			failed: []string{"delete access key AKIA2"},
			state:  "access key AKIA2",
			err:    "still present after removal: access key AKIA2",
		},
		{
			name: "unmodifiable for good is retried a bounded number of times",
			user: func() *rootUser { return newRootUser(true, nil, nil, nil) },
			tweak: func(f *fakeIAM) {
				f.deleteLoginProfile = failNTimes(100, generic("DeleteLoginProfile", "EntityTemporarilyUnmodifiable"), f.deleteLoginProfile)
			},
			failed: []string{"delete password"},
			state:  "password",
			err:    "EntityTemporarilyUnmodifiable",
			check: func(t *testing.T, f *fakeIAM, _ *noWait) {
				if n := f.count("DeleteLoginProfile"); n != maxAttempts {
					t.Errorf("DeleteLoginProfile called %d times, want %d", n, maxAttempts)
				}
			},
		},
		{
			name: "virtual MFA delete denied leaves the device behind",
			user: full,
			tweak: func(f *fakeIAM) {
				f.deleteVirtualMFADevice = func(context.Context, *iam.DeleteVirtualMFADeviceInput) (*iam.DeleteVirtualMFADeviceOutput, error) {
					return nil, generic("DeleteVirtualMFADevice", "AccessDenied")
				}
			},
			remove: without(removedAll, "delete virtual MFA device "+virtualSerial),
			left:   []string{"delete virtual MFA device " + virtualSerial + " (" + NoteDeleteNotAllowed + ")"},
			clean:  true,
		},
		{
			name: "virtual MFA delete conflicts while the deactivation applies, then succeeds",
			user: full,
			tweak: func(f *fakeIAM) {
				f.deleteVirtualMFADevice = failNTimes(2, generic("DeleteVirtualMFADevice", "DeleteConflict"), f.deleteVirtualMFADevice)
			},
			remove: removedAll,
			clean:  true,
			check: func(t *testing.T, f *fakeIAM, b *noWait) {
				if n := f.count("DeleteVirtualMFADevice"); n != 3 {
					t.Errorf("DeleteVirtualMFADevice called %d times, want 2 conflicts + 1 success", n)
				}
				if !reflect.DeepEqual(b.retries, []int{0, 1}) {
					t.Errorf("backoff asked for retries %v, want [0 1]", b.retries)
				}
			},
		},
		{
			name: "virtual MFA delete conflicts for good: left behind with the error, bounded",
			user: full,
			tweak: func(f *fakeIAM) {
				f.deleteVirtualMFADevice = failNTimes(100, generic("DeleteVirtualMFADevice", "DeleteConflict"), f.deleteVirtualMFADevice)
			},
			remove: without(removedAll, "delete virtual MFA device "+virtualSerial),
			left:   []string{"delete virtual MFA device " + virtualSerial + " (" + NoteDeleteFailed + ": " + generic("DeleteVirtualMFADevice", "DeleteConflict").Error() + ")"},
			clean:  true,
			check: func(t *testing.T, f *fakeIAM, _ *noWait) {
				if n := f.count("DeleteVirtualMFADevice"); n != maxAttempts {
					t.Errorf("DeleteVirtualMFADevice called %d times, want %d", n, maxAttempts)
				}
			},
		},
		{
			name: "virtual MFA delete fails otherwise: left behind with the error, not retried",
			user: full,
			tweak: func(f *fakeIAM) {
				f.deleteVirtualMFADevice = func(context.Context, *iam.DeleteVirtualMFADeviceInput) (*iam.DeleteVirtualMFADeviceOutput, error) {
					return nil, generic("DeleteVirtualMFADevice", "ServiceFailure")
				}
			},
			remove: without(removedAll, "delete virtual MFA device "+virtualSerial),
			left:   []string{"delete virtual MFA device " + virtualSerial + " (" + NoteDeleteFailed + ": " + generic("DeleteVirtualMFADevice", "ServiceFailure").Error() + ")"},
			clean:  true,
			check: func(t *testing.T, f *fakeIAM, _ *noWait) {
				if n := f.count("DeleteVirtualMFADevice"); n != 1 {
					t.Errorf("DeleteVirtualMFADevice called %d times, want 1", n)
				}
			},
		},
		{
			name: "passkey and hardware are deactivated, not deleted",
			user: func() *rootUser { return newRootUser(false, nil, nil, []string{passkeySerial, hardwareSerial}) },
			remove: []string{
				"deactivate MFA device " + passkeySerial,
				"deactivate MFA device " + hardwareSerial,
			},
			clean: true,
			check: func(t *testing.T, f *fakeIAM, _ *noWait) {
				if n := f.count("DeleteVirtualMFADevice"); n != 0 {
					t.Errorf("DeleteVirtualMFADevice called %d times for non-virtual devices", n)
				}
			},
		},
		{
			name: "failed deactivation skips the delete",
			user: func() *rootUser { return newRootUser(false, nil, nil, []string{virtualSerial}) },
			tweak: func(f *fakeIAM) {
				f.deactivateMFADevice = func(context.Context, *iam.DeactivateMFADeviceInput) (*iam.DeactivateMFADeviceOutput, error) {
					return nil, generic("DeactivateMFADevice", "AccessDenied")
				}
			},
			failed: []string{"deactivate MFA device " + virtualSerial},
			state:  "MFA device " + virtualSerial,
			err:    "deactivate MFA device " + virtualSerial,
			check: func(t *testing.T, f *fakeIAM, _ *noWait) {
				if n := f.count("DeleteVirtualMFADevice"); n != 0 {
					t.Errorf("DeleteVirtualMFADevice called %d times after a failed deactivation", n)
				}
			},
		},
		{
			name: "final inventory fails",
			user: func() *rootUser { return newRootUser(true, nil, nil, nil) },
			tweak: func(f *fakeIAM) {
				next := f.listMFADevices
				var calls atomic.Int32
				f.listMFADevices = func(ctx context.Context, in *iam.ListMFADevicesInput) (*iam.ListMFADevicesOutput, error) {
					if calls.Add(1) > 1 {
						return nil, generic("ListMFADevices", "ServiceFailure")
					}
					return next(ctx, in)
				}
			},
			remove: []string{"delete password"},
			err:    "verify: inventory root credentials: list MFA devices",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.user()
			f := u.client(t)
			if tt.tweak != nil {
				tt.tweak(f)
			}
			b := &noWait{}
			before, _ := Inventory(context.Background(), u.client(t))

			r, err := Remove(context.Background(), f, WithBackoff(b.backoff))

			if tt.err == "" && err != nil {
				t.Fatalf("Remove: %v", err)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("Remove error = %v, want it to contain %q", err, tt.err)
			}
			if errors.Is(err, ErrInventory) {
				t.Errorf("Remove error %v is ErrInventory, but the first inventory succeeded", err)
			}
			if !reflect.DeepEqual(r.Before, before) {
				t.Errorf("Before = %+v, want %+v", r.Before, before)
			}
			if got := noted(r.Removed); !reflect.DeepEqual(got, tt.remove) {
				t.Errorf("Removed =\n%q\nwant\n%q", got, tt.remove)
			}
			if got := noted(r.LeftBehind); !reflect.DeepEqual(got, tt.left) {
				t.Errorf("LeftBehind = %q, want %q", got, tt.left)
			}
			var failed []string
			for _, fe := range r.Failed {
				failed = append(failed, fe.Item.String())
				if !errors.Is(err, fe) {
					t.Errorf("error does not carry failure %v", fe)
				}
				var ae smithy.APIError
				if !errors.As(fe, &ae) {
					t.Errorf("failure %v lost its API error", fe)
				}
			}
			if !reflect.DeepEqual(failed, tt.failed) {
				t.Errorf("Failed = %q, want %q", failed, tt.failed)
			}
			if got := u.state(); got != tt.state {
				t.Errorf("root user keeps %q, want %q", got, tt.state)
			}
			if r.After != nil && describe(*r.After) != tt.state {
				t.Errorf("After = %+v, want what the root user keeps: %q", *r.After, tt.state)
			}
			if r.Clean() != tt.clean {
				t.Errorf("Clean() = %v, want %v", r.Clean(), tt.clean)
			}
			if tt.check != nil {
				tt.check(t, f, b)
			}
		})
	}
}

func without(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func TestRemoveFirstInventoryFails(t *testing.T) {
	u := newRootUser(true, []string{"AKIA1"}, nil, nil)
	f := u.client(t)
	f.listAccessKeys = func(context.Context, *iam.ListAccessKeysInput) (*iam.ListAccessKeysOutput, error) {
		return nil, generic("ListAccessKeys", "AccessDenied")
	}
	r, err := Remove(context.Background(), f)
	if !errors.Is(err, ErrInventory) {
		t.Fatalf("Remove error = %v, want ErrInventory", err)
	}
	if f.count("DeleteLoginProfile") != 0 || r.Clean() {
		t.Errorf("Remove acted without an inventory: report %+v", r)
	}
}

func TestRemoveBoundedConcurrency(t *testing.T) {
	var keys []string
	for i := range 12 {
		keys = append(keys, fmt.Sprintf("AKIA%02d", i))
	}
	u := newRootUser(false, keys, nil, nil)
	f := u.client(t)
	var inFlight, most atomic.Int32
	next := f.deleteAccessKey
	f.deleteAccessKey = func(ctx context.Context, in *iam.DeleteAccessKeyInput) (*iam.DeleteAccessKeyOutput, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		return next(ctx, in)
	}
	r, err := Remove(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Removed) != len(keys) || !r.Clean() {
		t.Errorf("removed %d of %d keys", len(r.Removed), len(keys))
	}
	if m := most.Load(); m > maxConcurrent || m < 2 {
		t.Errorf("at most %d deletions in flight, want 2..%d", m, maxConcurrent)
	}
}

func TestRemoveCanceled(t *testing.T) {
	var keys []string
	for i := range 10 {
		keys = append(keys, fmt.Sprintf("AKIA%02d", i))
	}
	u := newRootUser(false, keys, nil, nil)
	f := u.client(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int32
	next := f.deleteAccessKey
	f.deleteAccessKey = func(ctx context.Context, in *iam.DeleteAccessKeyInput) (*iam.DeleteAccessKeyOutput, error) {
		if calls.Add(1) == 1 {
			cancel() // the Lambda deadline, say
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return next(ctx, in)
	}
	r, err := Remove(ctx, f)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Remove error = %v, want context.Canceled", err)
	}
	if n := int(calls.Load()); n > maxConcurrent {
		t.Errorf("%d deletions called after cancellation, want at most the %d already started", n, maxConcurrent)
	}
	if len(r.Removed)+len(r.Failed) != len(keys) || len(r.Failed) < len(keys)-maxConcurrent {
		t.Errorf("report: %d removed, %d failed of %d", len(r.Removed), len(r.Failed), len(keys))
	}
	if r.After != nil || r.Clean() {
		t.Errorf("canceled removal reported as verified: After %+v", r.After)
	}
}

func TestRemoveCanceledDuringBackoff(t *testing.T) {
	u := newRootUser(true, nil, nil, nil)
	f := u.client(t)
	f.deleteLoginProfile = func(context.Context, *iam.DeleteLoginProfileInput) (*iam.DeleteLoginProfileOutput, error) {
		return nil, generic("DeleteLoginProfile", "EntityTemporarilyUnmodifiable")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	type result struct {
		r   Report
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := Remove(ctx, f, WithBackoff(func(int) time.Duration { return time.Hour }))
		done <- result{r, err}
	}()
	var r Report
	var err error
	select {
	case res := <-done:
		r, err = res.r, res.err
	case <-time.After(5 * time.Second):
		t.Fatal("Remove kept waiting through a canceled context")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Remove error = %v, want context.DeadlineExceeded", err)
	}
	if len(r.Failed) != 1 || !strings.Contains(r.Failed[0].Error(), "EntityTemporarilyUnmodifiable") {
		t.Errorf("Failed = %v, want the password with its last error", words(r.Failed))
	}
	if f.count("DeleteLoginProfile") != 1 {
		t.Errorf("DeleteLoginProfile called %d times, want 1", f.count("DeleteLoginProfile"))
	}
}

func TestReportJSON(t *testing.T) {
	r := Report{
		Failed: []ItemError{{Item: Item{Action: ActionDelete, Kind: KindAccessKey, ID: "AKIA1"}, Err: errors.New("boom")}},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Failed []map[string]string `json:"failed"`
		After  *Credentials        `json:"after"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"action": "delete", "kind": "access key", "id": "AKIA1", "error": "boom"}
	if len(got.Failed) != 1 || !reflect.DeepEqual(got.Failed[0], want) || got.After != nil {
		t.Errorf("JSON %s", b)
	}
}
