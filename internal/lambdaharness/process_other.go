//go:build !linux

package lambdaharness

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }

// peakMemoryMB is 0 where there is no /proc to read it from.
func peakMemoryMB(int) int { return 0 }
