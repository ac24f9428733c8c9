package loadgen

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
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
