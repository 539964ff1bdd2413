// Command localorg runs a local AWS organization for rootguard's tests and demo
// (serve), runs a built Lambda function against it (invoke), and shows
// rootguard at work on it (demo).
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  localorg serve  [--addr 127.0.0.1:0] [--seed FILE] [-v]
  localorg invoke --function NAME --event FILE|- [--env KEY=VALUE ...] [--memory MB] [--timeout DURATION] [--allow-real-aws]
  localorg demo   [--seed events/org.json] [-v]
  localorg bench  [--seed events/org.json] [--cold N] [--warm N]
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var code int
	switch os.Args[1] {
	case "serve":
		code = serve(os.Args[2:])
	case "invoke":
		code = invoke(os.Args[2:])
	case "demo":
		code = demo(os.Args[2:])
	case "bench":
		code = bench(os.Args[2:])
	case "-h", "--help", "help":
		fmt.Fprint(os.Stdout, usage)
	default:
		fmt.Fprintf(os.Stderr, "localorg: unknown command %q\n%s", os.Args[1], usage)
		code = 2
	}
	os.Exit(code)
}
