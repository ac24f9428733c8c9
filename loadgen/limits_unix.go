//go:build unix

package loadgen

import (
	"os"
	"syscall"
)

// RaiseFileLimit raises the soft limit on open files (RLIMIT_NOFILE) to
// the hard limit, so a run can hold as many connections as the system
// allows. Go's runtime already does this at start on every Unix (since Go
// 1.19; on macOS up to kern.maxfilesperproc), so this is normally a no-op;
// it returns the soft limit in effect.
func RaiseFileLimit() (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, err
	}
	// Go sets the soft limit to hard-1 (to notice prlimit changes); that
	// counts as raised, and leaving it keeps Go's restoring of the original
	// limit for child processes.
	if lim.Max == 0 || lim.Cur == lim.Max || lim.Cur+1 == lim.Max {
		return uint64(lim.Cur), nil
	}
	want := lim
	want.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
		return uint64(lim.Cur), err
	}
	return uint64(want.Cur), nil
}

// fileLimit returns the soft limit on open files and how many are open.
func fileLimit() (limit, open int, ok bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<30 {
		return 0, 0, false
	}
	open = 16 // a guess where /dev/fd cannot be listed
	if ents, err := os.ReadDir("/dev/fd"); err == nil {
		open = len(ents)
	}
	return int(lim.Cur), open, true
}
