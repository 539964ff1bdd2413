package localorg

import "syscall"

// childProcAttr puts moto_server in its own process group, so that stopping
// kills everything it started, and has the kernel kill it if this process
// dies without cleaning up.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// StopWithParent has the kernel send this process SIGTERM when its parent
// exits, so that a process serving an organization stops (and stops
// moto_server) when whatever started it dies: `go run` killed by SIGTERM does
// not pass the signal on to the program it runs. A no-op outside Linux.
func StopWithParent() error {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGTERM), 0); errno != 0 {
		return errno
	}
	return nil
}
