//go:build linux || darwin

package main

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
)

// TestMoreUsersThanDescriptors: -c past what the process may open fails
// before the run with the numbers and the remedy, exit 2.
func TestMoreUsersThanDescriptors(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur > 1<<22 {
		t.Skipf("limit %d: %v", lim.Cur, err)
	}
	s := newSite(t)
	c := int(lim.Cur) + 1
	r := runCLI(t, nil, "-c", fmt.Sprint(c), "-r", "1", s.URL+"/")
	want := fmt.Sprintf("-c %d needs %d descriptors; this process may open ", c, c)
	if r.code != 2 || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, "raise 'ulimit -n'") {
		t.Fatalf("exit %d, stderr %q; want 2 and %q", r.code, r.stderr, want)
	}
	if s.total.Load() != 0 {
		t.Fatalf("%d requests sent", s.total.Load())
	}
}
