package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/localorg/localorgtest"
)

// TestServeProcess runs `localorg serve` as a process: it must print the
// endpoint line once seeded, and on SIGTERM stop moto_server and exit 0.
func TestServeProcess(t *testing.T) {
	localorgtest.RequireMoto(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "localorg")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	seedPath := filepath.Join(dir, "org.json")
	seed := `{"accounts": [{"id": "444455556666", "root": {"password": true}, "buckets": [{"name": "serve-data"}]}]}`
	if err := os.WriteFile(seedPath, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	stderr, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd := exec.Command(bin, "serve", "--seed", seedPath)
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	lines := make(chan string, 4)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var endpoint string
	select {
	case line := <-lines:
		var ok bool
		endpoint, ok = strings.CutPrefix(line, "AWS_ENDPOINT_URL=")
		if !ok || !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+$`).MatchString(endpoint) {
			t.Fatalf("first stdout line %q", line)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("no endpoint line within 60s")
	}

	state, err := localorg.NewClient(endpoint).State(context.Background())
	if err != nil {
		t.Fatalf("state: %v", err)
	}
	acct, ok := state.Accounts["444455556666"]
	if !ok || !acct.Root.Password {
		t.Errorf("seeded account = %+v", acct)
	}
	if _, ok := acct.Buckets["serve-data"]; !ok {
		t.Errorf("seeded bucket missing: %+v", acct.Buckets)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not exit within 15s of SIGTERM")
	}
	for line := range lines {
		t.Errorf("extra stdout line %q", line)
	}
	logs, _ := os.ReadFile(stderr.Name())
	m := regexp.MustCompile(`moto=(http://127\.0\.0\.1:[0-9]+)`).FindSubmatch(logs)
	if m == nil {
		t.Fatalf("no moto address in the logs:\n%s", logs)
	}
	if conn, err := net.DialTimeout("tcp", strings.TrimPrefix(string(m[1]), "http://"), time.Second); err == nil {
		conn.Close()
		t.Errorf("moto_server at %s still answers after serve exited", m[1])
	}
}
