package lambdaharness

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// sysProcAttr makes the kernel kill the function if the harness dies
// without closing it, so a crashed test run leaves no process behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// peakMemoryMB returns the process's peak resident set size (VmHWM) in MB,
// rounded up, or 0 when it cannot be read.
func peakMemoryMB(pid int) int {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		value, ok := strings.CutPrefix(s.Text(), "VmHWM:")
		if !ok {
			continue
		}
		kB, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(value), "kB")))
		if err != nil {
			return 0
		}
		return (kB + 1023) / 1024
	}
	return 0
}
