package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Retry policy for the Slack webhook.
const (
	slackAttempts      = 4
	slackBaseDelay     = 500 * time.Millisecond
	slackMaxDelay      = 4 * time.Second
	slackMaxRetryAfter = 15 * time.Second // longer waits are left to Lambda's own retry
	slackTimeout       = 10 * time.Second // per request
)

// slackSink posts findings to an incoming webhook.
type slackSink struct {
	url    string // secret: never logged, never in an error
	client *http.Client
	min    Severity
	// wait sleeps for d unless ctx ends first; tests replace it.
	wait func(ctx context.Context, d time.Duration) error
}

func newSlackSink(webhookURL string, minSev Severity, client *http.Client) *slackSink {
	if client == nil {
		client = &http.Client{
			Timeout: slackTimeout,
			// A webhook never redirects; following one would send the
			// finding somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	return &slackSink{url: webhookURL, client: client, min: minSev, wait: sleep}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// slackStatusError is a non-2xx answer from the webhook.
type slackStatusError struct {
	code       int
	body       string // Slack's reason, e.g. invalid_blocks, no_service
	retryAfter time.Duration
}

func (e *slackStatusError) Error() string {
	if e.body == "" {
		return fmt.Sprintf("status %d", e.code)
	}
	return fmt.Sprintf("status %d: %s", e.code, e.body)
}

func (e *slackStatusError) retryable() bool {
	return e.code == http.StatusTooManyRequests || e.code >= 500
}

// post delivers f, retrying network errors, 429 (after Retry-After) and
// 5xx with backoff; other answers are final.
func (s *slackSink) post(ctx context.Context, f Finding) error {
	body, err := marshal(slackPayload(f))
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	for attempt := 1; ; attempt++ {
		err := s.postOnce(ctx, body)
		if err == nil {
			return nil
		}
		var status *slackStatusError
		isStatus := errors.As(err, &status)
		if ctx.Err() != nil || (isStatus && !status.retryable()) {
			return err
		}
		if attempt == slackAttempts {
			return fmt.Errorf("gave up after %d attempts: %w", attempt, err)
		}
		delay := backoff(attempt)
		if isStatus && status.retryAfter > 0 {
			if status.retryAfter > slackMaxRetryAfter {
				return fmt.Errorf("rate limited for %s, more than the %s this function waits: %w", status.retryAfter, slackMaxRetryAfter, err)
			}
			delay = status.retryAfter
		}
		if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < delay+slackTimeout/2 {
			return fmt.Errorf("no time left to retry after attempt %d: %w", attempt, err)
		}
		if werr := s.wait(ctx, delay); werr != nil {
			return fmt.Errorf("waiting to retry: %w (last error: %w)", werr, err)
		}
	}
}

// backoff is exponential with jitter: half fixed, half random.
func backoff(attempt int) time.Duration {
	d := min(slackBaseDelay<<(attempt-1), slackMaxDelay)
	return d/2 + rand.N(d/2+1)
}

func (s *slackSink) postOnce(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		return errors.New("build request: invalid webhook URL") // the error would quote it
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := s.client.Do(req)
	if err != nil {
		// *url.Error quotes the URL, which holds the webhook's secret.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	reason, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	return &slackStatusError{
		code:       resp.StatusCode,
		body:       oneLine(string(reason), 200),
		retryAfter: retryAfter(resp.Header.Get("Retry-After"), time.Now()),
	}
}

// retryAfter reads a Retry-After header: delay seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(min(max(secs, 0), 86400)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// oneLine makes a response body fit for an error message: control
// characters become spaces, at most n runes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "…"
	}
	return strings.TrimSpace(s)
}
