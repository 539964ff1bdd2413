package lambdaharness

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLocalorgInvoke drives `localorg invoke` end to end. It runs echofn, a
// test-only function, from a scratch module laid out like the repository
// (functions/NAME/main.go) with the repository's requirements.
func TestLocalorgInvoke(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "localorg")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/rootguard/rootguard/cmd/localorg").CombinedOutput(); err != nil {
		t.Fatalf("build cmd/localorg: %v\n%s", err, out)
	}

	mod := filepath.Join(dir, "scratch")
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	_, requirements, _ := bytes.Cut(gomod, []byte("\n"))
	gosum, err := os.ReadFile("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	source, err := os.ReadFile("testdata/echofn/main.go")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"go.mod":                 append([]byte("module example.com/scratch\n"), requirements...),
		"go.sum":                 gosum,
		"functions/echo/main.go": source,
		"events/ok.json":         []byte(`{"echo": {"account": "444455556666"}, "env": ["ROOTGUARD_MODE", "ROOTGUARD_HOST_ONLY"]}`),
		"events/fail.json":       []byte(`{"fail": "no such account 444455556666"}`),
		"events/broken.json":     []byte(`{"echo": `),
	}
	for name, data := range files {
		path := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("ROOTGUARD_HOST_ONLY", "leaked")
	// invoke refuses to run without a local endpoint; echofn calls no AWS API.
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr []string
		check      func(t *testing.T, stdout []byte)
	}{
		{
			name:       "result on stdout, logs on stderr",
			args:       []string{"--function", "echo", "--event", "../events/ok.json", "--env", "ROOTGUARD_MODE=report", "--memory", "256"},
			wantStderr: []string{"START RequestId: ", "REPORT RequestId: ", "\tMemory Size: 256 MB\t", "\tInit Duration: "},
			check: func(t *testing.T, stdout []byte) {
				var got echoed
				if err := json.Unmarshal(stdout, &got); err != nil {
					t.Fatalf("stdout is not the JSON result: %v\n%s", err, stdout)
				}
				var echo bytes.Buffer
				if err := json.Compact(&echo, got.Echo); err != nil || echo.String() != `{"account":"444455556666"}` {
					t.Errorf("echo %s, want the event's", got.Echo)
				}
				if len(got.Env) != 1 || got.Env["ROOTGUARD_MODE"] != "report" {
					t.Errorf("function environment %v, want only ROOTGUARD_MODE=report", got.Env)
				}
			},
		},
		{
			name:       "function error",
			args:       []string{"--function", "echo", "--event", "../events/fail.json"},
			wantCode:   1,
			wantStderr: []string{"\nechoError: no such account 444455556666\n"},
		},
		{
			name:       "init error",
			args:       []string{"--function", "echo", "--event", "../events/ok.json", "--env", "ECHOFN_INIT_ERROR=missing SLACK_WEBHOOK_SECRET"},
			wantCode:   1,
			wantStderr: []string{"function init failed: echofn.ConfigError: missing SLACK_WEBHOOK_SECRET"},
		},
		{
			name:       "unknown function",
			args:       []string{"--function", "nope", "--event", "../events/ok.json"},
			wantCode:   2,
			wantStderr: []string{`unknown function "nope"`, ": echo\n"},
		},
		{
			name:       "function name is not a path",
			args:       []string{"--function", "../functions/echo", "--event", "../events/ok.json"},
			wantCode:   2,
			wantStderr: []string{"function name"},
		},
		{
			name:       "event is not JSON",
			args:       []string{"--function", "echo", "--event", "../events/broken.json"},
			wantCode:   2,
			wantStderr: []string{"not valid JSON"},
		},
		{
			name:       "missing event",
			args:       []string{"--function", "echo"},
			wantCode:   2,
			wantStderr: []string{"--event is required"},
		},
		{
			name:       "bad env",
			args:       []string{"--function", "echo", "--event", "../events/ok.json", "--env", "ROOTGUARD_MODE"},
			wantCode:   2,
			wantStderr: []string{"want KEY=VALUE"},
		},
		{
			name:       "bad memory",
			args:       []string{"--function", "echo", "--event", "../events/ok.json", "--memory", "64"},
			wantCode:   2,
			wantStderr: []string{"memory 64 MB"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"invoke"}, tt.args...)...)
			// From a subdirectory: functions/ is found from the module root.
			cmd.Dir = filepath.Join(mod, "functions")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			code := 0
			if exitErr := (*exec.ExitError)(nil); errors.As(err, &exitErr) {
				code = exitErr.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d\nstderr:\n%s", code, tt.wantCode, &stderr)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr does not contain %q:\n%s", want, &stderr)
				}
			}
			if tt.check != nil {
				tt.check(t, stdout.Bytes())
			} else if stdout.Len() != 0 {
				t.Errorf("stdout %q, want nothing", &stdout)
			}
		})
	}
}
