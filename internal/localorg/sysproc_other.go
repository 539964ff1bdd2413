//go:build unix && !linux

package localorg

import "syscall"

// childProcAttr puts moto_server in its own process group, so that stopping
// kills everything it started.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
