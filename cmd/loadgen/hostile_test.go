package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/report"
)

// rawSite accepts connections on 127.0.0.1 and answers each request head
// with answer, which returns false to close the connection.
func rawSite(t *testing.T, answer func(c net.Conn) bool) string {
	t.Helper()
	return testsupport.RawServer(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		for testsupport.ReadHead(br) {
			if !answer(c) {
				return
			}
		}
	}) + "/"
}

var block = bytes.Repeat([]byte("<p>0123456789</p>\n"), 3641) // 64 KiB

// gigabyte answers with a 1 GiB body, as fast as the client reads.
func gigabyte(c net.Conn) bool {
	if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1073741824\r\n\r\n"); err != nil {
		return false
	}
	for left := 1 << 30; left > 0; left -= len(block) {
		if _, err := c.Write(block[:min(left, len(block))]); err != nil {
			return false
		}
	}
	return true
}

// endlessChunks answers with a chunked body that never ends.
func endlessChunks(c net.Conn) bool {
	chunk := []byte(fmt.Sprintf("%x\r\n%s\r\n", len(block), block))
	if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"); err != nil {
		return false
	}
	for {
		if _, err := c.Write(chunk); err != nil {
			return false
		}
	}
}

// stall promises 64 GiB, sends a few bytes, and stalls.
func stall(c net.Conn) bool {
	_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 68719476736\r\n\r\nsome")
	_, _ = io.Copy(io.Discard, c)
	return false
}

// TestHostileServersCannotExhaustMemory runs the real binary, as the issue
// did, against servers that send a 1 GiB body, a body without end, and a
// 64 GiB promise followed by a stall: each run ends on time, in bounded
// memory, with nothing counted as a failure.
func TestHostileServersCannotExhaustMemory(t *testing.T) {
	cases := []struct {
		name   string
		answer func(net.Conn) bool
		args   []string
	}{
		{"1 GiB bodies", gigabyte, []string{"-c", "10", "-t", "3S"}},
		{"1 GiB bodies through the parser", gigabyte, []string{"-c", "10", "-t", "3S", "--parser"}},
		{"a chunked body without end", endlessChunks, []string{"-c", "10", "-t", "3S"}},
		{"64 GiB promised, then a stall", stall, []string{"-c", "1", "-t", "3S"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := rawSite(t, c.answer)
			cmd := exec.Command(testsupport.LoadgenBinary(t), append(c.args, "-j", u)...)
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			start := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			hwm := watchHWM(cmd.Process.Pid)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("%v: %s", err, errb.String())
			}
			el := time.Since(start)
			rss := hwm() // KiB
			var rp report.Report
			if err := json.Unmarshal(out.Bytes(), &rp); err != nil {
				t.Fatalf("%v: %s", err, out.String())
			}
			t.Logf("%v, max RSS %d MiB, %d transactions, %.0f MB, %d in flight at the end", el, rss>>10, rp.Transactions, rp.DataTransferred, rp.InFlightAtEnd)
			// 3 s of load, then the run ends at once whatever the server
			// does; the rest is the process starting and exiting, which on a
			// busy shared machine takes seconds.
			if el > 7*time.Second {
				t.Errorf("a 3 s run took %v", el)
			}
			if rss > 200<<10 {
				t.Errorf("max RSS %d MiB", rss>>10)
			}
			if rp.FailedTransactions != 0 || rp.InFlightAtEnd == 0 {
				t.Errorf("%d failures (%v), %d in flight: want none failed, the cut ones in flight", rp.FailedTransactions, rp.ErrorSamples, rp.InFlightAtEnd)
			}
		})
	}
}

// watchHWM samples a process's peak resident set (VmHWM, KiB) until it
// exits; the returned func gives the last value seen. (The exit status's
// Maxrss will not do: it counts the test process's own pages, shared by the
// child between fork and exec.)
func watchHWM(pid int) func() int64 {
	var mu sync.Mutex
	var peak int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
			if err != nil {
				return
			}
			for _, line := range strings.Split(string(raw), "\n") {
				if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
					n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
					mu.Lock()
					peak = max(peak, n)
					mu.Unlock()
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return func() int64 {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}

func TestPrintAndGetAgainstHostileServers(t *testing.T) {
	// -p prints at most --max-body and says the body was longer.
	start := time.Now()
	r := runCLI(t, nil, "-p", "--max-body", "1KiB", rawSite(t, gigabyte))
	if r.code != 0 || r.stdout != string(block[:1024]) || !strings.Contains(r.stderr, "printed the first 1KiB of the body, which is longer (--max-body)") {
		t.Fatalf("-p: exit %d, %d bytes, %q", r.code, len(r.stdout), r.stderr)
	}
	r = runCLI(t, nil, "-p", rawSite(t, endlessChunks))
	if r.code != 0 || len(r.stdout) != 4<<20 || time.Since(start) > 10*time.Second {
		t.Fatalf("-p, endless body: exit %d, %d bytes after %v", r.code, len(r.stdout), time.Since(start))
	}
	// A stall after the promise of 64 GiB ends at the timeout.
	start = time.Now()
	r = runCLI(t, nil, "-p", "--timeout", "1s", rawSite(t, stall))
	if r.code != exitSetup || !strings.Contains(r.stderr, "timeout") || time.Since(start) > 5*time.Second {
		t.Fatalf("-p, stall: exit %d after %v: %s", r.code, time.Since(start), r.stderr)
	}
	// A 100 KB response header is named as what it is.
	huge := rawSite(t, func(c net.Conn) bool {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("b", 100<<10)+"\r\nContent-Length: 0\r\n\r\n")
		return false
	})
	for _, flag := range []string{"-g", "-p"} {
		r = runCLI(t, nil, flag, huge)
		if r.code != exitSetup || !strings.Contains(r.stderr, "response header larger than 16 KiB") || strings.Contains(r.stderr, "ReadBufferSize") {
			t.Fatalf("%s, 100 KB header: exit %d: %s", flag, r.code, r.stderr)
		}
	}
}

// With a new connection per request (siege's default) the end of a run
// used to turn the dials in progress into thousands of "timeout" failures.
func TestConnectionCloseRunEndsWithoutFalseFailures(t *testing.T) {
	s := newSite(t)
	r := runCLI(t, nil, "-c", "10", "-t", "2S", "--connection", "close", "-j", s.URL+"/")
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); r.code != 0 || err != nil {
		t.Fatalf("exit %d %v: %s", r.code, err, r.stderr)
	}
	if rp.Transactions == 0 || rp.FailedTransactions != 0 || rp.Availability != 100 {
		t.Fatalf("%d transactions, %d failed (%v), availability %v", rp.Transactions, rp.FailedTransactions, rp.ErrorSamples, rp.Availability)
	}
	if rp.InFlightAtEnd > 10 || rp.NothingSucceeded {
		t.Fatalf("in flight %d, nothing succeeded %v", rp.InFlightAtEnd, rp.NothingSucceeded)
	}
}

func TestNothingSucceededIsSaid(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/"
	ln.Close()
	r := runCLI(t, nil, "-c", "2", "-r", "3", closed)
	if r.code != 0 || !strings.Contains(r.stdout, "Note: Nothing succeeded: no request got a successful response (6 failed, 0 HTTP errors, 0 in flight at the end)") {
		t.Fatalf("exit %d:\n%s", r.code, r.stdout)
	}
	r = runCLI(t, nil, "-c", "2", "-r", "3", "-j", closed)
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil || !rp.NothingSucceeded || rp.FailedTransactions != 6 {
		t.Fatalf("%v %+v", err, rp)
	}
}
