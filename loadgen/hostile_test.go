package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/testsupport"
)

// Servers that a load generator must survive: they lie about lengths, send
// without end, stall, or send headers without end. Each is a raw TCP server
// on 127.0.0.1 that reads a request head, then misbehaves.

// hold blocks until the client closes the connection.
func hold(c net.Conn) {
	buf := make([]byte, 512)
	for {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
}

// writeForever writes chunk again and again until the client goes away,
// counting what it wrote into sent.
func writeForever(c net.Conn, chunk []byte, sent *atomic.Int64) {
	for writeBytes(c, sent, chunk) {
	}
}

var filler = bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB

// hostileServer answers each request head with serve; it counts the bytes
// it sent and the connections it accepted.
type hostileServer struct {
	URL   string
	sent  atomic.Int64
	conns atomic.Int64
}

// hostile starts a hostileServer. serve returns false to close the connection.
func hostile(t testing.TB, serve func(c net.Conn, sent *atomic.Int64) bool) *hostileServer {
	hs := &hostileServer{}
	hs.URL = testsupport.RawServer(t, func(c net.Conn) {
		defer c.Close()
		hs.conns.Add(1)
		br := bufio.NewReader(c)
		for testsupport.ReadHead(br) {
			if !serve(c, &hs.sent) {
				return
			}
		}
	})
	return hs
}

// write sends s, counting it in sent before it can arrive (so that a
// client never counts more than sent says), and what was not sent out again.
func write(c net.Conn, sent *atomic.Int64, s string) bool {
	sent.Add(int64(len(s)))
	n, err := io.WriteString(c, s)
	sent.Add(int64(n - len(s)))
	return err == nil
}

// writeBytes is write for a byte slice (no garbage per call).
func writeBytes(c net.Conn, sent *atomic.Int64, b []byte) bool {
	sent.Add(int64(len(b)))
	n, err := c.Write(b)
	sent.Add(int64(n - len(b)))
	return err == nil
}

// peakHeap runs f and returns the highest heap in use above the level
// before it, sampled every 5 ms.
func peakHeap(f func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			runtime.ReadMemStats(&m)
			if m.HeapInuse > base && m.HeapInuse-base > peak.Load() {
				peak.Store(m.HeapInuse - base)
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// checkCounts asserts the invariants every result keeps, whatever the
// server did.
func checkCounts(t testing.TB, res *Result) {
	t.Helper()
	var byStatus, httpErrs, ok int64
	for code, n := range res.Status {
		byStatus += n
		if code >= 400 {
			httpErrs += n
		}
		if code < 400 || code == 401 || code == 407 {
			ok += n
		}
	}
	var failed int64
	for _, n := range res.Errors {
		failed += n
	}
	switch {
	case byStatus != res.Transactions:
		t.Errorf("transactions %d, but status codes add up to %d: %v", res.Transactions, byStatus, res.Status)
	case httpErrs != res.HTTPErrors:
		t.Errorf("HTTP errors %d, but 4xx/5xx codes add up to %d", res.HTTPErrors, httpErrs)
	case ok != res.Successful:
		t.Errorf("successful %d, but codes < 400 (and 401/407) add up to %d", res.Successful, ok)
	case failed != res.Failed:
		t.Errorf("failed %d, but error classes add up to %d: %v", res.Failed, failed, res.Errors)
	case res.Latency.TotalCount() != res.Transactions:
		t.Errorf("histogram holds %d, transactions %d", res.Latency.TotalCount(), res.Transactions)
	case res.Bytes < 0 || res.InFlight < 0 || res.InFlight > int64(res.Users):
		t.Errorf("bytes %d, in flight %d (users %d)", res.Bytes, res.InFlight, res.Users)
	case res.Transactions == 0 && res.Failed == 0 && res.Bytes != 0:
		t.Errorf("no transaction and no failure, yet %d bytes counted", res.Bytes)
	}
}

func TestHostileBodiesEndOnTimeInBoundedMemory(t *testing.T) {
	cases := []struct {
		name  string
		serve func(c net.Conn, sent *atomic.Int64) bool
		stall bool // nothing can complete: the run ends with every user in flight
	}{
		{"a 64 GiB Content-Length, then a stall", func(c net.Conn, sent *atomic.Int64) bool {
			write(c, sent, "HTTP/1.1 200 OK\r\nContent-Length: 68719476736\r\n\r\nsome")
			hold(c)
			return false
		}, true},
		{"a 1 GiB body", func(c net.Conn, sent *atomic.Int64) bool {
			if !write(c, sent, "HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n") {
				return false
			}
			for left := 1 << 30; left > 0; left -= len(filler) {
				if !writeBytes(c, sent, filler[:min(left, len(filler))]) {
					return false
				}
			}
			return true
		}, false},
		{"a chunked body without end", func(c net.Conn, sent *atomic.Int64) bool {
			write(c, sent, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			writeForever(c, []byte(fmt.Sprintf("%x\r\n%s\r\n", len(filler), filler)), sent)
			return false
		}, true},
		{"a body without length or end", func(c net.Conn, sent *atomic.Int64) bool {
			write(c, sent, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n")
			writeForever(c, filler, sent)
			return false
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			hs := hostile(t, c.serve)
			o := opts(4, 0)
			o.Timeout = time.Minute
			o.Duration = time.Second
			o.Parser = func(dst []string, body []byte, _ *url.URL) []string { return dst }
			var res *Result
			var el time.Duration
			peak := peakHeap(func() {
				start := time.Now()
				res = mustRun(t, []Target{get(hs.URL + "/")}, o)
				el = time.Since(start)
			})
			t.Logf("%v, peak heap +%d KiB, server sent %d MiB, counted %d MiB, %d transactions, %d in flight",
				el, peak>>10, hs.sent.Load()>>20, res.Bytes>>20, res.Transactions, res.InFlight)
			checkCounts(t, res)
			if el > o.Duration+1500*time.Millisecond {
				t.Errorf("the run took %v for a %v duration", el, o.Duration)
			}
			if peak > 64<<20 {
				t.Errorf("the heap grew by %d MiB", peak>>20)
			}
			if res.Failed != 0 {
				t.Errorf("%d failures: %v %v", res.Failed, res.Errors, res.ErrorSamples)
			}
			if c.stall && (res.Transactions != 0 || res.InFlight != 4) {
				t.Errorf("%d transactions, %d in flight; want 0 and 4", res.Transactions, res.InFlight)
			}
			if res.Bytes > hs.sent.Load() {
				t.Errorf("counted %d bytes, the server sent %d", res.Bytes, hs.sent.Load())
			}
		})
	}
}

// A body past MaxBody is read to its end and counted, but only MaxBody of
// it is kept for the parser; the connection stays in use when the body's
// end is known.
func TestBodyPastMaxBodyIsCountedNotKept(t *testing.T) {
	const size, limit = 100 << 10, 10 << 10
	body := bytes.Repeat([]byte("<p>loadgen</p>\n"), size/15+1)[:size]
	cases := []struct {
		name  string
		head  string
		frame func(body []byte) []byte
		conns int64
	}{
		{"content-length", fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n", size),
			func(b []byte) []byte { return b }, 1},
		{"chunked", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n",
			func(b []byte) []byte {
				var out bytes.Buffer
				for len(b) > 0 {
					n := min(len(b), 7000)
					fmt.Fprintf(&out, "%x;ext=1\r\n%s\r\n", n, b[:n])
					b = b[n:]
				}
				out.WriteString("0\r\nX-Checksum: x\r\n\r\n")
				return out.Bytes()
			}, 1},
		{"until close", "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", func(b []byte) []byte { return b }, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			framed := c.frame(body)
			hs := hostile(t, func(conn net.Conn, sent *atomic.Int64) bool {
				if !write(conn, sent, c.head+string(framed)) {
					return false
				}
				return c.conns == 1
			})
			o := opts(1, 3)
			o.MaxBody = limit
			var got [][]byte
			o.Parser = func(dst []string, b []byte, _ *url.URL) []string {
				got = append(got, bytes.Clone(b))
				return dst
			}
			res := mustRun(t, []Target{get(hs.URL + "/")}, o)
			checkCounts(t, res)
			if res.Transactions != 3 || res.Failed != 0 {
				t.Fatalf("%d transactions, %d failed (%v); want 3, 0", res.Transactions, res.Failed, res.ErrorSamples)
			}
			if res.Bytes != hs.sent.Load() {
				t.Errorf("counted %d bytes, the server sent %d", res.Bytes, hs.sent.Load())
			}
			if hs.conns.Load() != c.conns {
				t.Errorf("%d connections, want %d", hs.conns.Load(), c.conns)
			}
			if len(got) != 3 {
				t.Fatalf("parser called %d times, want 3", len(got))
			}
			for _, b := range got {
				if !bytes.Equal(b, body[:limit]) {
					t.Fatalf("parser got %d bytes, want the first %d of the body", len(b), limit)
				}
			}
		})
	}
}

func TestCutShortRequestsAreNotCounted(t *testing.T) {
	// The only request gets its head and part of its body, then the server
	// stalls: when the run ends, nothing of it may be counted.
	hs := hostile(t, func(c net.Conn, sent *atomic.Int64) bool {
		write(c, sent, "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"+strings.Repeat("x", 5000))
		hold(c)
		return false
	})
	o := opts(1, 0)
	o.Duration = 500 * time.Millisecond
	res := mustRun(t, []Target{get(hs.URL + "/")}, o)
	checkCounts(t, res)
	if res.Transactions != 0 || res.Failed != 0 || res.Bytes != 0 || res.InFlight != 1 {
		t.Fatalf("%d transactions, %d failed, %d bytes, %d in flight; want 0, 0, 0, 1", res.Transactions, res.Failed, res.Bytes, res.InFlight)
	}
}

// The end of a run (time up, Ctrl+C) cuts requests short, dials included:
// none of them may show up as a failure. With a new connection per request
// most of a user's time is spent dialling.
func TestEndOfRunIsNotAFailure(t *testing.T) {
	srv := newCountingServer(t, nil)
	for i := range 3 {
		o := opts(10, 0)
		o.Close = true
		var res *Result
		if i < 2 {
			o.Duration = 700 * time.Millisecond
			res = mustRun(t, []Target{get(srv.URL + "/")}, o)
		} else {
			r, err := New([]Target{get(srv.URL + "/")}, o)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background()) // Ctrl+C
			time.AfterFunc(700*time.Millisecond, cancel)
			res, _ = r.Run(ctx)
			if !res.Interrupted {
				t.Fatalf("reason %q", res.Reason)
			}
		}
		checkCounts(t, res)
		if res.Failed != 0 || res.Transactions == 0 {
			t.Fatalf("run %d: %d transactions, %d failures at the end of a healthy run: %v %v", i, res.Transactions, res.Failed, res.Errors, res.ErrorSamples)
		}
	}
}

func TestHugeResponseHeaderIsNamed(t *testing.T) {
	hs := hostile(t, func(c net.Conn, sent *atomic.Int64) bool {
		return write(c, sent, "HTTP/1.1 200 OK\r\nX-Big: "+strings.Repeat("b", 100<<10)+"\r\nContent-Length: 0\r\n\r\n")
	})
	res := mustRun(t, []Target{get(hs.URL + "/")}, opts(1, 1))
	checkCounts(t, res)
	msg := res.ErrorSamples["other"]
	if res.Errors["other"] != 1 || !strings.Contains(msg, "response header larger than 16 KiB") || strings.Contains(msg, "ReadBufferSize") {
		t.Fatalf("errors %v, sample %q", res.Errors, msg)
	}
}
