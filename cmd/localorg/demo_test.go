package main

import (
	"testing"

	"github.com/rootguard/rootguard/internal/localorg/localorgtest"
)

// make demo must keep working: every step checks its own outcome (policies
// unlocked, credentials gone) and fails the demo otherwise.
func TestDemo(t *testing.T) {
	localorgtest.RequireMoto(t)
	if code := demo([]string{"--seed", "../../events/org.json"}); code != 0 {
		t.Fatalf("demo exited %d", code)
	}
}
