package main

import "syscall"

// loadProcAttr has the kernel kill the demo's load child if the demo dies.
func loadProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
