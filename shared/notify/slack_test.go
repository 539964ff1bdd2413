package notify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// slackServer answers webhook posts from a script of responses, one per
// request (the last repeats), and records what it received.
type slackServer struct {
	*httptest.Server
	mu       sync.Mutex
	bodies   [][]byte
	ctypes   []string
	script   []func(http.ResponseWriter)
	redirect int // requests that reached /elsewhere
}

func newSlackServer(t *testing.T, script ...func(http.ResponseWriter)) *slackServer {
	s := &slackServer{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if r.URL.Path == "/elsewhere" {
			s.redirect++
			return
		}
		b, _ := io.ReadAll(r.Body)
		s.bodies = append(s.bodies, b)
		s.ctypes = append(s.ctypes, r.Header.Get("Content-Type"))
		step := s.script[min(len(s.bodies), len(s.script))-1]
		step(w)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *slackServer) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

// received returns the request bodies and content types, and how many
// requests followed a redirect.
func (s *slackServer) received() ([][]byte, []string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies, s.ctypes, s.redirect
}

// webhookPath stands for the secret part of a real webhook URL.
const webhookPath = "/services/T000/B000/s3cr3tT0k3n"

func (s *slackServer) url() string { return s.URL + webhookPath }

func status(code int, body string, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
		io.WriteString(w, body)
	}
}

var ok200 = status(http.StatusOK, "ok")

// testSink is a slackSink whose waits are recorded, not slept.
func testSink(url string) (*slackSink, *[]time.Duration) {
	var waits []time.Duration
	s := newSlackSink(url, SeverityInfo, nil)
	s.wait = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	return s, &waits
}

func TestSlackPost(t *testing.T) {
	tests := []struct {
		name      string
		script    []func(http.ResponseWriter)
		wantCalls int
		wantErr   string // empty: success
		checkWait func(t *testing.T, waits []time.Duration)
	}{
		{
			name: "ok", script: []func(http.ResponseWriter){ok200}, wantCalls: 1,
		},
		{
			name:      "429 honours Retry-After",
			script:    []func(http.ResponseWriter){status(429, "rate_limited", "Retry-After", "3"), ok200},
			wantCalls: 2,
			checkWait: func(t *testing.T, waits []time.Duration) {
				if len(waits) != 1 || waits[0] != 3*time.Second {
					t.Errorf("waits = %v, want [3s]", waits)
				}
			},
		},
		{
			name:      "429 without Retry-After backs off",
			script:    []func(http.ResponseWriter){status(429, ""), ok200},
			wantCalls: 2,
			checkWait: func(t *testing.T, waits []time.Duration) {
				if len(waits) != 1 || waits[0] < slackBaseDelay/2 || waits[0] > slackBaseDelay {
					t.Errorf("waits = %v, want one in [%s, %s]", waits, slackBaseDelay/2, slackBaseDelay)
				}
			},
		},
		{
			name:      "429 with a wait too long gives up at once",
			script:    []func(http.ResponseWriter){status(429, "", "Retry-After", "120")},
			wantCalls: 1,
			wantErr:   "rate limited for 2m0s",
		},
		{
			name:      "500 then success",
			script:    []func(http.ResponseWriter){status(500, "oops"), status(503, ""), ok200},
			wantCalls: 3,
			checkWait: func(t *testing.T, waits []time.Duration) {
				if len(waits) != 2 || waits[0] > slackBaseDelay || waits[1] < slackBaseDelay || waits[1] > 2*slackBaseDelay {
					t.Errorf("waits = %v, want growing backoff", waits)
				}
			},
		},
		{
			name:      "5xx until giving up",
			script:    []func(http.ResponseWriter){status(503, "<html>busy</html>\n")},
			wantCalls: slackAttempts,
			wantErr:   "gave up after 4 attempts: status 503: <html>busy</html>",
		},
		{
			name:      "400 is final",
			script:    []func(http.ResponseWriter){status(400, "invalid_blocks")},
			wantCalls: 1,
			wantErr:   "status 400: invalid_blocks",
		},
		{
			name:      "404 is final",
			script:    []func(http.ResponseWriter){status(404, "no_service")},
			wantCalls: 1,
			wantErr:   "status 404: no_service",
		},
		{
			name:      "redirect is not followed",
			script:    []func(http.ResponseWriter){status(http.StatusFound, "", "Location", "/elsewhere")},
			wantCalls: 1,
			wantErr:   "status 302",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newSlackServer(t, tt.script...)
			sink, waits := testSink(srv.url())
			f := validFinding()
			err := sink.post(context.Background(), f)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("post = %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("post = %v, want an error containing %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), webhookPath) {
				t.Errorf("error reveals the webhook URL: %v", err)
			}
			if srv.requests() != tt.wantCalls {
				t.Errorf("%d requests, want %d", srv.requests(), tt.wantCalls)
			}
			bodies, ctypes, redirected := srv.received()
			if redirected != 0 {
				t.Error("redirect was followed")
			}
			if tt.checkWait != nil {
				tt.checkWait(t, *waits)
			}
			want, _ := marshal(slackPayload(f))
			for i, b := range bodies {
				if string(b) != string(want) {
					t.Errorf("request %d body = %s, want the rendered payload", i, b)
				}
				if ctypes[i] != "application/json; charset=utf-8" {
					t.Errorf("request %d Content-Type = %q", i, ctypes[i])
				}
			}
		})
	}
}

func TestSlackPostNetworkError(t *testing.T) {
	srv := newSlackServer(t, ok200)
	url := srv.url()
	srv.Close() // connection refused from now on
	sink, waits := testSink(url)
	err := sink.post(context.Background(), validFinding())
	if err == nil || !strings.Contains(err.Error(), "gave up after 4 attempts") {
		t.Fatalf("post = %v, want giving up", err)
	}
	if strings.Contains(err.Error(), webhookPath) || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error reveals the webhook URL: %v", err)
	}
	if len(*waits) != slackAttempts-1 {
		t.Errorf("%d waits, want %d", len(*waits), slackAttempts-1)
	}
}

func TestSlackPostContext(t *testing.T) {
	t.Run("deadline too close to wait", func(t *testing.T) {
		srv := newSlackServer(t, status(500, ""))
		sink, waits := testSink(srv.url())
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := sink.post(ctx, validFinding())
		if err == nil || !strings.Contains(err.Error(), "no time left to retry") {
			t.Fatalf("post = %v", err)
		}
		if srv.requests() != 1 || len(*waits) != 0 {
			t.Errorf("%d requests, %d waits; want 1, 0", srv.requests(), len(*waits))
		}
	})
	t.Run("cancelled while waiting", func(t *testing.T) {
		srv := newSlackServer(t, status(500, ""))
		sink := newSlackSink(srv.url(), SeverityInfo, nil) // real sleep
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for srv.requests() == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		start := time.Now()
		err := sink.post(ctx, validFinding())
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("post = %v, want context.Canceled", err)
		}
		if time.Since(start) > slackMaxDelay {
			t.Errorf("post took %s after cancel", time.Since(start))
		}
	})
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"7":                             7 * time.Second,
		" 2 ":                           2 * time.Second,
		"-5":                            0,
		"99999999999":                   86400 * time.Second,
		"soon":                          0,
		"Thu, 02 Jan 2025 03:04:15 GMT": 10 * time.Second,
		"Thu, 02 Jan 2025 03:04:00 GMT": 0,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("retryAfter(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestBackoff(t *testing.T) {
	for attempt := 1; attempt <= 6; attempt++ {
		d := min(slackBaseDelay<<(attempt-1), slackMaxDelay)
		for range 50 {
			if got := backoff(attempt); got < d/2 || got > d {
				t.Fatalf("backoff(%d) = %s, want within [%s, %s]", attempt, got, d/2, d)
			}
		}
	}
}

func TestOneLine(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"invalid_blocks\n", 200, "invalid_blocks"},
		{"a\r\nb\tc\x00d", 200, "a  b c d"},
		{"bad \xff byte", 200, "bad \uFFFD byte"},
		{"ééééé", 3, "ééé…"},
	} {
		if got := oneLine(tt.in, tt.n); got != tt.want {
			t.Errorf("oneLine(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
