package demoapp

import (
	"fmt"
	"syscall"
	"time"
	"unsafe"
)

// threadCPUTime returns the calling OS thread's CPU time from
// clock_gettime(CLOCK_THREAD_CPUTIME_ID), which, unlike getrusage, includes
// the time since the thread's last scheduler tick.
func threadCPUTime() (time.Duration, error) {
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0, fmt.Errorf("clock_gettime(CLOCK_THREAD_CPUTIME_ID): %w", e)
	}
	return time.Duration(ts.Nano()), nil
}
