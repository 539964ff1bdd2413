package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/rootguard/rootguard/internal/lambdaharness"
)

// invoke builds functions/NAME, runs one event through it in the Lambda
// runtime harness, and prints the handler's result on stdout. The function's
// output and the REPORT line go to stderr. Exit status: 0 on success, 1 when
// the function (or its build) fails, 2 on a usage error or when the function
// could reach real AWS.
func invoke(args []string) int {
	fs := flag.NewFlagSet("invoke", flag.ContinueOnError)
	name := fs.String("function", "", "function to run: a directory under functions/")
	eventFile := fs.String("event", "", "file holding the JSON event (- for stdin)")
	memory := fs.Int("memory", 128, "memory size in MB (reported, not enforced)")
	timeout := fs.Duration("timeout", 30*time.Second, "function timeout")
	allowRealAWS := fs.Bool("allow-real-aws", false, "run even when AWS_ENDPOINT_URL is not a loopback URL, against whatever AWS account the credentials reach")
	var env envFlag
	fs.Var(&env, "env", "KEY=VALUE for the function's environment (repeatable; wins over inherited AWS_* variables)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: localorg invoke --function NAME --event FILE [--env KEY=VALUE ...] [--memory MB] [--timeout DURATION] [--allow-real-aws]")
		fmt.Fprintln(fs.Output(), "The function gets the caller's AWS_* variables. AWS_ENDPOINT_URL must name a local endpoint\n(localorg serve prints it) unless --allow-real-aws is given.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usageError := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "localorg invoke: "+format+"\n", a...)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		return usageError("unexpected argument %q", fs.Arg(0))
	case *name == "":
		return usageError("--function is required")
	case *eventFile == "":
		return usageError("--event is required")
	}
	opts := lambdaharness.Options{Name: *name, Env: env, MemoryMB: *memory, Timeout: *timeout, Stderr: os.Stderr}
	if err := opts.Validate(); err != nil {
		return usageError("%v", err)
	}
	if err := checkLocalEndpoint(os.Environ(), env); err != nil && !*allowRealAWS {
		return usageError("%v: the function could reach real AWS; start a local organization (localorg serve) and export the AWS_ENDPOINT_URL it prints, or pass --allow-real-aws", err)
	}
	event, err := readEvent(*eventFile)
	if err != nil {
		return usageError("%v", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root, err := lambdaharness.ModuleRoot(ctx)
	if err != nil {
		return usageError("%v: run inside the rootguard repository", err)
	}
	if _, err := os.Stat(filepath.Join(root, "functions", *name, "main.go")); err != nil {
		return usageError("unknown function %q; functions under %s: %s",
			*name, filepath.Join(root, "functions"), strings.Join(functionNames(root), ", "))
	}

	dir, err := os.MkdirTemp("", "localorg-invoke-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "localorg invoke: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bootstrap, err := lambdaharness.Build(ctx, "./functions/"+*name, dir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "localorg invoke: %v\n", err)
		return 1
	}
	fn, err := lambdaharness.Start(ctx, bootstrap, opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "localorg invoke: %v\n", err)
		return 1
	}
	defer fn.Close()

	res, err := fn.Invoke(ctx, event)
	if err != nil {
		fmt.Fprintf(os.Stderr, "localorg invoke: %v\n", err)
		return 1
	}
	if res.Error != nil {
		fmt.Fprintf(os.Stderr, "%s: %s\n", res.Error.ErrorType, res.Error.ErrorMessage)
		return 1
	}
	var out bytes.Buffer
	if err := json.Indent(&out, res.Payload, "", "  "); err != nil {
		// Not JSON (a handler returning raw bytes): as the function sent it.
		out.Reset()
		out.Write(res.Payload)
	}
	out.WriteByte('\n')
	if _, err := out.WriteTo(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "localorg invoke: %v\n", err)
		return 1
	}
	return 0
}

// checkLocalEndpoint reports why the function, given the host environment
// and the --env entries, could send its AWS calls anywhere but a loopback
// endpoint: AWS_ENDPOINT_URL unset or remote, a service-specific
// AWS_ENDPOINT_URL_* remote, or configured endpoints switched off.
func checkLocalEndpoint(host, extra []string) error {
	vars := map[string]string{}
	for _, kv := range append(slices.Clip(host), extra...) {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "AWS_") {
			vars[k] = v
		}
	}
	if strings.EqualFold(vars["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"], "true") {
		return errors.New("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true makes the SDK ignore AWS_ENDPOINT_URL")
	}
	if vars["AWS_ENDPOINT_URL"] == "" {
		return errors.New("AWS_ENDPOINT_URL is not set")
	}
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		if k != "AWS_ENDPOINT_URL" && !strings.HasPrefix(k, "AWS_ENDPOINT_URL_") {
			continue
		}
		u, err := url.Parse(vars[k])
		if err != nil || u.Host == "" {
			return fmt.Errorf("%s=%q is not a URL", k, vars[k])
		}
		if h := u.Hostname(); h != "localhost" && !net.ParseIP(h).IsLoopback() {
			return fmt.Errorf("%s=%s is not a loopback URL", k, vars[k])
		}
	}
	return nil
}

// envFlag collects repeated --env values; Options.Validate checks them.
type envFlag []string

func (e *envFlag) String() string { return strings.Join(*e, " ") }

func (e *envFlag) Set(v string) error {
	*e = append(*e, v)
	return nil
}

// readEvent reads the event and checks it is JSON, as Lambda's Invoke does.
func readEvent(path string) ([]byte, error) {
	var (
		event []byte
		err   error
	)
	if path == "-" {
		event, err = io.ReadAll(os.Stdin)
	} else {
		event, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read event: %w", err)
	}
	if !json.Valid(event) {
		return nil, fmt.Errorf("event %s is not valid JSON", path)
	}
	return event, nil
}

// functionNames lists the directories under functions/ holding a main.go.
func functionNames(root string) []string {
	entries, _ := os.ReadDir(filepath.Join(root, "functions"))
	var names []string
	for _, e := range entries {
		if _, err := os.Stat(filepath.Join(root, "functions", e.Name(), "main.go")); e.IsDir() && err == nil {
			names = append(names, e.Name())
		}
	}
	if len(names) == 0 {
		return []string{"(none)"}
	}
	return names
}
