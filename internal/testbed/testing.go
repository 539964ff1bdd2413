package testbed

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/localorg/localorgtest"
)

// ForTest starts a Bed for an end-to-end test and stops it at cleanup. Without
// moto_server the test is skipped, or fails under make test
// (ROOTGUARD_REQUIRE_E2E=1). Function logs go to stderr with -v.
func ForTest(t testing.TB, seed *localorg.Seed) *Bed {
	t.Helper()
	localorgtest.RequireMoto(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := Options{Seed: seed}
	if testing.Verbose() {
		opts.Stderr = os.Stderr
	}
	b, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("start testbed: %v", err)
	}
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("stop testbed: %v", err)
		}
	})
	return b
}

// FunctionForTest is Function for a test: it starts functions/<name> for the
// test's lifetime, failing the test if it cannot.
func (b *Bed) FunctionForTest(t testing.TB, name string, env ...string) *lambdaharness.Function {
	t.Helper()
	fn, err := b.Function(t.Context(), name, env...)
	if err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { fn.Close() })
	return fn
}
