package loadgen

import (
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/internal/testsupport"
)

// TestIntervalCountsAddUpToTheTotal: the per-interval transactions, socket
// failures and HTTP errors add up exactly to the run's, and the intervals
// carry them as they happen.
func TestIntervalCountsAddUpToTheTotal(t *testing.T) {
	srv := newCountingServer(t, func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/missing" {
			ctx.SetStatusCode(fasthttp.StatusNotFound)
		}
		ctx.SetBodyString("x")
	})
	closing := testsupport.RawServer(t, func(c net.Conn) { _ = c.Close() })
	o := opts(6, 0)
	o.Internet = true
	o.Duration = 600 * time.Millisecond
	o.Interval = 100 * time.Millisecond
	var ivs []Interval
	o.OnInterval = func(iv Interval) { ivs = append(ivs, iv) }
	res := mustRun(t, []Target{get(srv.URL + "/"), get(srv.URL + "/missing"), get(closing + "/")}, o)
	var txns, fails, httpErrs int64
	busy := 0
	for _, iv := range ivs {
		// A transaction finishing while the boundary is taken may count
		// its latency in one interval and itself in the next, so only the
		// sums are exact.
		if iv.Transactions > 0 && iv.Failed > 0 && iv.HTTPErrors > 0 {
			busy++
		}
		txns += iv.Transactions
		fails += iv.Failed
		httpErrs += iv.HTTPErrors
	}
	if res.Transactions == 0 || res.Failed == 0 || res.HTTPErrors == 0 {
		t.Fatalf("the run should have had all three: %d transactions, %d failures, %d HTTP errors", res.Transactions, res.Failed, res.HTTPErrors)
	}
	if busy < 3 {
		t.Errorf("only %d of %d intervals had transactions, failures and HTTP errors", busy, len(ivs))
	}
	if txns != res.Transactions || fails != res.Failed || httpErrs != res.HTTPErrors {
		t.Fatalf("intervals: %d/%d/%d; run: %d/%d/%d (transactions/failed/HTTP errors)",
			txns, fails, httpErrs, res.Transactions, res.Failed, res.HTTPErrors)
	}
}
