package localorg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// motoAccountHeader is how moto_server is told which account a request is for.
const motoAccountHeader = "x-moto-account-id"

// moto is a running moto_server child process.
type moto struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	died chan struct{} // closed when it exited without stop
	err  error         // exit error, valid after done
	logs *tailBuffer
	once sync.Once
	// stopping is set before stop signals the process, so that its exit
	// does not count as a death.
	stopping atomic.Bool
}

// motoTailLines is how much of moto_server's output Org.Err shows.
const motoTailLines = 20

// startMoto starts command on a free loopback port and waits until it answers.
func startMoto(ctx context.Context, command string, logger *slog.Logger) (*moto, error) {
	var lastErr error
	// A free port found by listening can be taken before moto binds it:
	// try a few ports before giving up.
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		m, err := launchMoto(ctx, command, port, logger)
		if err == nil {
			return m, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func launchMoto(ctx context.Context, command string, port int, logger *slog.Logger) (*moto, error) {
	m := &moto{
		url:  "http://127.0.0.1:" + strconv.Itoa(port),
		done: make(chan struct{}),
		died: make(chan struct{}),
		logs: &tailBuffer{max: 16 << 10},
	}
	m.cmd = exec.Command(command, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	m.cmd.Stdout = m.logs
	m.cmd.Stderr = m.logs
	m.cmd.SysProcAttr = childProcAttr()
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", command, err)
	}
	logger.Debug("moto_server started", "pid", m.cmd.Process.Pid, "url", m.url)
	go func() {
		m.err = m.cmd.Wait()
		close(m.done)
		if !m.stopping.Load() {
			close(m.died)
		}
	}()
	if err := m.waitReady(ctx, 30*time.Second); err != nil {
		m.stop()
		return nil, err
	}
	return m, nil
}

func (m *moto) waitReady(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.url+"/moto-api/", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-m.done:
			return fmt.Errorf("moto_server exited before it was ready (%v): %s", m.err, m.logs.String())
		case <-ctx.Done():
			return fmt.Errorf("moto_server not ready at %s: %w: %s", m.url, ctx.Err(), m.logs.String())
		case <-tick.C:
		}
	}
}

// stop ends the whole process group: SIGTERM, then SIGKILL after a grace period.
func (m *moto) stop() error {
	var err error
	m.once.Do(func() {
		m.stopping.Store(true)
		pgid := m.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		select {
		case <-m.done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-m.done
		}
		// Children that ignored SIGTERM must not outlive the server.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		var exitErr *exec.ExitError
		if m.err != nil && !errors.As(m.err, &exitErr) {
			err = fmt.Errorf("stop moto_server: %w", m.err)
		}
	})
	return err
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(t.buf.String())
}

// tail is the last n lines written.
func (t *tailBuffer) tail(n int) string {
	lines := strings.Split(t.String(), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// accountTransport sends the layer's own requests straight to moto, in one
// account, with the layer's host so that URLs moto builds (queue URLs) point
// at the layer.
type accountTransport struct {
	account string
	host    string
	base    http.RoundTripper
}

func (t accountTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set(motoAccountHeader, t.account)
	r.Host = t.host
	return t.base.RoundTrip(r)
}

// motoConfig is an aws.Config that talks to moto directly as account.
func (o *Org) motoConfig(account, region string) aws.Config {
	return aws.Config{
		Region:       region,
		BaseEndpoint: aws.String(o.moto.url),
		Credentials:  credentials.NewStaticCredentialsProvider(ManagementKeyID, ManagementSecret, ""),
		HTTPClient: &http.Client{Transport: accountTransport{
			account: account,
			host:    o.host,
			base:    o.transport,
		}},
	}
}

func (o *Org) motoS3(account, region string) *s3.Client {
	return s3.NewFromConfig(o.motoConfig(account, region), func(opts *s3.Options) { opts.UsePathStyle = true })
}

func (o *Org) motoSQS(account, region string) *sqs.Client {
	return sqs.NewFromConfig(o.motoConfig(account, region))
}

// AWS's documentation credentials, for the management account: the layer
// treats any key it did not issue or see issued as the management account's,
// and neither it nor moto verifies signatures. The layer's own calls to moto
// use them too.
const (
	ManagementKeyID  = "AKIAIOSFODNN7EXAMPLE"
	ManagementSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)
