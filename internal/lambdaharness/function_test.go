package lambdaharness

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// echofn is the test function's bootstrap, built once for every test.
var echofn string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lambdaharness-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if echofn, err = Build(context.Background(), "./internal/lambdaharness/testdata/echofn", dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// echoed is echofn's answer.
type echoed struct {
	Echo         json.RawMessage   `json:"echo"`
	Env          map[string]string `json:"env"`
	RequestID    string            `json:"request_id"`
	FunctionARN  string            `json:"function_arn"`
	FunctionName string            `json:"function_name"`
	MemoryMB     int               `json:"memory_mb"`
	DeadlineInMS int64             `json:"deadline_in_ms"`
	Invocation   int               `json:"invocation"`
	PID          int               `json:"pid"`
}

// logBuffer is a Stderr the test can read while the process writes to it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines returns the logged lines that start with prefix.
func (b *logBuffer) lines(prefix string) []string {
	var out []string
	for _, line := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return out
}

func start(t *testing.T, opts Options) (*Function, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	opts.Name = cmp.Or(opts.Name, "echo")
	opts.Stderr = logs
	fn, err := Start(context.Background(), echofn, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := fn.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if t.Failed() {
			t.Logf("function output:\n%s", logs)
		}
	})
	return fn, logs
}

func invoke(ctx context.Context, t *testing.T, fn *Function, event any) (Result, error) {
	t.Helper()
	b, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	return fn.Invoke(ctx, b)
}

// mustEcho invokes an event that must succeed and decodes the answer.
func mustEcho(t *testing.T, fn *Function, event any) (Result, echoed) {
	t.Helper()
	res, err := invoke(context.Background(), t, fn, event)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if res.Error != nil {
		t.Fatalf("Invoke: function error %v", res.Error)
	}
	var got echoed
	if err := json.Unmarshal(res.Payload, &got); err != nil {
		t.Fatalf("payload %s: %v", res.Payload, err)
	}
	return res, got
}

func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

var reportPattern = regexp.MustCompile(`^REPORT RequestId: ([0-9a-f-]{36})\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\tMemory Size: 128 MB\tMax Memory Used: (\d+) MB(?:\tInit Duration: (\d+\.\d\d) ms)?$`)

func TestWarmProcess(t *testing.T) {
	t.Setenv("AWS_REGION", "us-west-2")
	fn, logs := start(t, Options{Timeout: 5 * time.Second})

	const events = 3
	var pid int
	var ids []string
	for i := 1; i <= events; i++ {
		res, got := mustEcho(t, fn, map[string]any{"echo": map[string]int{"n": i}, "log": fmt.Sprintf("handling event %d", i)})
		if want := fmt.Sprintf(`{"n":%d}`, i); string(got.Echo) != want {
			t.Errorf("event %d: echo %s, want %s", i, got.Echo, want)
		}
		if got.Invocation != i {
			t.Errorf("event %d was invocation %d of its process: the process was not kept warm", i, got.Invocation)
		}
		if i == 1 {
			pid = got.PID
		} else if got.PID != pid {
			t.Errorf("event %d ran in process %d, want %d", i, got.PID, pid)
		}
		if cold := res.InitDuration > 0; cold != (i == 1) {
			t.Errorf("event %d: InitDuration %v, want it only on the first", i, res.InitDuration)
		}
		if got.RequestID != res.RequestID || res.RequestID == "" {
			t.Errorf("event %d: function saw request id %q, harness returned %q", i, got.RequestID, res.RequestID)
		}
		if want := "arn:aws:lambda:us-west-2:111122223333:function:echo"; got.FunctionARN != want {
			t.Errorf("event %d: function ARN %q, want %q", i, got.FunctionARN, want)
		}
		// The deadline header set ctx.Deadline to the function's timeout.
		if got.DeadlineInMS <= 4000 || got.DeadlineInMS > 5000 {
			t.Errorf("event %d: %d ms left before the deadline, want just under 5000", i, got.DeadlineInMS)
		}
		if res.Duration <= 0 {
			t.Errorf("event %d: Duration %v", i, res.Duration)
		}
		if runtime.GOOS == "linux" && res.MaxMemoryMB <= 0 {
			t.Errorf("event %d: MaxMemoryMB %d, want the process's peak", i, res.MaxMemoryMB)
		}
		ids = append(ids, res.RequestID)
	}
	if ids[0] == ids[1] || ids[1] == ids[2] {
		t.Errorf("request ids repeat: %v", ids)
	}

	reports := logs.lines("REPORT")
	if len(reports) != events {
		t.Fatalf("%d REPORT lines, want %d:\n%s", len(reports), events, logs)
	}
	for i, line := range reports {
		m := reportPattern.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("REPORT line %q does not match %s", line, reportPattern)
			continue
		}
		if m[1] != ids[i] {
			t.Errorf("REPORT line %d is for request %s, want %s", i, m[1], ids[i])
		}
		if hasInit := m[5] != ""; hasInit != (i == 0) {
			t.Errorf("REPORT line %d: Init Duration present %v, want only on the first: %q", i, hasInit, line)
		}
		// Billed: the duration (with init, on a cold start) rounded up to the ms.
		duration, _ := strconv.ParseFloat(m[2], 64)
		init, _ := strconv.ParseFloat(cmp.Or(m[5], "0"), 64)
		billed, _ := strconv.ParseFloat(m[3], 64)
		if want := math.Ceil(duration + init); math.Abs(billed-want) > 1 {
			t.Errorf("REPORT line %d: billed %v ms, want about %v: %q", i, billed, want, line)
		}
	}

	if err := fn.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Only once the process is gone is all its output copied.
	for i := 1; i <= events; i++ {
		if want := fmt.Sprintf("handling event %d", i); !strings.Contains(logs.String(), want) {
			t.Errorf("function output %q missing from Stderr", want)
		}
	}
	if got := len(logs.lines("START RequestId: ")); got != events {
		t.Errorf("%d START lines, want %d", got, events)
	}
}

func TestFunctionErrors(t *testing.T) {
	tests := []struct {
		name        string
		event       map[string]any
		wantType    string
		wantMessage string
		wantStack   bool
		// The runtime exits after reporting: the next event needs a new process.
		exits bool
	}{
		{name: "returned error", event: map[string]any{"fail": "no such account 444455556666"},
			wantType: "echoError", wantMessage: "no such account 444455556666"},
		{name: "panic", event: map[string]any{"panic": "boom"},
			wantType: "string", wantMessage: "boom", wantStack: true, exits: true},
		{name: "streamed response fails", event: map[string]any{"stream": "stream broke"},
			wantType: "echoError", wantMessage: "stream broke"},
		{name: "response too large", event: map[string]any{"size": maxPayload},
			wantType: "Function.ResponseSizeTooLarge", wantMessage: "Response payload size exceeded", exits: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, logs := start(t, Options{})
			_, before := mustEcho(t, fn, map[string]any{})

			res, err := invoke(context.Background(), t, fn, tt.event)
			if err != nil {
				t.Fatalf("Invoke: %v, want a function error in the result", err)
			}
			if res.Error == nil {
				t.Fatalf("Invoke: no function error; payload %.200s", res.Payload)
			}
			if res.Error.ErrorType != tt.wantType || !strings.Contains(res.Error.ErrorMessage, tt.wantMessage) {
				t.Errorf("function error %q: %q, want %q: %q", res.Error.ErrorType, res.Error.ErrorMessage, tt.wantType, tt.wantMessage)
			}
			if res.Payload != nil {
				t.Errorf("payload %.200s alongside an error", res.Payload)
			}
			if hasStack := bytes.Contains(res.Error.StackTrace, []byte(`"label":"handle"`)); hasStack != tt.wantStack {
				t.Errorf("stack trace naming the handler: %v, want %v: %.300s", hasStack, tt.wantStack, res.Error.StackTrace)
			}
			if got := len(logs.lines("REPORT RequestId: " + res.RequestID)); got != 1 {
				t.Errorf("%d REPORT lines for the failed request, want 1", got)
			}

			next, after := mustEcho(t, fn, map[string]any{})
			if newProcess := after.PID != before.PID; newProcess != tt.exits {
				t.Errorf("next event in a new process: %v, want %v", newProcess, tt.exits)
			}
			if cold := next.InitDuration > 0; cold != tt.exits {
				t.Errorf("next event cold: %v, want %v", cold, tt.exits)
			}
			if tt.exits && processAlive(before.PID) {
				t.Errorf("process %d still alive after exiting", before.PID)
			}
		})
	}
}

func TestInitErrors(t *testing.T) {
	tests := []struct {
		name        string
		env         []string
		wantType    string
		wantMessage string
	}{
		{name: "runtime posts init error", env: []string{"ECHOFN_INIT_ERROR=missing SLACK_WEBHOOK_SECRET"},
			wantType: "echofn.ConfigError", wantMessage: "missing SLACK_WEBHOOK_SECRET"},
		{name: "process exits during init", env: []string{"ECHOFN_INIT_EXIT=bad configuration"},
			wantType: "Runtime.ExitError", wantMessage: "exit status 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, logs := start(t, Options{Env: tt.env})
			// Lambda retries init on the next event: it fails the same way.
			for attempt := 1; attempt <= 2; attempt++ {
				_, err := invoke(context.Background(), t, fn, map[string]any{})
				if !errors.Is(err, ErrInit) {
					t.Fatalf("attempt %d: Invoke error %v, want ErrInit", attempt, err)
				}
				var fe *FunctionError
				if !errors.As(err, &fe) || fe.ErrorType != tt.wantType || !strings.Contains(fe.ErrorMessage, tt.wantMessage) {
					t.Errorf("attempt %d: error %v, want %s: ...%s...", attempt, err, tt.wantType, tt.wantMessage)
				}
			}
			reports := logs.lines("INIT_REPORT ")
			if len(reports) != 2 {
				t.Fatalf("%d INIT_REPORT lines, want 2:\n%s", len(reports), logs)
			}
			if want := "\tPhase: init\tStatus: error\tError Type: " + tt.wantType; !strings.HasSuffix(reports[0], want) {
				t.Errorf("INIT_REPORT %q, want it to end %q", reports[0], want)
			}
			if got := logs.lines("REPORT "); len(got) != 0 {
				t.Errorf("REPORT lines without an invocation: %q", got)
			}
		})
	}
}

func TestProcessFailures(t *testing.T) {
	tests := []struct {
		name        string
		event       map[string]any
		timeout     time.Duration // the function's
		cancelAfter time.Duration // the caller's
		wantErr     error
		wantType    string
		wantMessage string
		wantStatus  string // of the REPORT line; "" for none
	}{
		{name: "exit mid-invocation", event: map[string]any{"exit": 3},
			wantErr: ErrExited, wantType: "Runtime.ExitError", wantMessage: "Runtime exited with error: exit status 3",
			wantStatus: "error\tError Type: Runtime.ExitError"},
		{name: "timeout", event: map[string]any{"sleep_ms": 5000}, timeout: 500 * time.Millisecond,
			wantErr: ErrTimeout, wantType: "Sandbox.Timedout", wantMessage: "Task timed out after 0.50 seconds",
			wantStatus: "timeout"},
		{name: "caller gives up", event: map[string]any{"sleep_ms": 5000}, cancelAfter: 300 * time.Millisecond,
			wantErr: context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, logs := start(t, Options{Timeout: tt.timeout})
			_, before := mustEcho(t, fn, map[string]any{})

			ctx := context.Background()
			if tt.cancelAfter > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.cancelAfter)
				defer cancel()
			}
			began := time.Now()
			res, err := invoke(ctx, t, fn, tt.event)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Invoke error %v, want %v", err, tt.wantErr)
			}
			if elapsed := time.Since(began); elapsed > 3*time.Second {
				t.Errorf("Invoke took %v: the harness waited for the sleeping function", elapsed)
			}
			if tt.wantType != "" {
				var fe *FunctionError
				if !errors.As(err, &fe) || fe.ErrorType != tt.wantType || !strings.Contains(fe.ErrorMessage, tt.wantMessage) {
					t.Errorf("error %v, want %s: ...%s...", err, tt.wantType, tt.wantMessage)
				}
				if !strings.Contains(fe.ErrorMessage, res.RequestID) || res.RequestID == "" {
					t.Errorf("error %q does not name request %q", fe.ErrorMessage, res.RequestID)
				}
			}
			if tt.timeout > 0 && res.Duration < tt.timeout {
				t.Errorf("Duration %v, want at least the timeout %v", res.Duration, tt.timeout)
			}
			reports := logs.lines("REPORT RequestId: " + res.RequestID)
			switch {
			case tt.wantStatus == "" && res.RequestID != "" && len(reports) != 0:
				t.Errorf("REPORT for an abandoned invocation: %q", reports)
			case tt.wantStatus != "" && (len(reports) != 1 || !strings.HasSuffix(reports[0], "\tStatus: "+tt.wantStatus)):
				t.Errorf("REPORT lines %q, want one ending Status: %s", reports, tt.wantStatus)
			}
			if processAlive(before.PID) {
				t.Errorf("process %d still alive after the failed invocation", before.PID)
			}

			next, after := mustEcho(t, fn, map[string]any{})
			if after.PID == before.PID || next.InitDuration == 0 {
				t.Errorf("next event: process %d (was %d), InitDuration %v; want a new cold process", after.PID, before.PID, next.InitDuration)
			}
		})
	}
}

func TestEnvironment(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTEXAMPLE")
	t.Setenv("ROOTGUARD_HOST_ONLY", "leaked")

	names := []string{
		"AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "ROOTGUARD_MODE", "ROOTGUARD_HOST_ONLY",
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
		"AWS_LAMBDA_LOG_GROUP_NAME", "_HANDLER", "LAMBDA_TASK_ROOT", "TZ",
	}
	lambdaVars := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "env-test",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/env-test",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                filepath.Dir(echofn),
		"TZ":                              ":UTC",
	}
	tests := []struct {
		name       string
		env        []string
		want       map[string]string
		wantRegion string
	}{
		{
			name: "caller's AWS variables inherited",
			want: map[string]string{
				"AWS_ENDPOINT_URL":   "http://127.0.0.1:4566",
				"AWS_REGION":         "eu-west-1",
				"AWS_DEFAULT_REGION": "eu-west-1",
				"AWS_ACCESS_KEY_ID":  "AKIAHOSTEXAMPLE",
			},
			wantRegion: "eu-west-1",
		},
		{
			name: "Env wins",
			env:  []string{"AWS_ACCESS_KEY_ID=AKIAOVERRIDE", "AWS_REGION=ap-southeast-2", "ROOTGUARD_MODE=report"},
			want: map[string]string{
				"AWS_ENDPOINT_URL":   "http://127.0.0.1:4566",
				"AWS_REGION":         "ap-southeast-2",
				"AWS_DEFAULT_REGION": "ap-southeast-2",
				"AWS_ACCESS_KEY_ID":  "AKIAOVERRIDE",
				"ROOTGUARD_MODE":     "report",
			},
			wantRegion: "ap-southeast-2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, _ := start(t, Options{Name: "env-test", MemoryMB: 512, Env: tt.env})
			_, got := mustEcho(t, fn, map[string]any{"env": append(names, "AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_LOG_STREAM_NAME")})

			want := map[string]string{}
			for k, v := range lambdaVars {
				want[k] = v
			}
			for k, v := range tt.want {
				want[k] = v
			}
			for _, name := range names {
				gotValue, ok := got.Env[name]
				wantValue, wantOK := want[name]
				if ok != wantOK || gotValue != wantValue {
					t.Errorf("%s: got %q (set %v), want %q (set %v)", name, gotValue, ok, wantValue, wantOK)
				}
			}
			if api := got.Env["AWS_LAMBDA_RUNTIME_API"]; !strings.HasPrefix(api, "127.0.0.1:") {
				t.Errorf("AWS_LAMBDA_RUNTIME_API %q, want a loopback address", api)
			}
			if stream := got.Env["AWS_LAMBDA_LOG_STREAM_NAME"]; !regexp.MustCompile(`^\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}$`).MatchString(stream) {
				t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME %q", stream)
			}
			if want := "arn:aws:lambda:" + tt.wantRegion + ":111122223333:function:env-test"; got.FunctionARN != want {
				t.Errorf("function ARN %q, want %q", got.FunctionARN, want)
			}
			if got.FunctionName != "env-test" || got.MemoryMB != 512 {
				t.Errorf("lambdacontext saw function %q with %d MB, want env-test with 512", got.FunctionName, got.MemoryMB)
			}
		})
	}
}

func TestConcurrentInvokesAreSerialised(t *testing.T) {
	fn, _ := start(t, Options{})
	const callers, each = 4, 3
	var (
		mu   sync.Mutex
		seen = map[int]bool{}
		pids = map[int]bool{}
		wg   sync.WaitGroup
	)
	for range callers {
		wg.Go(func() {
			for range each {
				res, err := fn.Invoke(context.Background(), []byte(`{}`))
				if err != nil || res.Error != nil {
					t.Errorf("Invoke: %v %v", err, res.Error)
					return
				}
				var got echoed
				if err := json.Unmarshal(res.Payload, &got); err != nil {
					t.Errorf("payload %s: %v", res.Payload, err)
					return
				}
				mu.Lock()
				seen[got.Invocation] = true
				pids[got.PID] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i := 1; i <= callers*each; i++ {
		if !seen[i] {
			t.Errorf("no event was invocation %d; saw %v", i, seen)
		}
	}
	if len(pids) != 1 {
		t.Errorf("events ran in %d processes, want 1", len(pids))
	}
}

func TestClose(t *testing.T) {
	fn, _ := start(t, Options{})
	_, got := mustEcho(t, fn, map[string]any{})
	if !processAlive(got.PID) {
		t.Fatalf("process %d not alive while the function is open", got.PID)
	}
	if err := fn.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if processAlive(got.PID) {
		t.Errorf("process %d alive after Close", got.PID)
	}
	if _, err := fn.Invoke(context.Background(), []byte(`{}`)); err == nil {
		t.Error("Invoke after Close succeeded")
	}
	if err := fn.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestStartRejects(t *testing.T) {
	dir := t.TempDir()
	notExecutable := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		bootstrap string
		opts      Options
		want      string
	}{
		{"no name", echofn, Options{}, "function name"},
		{"name with a path", echofn, Options{Name: "../echo"}, "function name"},
		{"memory too small", echofn, Options{Name: "f", MemoryMB: 64}, "memory 64 MB"},
		{"memory too large", echofn, Options{Name: "f", MemoryMB: 20000}, "memory 20000 MB"},
		{"negative timeout", echofn, Options{Name: "f", Timeout: -time.Second}, "timeout"},
		{"timeout over 15 minutes", echofn, Options{Name: "f", Timeout: 16 * time.Minute}, "timeout"},
		{"env without =", echofn, Options{Name: "f", Env: []string{"ROOTGUARD_MODE"}}, "want KEY=VALUE"},
		{"env without key", echofn, Options{Name: "f", Env: []string{"=report"}}, "want KEY=VALUE"},
		{"env sets the runtime API", echofn, Options{Name: "f", Env: []string{"AWS_LAMBDA_RUNTIME_API=127.0.0.1:1"}}, "AWS_LAMBDA_RUNTIME_API"},
		{"missing bootstrap", filepath.Join(dir, "missing"), Options{Name: "f"}, "no such file"},
		{"directory", dir, Options{Name: "f"}, "not an executable"},
		{"not executable", notExecutable, Options{Name: "f"}, "not an executable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fn, err := Start(context.Background(), tt.bootstrap, tt.opts)
			if err == nil {
				fn.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		pkg  string
		want string
	}{
		{"compile error", "./internal/lambdaharness/testdata/broken", "testdata/broken/main.go:6"},
		{"no such package", "./internal/lambdaharness/testdata/missing", "testdata/missing"},
		{"no package", "", "no package"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Build(context.Background(), tt.pkg, dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Build error %v, want it to contain %q", err, tt.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "bootstrap")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("bootstrap left behind by a failed build: %v", err)
			}
		})
	}
}

func TestReportLine(t *testing.T) {
	tests := []struct {
		name   string
		result Result
		status string
		want   string
	}{
		{
			name:   "cold start bills init",
			result: Result{RequestID: "r1", Duration: 12340 * time.Microsecond, InitDuration: 45670 * time.Microsecond, MaxMemoryMB: 20},
			want:   "REPORT RequestId: r1\tDuration: 12.34 ms\tBilled Duration: 59 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 45.67 ms\n",
		},
		{
			name:   "warm rounds up",
			result: Result{RequestID: "r2", Duration: 12340 * time.Microsecond, MaxMemoryMB: 21},
			want:   "REPORT RequestId: r2\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 21 MB\n",
		},
		{
			name:   "at least 1 ms",
			result: Result{RequestID: "r3", Duration: 200 * time.Microsecond},
			want:   "REPORT RequestId: r3\tDuration: 0.20 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 0 MB\n",
		},
		{
			name:   "timeout",
			result: Result{RequestID: "r4", Duration: 3 * time.Second, MaxMemoryMB: 30},
			status: "timeout",
			want:   "REPORT RequestId: r4\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 30 MB\tStatus: timeout\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reportLine(tt.result, 128, tt.status); got != tt.want {
				t.Errorf("reportLine:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
