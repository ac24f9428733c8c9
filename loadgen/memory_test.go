package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHelperHoldServer is not a test: TestIdleUserMemory runs the test
// binary again with LOADGEN_HOLD_SERVER=1 to get a server in another
// process (so its memory is not counted): it accepts connections on
// 127.0.0.1, reads and never answers, prints the address and then the
// number of connections accepted, until its stdin closes.
func TestHelperHoldServer(t *testing.T) {
	if os.Getenv("LOADGEN_HOLD_SERVER") != "1" {
		t.Skip("helper process")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(ln.Addr())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	for n := 1; ; n++ {
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		go func() { _, _ = io.Copy(io.Discard, c) }()
		fmt.Println(n)
	}
}

// TestIdleUserMemory: a user waiting for its response holds a few KB: a
// small goroutine stack, its connection and its state; no histogram, no
// read buffer, no response (they come from the shards and the pools).
// Before the shards and pools this was about 90 KB per user.
func TestIdleUserMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const users = 1000
	if limit, open, ok := fileLimit(); ok && limit-open < users+100 {
		t.Skipf("descriptor limit %d", limit)
	}
	srv := exec.Command(os.Args[0], "-test.run=^TestHelperHoldServer$")
	srv.Env = append(os.Environ(), "LOADGEN_HOLD_SERVER=1")
	stdin, err := srv.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); _ = srv.Wait() }()
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatal("the helper server printed no address")
	}
	addr := strings.TrimSpace(lines.Text())

	before := liveMemory()
	o := opts(users, 0)
	o.Timeout = time.Minute
	r, err := New([]Target{get("http://" + addr + "/")}, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _, _ = r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	for n := 0; n < users && lines.Scan(); {
		n, _ = strconv.Atoi(lines.Text())
	}
	time.Sleep(200 * time.Millisecond) // the last requests written, every user parked
	per := (liveMemory() - before) / users
	t.Logf("%d bytes per waiting user (heap and stacks)", per)
	limit := uint64(8 << 10)
	if raceEnabled {
		limit = 16 << 10 // the race detector's larger frames and objects
	}
	if per > limit {
		t.Fatalf("%d bytes per waiting user, want at most %d", per, limit)
	}
}

// liveMemory is the heap's live objects and the goroutine stacks, after
// a full collection.
func liveMemory() uint64 {
	runtime.GC()
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() + s[1].Value.Uint64()
}
