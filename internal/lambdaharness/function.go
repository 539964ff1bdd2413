// Package lambdaharness runs a built Lambda function, its bootstrap binary,
// the way AWS Lambda runs provided runtimes: it serves the Lambda runtime API
// on loopback, starts the bootstrap with Lambda's environment, and hands it
// events one at a time, keeping the process warm between them.
package lambdaharness

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Lambda's defaults and limits.
const (
	defaultMemoryMB = 128
	minMemoryMB     = 128
	maxMemoryMB     = 10240
	defaultTimeout  = 30 * time.Second
	maxTimeout      = 900 * time.Second
	// initTimeout bounds a cold start: the process must ask for its first
	// event within it.
	initTimeout = 10 * time.Second
	// maxPayload is the limit on a synchronous event and on a response.
	maxPayload = 6 << 20

	// accountID is the documentation account the function's ARN names.
	accountID     = "111122223333"
	defaultRegion = "us-east-1"
	lambdaPath    = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
)

// stopGrace is how long Close waits after SIGTERM before it kills.
const stopGrace = 2 * time.Second

// Errors of the harness, as opposed to errors of the function's handler
// (Result.Error). Each is returned wrapped together with a *FunctionError
// saying what Lambda would have told the caller.
var (
	// ErrInit: the cold start failed; the function called /runtime/init/error,
	// exited, or did not ask for an event in time.
	ErrInit = errors.New("function init failed")
	// ErrExited: the process exited during an invocation without answering.
	ErrExited = errors.New("function process exited")
	// ErrTimeout: no answer before the function's timeout; the process was killed.
	ErrTimeout = errors.New("function timed out")
)

var errClosed = errors.New("function closed")

// Options configure a function as Lambda's function configuration would.
type Options struct {
	Name     string        // function name, required: [A-Za-z0-9_-]{1,64}
	Env      []string      // KEY=VALUE, applied last (they win over everything but AWS_LAMBDA_RUNTIME_API)
	MemoryMB int           // 128..10240, default 128; reported, not enforced
	Timeout  time.Duration // up to 15 minutes, default 30s; sets each invocation's deadline
	Stderr   io.Writer     // the function's stdout and stderr and the harness's log lines; default os.Stderr
}

var functionName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Validate reports whether Start would accept the options.
func (o Options) Validate() error {
	if !functionName.MatchString(o.Name) {
		return fmt.Errorf("function name %q: want 1 to 64 letters, digits, hyphens or underscores", o.Name)
	}
	if o.MemoryMB != 0 && (o.MemoryMB < minMemoryMB || o.MemoryMB > maxMemoryMB) {
		return fmt.Errorf("memory %d MB: want %d to %d", o.MemoryMB, minMemoryMB, maxMemoryMB)
	}
	if o.Timeout < 0 || o.Timeout > maxTimeout {
		return fmt.Errorf("timeout %v: want more than 0 and at most %v", o.Timeout, maxTimeout)
	}
	for _, kv := range o.Env {
		key, _, ok := strings.Cut(kv, "=")
		if !ok || key == "" {
			return fmt.Errorf("environment entry %q: want KEY=VALUE", kv)
		}
		if key == "AWS_LAMBDA_RUNTIME_API" {
			return fmt.Errorf("environment entry %q: the harness sets AWS_LAMBDA_RUNTIME_API", kv)
		}
	}
	return nil
}

// FunctionError is an error as Lambda reports it: raised by the handler,
// posted by the runtime, or Lambda's own (Runtime.ExitError, Sandbox.Timedout).
type FunctionError struct {
	ErrorType    string          `json:"errorType"`
	ErrorMessage string          `json:"errorMessage"`
	StackTrace   json.RawMessage `json:"stackTrace,omitempty"` // as the runtime sent it
}

func (e *FunctionError) Error() string {
	if e.ErrorType == "" {
		return e.ErrorMessage
	}
	return e.ErrorType + ": " + e.ErrorMessage
}

// Result is the outcome of one invocation.
type Result struct {
	RequestID string
	Payload   json.RawMessage // the response body as the function sent it; nil on an error
	Error     *FunctionError  // the handler's error, if it returned or panicked with one
	Duration  time.Duration
	// InitDuration is set on a process's first invocation: from process
	// start until it first asked for an event.
	InitDuration time.Duration
	MaxMemoryMB  int // the process's peak resident memory so far; 0 where it cannot be read
}

// Function is a bootstrap binary run as one Lambda execution environment.
// Its methods are safe for concurrent use; invocations run one at a time.
type Function struct {
	ctx      context.Context
	path     string
	name     string
	arn      string
	memoryMB int
	timeout  time.Duration
	env      []string // all but AWS_LAMBDA_RUNTIME_API, which is per process
	out      io.Writer

	invokeMu sync.Mutex // one event at a time, as in one execution environment

	mu     sync.Mutex
	proc   *process
	closed bool
}

// Start starts the bootstrap at bootstrapPath; its cold start begins at
// once. The process gets the caller's AWS_* variables (endpoint, region,
// credentials stand in for the function's configuration and role), Lambda's
// own variables, then opts.Env; no other host variable, as Lambda would not
// have them. Cancelling ctx kills the process; Close must be called either way.
func Start(ctx context.Context, bootstrapPath string, opts Options) (*Function, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	path, err := filepath.Abs(bootstrapPath)
	if err != nil {
		return nil, fmt.Errorf("bootstrap %s: %w", bootstrapPath, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if !info.Mode().IsRegular() || info.Mode().Perm()&0o111 == 0 {
		return nil, fmt.Errorf("bootstrap %s: not an executable file", path)
	}
	f := &Function{
		ctx:      ctx,
		path:     path,
		name:     opts.Name,
		memoryMB: cmp.Or(opts.MemoryMB, defaultMemoryMB),
		timeout:  cmp.Or(opts.Timeout, defaultTimeout),
		out:      opts.Stderr,
	}
	switch f.out.(type) {
	case nil:
		f.out = os.Stderr
	case *os.File: // given to the process as is, so its output and the harness's lines stay in order
	default:
		f.out = &syncWriter{w: f.out}
	}
	var region string
	f.env, region = environment(os.Environ(), opts.Env, f.name, f.memoryMB, filepath.Dir(path))
	f.arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, accountID, f.name)
	if _, err := f.spawn(); err != nil {
		return nil, err
	}
	return f, nil
}

// environment returns the function's environment, sorted, and its region.
func environment(host, extra []string, name string, memoryMB int, taskRoot string) ([]string, string) {
	vars := map[string]string{}
	for _, kv := range host {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "AWS_") {
			vars[k] = v
		}
	}
	extraVars := map[string]string{}
	for _, kv := range extra {
		k, v, _ := strings.Cut(kv, "=")
		extraVars[k] = v
	}
	region := cmp.Or(extraVars["AWS_REGION"], vars["AWS_REGION"], vars["AWS_DEFAULT_REGION"], defaultRegion)
	for k, v := range map[string]string{
		"AWS_REGION":                      region,
		"AWS_DEFAULT_REGION":              region,
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(memoryMB),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16),
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                taskRoot,
		"TZ":                              ":UTC",
		"PATH":                            lambdaPath,
	} {
		vars[k] = v
	}
	for k, v := range extraVars {
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env, region
}

// spawn starts a new process with a runtime API server of its own, so a
// request from a process being torn down can never take its successor's event.
func (f *Function) spawn() (*process, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtime api: %w", err)
	}
	cmd := exec.CommandContext(f.ctx, f.path)
	cmd.Dir = filepath.Dir(f.path)
	cmd.Env = append(slices.Clip(f.env), "AWS_LAMBDA_RUNTIME_API="+ln.Addr().String())
	cmd.Stdout, cmd.Stderr = f.out, f.out
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = stopGrace // a grandchild holding the output open must not block Wait
	p := &process{
		cmd:        cmd,
		arn:        f.arn,
		pending:    make(chan *invocation),
		ready:      make(chan struct{}),
		initFailed: make(chan struct{}),
		done:       make(chan struct{}),
	}
	p.srv = &http.Server{Handler: p.routes(), ReadHeaderTimeout: initTimeout}

	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		ln.Close()
		return nil, errClosed
	}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		ln.Close()
		return nil, fmt.Errorf("start %s: %w", f.path, err)
	}
	// Served only once cmd.Process is set: the handlers read it.
	go p.srv.Serve(ln)
	go func() {
		p.waitErr = cmd.Wait()
		p.srv.Close()
		close(p.done)
	}()
	f.proc = p
	return p, nil
}

// Invoke passes one event to the function and waits for its answer. A
// handler's error is Result.Error with a nil error; the error return is for
// failures Lambda itself would report: ErrInit, ErrExited, ErrTimeout (with
// Result still carrying RequestID, Duration and memory), or ctx's error. A
// process that exited between events is replaced by a new one, with a new
// cold start, as Lambda replaces an execution environment.
func (f *Function) Invoke(ctx context.Context, event []byte) (Result, error) {
	f.invokeMu.Lock()
	defer f.invokeMu.Unlock()
	if len(event) > maxPayload {
		return Result{}, fmt.Errorf("invoke %s: event of %d bytes is over the %d-byte limit", f.name, len(event), maxPayload)
	}
	inv := &invocation{id: newRequestID(), event: event, traceID: newTraceID(), done: make(chan outcome, 1)}
	for replaced := false; ; replaced = true {
		p, err := f.ready(ctx)
		if err != nil {
			return Result{}, err
		}
		start := time.Now()
		inv.deadline = start.Add(f.timeout)
		select {
		case p.pending <- inv:
			return f.await(ctx, p, inv, start)
		case <-p.done:
			// Died while idle, as after a panic: try once on a new process.
			if replaced {
				return Result{}, fmt.Errorf("%w: %w", ErrExited, exitError(inv.id, p.waitErr))
			}
		case <-ctx.Done():
			return Result{}, fmt.Errorf("invoke %s: %w", f.name, ctx.Err())
		}
	}
}

// ready returns a process that has asked for an event, starting one if
// there is none, and reports a failed cold start as ErrInit.
func (f *Function) ready(ctx context.Context) (*process, error) {
	f.mu.Lock()
	p, closed := f.proc, f.closed
	f.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	if isClosed(p.done) {
		var err error
		if p, err = f.spawn(); err != nil {
			return nil, err
		}
	}
	timer := time.NewTimer(initTimeout)
	defer timer.Stop()
	select {
	case <-p.ready:
	case <-p.initFailed:
	case <-p.done:
	case <-timer.C:
	case <-ctx.Done():
		if !isClosed(p.ready) {
			p.kill()
			return nil, fmt.Errorf("invoke %s: %w", f.name, ctx.Err())
		}
	}
	var fe *FunctionError
	status := "error"
	// In order of precedence: a runtime posts /init/error before it exits.
	switch {
	case isClosed(p.ready):
		return p, nil
	case isClosed(p.initFailed):
		p.kill()
		fe = p.initErr
	case isClosed(p.done):
		fe = &FunctionError{ErrorType: "Runtime.ExitError", ErrorMessage: exitMessage(p.waitErr)}
	default:
		p.kill()
		fe = &FunctionError{ErrorType: "Sandbox.Timedout", ErrorMessage: fmt.Sprintf("init did not finish within %v", initTimeout)}
		status = "timeout"
	}
	f.logf("INIT_REPORT Init Duration: %.2f ms\tPhase: init\tStatus: %s\tError Type: %s\n",
		millis(time.Since(p.started)), status, fe.ErrorType)
	return nil, fmt.Errorf("%w: %w", ErrInit, fe)
}

// await waits for the answer to an event the process has taken.
func (f *Function) await(ctx context.Context, p *process, inv *invocation, start time.Time) (Result, error) {
	f.logf("START RequestId: %s Version: $LATEST\n", inv.id)
	res := Result{RequestID: inv.id}
	if !p.invoked {
		p.invoked = true
		res.InitDuration = p.readyAt.Sub(p.started)
	}
	timer := time.NewTimer(f.timeout)
	defer timer.Stop()
	var (
		out    outcome
		err    error
		status string
	)
	select {
	case out = <-inv.done:
	case <-p.done:
		// A process that answered and then exited, as after a panic, has answered.
		select {
		case out = <-inv.done:
		default:
			out.peakMB = p.peakMemory()
			err = fmt.Errorf("%w: %w", ErrExited, exitError(inv.id, p.waitErr))
			status = "error\tError Type: Runtime.ExitError"
		}
	case <-timer.C:
		out.peakMB = p.peakMemory()
		p.kill()
		err = fmt.Errorf("%w: %w", ErrTimeout, &FunctionError{
			ErrorType:    "Sandbox.Timedout",
			ErrorMessage: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, f.timeout.Seconds()),
		})
		status = "timeout"
	case <-ctx.Done():
		// The event cannot be taken back: reset the environment, as Lambda
		// does with one whose invocation was abandoned.
		p.kill()
		return res, fmt.Errorf("invoke %s: %w", f.name, ctx.Err())
	}
	res.Duration = time.Since(start)
	res.Payload, res.Error, res.MaxMemoryMB = out.payload, out.err, out.peakMB
	f.logf("END RequestId: %s\n", inv.id)
	f.logf("%s", reportLine(res, f.memoryMB, status))
	return res, err
}

// reportLine is Lambda's REPORT line. Billed Duration includes a cold
// start's init, as it does for provided runtimes.
func reportLine(r Result, memoryMB int, status string) string {
	var b strings.Builder
	billed := max(1, int64(math.Ceil(millis(r.Duration+r.InitDuration))))
	fmt.Fprintf(&b, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB",
		r.RequestID, millis(r.Duration), billed, memoryMB, r.MaxMemoryMB)
	if r.InitDuration > 0 {
		fmt.Fprintf(&b, "\tInit Duration: %.2f ms", millis(r.InitDuration))
	}
	if status != "" {
		b.WriteString("\tStatus: " + status)
	}
	b.WriteByte('\n')
	return b.String()
}

// Close stops the process, SIGTERM first and SIGKILL after a grace period,
// and waits until it is gone. Later Invoke calls fail.
func (f *Function) Close() error {
	f.mu.Lock()
	p, closed := f.proc, f.closed
	f.closed = true
	f.mu.Unlock()
	if closed {
		return nil
	}
	return p.stop()
}

func (f *Function) logf(format string, args ...any) {
	fmt.Fprintf(f.out, format, args...)
}

func exitError(requestID string, waitErr error) *FunctionError {
	return &FunctionError{
		ErrorType:    "Runtime.ExitError",
		ErrorMessage: fmt.Sprintf("RequestId: %s Error: %s", requestID, exitMessage(waitErr)),
	}
}

func exitMessage(waitErr error) string {
	if waitErr == nil {
		return "Runtime exited without providing a reason"
	}
	return "Runtime exited with error: " + waitErr.Error()
}

func millis(d time.Duration) float64 {
	return float64(d) / float64(time.Millisecond)
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func newTraceID() string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", time.Now().Unix(), randomHex(12), randomHex(8))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// syncWriter serialises the process's output copiers and the harness's log
// lines on a writer that may not be safe for concurrent use.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
