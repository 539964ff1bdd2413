//go:build unix && !linux

package localorg

import "syscall"

// childProcAttr puts moto_server in its own process group, so that stopping
// kills everything it started.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// StopWithParent would have this process stopped when its parent exits; only
// Linux offers that (PR_SET_PDEATHSIG).
func StopWithParent() error { return nil }
