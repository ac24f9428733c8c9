package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/internal/testsupport"
)

// countingServer is an in-process fasthttp server on 127.0.0.1 that counts
// requests by path and connections.
type countingServer struct {
	URL   string
	mu    sync.Mutex
	paths map[string]int
	total atomic.Int64
	conns atomic.Int64
}

func newCountingServer(t testing.TB, handler func(ctx *fasthttp.RequestCtx)) *countingServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingServer{URL: "http://" + ln.Addr().String(), paths: map[string]int{}}
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			cs.total.Add(1)
			cs.mu.Lock()
			cs.paths[string(ctx.Path())]++
			cs.mu.Unlock()
			if handler != nil {
				handler(ctx)
				return
			}
			ctx.SetContentType("text/plain")
			ctx.SetBodyString("hello")
		},
		ConnState: func(_ net.Conn, st fasthttp.ConnState) {
			if st == fasthttp.StateNew {
				cs.conns.Add(1)
			}
		},
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return cs
}

func (cs *countingServer) count(path string) int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.paths[path]
}

// captureServer records every raw request (head and body) byte for byte.
type captureServer struct {
	URL  string
	mu   sync.Mutex
	reqs [][]byte
}

func newCaptureServer(t testing.TB) *captureServer {
	cs := &captureServer{}
	cs.URL = testsupport.RawServer(t, func(c net.Conn) {
		defer c.Close()
		var raw bytes.Buffer
		br := bufio.NewReader(io.TeeReader(c, &raw))
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			// What was consumed from raw so far, minus what br still buffers.
			consumed := raw.Len() - br.Buffered()
			cs.mu.Lock()
			cs.reqs = append(cs.reqs, bytes.Clone(raw.Bytes()[:consumed]))
			cs.mu.Unlock()
			raw.Next(consumed)
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
		}
	})
	return cs
}

func (cs *captureServer) requests() []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]string, len(cs.reqs))
	for i, r := range cs.reqs {
		out[i] = string(r)
	}
	return out
}

func mustRun(t testing.TB, targets []Target, o Options) *Result {
	t.Helper()
	r, err := New(targets, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func opts(users, reps int) Options {
	o := DefaultOptions()
	o.Users, o.Reps = users, reps
	o.Timeout = 5 * time.Second
	o.Seed = 42
	return o
}

func get(url string) Target { return Target{Method: "GET", URL: url} }
