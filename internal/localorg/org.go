package localorg

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"slices"
	"sync"
	"time"
)

// Options configure Start.
type Options struct {
	// Addr is the layer's listen address; default 127.0.0.1:0.
	Addr string
	// Seed is the organization; nil means an organization with the default
	// management account, both features and no member accounts.
	Seed *Seed
	// MotoCommand is the moto server executable; default "moto_server".
	MotoCommand string
	// Logger receives the layer's logs; default discards them.
	Logger *slog.Logger
}

// Org is a running local organization: moto_server and the layer in front.
type Org struct {
	logger    *slog.Logger
	moto      *moto
	listener  net.Listener
	server    *http.Server
	proxy     *httputil.ReverseProxy
	transport *http.Transport
	host      string // host:port of the layer
	endpoint  string
	serveDone chan struct{}
	seedMu    sync.Mutex // one seed at a time: checked, then applied

	mu               sync.Mutex
	managementID     string
	organizationID   string
	features         []string
	trustedAccess    bool
	deleteVirtualMFA bool
	accounts         map[string]*account
	accountOrder     []string
	regions          map[string]bool
	sessions         map[string]*rootSession // by access key id
	memberKeys       map[string]string       // access key id -> account
	buckets          map[string]bucketOwner  // by bucket name
	faults           []*faultState
	sns              []SNSMessage
	slack            []json.RawMessage
	calls            []Call
	clockOffset      time.Duration
}

// account is one account of the organization as the layer holds it.
type account struct {
	id, name, email, joined string
	joinedAt                time.Time
	root                    rootUser
}

// rootSession is a credential issued by AssumeRoot.
type rootSession struct {
	account string
	task    string
	expires time.Time
}

// Start runs moto_server and the layer, applies the seed and returns when
// both answer. Close stops them.
func Start(ctx context.Context, opts Options) (*Org, error) {
	if opts.MotoCommand == "" {
		opts.MotoCommand = "moto_server"
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	seed := opts.Seed
	if seed == nil {
		seed = &Seed{}
	}
	if err := seed.Validate(); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if _, err := exec.LookPath(opts.MotoCommand); err != nil {
		return nil, fmt.Errorf("moto server %q not found (install it with: pip install 'moto[server]'): %w", opts.MotoCommand, err)
	}

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	m, err := startMoto(ctx, opts.MotoCommand, opts.Logger)
	if err != nil {
		ln.Close()
		return nil, err
	}
	o := &Org{
		logger:         opts.Logger,
		moto:           m,
		listener:       ln,
		host:           ln.Addr().String(),
		endpoint:       "http://" + ln.Addr().String(),
		transport:      &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 16, IdleConnTimeout: 30 * time.Second},
		serveDone:      make(chan struct{}),
		managementID:   DefaultManagementAccountID,
		organizationID: DefaultOrganizationID,
		features:       []string{FeatureRootCredentialsManagement, FeatureRootSessions},
		trustedAccess:  true,
		accounts:       map[string]*account{},
		regions:        map[string]bool{DefaultRegion: true},
		sessions:       map[string]*rootSession{},
		memberKeys:     map[string]string{},
		buckets:        map[string]bucketOwner{},
	}
	motoURL, _ := url.Parse(m.url)
	o.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(motoURL)
			// Keep the caller's host: moto builds queue URLs from it.
			pr.Out.Host = pr.In.Host
		},
		Transport:      o.transport,
		ModifyResponse: o.afterMoto,
		ErrorHandler:   o.motoFailed,
	}
	if seed.ManagementAccountID != "" {
		o.managementID = seed.ManagementAccountID
	}
	o.addAccount(o.managementID)
	o.server = &http.Server{Handler: o, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(o.serveDone)
		if err := o.server.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.logger.Error("layer stopped", "err", err)
		}
	}()
	if err := o.ApplySeed(ctx, seed); err != nil {
		o.Close()
		return nil, fmt.Errorf("apply seed: %w", err)
	}
	o.logger.Info("local organization ready", "endpoint", o.endpoint, "moto", m.url,
		"management_account", o.managementID, "accounts", len(o.accounts))
	return o, nil
}

// Endpoint is the layer's base URL, for AWS_ENDPOINT_URL.
func (o *Org) Endpoint() string { return o.endpoint }

// ManagementAccountID is the organization's management account.
func (o *Org) ManagementAccountID() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.managementID
}

// Client is an admin API client for this organization.
func (o *Org) Client() *Client { return NewClient(o.endpoint) }

// Done is closed when moto_server exits on its own (crashed or killed), not
// when Close stops it. The layer then answers every forwarded request with a
// 502; Err says what happened.
func (o *Org) Done() <-chan struct{} { return o.moto.died }

// Err is nil until Done is closed, then moto_server's exit status and the
// tail of its output.
func (o *Org) Err() error {
	select {
	case <-o.moto.died:
		return fmt.Errorf("moto_server exited unexpectedly (%v): %s", o.moto.err, o.moto.logs.tail(motoTailLines))
	default:
		return nil
	}
}

// Close stops the layer and moto_server (its whole process group).
func (o *Org) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	serr := o.server.Shutdown(ctx)
	if serr != nil {
		serr = errors.Join(serr, o.server.Close())
	}
	<-o.serveDone
	o.transport.CloseIdleConnections()
	merr := o.moto.stop()
	if serr != nil {
		serr = fmt.Errorf("stop layer: %w", serr)
	}
	return errors.Join(serr, merr)
}

// now is the layer's clock: wall time shifted by POST /_localorg/clock.
func (o *Org) now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.nowLocked()
}

func (o *Org) nowLocked() time.Time { return time.Now().Add(o.clockOffset).UTC() }

// addAccount registers an account with defaults; o.mu must be held or the
// server not yet shared.
func (o *Org) addAccount(id string) *account {
	if a, ok := o.accounts[id]; ok {
		return a
	}
	a := &account{id: id, name: "account-" + id, email: id + "@example.com", joined: "created",
		joinedAt: time.Now().UTC().Truncate(time.Second)}
	if id == o.managementID {
		a.name = "management"
	}
	o.accounts[id] = a
	o.accountOrder = append(o.accountOrder, id)
	return a
}

func (o *Org) hasFeature(f string) bool { return slices.Contains(o.features, f) }
