package lambdaharness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Build compiles the Go package pkg into dir/bootstrap for the host and
// returns the binary's path. pkg is an import path or a directory relative
// to the module root (./functions/NAME), so callers anywhere in the module
// name functions alike. It is built as for Lambda's provided runtimes: the
// lambda.norpc tag, no cgo. A failed build returns the compiler's output.
func Build(ctx context.Context, pkg, dir string) (string, error) {
	if pkg == "" {
		return "", errors.New("build: no package given")
	}
	out, err := filepath.Abs(filepath.Join(dir, "bootstrap"))
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	root, err := ModuleRoot(ctx)
	if err != nil {
		return "", fmt.Errorf("build %s: %w", pkg, err)
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc", "-o", out, pkg)
	cmd.Dir = root
	// The host's platform, whatever GOOS/GOARCH the caller has set for
	// cross-compiling: the binary must run here.
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", pkg, err, bytes.TrimSpace(output.Bytes()))
	}
	return out, nil
}

// ModuleRoot returns the directory of the main module's go.mod, as the go
// command finds it from the working directory.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module")
	}
	return filepath.Dir(gomod), nil
}
