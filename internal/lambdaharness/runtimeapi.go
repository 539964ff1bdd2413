package lambdaharness

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// process is one execution environment: a bootstrap process and the runtime
// API server only it talks to.
type process struct {
	cmd     *exec.Cmd
	srv     *http.Server
	arn     string
	started time.Time
	pending chan *invocation // unbuffered: a send completes when a /next takes the event

	readyOnce sync.Once
	ready     chan struct{} // closed at the first /next
	readyAt   time.Time     // written before ready is closed

	initOnce   sync.Once
	initFailed chan struct{} // closed when the runtime posts /init/error
	initErr    *FunctionError

	done    chan struct{} // closed once the process has exited and been reaped
	waitErr error         // written before done is closed

	invoked bool // has taken an event; guarded by Function.invokeMu

	mu       sync.Mutex
	inflight *invocation
	peakMB   int // last peak memory read, kept for when the process is gone
}

type invocation struct {
	id       string
	event    []byte
	traceID  string
	deadline time.Time
	done     chan outcome // buffered: the handler never waits for Invoke
}

type outcome struct {
	payload []byte
	err     *FunctionError
	peakMB  int
}

// Runtime API headers and paths, as in
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html.
const (
	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadline    = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
	// A streamed response that fails part way carries its error in trailers.
	trailerErrorType = "Lambda-Runtime-Function-Error-Type"
	trailerErrorBody = "Lambda-Runtime-Function-Error-Body"
)

func (p *process) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", p.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", p.response)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", p.invocationError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", p.initError)
	return mux
}

func (p *process) next(w http.ResponseWriter, r *http.Request) {
	p.readyOnce.Do(func() {
		p.readyAt = time.Now()
		close(p.ready)
	})
	var inv *invocation
	select {
	case inv = <-p.pending:
	case <-r.Context().Done():
		return
	}
	p.mu.Lock()
	p.inflight = inv
	p.mu.Unlock()
	h := w.Header()
	h.Set(headerRequestID, inv.id)
	h.Set(headerDeadline, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, p.arn)
	h.Set(headerTraceID, inv.traceID)
	h.Set("Content-Type", "application/json")
	w.Write(inv.event)
}

func (p *process) response(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload+1))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("read response: %v", err))
		return
	}
	inv, ok := p.take(r.PathValue("id"))
	if !ok {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", fmt.Sprintf("no invocation %q in progress", r.PathValue("id")))
		return
	}
	if len(body) > maxPayload {
		inv.done <- outcome{peakMB: p.peakMemory(), err: &FunctionError{
			ErrorType:    "Function.ResponseSizeTooLarge",
			ErrorMessage: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", maxPayload),
		}}
		apiError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response over the payload limit")
		return
	}
	out := outcome{payload: body, peakMB: p.peakMemory()}
	if errType := r.Trailer.Get(trailerErrorType); errType != "" {
		out = outcome{peakMB: out.peakMB, err: streamError(errType, r.Trailer.Get(trailerErrorBody))}
	}
	inv.done <- out
	w.WriteHeader(http.StatusAccepted)
}

func (p *process) invocationError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("read error: %v", err))
		return
	}
	inv, ok := p.take(r.PathValue("id"))
	if !ok {
		apiError(w, http.StatusBadRequest, "InvalidRequestID", fmt.Sprintf("no invocation %q in progress", r.PathValue("id")))
		return
	}
	inv.done <- outcome{peakMB: p.peakMemory(), err: parseFunctionError(body, r.Header.Get(headerErrorType))}
	w.WriteHeader(http.StatusAccepted)
}

func (p *process) initError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPayload))
	if err != nil {
		apiError(w, http.StatusBadRequest, "InvalidRequest", fmt.Sprintf("read error: %v", err))
		return
	}
	if isClosed(p.ready) {
		apiError(w, http.StatusForbidden, "InvalidStateTransition", "init error after the runtime asked for an event")
		return
	}
	fe := parseFunctionError(body, r.Header.Get(headerErrorType))
	p.initOnce.Do(func() {
		p.initErr = fe
		close(p.initFailed)
	})
	w.WriteHeader(http.StatusAccepted)
}

// take ends the invocation in progress if it has this id.
func (p *process) take(id string) (*invocation, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight == nil || p.inflight.id != id {
		return nil, false
	}
	inv := p.inflight
	p.inflight = nil
	return inv, true
}

// peakMemory reads the process's peak memory, or returns the last reading
// once the process is gone.
func (p *process) peakMemory() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if mb := peakMemoryMB(p.cmd.Process.Pid); mb > 0 {
		p.peakMB = mb
	}
	return p.peakMB
}

// kill ends the process at once, as Lambda does on a timeout, and waits for it.
func (p *process) kill() error {
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill function process %d: %w", p.cmd.Process.Pid, err)
	}
	<-p.done
	return nil
}

// stop asks the process to exit, then kills it if it has not within stopGrace.
func (p *process) stop() error {
	if isClosed(p.done) {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err == nil {
		timer := time.NewTimer(stopGrace)
		defer timer.Stop()
		select {
		case <-p.done:
			return nil
		case <-timer.C:
		}
	}
	return p.kill()
}

// parseFunctionError reads an error body as runtimes post it; a body that
// is not the JSON error shape is kept whole as the message.
func parseFunctionError(body []byte, typeHeader string) *FunctionError {
	var fe FunctionError
	if err := json.Unmarshal(body, &fe); err != nil {
		fe = FunctionError{ErrorMessage: string(body)}
	}
	if fe.ErrorType == "" {
		fe.ErrorType = typeHeader
	}
	return &fe
}

func streamError(errType, encodedBody string) *FunctionError {
	body, err := base64.StdEncoding.DecodeString(encodedBody)
	if err != nil {
		return &FunctionError{ErrorType: errType, ErrorMessage: "response stream failed"}
	}
	return parseFunctionError(body, errType)
}

func apiError(w http.ResponseWriter, status int, errType, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(FunctionError{ErrorType: errType, ErrorMessage: msg})
}
