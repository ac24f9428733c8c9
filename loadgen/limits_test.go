//go:build linux || darwin

package loadgen

import (
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
)

// TestTooManyUsersForTheDescriptorLimit: with the soft limit lowered, a
// run that needs more descriptors fails in New, before any load, with the
// numbers.
func TestTooManyUsersForTheDescriptorLimit(t *testing.T) {
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Skip(err)
	}
	limit, open, _ := fileLimit()
	low := old
	low.Cur = uint64Of(open + 300)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Skip(err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Fatal(err)
		}
		if l, _, _ := fileLimit(); l != limit {
			t.Fatalf("limit %d after the test, was %d", l, limit)
		}
	}()
	_, err := New([]Target{get("http://127.0.0.1:1/")}, opts(1000, 1))
	var le *LimitError
	if !errors.As(err, &le) || le.Users != 1000 || le.Need != 1000 || le.MayOpen > 300 || le.MayOpen < 200 {
		t.Fatalf("New: %v (%+v)", err, le)
	}
	if !strings.Contains(err.Error(), "1000 users need 1000 descriptors; this process may open") || !strings.Contains(err.Error(), "ulimit -n") {
		t.Fatalf("message %q", err)
	}
	// A connection per user and host.
	o := opts(150, 1)
	o.Rate, o.MaxUsers = 10, 200
	_, err = New([]Target{get("http://127.0.0.1:1/"), get("http://127.0.0.2:1/")}, o)
	if !errors.As(err, &le) || le.Users != 200 || le.Need != 400 {
		t.Fatalf("two hosts, 200 users at most: %v", err)
	}
	if _, err := New([]Target{get("http://127.0.0.1:1/")}, opts(100, 1)); err != nil {
		t.Fatalf("100 users within the limit: %v", err)
	}
}

// uint64Of converts to Rlimit's field type (uint64 on Linux and macOS,
// int64 on some BSDs).
func uint64Of(n int) uint64 { return uint64(n) }

func TestRaiseFileLimitKeepsOrRaises(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Skip(err)
	}
	got, err := RaiseFileLimit()
	if err != nil {
		t.Fatal(err)
	}
	// Go's runtime has already raised it to the hard limit (or one below).
	if got+1 < uint64(lim.Max) || got < uint64(lim.Cur) {
		t.Fatalf("soft limit %d, hard %d", got, lim.Max)
	}
}

// TestNoLocalAddressIsThePortsClass: EADDRNOTAVAIL from a real connect
// attempt (binding a source address the host does not have) is "ports".
func TestNoLocalAddressIsThePortsClass(t *testing.T) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("192.0.2.1")}}
	_, err := d.Dial("tcp", "127.0.0.1:1")
	if !errors.Is(err, syscall.EADDRNOTAVAIL) {
		t.Skipf("no EADDRNOTAVAIL here: %v", err)
	}
	if c := Classify(err); c != ErrPorts || c.String() != "ports" {
		t.Fatalf("%v classified %v", err, c)
	}
}
