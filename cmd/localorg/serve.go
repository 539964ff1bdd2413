package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/rootguard/rootguard/internal/localorg"
)

// serve runs a local organization until SIGINT or SIGTERM. When it is seeded
// and ready it prints one stdout line, AWS_ENDPOINT_URL=http://127.0.0.1:PORT;
// everything else goes to stderr.
func serve(args []string) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address of the layer in front of moto_server")
	seedPath := fs.String("seed", "", "seed file (JSON) describing the organization")
	verbose := fs.Bool("v", false, "log every call")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "localorg serve: unexpected arguments %q\n", fs.Args())
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	org, err := localorg.Start(ctx, localorg.Options{Addr: *addr, Seed: seed, Logger: logger})
	if err != nil {
		logger.Error("start local organization", "err", err)
		return 1
	}
	fmt.Printf("AWS_ENDPOINT_URL=%s\n", org.Endpoint())
	<-ctx.Done()
	logger.Info("stopping local organization")
	if err := org.Close(); err != nil {
		logger.Error("stop local organization", "err", err)
		return 1
	}
	return 0
}
