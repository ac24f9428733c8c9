package loadgen

import (
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"
)

func TestCounterBucketsAsHdrHistogram(t *testing.T) {
	const highest = 30_000_001
	c := newCounter(highest)
	want := hdrhistogram.New(1, highest, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	var values []int64
	for v := int64(1); v <= 5000; v++ {
		values = append(values, v)
	}
	for range 20000 {
		values = append(values, 1+rng.Int64N(highest))
	}
	values = append(values, highest, highest-1, 2047, 2048, 2049, 4095, 4096, 1<<20, 1<<20+1)
	for _, v := range values {
		c.add(v)
		if err := want.RecordValue(v); err != nil {
			t.Fatal(err)
		}
	}
	got := hdrhistogram.New(1, highest, 3)
	c.addTo(got)
	if !got.Equals(want) {
		t.Fatalf("histogram differs: count %d vs %d, p50 %d vs %d, max %d vs %d",
			got.TotalCount(), want.TotalCount(), got.ValueAtQuantile(50), want.ValueAtQuantile(50), got.Max(), want.Max())
	}
}

// TestIntervalsLoseNothing: writers on every P record into shared counters
// while the collector takes interval differences as fast as it can; every
// value lands in exactly one interval. Under -race this also shows that
// reading counters while writers add to them is race-free.
func TestIntervalsLoseNothing(t *testing.T) {
	const highest, writers, n = 1_000_000, 4, 50_000
	ss := newShards(highest, false)
	iv := newIntervals(highest)
	want := hdrhistogram.New(1, highest, 3)
	got := hdrhistogram.New(1, highest, 3)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var running atomic.Int32
	running.Store(writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer running.Add(-1)
			local := hdrhistogram.New(1, highest, 3)
			for i := range int64(n) {
				v := 1 + (i*7919+int64(w)*104729)%highest
				s := ss.get()
				s.lat.add(v)
				ss.put(s)
				_ = local.RecordValue(v)
			}
			mu.Lock()
			want.Merge(local)
			mu.Unlock()
		}()
	}
	rounds := 0
	for running.Load() > 0 {
		iv.next(ss.latencies(false), got)
		rounds++
	}
	wg.Wait()
	iv.next(ss.latencies(false), got)
	iv.next(ss.latencies(false), got)
	if got.TotalCount() != writers*n || !got.Equals(want) {
		t.Fatalf("after %d rounds: %d values in intervals, want %d (equal %v)", rounds, got.TotalCount(), writers*n, got.Equals(want))
	}
}

func TestRecordingDoesNotAllocate(t *testing.T) {
	c := newCounter(30_000_001)
	if a := testing.AllocsPerRun(1000, func() { c.add(1234); c.add(99) }); a != 0 {
		t.Fatalf("%v allocations per record", a)
	}
}

// TestRateKeepsSchedule: 2000 requests/s for 3 s against a fast server.
// The schedule holds exactly 6000 send times and all are sent; the
// achieved rate (sent / time of the last send) is within 1% of the target.
// The bound is about the schedule: it only moves if the last send is late.
func TestRateKeepsSchedule(t *testing.T) {
	srv := newCountingServer(t, nil)
	o := opts(20, 0)
	o.Rate = 2000
	o.Duration = 3 * time.Second
	res := mustRun(t, []Target{get(srv.URL + "/")}, o)
	rr := res.Rate
	if rr == nil {
		t.Fatal("no rate result")
	}
	if rr.Scheduled != 6000 {
		t.Fatalf("scheduled %d, want 6000", rr.Scheduled)
	}
	if rr.Sent != rr.Scheduled || res.Transactions != rr.Sent || srv.total.Load() != rr.Sent {
		t.Fatalf("sent %d, transactions %d, server saw %d; want %d", rr.Sent, res.Transactions, srv.total.Load(), rr.Scheduled)
	}
	if math.Abs(rr.Achieved-2000)/2000 > 0.01 {
		t.Fatalf("achieved %.1f/s, want within 1%% of 2000 (max lag %v)", rr.Achieved, rr.MaxLag)
	}
	if rr.Short() {
		t.Fatal("reported short of the target")
	}
	if res.Latency.TotalCount() != res.Transactions || res.LatencyUncorrected.TotalCount() != res.Transactions {
		t.Fatalf("histograms hold %d and %d values for %d transactions",
			res.Latency.TotalCount(), res.LatencyUncorrected.TotalCount(), res.Transactions)
	}
	if res.Reason != "duration" {
		t.Fatalf("reason %q", res.Reason)
	}
}

// stallServer answers at once except in [1 s, 2 s) of every 3 s from its
// first request, when every request waits until the stall ends.
func stallServer(t *testing.T) *countingServer {
	var once sync.Once
	var t0 time.Time
	return newCountingServer(t, func(ctx *fasthttp.RequestCtx) {
		once.Do(func() { t0 = time.Now() })
		el := time.Since(t0) % (3 * time.Second)
		if el >= time.Second && el < 2*time.Second {
			time.Sleep(2*time.Second - el)
		}
		ctx.SetBodyString("ok")
	})
}

// TestRateCorrectsCoordinatedOmission: the server stalls for 1 s of a 3 s
// run at 400 requests/s. A third of the schedule falls in the stall, so the
// corrected p99 is near a second; the 4 users were each held once, so the
// raw latencies hide the stall (under 1% of requests saw it).
func TestRateCorrectsCoordinatedOmission(t *testing.T) {
	srv := stallServer(t)
	o := opts(4, 0)
	o.Rate = 400
	o.Duration = 3 * time.Second
	res := mustRun(t, []Target{get(srv.URL + "/")}, o)
	corrected := time.Duration(res.Latency.ValueAtQuantile(99)) * time.Microsecond
	raw := time.Duration(res.LatencyUncorrected.ValueAtQuantile(99)) * time.Microsecond
	if corrected < 700*time.Millisecond {
		t.Fatalf("corrected p99 %v: the 1 s stall should show", corrected)
	}
	if raw > 300*time.Millisecond {
		t.Fatalf("raw p99 %v: expected the closed-loop view to hide the stall", raw)
	}
	if res.Rate.MaxLag < 500*time.Millisecond {
		t.Fatalf("max lag %v: requests due in the stall went out late", res.Rate.MaxLag)
	}
	t.Logf("corrected p99 %v, raw p99 %v, sent %d of %d, achieved %.1f/s", corrected, raw, res.Rate.Sent, res.Rate.Scheduled, res.Rate.Achieved)
}

// TestMaxUsersJoinWhenBehind: a server answering in 50 ms gives 2 users 40
// requests/s; at 200/s the schedule falls behind and users join, bounded.
func TestMaxUsersJoinWhenBehind(t *testing.T) {
	srv := newCountingServer(t, func(ctx *fasthttp.RequestCtx) {
		time.Sleep(50 * time.Millisecond)
		ctx.SetBodyString("ok")
	})
	o := opts(2, 0)
	o.Rate = 200
	o.MaxUsers = 32
	o.Duration = 2 * time.Second
	res := mustRun(t, []Target{get(srv.URL + "/")}, o)
	rr := res.Rate
	if rr.Users <= 2 || rr.Users > 32 || rr.MaxUsers != 32 {
		t.Fatalf("users %d (bound %d): want more than 2 and at most 32", rr.Users, rr.MaxUsers)
	}
	if c := srv.conns.Load(); c != int64(rr.Users) {
		t.Fatalf("%d connections for %d users", c, rr.Users)
	}
	if rr.Sent < rr.Scheduled*8/10 {
		t.Fatalf("sent %d of %d: the joined users should have caught up", rr.Sent, rr.Scheduled)
	}
	// Without MaxUsers the same run falls far short, and says so.
	o.MaxUsers = 0
	res = mustRun(t, []Target{get(srv.URL + "/")}, o)
	if res.Rate.Users != 2 || !res.Rate.Short() || res.Rate.Sent > res.Rate.Scheduled/2 {
		t.Fatalf("without max users: %d users, sent %d of %d, achieved %.1f", res.Rate.Users, res.Rate.Sent, res.Rate.Scheduled, res.Rate.Achieved)
	}
}

func TestRateWithRepsSendsExactly(t *testing.T) {
	srv := newCountingServer(t, nil)
	o := opts(3, 10)
	o.Rate = 1000
	res := mustRun(t, []Target{get(srv.URL + "/a"), get(srv.URL + "/b")}, o)
	if res.Transactions != 30 || srv.total.Load() != 30 || res.Rate.Scheduled != 30 || res.Rate.Sent != 30 {
		t.Fatalf("transactions %d, server %d, scheduled %d, sent %d; want 30", res.Transactions, srv.total.Load(), res.Rate.Scheduled, res.Rate.Sent)
	}
	if srv.count("/a") != 15 || srv.count("/b") != 15 {
		t.Fatalf("targets in order: /a %d /b %d, want 15 each", srv.count("/a"), srv.count("/b"))
	}
}

func TestRateRejectsNonsense(t *testing.T) {
	for _, r := range []float64{-1, math.NaN(), math.Inf(1)} {
		o := opts(1, 1)
		o.Rate = r
		if _, err := New([]Target{get("http://127.0.0.1:1/")}, o); err == nil {
			t.Fatalf("rate %v accepted", r)
		}
	}
}

// TestIntervalsAddUpToTheTotal: what OnInterval receives adds up exactly to
// the run's histogram, in the closed and the open model.
func TestIntervalsAddUpToTheTotal(t *testing.T) {
	srv := newCountingServer(t, nil)
	for _, rate := range []float64{0, 3000} {
		o := opts(8, 0)
		o.Duration = 700 * time.Millisecond
		o.Rate = rate
		o.Interval = 100 * time.Millisecond
		var ivs []Interval
		o.OnInterval = func(iv Interval) { ivs = append(ivs, iv) }
		res := mustRun(t, []Target{get(srv.URL + "/")}, o)
		sum := hdrhistogram.New(1, res.Latency.HighestTrackableValue(), 3)
		var raw *hdrhistogram.Histogram
		if rate > 0 {
			raw = hdrhistogram.New(1, res.Latency.HighestTrackableValue(), 3)
		}
		for i, iv := range ivs {
			if i > 0 && !iv.Start.Equal(ivs[i-1].End) {
				t.Fatalf("interval %d starts at %v, previous ended at %v", i, iv.Start, ivs[i-1].End)
			}
			sum.Merge(iv.Latency)
			if raw != nil {
				raw.Merge(iv.Uncorrected)
			}
		}
		if len(ivs) < 5 || sum.TotalCount() != res.Transactions || !sum.Equals(res.Latency) {
			t.Fatalf("rate %v: %d intervals with %d values; run had %d", rate, len(ivs), sum.TotalCount(), res.Transactions)
		}
		if raw != nil && !raw.Equals(res.LatencyUncorrected) {
			t.Fatalf("uncorrected intervals do not add up: %d vs %d", raw.TotalCount(), res.LatencyUncorrected.TotalCount())
		}
	}
}
