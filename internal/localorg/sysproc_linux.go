package localorg

import "syscall"

// childProcAttr puts moto_server in its own process group, so that stopping
// kills everything it started, and has the kernel kill it if this process
// dies without cleaning up.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
