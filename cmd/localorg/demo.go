package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/testbed"
)

// demoStep is one scenario of the demo: it drives one function against the
// local organization and says what happened.
type demoStep struct {
	title string
	run   func(ctx context.Context, d *demoRun) error
}

// demoSteps run in order; each function's issue adds its own.
var demoSteps = []demoStep{
	{"Root activity alerts", demoAlerts},
	{"Harden a newly joined account", demoHarden},
	{"Unlock a locked bucket and queue", demoUnlock},
}

// demoRun is what a step gets: the running bed and a way to invoke functions
// with the fixtures in events/.
type demoRun struct {
	bed       *testbed.Bed
	out       io.Writer
	eventsDir string
	functions map[string]*lambdaharness.Function
}

func demo(args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	seedPath := fs.String("seed", "events/org.json", "seed file of the local organization")
	verbose := fs.Bool("v", false, "show the functions' logs")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	seed, err := localorg.LoadSeed(*seedPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "localorg demo: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var logs io.Writer = io.Discard
	if *verbose {
		logs = os.Stderr
	}
	fmt.Println("Starting a local organization (moto_server + rootguard's root-access layer)...")
	bed, err := testbed.Start(ctx, testbed.Options{Seed: seed, Stderr: logs})
	if err != nil {
		fmt.Fprintf(os.Stderr, "localorg demo: %v\n", err)
		return 1
	}
	d := &demoRun{bed: bed, out: os.Stdout, eventsDir: filepath.Join(filepath.Dir(*seedPath)), functions: map[string]*lambdaharness.Function{}}
	code := 0
	if err := d.run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "\nlocalorg demo: %v\n", err)
		code = 1
	}
	for _, f := range d.functions {
		f.Close()
	}
	if err := bed.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "localorg demo: stop: %v\n", err)
		code = 1
	}
	fmt.Println("\nStopped everything the demo started.")
	return code
}

func (d *demoRun) run(ctx context.Context) error {
	before, err := d.bed.Org.State(ctx)
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	d.heading("Before")
	d.summarise(before)
	for i, step := range demoSteps {
		d.heading(fmt.Sprintf("Step %d: %s", i+1, step.title))
		if err := step.run(ctx, d); err != nil {
			return fmt.Errorf("%s: %w", strings.ToLower(step.title), err)
		}
	}
	after, err := d.bed.Org.State(ctx)
	if err != nil {
		return fmt.Errorf("read state: %w", err)
	}
	d.heading("After")
	d.summarise(after)
	fmt.Fprintf(d.out, "\nDelivered: %d SNS messages, %d Slack messages.\n", len(after.SNS), len(after.Slack))
	return nil
}

// invoke runs functions/<name> (warm after the first call) with the fixture
// events/<name>/<event>.json and returns the handler's result.
func (d *demoRun) invoke(ctx context.Context, name, event string) (json.RawMessage, error) {
	f, ok := d.functions[name]
	if !ok {
		fmt.Fprintf(d.out, "  (building functions/%s for this machine)\n", name)
		var err error
		if f, err = d.bed.Function(ctx, name); err != nil {
			return nil, err
		}
		d.functions[name] = f
	}
	path := filepath.Join(d.eventsDir, name, event+".json")
	body, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(d.out, "  -> %s receives %s\n", name, filepath.ToSlash(filepath.Join("events", name, event+".json")))
	res, err := f.Invoke(ctx, body)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", name, err)
	}
	if res.Error != nil {
		return nil, fmt.Errorf("%s returned %w", name, res.Error)
	}
	start := "warm"
	if res.InitDuration > 0 {
		start = "cold start " + res.InitDuration.Round(time.Millisecond).String()
	}
	fmt.Fprintf(d.out, "     done in %s (%s, max memory %d MB)\n", res.Duration.Round(time.Millisecond), start, res.MaxMemoryMB)
	return res.Payload, nil
}

// finding prints the headline of a finding a function returned.
func (d *demoRun) finding(payload json.RawMessage) {
	var f struct {
		Severity string   `json:"severity"`
		Kind     string   `json:"kind"`
		Summary  string   `json:"summary"`
		Actions  []string `json:"actions"`
	}
	if err := json.Unmarshal(payload, &f); err != nil || f.Kind == "" {
		fmt.Fprintf(d.out, "     result: %s\n", compact(payload))
		return
	}
	fmt.Fprintf(d.out, "     finding [%s] %s: %s\n", f.Severity, f.Kind, f.Summary)
	for _, a := range f.Actions {
		fmt.Fprintf(d.out, "       action: %s\n", a)
	}
}

// deliveries prints the SNS and Slack messages delivered since the counts
// seen in prev.
func (d *demoRun) deliveries(ctx context.Context, prevSNS, prevSlack int) (int, int, error) {
	st, err := d.bed.Org.State(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, m := range st.SNS[min(prevSNS, len(st.SNS)):] {
		fmt.Fprintf(d.out, "     SNS   %q  severity=%s kind=%s\n", m.Subject, m.Attributes["severity"], m.Attributes["kind"])
	}
	for _, p := range st.Slack[min(prevSlack, len(st.Slack)):] {
		var msg struct {
			Text string `json:"text"`
		}
		json.Unmarshal(p, &msg)
		fmt.Fprintf(d.out, "     Slack %q\n", msg.Text)
	}
	return len(st.SNS), len(st.Slack), nil
}

func (d *demoRun) heading(s string) {
	fmt.Fprintf(d.out, "\n== %s %s\n", s, strings.Repeat("=", max(0, 72-len(s))))
}

// summarise prints each account's root credentials, bucket and queue policies.
func (d *demoRun) summarise(st *localorg.State) {
	ids := make([]string, 0, len(st.Accounts))
	for id := range st.Accounts {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		a := st.Accounts[id]
		fmt.Fprintf(d.out, "account %s\n", id)
		fmt.Fprintf(d.out, "  root user:  %s\n", rootSummary(a.Root))
		for _, name := range sortedKeys(a.Buckets) {
			fmt.Fprintf(d.out, "  bucket %-12s policy: %s\n", name, policySummary(a.Buckets[name].Policy))
		}
		for _, name := range sortedKeys(a.Queues) {
			fmt.Fprintf(d.out, "  queue  %-12s policy: %s\n", name, policySummary(a.Queues[name].Policy))
		}
	}
}

func rootSummary(r localorg.RootState) string {
	var parts []string
	if r.Password {
		parts = append(parts, "password")
	}
	if n := len(r.AccessKeys); n > 0 {
		parts = append(parts, fmt.Sprintf("%d access key(s)", n))
	}
	if n := len(r.SigningCertificates); n > 0 {
		parts = append(parts, fmt.Sprintf("%d signing certificate(s)", n))
	}
	for _, m := range r.MFADevices {
		state := "active"
		if !m.Active {
			state = "deactivated"
		}
		parts = append(parts, fmt.Sprintf("%s MFA (%s)", m.Kind, state))
	}
	if len(parts) == 0 {
		return "no credentials"
	}
	return strings.Join(parts, ", ")
}

func policySummary(p json.RawMessage) string {
	if len(p) == 0 || string(p) == "null" {
		return "none"
	}
	return compact(p)
}

func compact(p []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, p); err != nil {
		return string(p)
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
