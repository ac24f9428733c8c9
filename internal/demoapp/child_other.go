//go:build !linux

package demoapp

import "syscall"

// childProcAttr puts the child in its own process group. Without Linux's
// parent-death signal, Stop and the context are what end the child.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// waitExitedNoReap is a no-op where waitid(WNOWAIT) is not available.
func waitExitedNoReap(int) {}
