package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A hostile response, described by a few numbers so that the fuzzer can
// vary them: what is sent first, how the body is framed, how much of it
// is sent, and how the response ends.
type hostileSpec struct {
	prefix   []byte // raw bytes: the whole response (framing 0) or extra header bytes
	framing  byte   // 0 prefix only, 1 Content-Length, 2 chunked, 3 until close
	declared int64  // Content-Length announced (framing 1)
	send     int    // body bytes sent
	end      byte   // 0 complete, 1 close the connection, 2 stall
	status   int
}

const hostileMaxSend = 4 << 20

// response writes one hostile response; false when the connection is to end.
func (h hostileSpec) response(c net.Conn, sent *atomic.Int64) bool {
	var b bytes.Buffer
	switch h.framing {
	case 0:
		b.Write(h.prefix)
	case 1:
		fmt.Fprintf(&b, "HTTP/1.1 %d X\r\nContent-Type: text/html\r\nContent-Length: %d\r\n", h.status, h.declared)
	case 2:
		fmt.Fprintf(&b, "HTTP/1.1 %d X\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n", h.status)
	case 3:
		fmt.Fprintf(&b, "HTTP/1.1 %d X\r\nContent-Type: text/html\r\n", h.status)
	}
	if h.framing != 0 {
		if len(h.prefix) > 0 && h.framing != 2 { // chunked: the prefix gives the chunk sizes
			fmt.Fprintf(&b, "X-Fuzz: %s\r\n", h.prefix)
		}
		b.WriteString("\r\n")
	}
	if !write(c, sent, b.String()) {
		return false
	}
	body := filler
	for left, i := min(h.send, hostileMaxSend), 0; left > 0; i++ {
		n := min(left, len(body))
		if h.framing == 2 {
			// Chunk sizes follow the prefix's bytes; a 0 byte makes a 1-byte chunk.
			if len(h.prefix) > 0 {
				n = min(n, int(h.prefix[i%len(h.prefix)])*64+1)
			}
			if !write(c, sent, fmt.Sprintf("%x\r\n%s\r\n", n, body[:n])) {
				return false
			}
		} else if !writeBytes(c, sent, body[:n]) {
			return false
		}
		left -= n
	}
	if h.framing == 2 && h.end == 0 {
		if !write(c, sent, "0\r\n\r\n") {
			return false
		}
	}
	switch {
	case h.end == 2:
		hold(c)
		return false
	case h.end == 1 || h.framing == 3:
		return false
	}
	return true
}

// runHostile runs a short load against a server answering with h and
// checks what must hold whatever the server does: the run ends on time,
// memory stays bounded, the counts add up, nothing panics.
func runHostile(t testing.TB, h hostileSpec, users int, d, timeout time.Duration, close, parser bool) *Result {
	t.Helper()
	hs := hostile(t, h.response)
	o := opts(users, 0)
	o.Duration = d
	o.Timeout = timeout
	o.Close = close
	o.MaxBody = 1 << 10
	if parser {
		o.Parser = func(dst []string, body []byte, _ *url.URL) []string {
			if len(body) > 1<<10 {
				t.Errorf("the parser got %d bytes, more than MaxBody", len(body))
			}
			return dst
		}
	}
	r, err := New([]Target{get(hs.URL + "/")}, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > o.Duration+2*time.Second {
		t.Errorf("a %v run took %v", o.Duration, el)
	}
	checkCounts(t, res)
	if res.Bytes > hs.sent.Load() {
		t.Errorf("counted %d bytes, the server sent %d", res.Bytes, hs.sent.Load())
	}
	for _, u := range r.active() {
		// Read buffers are the pool's, and go back to it once a response
		// is read: a user holds one only while its stream has bytes left.
		if cap(u.body) > 2*o.MaxBody+MaxHeaderBytes || (u.br != nil && u.br.Size() != MaxHeaderBytes) {
			t.Errorf("user %d holds a %d-byte body buffer and a read buffer %v", u.id, cap(u.body), u.br)
		}
	}
	return res
}

// TestHostileResponses is a table of servers that break the rules; each
// run must end on time with counts that add up, and fail or succeed as the
// response deserves.
func TestHostileResponses(t *testing.T) {
	cases := []struct {
		name   string
		h      hostileSpec
		status int    // the transactions' status, when some complete
		class  string // the failures' class, when they fail
	}{
		{"garbage instead of a status line", hostileSpec{prefix: []byte("SSH-2.0-OpenSSH_9.6\r\n\r\n"), end: 1}, 0, "other"},
		{"a head cut short", hostileSpec{prefix: []byte("HTTP/1.1 200 OK\r\nContent-Le"), end: 1}, 0, "reset"},
		{"a body shorter than its length", hostileSpec{framing: 1, declared: 5000, send: 100, end: 1, status: 200}, 0, "reset"},
		{"a body longer than its length", hostileSpec{framing: 1, declared: 10, send: 5000, status: 200}, 200, "other"},
		{"a negative length", hostileSpec{framing: 1, declared: -5, send: 10, status: 200}, 0, "other"},
		{"a length past int64", hostileSpec{prefix: []byte("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n"), end: 1}, 0, "other"},
		{"a chunk size past 2^60", hostileSpec{prefix: []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff\r\n"), end: 1}, 0, "other"},
		{"a chunk without its CRLF", hostileSpec{prefix: []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n"), end: 1}, 0, "other"},
		{"a chunk size line without end", hostileSpec{prefix: []byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + strings.Repeat("0", 20000)), end: 1}, 0, "other"},
		{"chunks, then a close", hostileSpec{framing: 2, prefix: []byte{3, 0, 200}, send: 3000, end: 1, status: 200}, 0, "reset"},
		{"chunks, complete", hostileSpec{framing: 2, prefix: []byte{3, 0, 200}, send: 3000, status: 200}, 200, ""},
		{"a body until close", hostileSpec{framing: 3, send: 1 << 20, status: 200}, 200, ""},
		{"a 204 with a body", hostileSpec{prefix: []byte("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"), status: 204}, 204, ""},
		{"a 503 with a body", hostileSpec{framing: 1, declared: 100000, send: 100000, status: 503}, 503, ""},
		{"a 100 Continue first", hostileSpec{prefix: []byte("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")}, 200, ""},
		{"a thousand 1xx", hostileSpec{prefix: []byte(strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 1000) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), end: 1}, 0, "other"},
		{"a status over 599", hostileSpec{prefix: []byte("HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n")}, 999, ""},
		{"a header line of 17 KiB", hostileSpec{framing: 1, prefix: bytes.Repeat([]byte("h"), 17<<10), status: 200}, 0, "other"},
		{"a stall after the head", hostileSpec{framing: 1, declared: 1 << 40, send: 10, end: 2, status: 200}, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := runHostile(t, c.h, 2, 300*time.Millisecond, time.Second, false, true)
			// A body longer than its length is read as the next response:
			// both transactions and failures.
			switch {
			case c.status != 0 && (res.Transactions == 0 || res.Status[c.status] != res.Transactions):
				t.Errorf("want transactions with status %d: %d transactions %v", c.status, res.Transactions, res.Status)
			case c.class != "" && (res.Failed == 0 || res.Errors[c.class] != res.Failed):
				t.Errorf("want %s failures: %d failed %v %v", c.class, res.Failed, res.Errors, res.ErrorSamples)
			case c.status != 0 && c.class == "" && res.Failed != 0:
				t.Errorf("want no failures: %d failed %v", res.Failed, res.ErrorSamples)
			case c.class != "" && c.status == 0 && res.Transactions != 0:
				t.Errorf("want no transactions: %d %v", res.Transactions, res.Status)
			case c.status == 0 && c.class == "": // a stall: only the end of the run ends it
				if res.Transactions != 0 || res.Failed != 0 || res.InFlight != 2 {
					t.Errorf("%d transactions, %d failed (%v), %d in flight; want 0, 0, 2", res.Transactions, res.Failed, res.ErrorSamples, res.InFlight)
				}
			}
		})
	}
}

// FuzzHostileResponses throws random response prefixes, framings, lengths,
// endings and stalls at short runs; runHostile checks the invariants.
func FuzzHostileResponses(f *testing.F) {
	f.Add([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), uint8(0), int64(0), uint32(0), uint8(0))
	f.Add([]byte("x"), uint8(1), int64(1<<40), uint32(10), uint8(2))
	f.Add([]byte{1, 2, 3}, uint8(2), int64(0), uint32(70000), uint8(0))
	f.Add([]byte{}, uint8(3), int64(0), uint32(1<<20), uint8(1))
	f.Add([]byte("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"), uint8(0), int64(0), uint32(0), uint8(2))
	f.Fuzz(func(t *testing.T, prefix []byte, framing uint8, declared int64, send uint32, flags uint8) {
		if len(prefix) > 64<<10 {
			prefix = prefix[:64<<10]
		}
		h := hostileSpec{
			prefix: prefix, framing: framing % 4, declared: declared, send: int(send % hostileMaxSend),
			end: flags % 3, status: 100 + int(flags)*7%500,
		}
		users := 1 + int(flags>>2)%3
		timeout := 50 * time.Millisecond
		if flags&0x10 != 0 {
			timeout = 2 * time.Second
		}
		runHostile(t, h, users, 100*time.Millisecond, timeout, flags&0x20 != 0, flags&0x40 != 0)
	})
}
