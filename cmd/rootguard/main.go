// Command rootguard is the operator CLI over rootguard's shared packages.
//
//	rootguard check-policy --service s3|sqs --resource NAME_OR_ARN --account ID [--org ID] [--partition P] [--format text|json] FILE|-
//
// Exit status: 0 when all is well, 3 when check-policy finds a lockout or a
// conditional policy, 2 for invalid input, 1 when output cannot be written.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: rootguard <command> [flags] [args]

commands:
  check-policy   decide whether an S3 bucket or SQS queue policy locks its account out

Run "rootguard <command> -h" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches on the command name; it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitInvalid
	}
	switch args[0] {
	case "check-policy":
		return checkPolicy(args[1:], stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "rootguard: unknown command %q\n\n%s", args[0], usage)
	return exitInvalid
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailed  = 1 // output could not be written
	exitInvalid = 2
	exitFinding = 3
)
