//go:build !linux

package main

import "syscall"

// loadProcAttr: without Linux's parent-death signal the demo stops its load
// child itself.
func loadProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{} }
