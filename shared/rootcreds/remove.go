package rootcreds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/rootguard/rootguard/shared/awserr"
)

// RemoveAPI is the IAM calls Remove makes, all allowed by the delete task
// policy (DeleteVirtualMFADevice possibly not: facts §2).
type RemoveAPI interface {
	InventoryAPI
	DeleteLoginProfile(ctx context.Context, params *iam.DeleteLoginProfileInput, optFns ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error)
	DeleteAccessKey(ctx context.Context, params *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
	DeleteSigningCertificate(ctx context.Context, params *iam.DeleteSigningCertificateInput, optFns ...func(*iam.Options)) (*iam.DeleteSigningCertificateOutput, error)
	DeactivateMFADevice(ctx context.Context, params *iam.DeactivateMFADeviceInput, optFns ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error)
	DeleteVirtualMFADevice(ctx context.Context, params *iam.DeleteVirtualMFADeviceInput, optFns ...func(*iam.Options)) (*iam.DeleteVirtualMFADeviceOutput, error)
}

var _ RemoveAPI = (*iam.Client)(nil)

// Kind is what an Item is.
type Kind string

// Kinds of Item.
const (
	KindPassword           Kind = "password"
	KindAccessKey          Kind = "access key"
	KindSigningCertificate Kind = "signing certificate"
	KindMFADevice          Kind = "MFA device"         // the device's assignment to root
	KindVirtualMFADevice   Kind = "virtual MFA device" // the IAM object of a virtual device
)

// Actions of Item.
const (
	ActionDelete     = "delete"
	ActionDeactivate = "deactivate"
)

// Item is one action of Remove on one credential.
type Item struct {
	Action string `json:"action"` // ActionDelete or ActionDeactivate
	Kind   Kind   `json:"kind"`
	ID     string `json:"id,omitempty"` // key or certificate id, MFA serial; none for the password
	Note   string `json:"note,omitempty"`
}

// Notes of Item.
const (
	NoteAlreadyGone      = "already gone"
	NoteDeleteNotAllowed = "deactivated, but the session may not delete the device object"
	// NoteDeleteFailed starts the note of a deactivated virtual device whose
	// object could not be deleted; the error follows.
	NoteDeleteFailed = "deactivated, but deleting the device object failed"
)

// ErrInventory is wrapped by Remove's error when its first inventory failed:
// nothing was read and nothing was changed.
var ErrInventory = errors.New("root credentials not listed, nothing removed")

func (it Item) String() string {
	return strings.TrimSpace(it.Action + " " + string(it.Kind) + " " + it.ID)
}

// ItemError is an Item that failed.
type ItemError struct {
	Item
	Err error
}

func (e ItemError) Error() string { return e.Item.String() + ": " + e.Err.Error() }

func (e ItemError) Unwrap() error { return e.Err }

// MarshalJSON renders the error as its message.
func (e ItemError) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Item
		Error string `json:"error"`
	}{e.Item, e.Err.Error()})
}

// Report is what Remove found, did and left.
type Report struct {
	Before     Credentials `json:"before"`
	Removed    []Item      `json:"removed"`
	LeftBehind []Item      `json:"left_behind"` // not credentials of root any more, but still there
	Failed     []ItemError `json:"failed"`
	// After is the inventory taken once removal ended, nil if it failed.
	After *Credentials `json:"after"`
}

// Clean reports whether the root user is proven to have no credentials left.
func (r Report) Clean() bool {
	return len(r.Failed) == 0 && r.After != nil && r.After.Empty()
}

const (
	maxConcurrent = 4 // IAM has no published rate quota; stay polite
	maxAttempts   = 5
)

// Option configures Remove.
type Option func(*remover)

// WithBackoff sets the wait before retry number n (0 for the first retry)
// of an entity that is temporarily unmodifiable or concurrently modified,
// or of a virtual device that cannot be deleted yet after its deactivation.
func WithBackoff(backoff func(n int) time.Duration) Option {
	return func(r *remover) { r.backoff = backoff }
}

// defaultBackoff doubles from 0.5s to 4s, with jitter so concurrent
// deletions do not retry in step; 5 attempts wait 7.5s at most.
func defaultBackoff(n int) time.Duration {
	d := min(500*time.Millisecond<<n, 4*time.Second)
	return d/2 + rand.N(d/2+1)
}

type remover struct {
	client  RemoveAPI
	backoff func(n int) time.Duration
}

// Remove deletes the root user's password, access keys and signing
// certificates, deactivates its MFA devices and deletes the virtual ones,
// then takes a fresh inventory. Independent deletions run concurrently.
// NoSuchEntity counts as removed ("already gone"). A deactivated virtual
// device whose object cannot be deleted (AccessDenied, or DeleteConflict
// past the retries) is left behind, which is no failure: it no longer
// protects or opens root. The error is nil unless something could not be
// removed or the final inventory failed or still lists credentials; the
// Report is complete either way, unless the first inventory failed (the
// error then wraps ErrInventory).
func Remove(ctx context.Context, client RemoveAPI, opts ...Option) (Report, error) {
	r := &remover{client: client, backoff: defaultBackoff}
	for _, opt := range opts {
		opt(r)
	}
	before, err := Inventory(ctx, client)
	if err != nil {
		return Report{}, fmt.Errorf("remove root credentials: %w: %w", ErrInventory, err)
	}
	report := Report{Before: before}
	if before.Empty() {
		// The inventory just taken is the proof; no second one.
		report.After = &before
		return report, nil
	}

	for _, res := range r.run(ctx, r.jobs(before)) {
		report.Removed = append(report.Removed, res.removed...)
		report.LeftBehind = append(report.LeftBehind, res.leftBehind...)
		report.Failed = append(report.Failed, res.failed...)
	}

	var errs []error
	for _, f := range report.Failed {
		errs = append(errs, f)
	}
	if after, err := Inventory(ctx, client); err != nil {
		errs = append(errs, fmt.Errorf("verify: %w", err))
	} else {
		report.After = &after
		if !after.Empty() {
			errs = append(errs, fmt.Errorf("still present after removal: %s", describe(after)))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return report, fmt.Errorf("remove root credentials: %w", err)
	}
	return report, nil
}

// outcome is what one job did.
type outcome struct {
	removed, leftBehind []Item
	failed              []ItemError
}

func (o *outcome) add(it Item, err error) {
	switch {
	case err == nil:
		o.removed = append(o.removed, it)
	case awserr.Is(err, "NoSuchEntity"): // facts §3: deleting what is gone is done
		it.Note = NoteAlreadyGone
		o.removed = append(o.removed, it)
	default:
		o.failed = append(o.failed, ItemError{Item: it, Err: err})
	}
}

type job func(ctx context.Context) outcome

// jobs returns one job per independent credential.
func (r *remover) jobs(inv Credentials) []job {
	var jobs []job
	if inv.Password {
		jobs = append(jobs, r.single(Item{Action: ActionDelete, Kind: KindPassword}, func(ctx context.Context) error {
			_, err := r.client.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{})
			return err
		}))
	}
	for _, k := range inv.AccessKeys {
		jobs = append(jobs, r.single(Item{Action: ActionDelete, Kind: KindAccessKey, ID: k.ID}, func(ctx context.Context) error {
			_, err := r.client.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(k.ID)})
			return err
		}))
	}
	for _, c := range inv.SigningCertificates {
		jobs = append(jobs, r.single(Item{Action: ActionDelete, Kind: KindSigningCertificate, ID: c.ID}, func(ctx context.Context) error {
			_, err := r.client.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{CertificateId: aws.String(c.ID)})
			return err
		}))
	}
	for _, d := range inv.MFADevices {
		jobs = append(jobs, r.mfa(d))
	}
	return jobs
}

func (r *remover) single(it Item, call func(context.Context) error) job {
	return func(ctx context.Context) outcome {
		var o outcome
		o.add(it, r.retry(ctx, call))
		return o
	}
}

// mfa deactivates a device and then, if it is virtual, deletes it: a
// device must be deactivated before it can be deleted.
func (r *remover) mfa(d MFADevice) job {
	return func(ctx context.Context) outcome {
		var o outcome
		o.add(Item{Action: ActionDeactivate, Kind: KindMFADevice, ID: d.Serial}, r.retry(ctx, func(ctx context.Context) error {
			_, err := r.client.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{SerialNumber: aws.String(d.Serial)})
			return err
		}))
		if len(o.failed) > 0 || d.Kind != Virtual {
			return o
		}
		it := Item{Action: ActionDelete, Kind: KindVirtualMFADevice, ID: d.Serial}
		// DeleteConflict: IAM may still be applying the deactivation (facts §3).
		err := r.retry(ctx, func(ctx context.Context) error {
			_, err := r.client.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: aws.String(d.Serial)})
			return err
		}, "DeleteConflict")
		switch {
		case err == nil || awserr.Is(err, "NoSuchEntity"):
			o.add(it, err)
		case awserr.Is(err, "AccessDenied"):
			// Facts §2: the delete policy may not reach the device object.
			it.Note = NoteDeleteNotAllowed
			o.leftBehind = append(o.leftBehind, it)
		default:
			// Deactivated all the same: root is not exposed by the object.
			it.Note = NoteDeleteFailed + ": " + err.Error()
			o.leftBehind = append(o.leftBehind, it)
		}
		return o
	}
}

// run runs jobs, at most maxConcurrent at a time, and returns their
// outcomes in the order of jobs.
func (r *remover) run(ctx context.Context, jobs []job) []outcome {
	results := make([]outcome, len(jobs))
	sem := make(chan struct{}, maxConcurrent)
	var wg sync.WaitGroup
	for i, j := range jobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			results[i] = j(ctx)
		})
	}
	wg.Wait()
	return results
}

// retry calls call until it succeeds, fails for good, or maxAttempts are
// spent. Only conflicts that clear by themselves are retried, and also the
// codes in also; throttling is the SDK retryer's.
func (r *remover) retry(ctx context.Context, call func(context.Context) error, also ...string) error {
	retryable := append([]string{"EntityTemporarilyUnmodifiable", "ConcurrentModification"}, also...)
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := call(ctx)
		if err == nil || n+1 == maxAttempts || !awserr.Is(err, retryable...) {
			return err
		}
		t := time.NewTimer(r.backoff(n))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w while retrying: %w", ctx.Err(), err)
		}
	}
}

// describe lists credentials in words, for errors.
func describe(inv Credentials) string {
	var parts []string
	if inv.Password {
		parts = append(parts, string(KindPassword))
	}
	for _, k := range inv.AccessKeys {
		parts = append(parts, string(KindAccessKey)+" "+k.ID)
	}
	for _, c := range inv.SigningCertificates {
		parts = append(parts, string(KindSigningCertificate)+" "+c.ID)
	}
	for _, d := range inv.MFADevices {
		parts = append(parts, string(KindMFADevice)+" "+d.Serial)
	}
	return strings.Join(parts, ", ")
}
