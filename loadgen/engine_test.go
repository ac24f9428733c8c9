package loadgen

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/internal/testsupport"
)

func TestRepsSendExactlyUsersTimesReps(t *testing.T) {
	srv := newCountingServer(t, nil)
	res := mustRun(t, []Target{get(srv.URL + "/")}, opts(7, 13))
	if got := srv.total.Load(); got != 91 {
		t.Fatalf("server saw %d requests, want 91", got)
	}
	if res.Transactions != 91 || res.Successful != 91 || res.Failed != 0 {
		t.Fatalf("result: %d transactions, %d ok, %d failed; want 91, 91, 0", res.Transactions, res.Successful, res.Failed)
	}
	if res.Latency.TotalCount() != 91 || res.Status[200] != 91 {
		t.Fatalf("histogram %d, status 200 %d; want 91", res.Latency.TotalCount(), res.Status[200])
	}
	if res.Reason != "reps" || res.Interrupted {
		t.Fatalf("reason %q interrupted %v", res.Reason, res.Interrupted)
	}
	if res.Bytes <= 91*5 {
		t.Fatalf("bytes %d: want headers and bodies counted", res.Bytes)
	}
	// Keep-alive: one connection per user.
	if c := srv.conns.Load(); c != 7 {
		t.Fatalf("%d connections, want 7 (one per user)", c)
	}
}

func TestConnectionCloseDialsPerRequest(t *testing.T) {
	srv := newCountingServer(t, nil)
	o := opts(3, 5)
	o.Close = true
	res := mustRun(t, []Target{get(srv.URL + "/")}, o)
	if res.Transactions != 15 || srv.conns.Load() != 15 {
		t.Fatalf("%d transactions over %d connections, want 15 over 15", res.Transactions, srv.conns.Load())
	}
}

func TestDurationEndsRun(t *testing.T) {
	srv := newCountingServer(t, nil)
	o := opts(4, 0)
	o.Duration = 500 * time.Millisecond
	start := time.Now()
	res := mustRun(t, []Target{get(srv.URL + "/")}, o)
	if el := time.Since(start); el < 500*time.Millisecond || el > 5*time.Second {
		t.Fatalf("run took %v for a 500ms duration", el)
	}
	if res.Reason != "duration" || res.Interrupted || res.Transactions == 0 || res.Failed != 0 {
		t.Fatalf("reason %q interrupted %v transactions %d failed %d", res.Reason, res.Interrupted, res.Transactions, res.Failed)
	}
}

func TestCancelStopsAndReports(t *testing.T) {
	// A server that never answers: cancellation must not wait for the timeout.
	silent := testsupport.RawServer(t, hold)
	srv := newCountingServer(t, nil)
	o := opts(4, 0)
	o.Timeout = time.Minute
	r, err := New([]Target{get(srv.URL + "/"), get(silent + "/")}, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("cancel took %v", el)
	}
	if !res.Interrupted || res.Reason != "cancelled" {
		t.Fatalf("interrupted %v reason %q", res.Interrupted, res.Reason)
	}
	if res.Failed != 0 {
		t.Fatalf("requests cut short by the end of the run were counted as failures: %v", res.Errors)
	}
}

func TestInternetModeIsUniform(t *testing.T) {
	srv := newCountingServer(t, nil)
	const n = 5
	var targets []Target
	for i := range n {
		targets = append(targets, get(fmt.Sprintf("%s/p%d", srv.URL, i)))
	}
	o := opts(4, 1000)
	o.Internet = true
	res := mustRun(t, targets, o)
	if res.Transactions != 4000 {
		t.Fatalf("%d transactions", res.Transactions)
	}
	// Chi-square goodness of fit, 4 degrees of freedom: 18.47 is p = 0.001.
	expected := 4000.0 / n
	chi := 0.0
	for i := range n {
		got := float64(srv.count(fmt.Sprintf("/p%d", i)))
		chi += (got - expected) * (got - expected) / expected
	}
	if chi > 18.47 {
		t.Fatalf("chi-square %.2f > 18.47: not uniform (%v)", chi, srv.paths)
	}
	// siege's biased pick would give the first line about half: make sure
	// every line, first and last included, is near 800.
	for i := range n {
		if got := srv.count(fmt.Sprintf("/p%d", i)); math.Abs(float64(got)-expected) > 150 {
			t.Fatalf("/p%d got %d of 4000, want about 800", i, got)
		}
	}
}

func TestSequentialOrderIsSieges(t *testing.T) {
	cs := newScriptServer(t, nil)
	targets := []Target{get(cs.URL + "/a"), get(cs.URL + "/b"), get(cs.URL + "/c")}
	mustRun(t, targets, opts(1, 7))
	var paths []string
	for _, r := range cs.requests() {
		paths = append(paths, strings.Fields(r)[1])
	}
	if got := strings.Join(paths, " "); got != "/a /b /c /a /b /c /a" {
		t.Fatalf("order %q", got)
	}
}

func TestOnceRunsEachTargetOnce(t *testing.T) {
	srv := newCountingServer(t, nil)
	var targets []Target
	for i := range 10 {
		targets = append(targets, get(fmt.Sprintf("%s/u%d", srv.URL, i)))
	}
	o := opts(3, 0)
	o.Once = true
	res := mustRun(t, targets, o)
	if res.Transactions != 10 || srv.total.Load() != 10 {
		t.Fatalf("%d transactions, server %d; want 10", res.Transactions, srv.total.Load())
	}
	for i := range 10 {
		if c := srv.count(fmt.Sprintf("/u%d", i)); c != 1 {
			t.Fatalf("/u%d requested %d times", i, c)
		}
	}
}

func TestHeadersAndBodiesArriveByteExact(t *testing.T) {
	cs := newScriptServer(t, nil)
	dir := t.TempDir()
	payload := []byte("{\"a\": [1, 2, 3],\n \"b\": \"\\u00e9\"}\x00\xff")
	if err := os.WriteFile(filepath.Join(dir, "body.bin"), payload, 0o600); err != nil {
		t.Fatal(err)
	}
	post, err := ParseTarget(cs.URL+"/p POST a=b&c=d e", "")
	if err != nil {
		t.Fatal(err)
	}
	put, err := ParseTarget(cs.URL+"/q PUT </"+filepath.Join(dir, "body.bin")[1:], "/")
	if err != nil {
		t.Fatal(err)
	}
	o := opts(1, 3)
	o.Headers = []Header{{"X-Custom-Header", "Value  with  spaces"}, {"x-lower-case", "kept"}, {"X-Twice", "1"}, {"X-Twice", "2"}}
	o.UserAgent = "workshop-agent/2.0"
	o.ContentType = "application/json; charset=utf-8"
	mustRun(t, []Target{get(cs.URL + "/g?x=1&y=%20"), post, put}, o)
	reqs := cs.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests", len(reqs))
	}
	for _, r := range reqs {
		for _, want := range []string{"\r\nX-Custom-Header: Value  with  spaces\r\n", "\r\nx-lower-case: kept\r\n",
			"\r\nX-Twice: 1\r\n", "\r\nX-Twice: 2\r\n", "\r\nUser-Agent: workshop-agent/2.0\r\n"} {
			if !strings.Contains(r, want) {
				t.Errorf("request lacks %q:\n%s", want, r)
			}
		}
	}
	if !strings.HasPrefix(reqs[0], "GET /g?x=1&y=%20 HTTP/1.1\r\n") {
		t.Errorf("GET line: %q", reqs[0][:40])
	}
	if !strings.HasPrefix(reqs[1], "POST /p HTTP/1.1\r\n") || !strings.HasSuffix(reqs[1], "\r\n\r\na=b&c=d e") ||
		!strings.Contains(reqs[1], "\r\nContent-Type: application/json; charset=utf-8\r\n") || !strings.Contains(reqs[1], "\r\nContent-Length: 9\r\n") {
		t.Errorf("POST:\n%q", reqs[1])
	}
	if !strings.HasPrefix(reqs[2], "PUT /q HTTP/1.1\r\n") || !strings.HasSuffix(reqs[2], "\r\n\r\n"+string(payload)) {
		t.Errorf("PUT:\n%q", reqs[2])
	}
}

func TestStatusCodesAndHTTPErrors(t *testing.T) {
	srv := newCountingServer(t, func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/missing":
			ctx.SetStatusCode(404)
		case "/broken":
			ctx.SetStatusCode(503)
		case "/auth":
			ctx.SetStatusCode(401)
		}
		ctx.SetBodyString("x")
	})
	targets := []Target{get(srv.URL + "/"), get(srv.URL + "/missing"), get(srv.URL + "/broken"), get(srv.URL + "/auth")}
	res := mustRun(t, targets, opts(1, 8))
	if res.Transactions != 8 || res.Failed != 0 {
		t.Fatalf("transactions %d failed %d", res.Transactions, res.Failed)
	}
	if res.Status[200] != 2 || res.Status[404] != 2 || res.Status[503] != 2 || res.Status[401] != 2 {
		t.Fatalf("status %v", res.Status)
	}
	if res.HTTPErrors != 6 {
		t.Fatalf("http errors %d, want 6", res.HTTPErrors)
	}
	// siege: successful = code < 400, or 401/407.
	if res.Successful != 4 {
		t.Fatalf("successful %d, want 4", res.Successful)
	}
}

func TestSocketErrorsAreClassifiedAndRunCompletes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	silent := testsupport.RawServer(t, hold)
	reset := testsupport.RawServer(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b"))
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		c.Close()
	})
	srv := newCountingServer(t, nil)

	cases := []struct {
		name, url, class string
	}{
		{"refused", refused + "/", "refused"},
		{"timeout", silent + "/", "timeout"},
		{"reset", reset + "/", "reset"},
		{"dns", "http://no-such-host.invalid/", "dns"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := opts(2, 2)
			o.Timeout = 400 * time.Millisecond
			res := mustRun(t, []Target{get(tc.url), get(srv.URL + "/")}, o)
			if res.Errors[tc.class] != 2 || res.Failed != 2 {
				t.Fatalf("errors %v failed %d, want 2 %s", res.Errors, res.Failed, tc.class)
			}
			if res.Transactions != 2 {
				t.Fatalf("the healthy target got %d transactions, want 2", res.Transactions)
			}
			if !strings.Contains(res.ErrorSamples[tc.class], "GET ") {
				t.Fatalf("sample %q", res.ErrorSamples[tc.class])
			}
		})
	}
}

func TestTLSErrorIsClassified(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) { ctx.SetBodyString("tls") }}
	cert, key, err := fasthttp.GenerateTestCertificate("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.ServeTLSEmbed(ln, cert, key) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	u := "https://" + ln.Addr().String() + "/"
	res := mustRun(t, []Target{get(u)}, opts(1, 2))
	if res.Errors["tls"] != 2 {
		t.Fatalf("self-signed certificate: errors %v %v", res.Errors, res.ErrorSamples)
	}
	o := opts(2, 3)
	o.Insecure = true
	res = mustRun(t, []Target{get(u)}, o)
	if res.Transactions != 6 || res.Failed != 0 {
		t.Fatalf("--insecure: %d transactions, errors %v", res.Transactions, res.ErrorSamples)
	}
}

func TestRedirectsAreFollowedAsTransactions(t *testing.T) {
	srv := newCountingServer(t, func(ctx *fasthttp.RequestCtx) {
		switch string(ctx.Path()) {
		case "/old":
			ctx.Redirect("/mid", 301)
		case "/mid":
			ctx.Redirect("/new", 302)
		case "/loop":
			ctx.Redirect("/loop", 302)
		default:
			ctx.SetBodyString("new")
		}
	})
	res := mustRun(t, []Target{get(srv.URL + "/old")}, opts(2, 3))
	if res.Transactions != 18 || srv.count("/new") != 6 {
		t.Fatalf("following: %d transactions, /new %d; want 18 and 6", res.Transactions, srv.count("/new"))
	}
	o := opts(2, 3)
	o.NoFollow = true
	res = mustRun(t, []Target{get(srv.URL + "/old")}, o)
	if res.Transactions != 6 || res.Status[301] != 6 {
		t.Fatalf("--no-follow: %d transactions %v", res.Transactions, res.Status)
	}
	res = mustRun(t, []Target{get(srv.URL + "/loop")}, opts(1, 1))
	if res.Transactions != 11 {
		t.Fatalf("redirect loop: %d transactions, want 1 + 10 hops", res.Transactions)
	}
}

func TestStaleKeepAliveIsRedialledNotCounted(t *testing.T) {
	// Answers one request per connection, then closes without saying so.
	url := testsupport.RawServer(t, func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
	})
	res := mustRun(t, []Target{get(url + "/")}, opts(2, 5))
	if res.Transactions != 10 || res.Failed != 0 {
		t.Fatalf("%d transactions, errors %v %v", res.Transactions, res.Errors, res.ErrorSamples)
	}
}

func TestParserFetchesAssetsAsTransactions(t *testing.T) {
	srv := newCountingServer(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/" {
			ctx.SetContentType("text/html; charset=utf-8")
			ctx.SetBodyString(`<html><img src="/a.svg"></html>`)
			return
		}
		ctx.SetContentType("image/svg+xml")
		ctx.SetBodyString("<svg/>")
	})
	calls := 0
	o := opts(1, 4)
	o.Parser = func(dst []string, body []byte, page *url.URL) []string {
		calls++
		if !strings.Contains(string(body), "a.svg") {
			t.Errorf("parser got body %q", body)
		}
		return append(dst, page.ResolveReference(&url.URL{Path: "/a.svg"}).String())
	}
	res := mustRun(t, []Target{get(srv.URL + "/")}, o)
	if calls != 4 || res.Transactions != 8 || srv.count("/a.svg") != 4 {
		t.Fatalf("parser calls %d, transactions %d, asset fetches %d", calls, res.Transactions, srv.count("/a.svg"))
	}
}

func TestSnapshotDuringRun(t *testing.T) {
	srv := newCountingServer(t, nil)
	o := opts(2, 0)
	o.Duration = 800 * time.Millisecond
	r, err := New([]Target{get(srv.URL + "/")}, o)
	if err != nil {
		t.Fatal(err)
	}
	if s := r.Snapshot(); s.Transactions != 0 {
		t.Fatalf("snapshot before start: %+v", s)
	}
	done := make(chan *Result)
	go func() { res, _ := r.Run(context.Background()); done <- res }()
	time.Sleep(400 * time.Millisecond)
	s := r.Snapshot()
	res := <-done
	if s.Transactions <= 0 || s.P99 <= 0 || s.Elapsed <= 0 {
		t.Fatalf("live snapshot: %+v", s)
	}
	if s.Transactions > res.Transactions {
		t.Fatalf("snapshot %d > final %d", s.Transactions, res.Transactions)
	}
}

func TestNewRejectsBadInput(t *testing.T) {
	if _, err := New(nil, opts(1, 1)); err == nil {
		t.Fatal("no targets accepted")
	}
	if _, err := New([]Target{get("http://127.0.0.1/")}, opts(0, 1)); err == nil {
		t.Fatal("zero users accepted")
	}
	if _, err := New([]Target{get("ftp://x/")}, opts(1, 1)); err == nil {
		t.Fatal("ftp accepted")
	}
}

// TestSnapshotQuantilesAreHdrHistograms: the live p50 and p99 are
// HdrHistogram's values at those quantiles.
func TestSnapshotQuantilesAreHdrHistograms(t *testing.T) {
	const highest = 30_000_001
	sums := make([]uint64, ivIndex(highest)+1)
	want := hdrhistogram.New(1, highest, 3)
	for i := int64(1); i <= 20000; i++ {
		v := 1 + i*i%highest
		sums[ivIndex(v)]++
		_ = want.RecordValue(v)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		got := quantileOf(sums, q)
		if w := time.Duration(want.ValueAtQuantile(q*100)) * time.Microsecond; got != w {
			t.Fatalf("q %v: %v, HdrHistogram says %v", q, got, w)
		}
	}
	if quantileOf(make([]uint64, 10), 0.5) != 0 {
		t.Fatal("empty counts give a quantile")
	}
}
