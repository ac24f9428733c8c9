package report

import (
	"bytes"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen"
)

// TestHlogIntervalsOfConcurrentRuns: two runs at once write logs; read back
// and windowed, their counts add up to both runs' totals (from loadgen's
// counter lines), and each window's latency count to the merged histogram.
func TestHlogIntervalsOfConcurrentRuns(t *testing.T) {
	base := server(t)
	targets := []loadgen.Target{{Method: "GET", URL: base + "/"}, {Method: "GET", URL: base + "/missing"}, {Method: "GET", URL: "http://127.0.0.1:1/"}}
	var wg sync.WaitGroup
	var resA, resB *loadgen.Result
	var logA, logB []byte
	wg.Add(2)
	go func() { defer wg.Done(); resA, logA = runWithLog(t, targets, options(3, 700*time.Millisecond)) }()
	go func() {
		defer wg.Done()
		o := options(2, 900*time.Millisecond)
		o.Rate = 600
		resB, logB = runWithLog(t, targets, o)
	}()
	wg.Wait()
	if t.Failed() {
		return
	}
	if !bytes.Contains(logA, []byte("\n"+countsPrefix+"start=")) {
		t.Fatalf("no counter lines in the log:\n%s", logA[:400])
	}
	var logs []*Hlog
	for i, b := range [][]byte{logA, logB} {
		lg, err := ReadHlog(bytes.NewReader(b), []string{"a", "b"}[i])
		if err != nil {
			t.Fatal(err)
		}
		logs = append(logs, lg)
	}
	res, _, err := MergeHlogs(logs, 250*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	ivs := HlogIntervals(logs, 250*time.Millisecond)
	var txns, fails, httpErrs, latencies int64
	for i, iv := range ivs {
		if !iv.HasErrors || iv.Seconds != 0.25 || (i > 0 && !iv.Start.After(ivs[i-1].Start)) {
			t.Fatalf("interval %d: %+v", i, iv)
		}
		txns += iv.Transactions
		fails += iv.Failed
		httpErrs += iv.HTTPErrors
		latencies += iv.Latency.N
	}
	if txns != resA.Transactions+resB.Transactions || fails != resA.Failed+resB.Failed || httpErrs != resA.HTTPErrors+resB.HTTPErrors ||
		fails == 0 || httpErrs == 0 || latencies != res.Latency.TotalCount() {
		t.Fatalf("windows hold %d/%d/%d (%d latencies); runs %d+%d/%d+%d/%d+%d (%d)", txns, fails, httpErrs, latencies,
			resA.Transactions, resB.Transactions, resA.Failed, resB.Failed, resA.HTTPErrors, resB.HTTPErrors, res.Latency.TotalCount())
	}
	var raw int64
	for _, iv := range ivs {
		if iv.Uncorrected != nil {
			raw += iv.Uncorrected.N
		}
	}
	if raw != resB.LatencyUncorrected.TotalCount() {
		t.Fatalf("uncorrected windows hold %d, run B %d", raw, resB.LatencyUncorrected.TotalCount())
	}
}

// TestHlogIntervalsOfForeignLog: a log without loadgen's counter lines gives
// the histograms' counts and says it has no error counts.
func TestHlogIntervalsOfForeignLog(t *testing.T) {
	var buf bytes.Buffer
	w := hdrhistogram.NewHistogramLogWriter(&buf)
	_ = w.OutputStartTime(1764000000000)
	for i := int64(0); i < 3; i++ {
		h := hdrhistogram.New(1, 1_000_000, 3)
		for v := int64(1); v <= 100*(i+1); v++ {
			_ = h.RecordValue(v * 100)
		}
		h.SetStartTimeMs(i * 1000)
		h.SetEndTimeMs((i + 1) * 1000)
		if err := w.OutputIntervalHistogram(h); err != nil {
			t.Fatal(err)
		}
	}
	lg, err := ReadHlog(&buf, "foreign")
	if err != nil {
		t.Fatal(err)
	}
	ivs := HlogIntervals([]*Hlog{lg}, time.Second)
	if len(ivs) != 3 || ivs[2].Transactions != 300 || ivs[2].HasErrors || math.Abs(ivs[2].Latency.Max-30) > 0.03 || math.Abs(ivs[0].Latency.P50-5) > 0.005 {
		t.Fatalf("intervals %+v", ivs)
	}
}

func TestParseCountsRejectsNonsense(t *testing.T) {
	for _, s := range []string{"", "start=x", "start=1 transactions=-1", "start=NaN", "start=1 failed", "length=1"} {
		if _, err := parseCounts(s, 0); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	c, err := parseCounts("start=1.5 length=0.5 transactions=7 failed=1 http_errors=2 future=9", 100)
	if err != nil || c.Transactions != 7 || c.Failed != 1 || c.HTTPErrors != 2 || c.Start.UnixMilli() != 101500 || c.End.UnixMilli() != 102000 {
		t.Fatalf("%+v %v", c, err)
	}
}

// TestSeriesFoldsTheShortLastInterval: the run's last, short interval is
// added to the one before instead of drawing a rate from a sliver of time.
func TestSeriesFoldsTheShortLastInterval(t *testing.T) {
	t0 := time.Unix(1764000000, 0)
	q := func(m float64) Quantiles { return Quantiles{N: 1, P50: m, P90: m, P99: m, Max: m} }
	s := seriesOf([]IntervalStats{
		{Start: t0, Seconds: 1, Transactions: 100, HasErrors: true, Latency: q(1)},
		{Start: t0.Add(time.Second), Seconds: 1, Transactions: 100, HasErrors: true, Latency: q(2)},
		{Start: t0.Add(2 * time.Second), Seconds: 0.01, Transactions: 3, HasErrors: true, Latency: q(9)},
	}, 3000)
	if len(s.T) != 2 || float64(s.Rate[1]) != math.Round(103/1.01*100)/100 || float64(s.Max[1]) != 9 {
		t.Fatalf("series %+v", s)
	}
	a, err1 := s.Rate[0].MarshalJSON()
	b, err2 := num(math.NaN()).MarshalJSON()
	if err1 != nil || err2 != nil || string(a) != "100" || string(b) != "null" {
		t.Fatalf("num encoding: %s %s", a, b)
	}
}
