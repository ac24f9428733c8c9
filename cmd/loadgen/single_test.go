package main

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/loadgen/loadgen/internal/testsupport"
)

// headServer records the head of every request (request line and headers)
// and answers 200 with a small body.
type headServer struct {
	url   string
	mu    sync.Mutex
	heads []http.Header
	lines []string
}

func newHeadServer(t *testing.T) *headServer {
	t.Helper()
	hs := &headServer{}
	hs.url = testsupport.RawServer(t, hs.serve)
	return hs
}

func (hs *headServer) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		h := req.Header.Clone()
		h.Set("Host", req.Host)
		hs.mu.Lock()
		hs.heads = append(hs.heads, h)
		hs.lines = append(hs.lines, req.Method+" "+req.RequestURI+" "+req.Proto)
		hs.mu.Unlock()
		resp := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		if req.Method == "HEAD" {
			resp = strings.TrimSuffix(resp, "ok")
		}
		if _, err := c.Write([]byte(resp)); err != nil {
			return
		}
	}
}

// TestSingleRequestSendsWhatTheRunSends: -g and -p go through the engine's
// request builder, so Host and every other header are the same as in a load
// run with the same flags.
func TestSingleRequestSendsWhatTheRunSends(t *testing.T) {
	hs := newHeadServer(t)
	flags := []string{"-H", "Host: override.test", "-H", "X-Trace: abc", "-A", "probe/1"}
	for _, mode := range [][]string{{"-g"}, {"-p"}, {"-c", "1", "-r", "1", "-q"}} {
		r := runCLI(t, nil, append(append(mode, flags...), hs.url+"/x")...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", mode, r.code, r.stderr)
		}
	}
	hs.mu.Lock()
	heads, lines := hs.heads, hs.lines
	hs.mu.Unlock()
	if len(heads) != 3 {
		t.Fatalf("server saw %d requests, want 3", len(heads))
	}
	wantLines := []string{"HEAD /x HTTP/1.1", "GET /x HTTP/1.1", "GET /x HTTP/1.1"}
	for i, h := range heads {
		if lines[i] != wantLines[i] {
			t.Errorf("request %d: %q, want %q", i, lines[i], wantLines[i])
		}
		for name, want := range map[string]string{"Host": "override.test", "X-Trace": "abc", "User-Agent": "probe/1"} {
			if got := h.Get(name); got != want {
				t.Errorf("request %d (%s): %s = %q, want %q", i, lines[i], name, got, want)
			}
		}
		if len(h) != len(heads[2]) {
			t.Errorf("request %d has headers %v; the load run's had %v", i, h, heads[2])
		}
	}
	r := runCLI(t, nil, "-g", "-H", "Host: override.test", hs.url+"/x")
	if !strings.Contains(r.stdout, "Host: override.test") {
		t.Errorf("-g prints the request as sent:\n%s", r.stdout)
	}
}
