//go:build !linux

package demoapp

import (
	"fmt"
	"syscall"
	"time"
)

// threadCPUTime falls back to the process's CPU time from getrusage where
// per-thread CPU clocks are not available; calibration is coarser there.
func threadCPUTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
