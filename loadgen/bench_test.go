package loadgen

import (
	"context"
	"testing"
	"time"

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
	if u.fails.Load() != 0 {
		b.Fatalf("errors: %v", u.errMsg)
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

// benchCookieUser is benchUser against a server that sets a session cookie:
// on every response (every is true, as a load balancer's stickiness cookie
// does) or only on the first.
func benchCookieUser(b *testing.B, every bool) (*user, *prepared) {
	var n int64
	srv := newCountingServer(b, func(ctx *fasthttp.RequestCtx) {
		if every || n == 0 {
			ctx.Response.Header.Add("Set-Cookie", "session=0123456789abcdef; Path=/; HttpOnly")
		}
		n++
		ctx.SetBodyString("hello")
	})
	r, err := New([]Target{get(srv.URL + "/")}, opts(1, 0))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	r.prepare(ctx)
	r.users[0] = r.newUser(0)
	r.nUsers.Store(1)
	b.Cleanup(r.users[0].closeAll)
	return r.users[0], &r.targets[0]
}

func benchmarkCookie(b *testing.B, every bool) {
	u, t := benchCookieUser(b, every)
	u.iterate(t) // dial and receive the cookie outside the measurement
	u.iterate(t)
	b.ReportAllocs()
	for b.Loop() {
		u.iterate(t)
	}
	b.StopTimer()
	if u.fails.Load() != 0 || len(u.sess.jar.cookies) != 1 {
		b.Fatalf("errors %v, cookies %d", u.errMsg, len(u.sess.jar.cookies))
	}
}

// BenchmarkRequestCookie: the server sets the same cookie on every
// response and the user sends it back on every request.
func BenchmarkRequestCookie(b *testing.B) { benchmarkCookie(b, true) }

// BenchmarkRequestCookieOnce: a session cookie set once, sent back on
// every request.
func BenchmarkRequestCookieOnce(b *testing.B) { benchmarkCookie(b, false) }

// TestRequestPathWithCookieDoesNotAllocate: a session that keeps its cookie
// allocates nothing per request either, once its buffers have grown.
func TestRequestPathWithCookieDoesNotAllocate(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, every := range []bool{false, true} {
		res := testing.Benchmark(func(b *testing.B) { benchmarkCookie(b, every) })
		if res.N == 0 {
			t.Fatal("benchmark did not run")
		}
		if a := res.AllocsPerOp(); a != 0 {
			t.Fatalf("cookie set on every response %v: %d allocations per request, want 0", every, a)
		}
	}
}

// BenchmarkCookieWork is the CPU a held cookie adds to each request, without
// the network: choosing the request bytes (the user's spliced copy) and
// reading back a Set-Cookie identical to the stored one.
func BenchmarkCookieWork(b *testing.B) {
	r, err := New([]Target{get("http://127.0.0.1:9/")}, opts(1, 0))
	if err != nil {
		b.Fatal(err)
	}
	r.prepare(context.Background())
	u := r.newUser(0)
	t := &r.targets[0]
	h := r.hosts[t.host]
	sc := []byte("session=0123456789abcdef; Path=/; HttpOnly")
	u.sess.jar.set(sc, t.parsed, 0, time.Now())
	b.ReportAllocs()
	for b.Loop() {
		raw := u.withSession(t.raw, t.at, t.parsed, h, t)
		u.sess.cur = t.parsed
		u.onSetCookie(nil, sc)
		if len(raw) == len(t.raw) {
			b.Fatal("no cookie spliced")
		}
	}
}
