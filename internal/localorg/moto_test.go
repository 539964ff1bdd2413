package localorg

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDoneWhenMotoDies kills moto_server under a running organization: Done
// must close and Err name the exit and moto's last output.
func TestDoneWhenMotoDies(t *testing.T) {
	if _, err := exec.LookPath("moto_server"); err != nil {
		if os.Getenv("ROOTGUARD_REQUIRE_E2E") == "1" {
			t.Fatal("moto_server not found on PATH")
		}
		t.Skip("moto_server not found on PATH")
	}
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	o, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	select {
	case <-o.Done():
		t.Fatalf("Done closed while moto runs: %v", o.Err())
	default:
	}
	if o.Err() != nil {
		t.Fatalf("Err = %v while moto runs", o.Err())
	}
	if err := o.moto.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-o.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed 10s after moto_server was killed")
	}
	if err := o.Err(); err == nil || !strings.Contains(err.Error(), "moto_server exited unexpectedly (signal: killed)") {
		t.Errorf("Err = %v", err)
	}
	if err := o.Close(); err != nil {
		t.Errorf("Close after moto died: %v", err)
	}
}
