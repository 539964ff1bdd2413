package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/rootguard/rootguard/internal/lambdaharness"
	"github.com/rootguard/rootguard/internal/localorg"
	"github.com/rootguard/rootguard/internal/testbed"
)

// benchCase is one function measured with one representative event.
type benchCase struct {
	function string
	event    string // under events/<function>/
}

var benchCases = []benchCase{
	{"root-activity-alerter", "console-login-root-success-no-mfa"},
	{"new-account-hardener", "invite-account"},
	{"bucket-policy-unlocker", "deny-all"},
	{"queue-policy-unlocker", "set-queue-attributes-deny-all"},
}

// Targets: what a user of rootguard should be able to count on. make bench
// fails when one is missed.
const (
	maxBinaryBytes = 20 << 20 // linux/arm64, stripped, as deployed
	maxColdStart   = 300 * time.Millisecond
	maxWarmP99     = 250 * time.Millisecond
	maxMemoryMB    = 64 // of the 128 MB configured
)

type benchResult struct {
	benchCase
	binaryBytes int64
	coldMedian  time.Duration
	warmP50     time.Duration
	warmP99     time.Duration
	memoryMB    int
}

func bench(args []string) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	seedPath := fs.String("seed", "events/org.json", "seed file of the local organization")
	colds := fs.Int("cold", 5, "cold starts per function")
	warms := fs.Int("warm", 50, "warm invocations per function")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	seed, err := localorg.LoadSeed(*seedPath)
	if err != nil {
		fmt.Fprintf(os.Stderr, "localorg bench: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	bed, err := testbed.Start(ctx, testbed.Options{Seed: seed})
	if err != nil {
		fmt.Fprintf(os.Stderr, "localorg bench: %v\n", err)
		return 1
	}
	defer bed.Close()

	var results []benchResult
	for _, c := range benchCases {
		fmt.Fprintf(os.Stderr, "measuring %s ...\n", c.function)
		r, err := measure(ctx, bed, filepath.Dir(*seedPath), c, *colds, *warms)
		if err != nil {
			fmt.Fprintf(os.Stderr, "localorg bench: %s: %v\n", c.function, err)
			return 1
		}
		results = append(results, r)
	}

	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "function\tbinary (arm64)\tcold start (median)\twarm p50\twarm p99\tmax memory\t")
	failed := false
	for _, r := range results {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d MB\t\n", r.function,
			mark(fmt.Sprintf("%.1f MiB", float64(r.binaryBytes)/(1<<20)), r.binaryBytes > maxBinaryBytes, &failed),
			mark(ms(r.coldMedian), r.coldMedian > maxColdStart, &failed),
			ms(r.warmP50),
			mark(ms(r.warmP99), r.warmP99 > maxWarmP99, &failed),
			r.memoryMB)
		if r.memoryMB > maxMemoryMB {
			failed = true
		}
	}
	w.Flush()
	fmt.Printf("\ntargets: binary <= %d MiB, cold start <= %s, warm p99 <= %s, memory <= %d MB\n",
		maxBinaryBytes>>20, maxColdStart, maxWarmP99, maxMemoryMB)
	fmt.Printf("cold start and latency are host-native builds against the local organization (%d cold, %d warm per function)\n", *colds, *warms)
	if failed {
		fmt.Println("FAIL: a target was missed (marked !)")
		return 1
	}
	return 0
}

func measure(ctx context.Context, bed *testbed.Bed, eventsDir string, c benchCase, colds, warms int) (benchResult, error) {
	r := benchResult{benchCase: c}
	size, err := armBinarySize(ctx, c.function)
	if err != nil {
		return r, err
	}
	r.binaryBytes = size

	event, err := os.ReadFile(filepath.Join(eventsDir, c.function, c.event+".json"))
	if err != nil {
		return r, err
	}
	var coldTimes, warmTimes []time.Duration
	for i := range colds {
		fn, err := bed.Function(ctx, c.function)
		if err != nil {
			return r, err
		}
		n := 1
		if i == 0 {
			n = warms + 1
		}
		for j := range n {
			ev, err := withEventID(event, fmt.Sprintf("bench-%d-%d", i, j))
			if err != nil {
				fn.Close()
				return r, err
			}
			res, err := fn.Invoke(ctx, ev)
			if err == nil && res.Error != nil {
				err = res.Error
			}
			if err != nil {
				fn.Close()
				return r, err
			}
			if j == 0 {
				coldTimes = append(coldTimes, res.InitDuration+res.Duration)
			} else {
				warmTimes = append(warmTimes, res.Duration)
			}
			r.memoryMB = max(r.memoryMB, res.MaxMemoryMB)
		}
		fn.Close()
	}
	r.coldMedian = percentile(coldTimes, 50)
	r.warmP50 = percentile(warmTimes, 50)
	r.warmP99 = percentile(warmTimes, 99)
	return r, nil
}

// armBinarySize builds the function exactly as the Makefile's
// build-<LogicalId> targets do for sam build.
func armBinarySize(ctx context.Context, function string) (int64, error) {
	dir, err := os.MkdirTemp("", "rootguard-bench-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	root, err := lambdaharness.ModuleRoot(ctx)
	if err != nil {
		return 0, err
	}
	out := filepath.Join(dir, "bootstrap")
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", out, "./functions/"+function)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	if b, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("build for arm64: %w\n%s", err, b)
	}
	st, err := os.Stat(out)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// withEventID gives each invocation its own CloudTrail event id, so every one
// is a new finding that is really delivered (a redelivered event is not).
func withEventID(event []byte, id string) ([]byte, error) {
	var ev map[string]any
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, err
	}
	detail, ok := ev["detail"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("event has no detail object")
	}
	ev["id"], detail["eventID"] = id, id
	return json.Marshal(ev)
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, (len(s)*p+99)/100-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func mark(s string, missed bool, failed *bool) string {
	if missed {
		*failed = true
		return s + " !"
	}
	return s
}
