package main

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/localorg/localorgtest"
)

// buildLocalorg builds this command into a temporary directory.
func buildLocalorg(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "localorg")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// served is a started `localorg serve` (possibly under a wrapper process).
type served struct {
	cmd      *exec.Cmd
	before   []string      // stdout lines before the endpoint line (a wrapper's)
	lines    chan string   // stdout after the endpoint line
	exited   chan struct{} // closed when cmd.Wait returned, after stdout closed
	waitErr  error         // cmd.Wait's result, once exited is closed
	endpoint string
	stderr   string // path of the stderr file
}

// startServe starts cmd, which runs `localorg serve` and may print other
// lines before its endpoint line, and waits for the endpoint.
func startServe(t *testing.T, cmd *exec.Cmd) *served {
	t.Helper()
	s := &served{cmd: cmd, lines: make(chan string, 16), exited: make(chan struct{}), stderr: filepath.Join(t.TempDir(), "stderr")}
	stderr, err := os.Create(s.stderr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stderr.Close() })
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-s.exited:
		case <-time.After(15 * time.Second):
		}
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		close(s.lines)
		// Wait only after the last read of the pipe, as exec requires.
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	deadline := time.After(60 * time.Second)
	for s.endpoint == "" {
		select {
		case line, ok := <-s.lines:
			if !ok {
				t.Fatalf("stdout closed before the endpoint line; stderr:\n%s", s.logs())
			}
			e, isEndpoint := strings.CutPrefix(line, "AWS_ENDPOINT_URL=")
			switch {
			case !isEndpoint && cmd.Args[1] == "serve":
				t.Fatalf("first stdout line %q, want the endpoint", line)
			case !isEndpoint:
				s.before = append(s.before, line)
			case !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+$`).MatchString(e):
				t.Fatalf("endpoint line %q", line)
			default:
				s.endpoint = e
			}
		case <-deadline:
			t.Fatalf("no endpoint line within 60s; stderr:\n%s", s.logs())
		}
	}
	return s
}

func (s *served) logs() string {
	b, _ := os.ReadFile(s.stderr)
	return string(b)
}

// logged returns the first submatch of pattern in the logs.
func (s *served) logged(t *testing.T, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s.logs())
	if m == nil {
		t.Fatalf("no %s in the logs:\n%s", pattern, s.logs())
	}
	return m[1]
}

// wait waits for the process to exit and returns its exit status.
func (s *served) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-s.exited:
		var exitErr *exec.ExitError
		if errors.As(s.waitErr, &exitErr) {
			return exitErr.ExitCode()
		}
		if s.waitErr != nil {
			t.Fatal(s.waitErr)
		}
		return 0
	case <-time.After(limit):
		t.Fatalf("still running %v later; stderr:\n%s", limit, s.logs())
		return -1
	}
}

// answers reports whether something listens at the host:port of url.
func answers(url string) bool {
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "http://"), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// TestServeProcess runs `localorg serve` as a process: it must print the
// endpoint line once seeded, and on SIGTERM stop moto_server and exit 0.
func TestServeProcess(t *testing.T) {
	localorgtest.RequireMoto(t)
	t.Parallel()
	bin := buildLocalorg(t)
	seedPath := filepath.Join(t.TempDir(), "org.json")
	seed := `{"accounts": [{"id": "444455556666", "root": {"password": true}, "buckets": [{"name": "serve-data"}]}]}`
	if err := os.WriteFile(seedPath, []byte(seed), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, exec.Command(bin, "serve", "--seed", seedPath))

	state, err := localorg.NewClient(s.endpoint).State(context.Background())
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

	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("serve exited with %d after SIGTERM; stderr:\n%s", code, s.logs())
	}
	for line := range s.lines { // closed before exited
		t.Errorf("extra stdout line %q", line)
	}
	if moto := s.logged(t, `moto=(http://127\.0\.0\.1:[0-9]+)`); answers(moto) {
		t.Errorf("moto_server at %s still answers after serve exited", moto)
	}
}

// TestServeExitsWhenMotoDies: serve must not go on answering 502s when
// moto_server is gone; it exits 1 and shows moto's last words.
func TestServeExitsWhenMotoDies(t *testing.T) {
	localorgtest.RequireMoto(t)
	t.Parallel()
	s := startServe(t, exec.Command(buildLocalorg(t), "serve", "-v"))
	pid, err := strconv.Atoi(s.logged(t, `msg="moto_server started" pid=([0-9]+)`))
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := s.wait(t, 15*time.Second); code != 1 {
		t.Errorf("serve exited with %d after moto_server died, want 1", code)
	}
	if logs := s.logs(); !strings.Contains(logs, "moto_server died") || !strings.Contains(logs, "exited unexpectedly (signal: killed)") {
		t.Errorf("logs do not report moto's death:\n%s", logs)
	}
	if answers(s.endpoint) {
		t.Errorf("layer at %s still answers", s.endpoint)
	}
}

// TestServeStopsWithItsParent: `go run` killed by SIGTERM does not pass the
// signal on; serve must stop (and stop moto_server) when its parent dies.
func TestServeStopsWithItsParent(t *testing.T) {
	localorgtest.RequireMoto(t)
	t.Parallel()
	// The shell stands for `go run`: it starts serve and waits.
	wrapper := exec.Command("sh", "-c", `"$0" serve & echo "serve-pid=$!"; wait`, buildLocalorg(t))
	s := startServe(t, wrapper)
	if len(s.before) != 1 {
		t.Fatalf("wrapper printed %q, want its child's pid", s.before)
	}
	pid, err := strconv.Atoi(strings.TrimPrefix(s.before[0], "serve-pid="))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	moto := s.logged(t, `moto=(http://127\.0\.0\.1:[0-9]+)`)
	if err := wrapper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for answers(s.endpoint) || answers(moto) {
		if time.Now().After(deadline) {
			t.Fatalf("serve (layer %s, moto %s) still answers 15s after its parent died; stderr:\n%s", s.endpoint, moto, s.logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if logs := s.logs(); !strings.Contains(logs, "stopping local organization") {
		t.Errorf("serve did not stop cleanly:\n%s", logs)
	}
}

func TestServeRefusesNonLoopbackAddr(t *testing.T) {
	tests := []struct {
		addr, wantErr string
	}{
		{"127.0.0.1:0", ""},
		{"127.1.2.3:8080", ""},
		{"[::1]:0", ""},
		{"localhost:4566", ""},
		{":0", "every interface"},
		{"0.0.0.0:0", "not loopback"},
		{"[::]:0", "not loopback"},
		{"192.0.2.10:0", "not loopback"},
		{"example.com:0", "not loopback"},
		{"127.0.0.1", "want HOST:PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			err := checkLoopback(tt.addr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkLoopback: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("checkLoopback error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
	// The command refuses before it starts anything.
	out, err := exec.Command(buildLocalorg(t), "serve", "--addr", ":0").CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 || !strings.Contains(string(out), "--addr :0: no host means every interface") {
		t.Errorf("serve --addr :0 = %v:\n%s", err, out)
	}
}

func TestInvokeRefusesRealAWS(t *testing.T) {
	tests := []struct {
		name        string
		host, extra []string
		wantErr     string
	}{
		{"local endpoint", []string{"AWS_ENDPOINT_URL=http://127.0.0.1:4566", "HOME=/x"}, nil, ""},
		{"localhost and ::1", []string{"AWS_ENDPOINT_URL=http://localhost:4566", "AWS_ENDPOINT_URL_S3=http://[::1]:4566"}, nil, ""},
		{"--env supplies the endpoint", nil, []string{"AWS_ENDPOINT_URL=http://127.0.0.1:4566"}, ""},
		{"no endpoint", []string{"AWS_REGION=us-east-1"}, nil, "AWS_ENDPOINT_URL is not set"},
		{"empty endpoint", []string{"AWS_ENDPOINT_URL="}, nil, "AWS_ENDPOINT_URL is not set"},
		{"remote endpoint", []string{"AWS_ENDPOINT_URL=https://sts.amazonaws.com"}, nil, "not a loopback URL"},
		{"--env overrides a local endpoint", []string{"AWS_ENDPOINT_URL=http://127.0.0.1:4566"}, []string{"AWS_ENDPOINT_URL=https://sts.amazonaws.com"}, "not a loopback URL"},
		{"remote service endpoint", []string{"AWS_ENDPOINT_URL=http://127.0.0.1:4566", "AWS_ENDPOINT_URL_STS=https://sts.amazonaws.com"}, nil, "AWS_ENDPOINT_URL_STS"},
		{"endpoints ignored", []string{"AWS_ENDPOINT_URL=http://127.0.0.1:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true"}, nil, "ignore"},
		{"not a URL", []string{"AWS_ENDPOINT_URL=127.0.0.1:4566"}, nil, "not a URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkLocalEndpoint(tt.host, tt.extra)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkLocalEndpoint: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("checkLocalEndpoint error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}
