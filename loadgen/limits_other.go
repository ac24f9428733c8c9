//go:build !unix

package loadgen

// RaiseFileLimit does nothing where there is no RLIMIT_NOFILE.
func RaiseFileLimit() (uint64, error) { return 0, nil }

// fileLimit reports no limit here.
func fileLimit() (limit, open int, ok bool) { return 0, 0, false }
