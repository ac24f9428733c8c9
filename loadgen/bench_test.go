package loadgen

import (
	"context"
	"testing"

	"github.com/valyala/fasthttp"
)

// benchUser prepares one user against an in-process fasthttp server, so the
// benchmark measures exactly the per-request path: write, read, record.
func benchUser(b *testing.B, body string, o Options) (*user, *prepared) {
	b.Helper()
	srv := newCountingServer(b, func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString(body) })
	r, err := New([]Target{get(srv.URL + "/")}, o)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	r.prepare(ctx)
	r.users[0] = r.newUser(0)
	r.nUsers.Store(1)
	u := r.users[0]
	b.Cleanup(u.closeAll)
	return u, &r.targets[0]
}

func benchmarkRequest(b *testing.B, body string, o Options) {
	u, t := benchUser(b, body, o)
	u.iterate(t) // dial outside the measurement
	b.ReportAllocs()
	for b.Loop() {
		u.iterate(t)
	}
	b.StopTimer()
	if t := u.r.shards.sum(); t.failed() != 0 {
		b.Fatalf("errors: %v", t.errs)
	}
}

// BenchmarkRequest is the hot path: one keep-alive GET, recorded.
func BenchmarkRequest(b *testing.B) { benchmarkRequest(b, "hello", opts(1, 0)) }

// BenchmarkRequest4K is the same with a 4 KiB body.
func BenchmarkRequest4K(b *testing.B) {
	body := make([]byte, 4096)
	for i := range body {
		body[i] = 'a' + byte(i%26)
	}
	benchmarkRequest(b, string(body), opts(1, 0))
}

// BenchmarkRequestInternet picks a random target per request.
func BenchmarkRequestInternet(b *testing.B) {
	o := opts(1, 0)
	o.Internet = true
	benchmarkRequest(b, "hello", o)
}

// TestRequestPathDoesNotAllocate guards the hot path in the ordinary suite.
func TestRequestPathDoesNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	res := testing.Benchmark(func(b *testing.B) { benchmarkRequest(b, "hello", opts(1, 0)) })
	if res.N == 0 {
		t.Fatal("benchmark did not run")
	}
	if a := res.AllocsPerOp(); a != 0 {
		t.Fatalf("%d allocations per request, want 0", a)
	}
}

// BenchmarkRequestNetConn is BenchmarkRequest through net.Conn's Write and
// Read (two reads per request) instead of the one-read path.
func BenchmarkRequestNetConn(b *testing.B) {
	o := opts(1, 0)
	o.netConnIO = true
	benchmarkRequest(b, "hello", o)
}
