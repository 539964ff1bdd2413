package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/rootguard/rootguard/internal/localorg"
)

// serve runs a local organization until SIGINT or SIGTERM, or until its
// parent process or moto_server dies. When it is seeded and ready it prints
// one stdout line, AWS_ENDPOINT_URL=http://127.0.0.1:PORT; everything else
// goes to stderr. Exit status: 0 after a signal, 1 when the organization
// fails, 2 on a usage error.
func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address of the layer in front of moto_server (a loopback host)")
	seedPath := fs.String("seed", "", "seed file (JSON) describing the organization")
	verbose := fs.Bool("v", false, "log every call")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "localorg serve: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if err := checkLoopback(*addr); err != nil {
		fmt.Fprintf(os.Stderr, "localorg serve: --addr %s: %v\n", *addr, err)
		return 2
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	var seed *localorg.Seed
	if *seedPath != "" {
		s, err := localorg.LoadSeed(*seedPath)
		if err != nil {
			logger.Error("load seed", "err", err)
			return 1
		}
		seed = s
	}

	// Before anything starts: a parent that dies from now on ends us with
	// SIGTERM, handled below like any other.
	if err := localorg.StopWithParent(); err != nil {
		logger.Warn("cannot ask to be stopped with the parent process", "err", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	org, err := localorg.Start(ctx, localorg.Options{Addr: *addr, Seed: seed, Logger: logger})
	if err != nil {
		logger.Error("start local organization", "err", err)
		return 1
	}
	fmt.Printf("AWS_ENDPOINT_URL=%s\n", org.Endpoint())
	code := 0
	select {
	case <-ctx.Done():
		logger.Info("stopping local organization")
	case <-org.Done():
		logger.Error("moto_server died; stopping the local organization", "err", org.Err())
		code = 1
	}
	if err := org.Close(); err != nil {
		logger.Error("stop local organization", "err", err)
		return 1
	}
	return code
}

// checkLoopback accepts only listen addresses on a loopback host: the layer
// checks no signatures and would serve anyone who can reach it.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want HOST:PORT: %w", err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if host == "" {
		return errors.New("no host means every interface; want a loopback host (127.0.0.1, ::1 or localhost), e.g. 127.0.0.1:0")
	}
	return fmt.Errorf("host %q is not loopback; want 127.0.0.0/8, ::1 or localhost", host)
}
