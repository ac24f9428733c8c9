package report

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/loadgen"
)

// chaosServer answers as its query string says: ?s=CODE&d=MICROSECONDS&n=BYTES,
// and closes the connection without an answer for ?s=0.
func chaosServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	body := bytes.Repeat([]byte("x"), 64<<10)
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		args := ctx.QueryArgs()
		if d := args.GetUintOrZero("d"); d > 0 {
			time.Sleep(time.Duration(d) * time.Microsecond)
		}
		code := args.GetUintOrZero("s")
		if code == 0 {
			ctx.Hijack(func(c net.Conn) {})
			return
		}
		if code == 301 {
			ctx.Response.Header.Set("Location", "/?s=200")
		}
		ctx.SetStatusCode(code)
		ctx.SetBody(body[:min(args.GetUintOrZero("n"), len(body))])
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

// randomRun draws a run: closed or open model, users, reps or duration,
// timeouts that sometimes cut responses, and targets that answer with
// any code (including codes outside 100..599), delays, sizes, resets,
// redirects and refused connections.
func randomRun(rng *rand.Rand, base, refused string) ([]loadgen.Target, loadgen.Options) {
	o := loadgen.DefaultOptions()
	o.Users = 1 + rng.IntN(6)
	o.Seed = rng.Uint64() | 1
	o.Timeout = time.Duration(5+rng.IntN(100)) * time.Millisecond
	o.Interval = 50 * time.Millisecond
	o.Internet = rng.IntN(2) == 0
	o.NoFollow = rng.IntN(3) == 0
	o.Close = rng.IntN(4) == 0
	if rng.IntN(2) == 0 {
		o.Reps = 1 + rng.IntN(30)
	} else {
		o.Duration = time.Duration(100+rng.IntN(200)) * time.Millisecond
	}
	if rng.IntN(2) == 0 {
		o.Rate = float64(100 + rng.IntN(4000))
		o.MaxUsers = o.Users + rng.IntN(10)
	}
	codes := []int{200, 200, 200, 204, 301, 404, 500, 503, 299, 999, 0}
	var targets []loadgen.Target
	for range 1 + rng.IntN(4) {
		u := fmt.Sprintf("%s/?s=%d&d=%d&n=%d", base, codes[rng.IntN(len(codes))], rng.IntN(3000), rng.IntN(70000))
		if rng.IntN(12) == 0 {
			u = refused
		}
		targets = append(targets, loadgen.Target{Method: "GET", URL: u})
	}
	return targets, o
}

// TestReportsAreConsistent: over random runs of the real engine, every
// report passes Check (percentiles ordered and within [min, max], mean
// within [min, max], transactions equal to the sum of the status codes,
// failures to the sum of the error classes, addresses to the
// transactions), in the closed and the open model, corrected or not; and
// so does the report merged from each run's interval log.
func TestReportsAreConsistent(t *testing.T) {
	base := chaosServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 12))
	runs := 24
	if testing.Short() {
		runs = 6
	}
	for i := range runs {
		targets, o := randomRun(rng, base, refused)
		res, log := runWithLog(t, targets, o)
		rp := New(res, "test", len(targets))
		if err := rp.Check(); err != nil {
			t.Fatalf("run %d (%d users, rate %v, reps %d, %v, timeout %v): %v\n%s", i, o.Users, o.Rate, o.Reps, o.Duration, o.Timeout, err, jsonOf(rp))
		}
		if rp.Transactions > 0 && rp.Addresses == nil {
			t.Fatalf("run %d: no addresses", i)
		}
		lg, err := ReadHlog(bytes.NewReader(log), "run"+strconv.Itoa(i))
		if err != nil {
			t.Fatalf("run %d: reading its own log: %v", i, err)
		}
		if len(lg.Intervals) == 0 {
			continue
		}
		mres, _, err := MergeHlogs([]*Hlog{lg}, 100*time.Millisecond)
		if err != nil {
			t.Fatalf("run %d: merge: %v", i, err)
		}
		mrp := New(mres, "test", len(targets))
		if err := mrp.Check(); err != nil {
			t.Fatalf("run %d merged: %v\n%s", i, err, jsonOf(mrp))
		}
		if mrp.Transactions != rp.Transactions || mrp.FailedTransactions != rp.FailedTransactions {
			t.Fatalf("run %d: merged %d transactions and %d failures, the run %d and %d", i, mrp.Transactions, mrp.FailedTransactions, rp.Transactions, rp.FailedTransactions)
		}
	}
}

func jsonOf(rp *Report) string {
	var b bytes.Buffer
	_ = rp.WriteJSON(&b)
	return b.String()
}
