package report

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/loadgen"
)

// server is a fasthttp server on 127.0.0.1 whose latency varies with the
// path, so histograms have some shape.
func server(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if string(ctx.Path()) == "/slow" {
			time.Sleep(2 * time.Millisecond)
		}
		if string(ctx.Path()) == "/missing" {
			ctx.SetStatusCode(404)
		}
		ctx.SetBodyString("ok")
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

// runEngine runs the engine on targets with o, for 30 s at the most.
func runEngine(t *testing.T, targets []loadgen.Target, o loadgen.Options) *loadgen.Result {
	t.Helper()
	r, err := loadgen.New(targets, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// runRecorded is runEngine with the intervals recorded as --html does.
func runRecorded(t *testing.T, targets []loadgen.Target, o loadgen.Options) (*loadgen.Result, []IntervalStats) {
	t.Helper()
	rec := &IntervalRecorder{}
	o.OnInterval = rec.Add
	res := runEngine(t, targets, o)
	return res, rec.Intervals()
}

// runWithLog runs the engine with OnInterval writing an interval log.
func runWithLog(t *testing.T, targets []loadgen.Target, o loadgen.Options) (*loadgen.Result, []byte) {
	t.Helper()
	var buf bytes.Buffer
	var hw *HlogWriter
	var werr error
	var mu sync.Mutex
	o.OnInterval = func(iv loadgen.Interval) {
		mu.Lock()
		defer mu.Unlock()
		if hw == nil {
			hw, werr = NewHlogWriter(&buf, iv.Start, "loadgen test")
		}
		if werr == nil {
			werr = hw.WriteInterval(iv)
		}
	}
	res := runEngine(t, targets, o)
	if werr == nil && hw != nil {
		werr = hw.WriteTotals(res)
	}
	if werr != nil {
		t.Fatal(werr)
	}
	return res, buf.Bytes()
}

func options(users int, d time.Duration) loadgen.Options {
	o := loadgen.DefaultOptions()
	o.Users, o.Duration, o.Timeout, o.Seed = users, d, 5*time.Second, 7
	o.Interval = 100 * time.Millisecond
	o.Internet = true
	return o
}

// TestMergeOfConcurrentRunsIsTheirUnion: two runs at the same time (as on
// two machines) each write a log; merging the logs gives exactly the counts
// of both runs and the percentiles of the union of their histograms.
func TestMergeOfConcurrentRunsIsTheirUnion(t *testing.T) {
	base := server(t)
	targets := []loadgen.Target{{Method: "GET", URL: base + "/"}, {Method: "GET", URL: base + "/slow"}, {Method: "GET", URL: base + "/missing"}}
	var wg sync.WaitGroup
	var resA, resB *loadgen.Result
	var logA, logB []byte
	wg.Add(2)
	go func() { defer wg.Done(); resA, logA = runWithLog(t, targets, options(3, 600*time.Millisecond)) }()
	go func() {
		defer wg.Done()
		o := options(5, 900*time.Millisecond)
		o.Rate = 800
		resB, logB = runWithLog(t, targets, o)
	}()
	wg.Wait()
	if t.Failed() {
		return
	}
	a, err := ReadHlog(bytes.NewReader(logA), "a.hlog")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadHlog(bytes.NewReader(logB), "b.hlog")
	if err != nil {
		t.Fatal(err)
	}
	res, m, err := MergeHlogs([]*Hlog{a, b}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	union := hdrhistogram.New(1, resA.Latency.HighestTrackableValue(), 3)
	union.Merge(resA.Latency)
	union.Merge(resB.Latency)
	if got, want := res.Latency.TotalCount(), resA.Transactions+resB.Transactions; got != want || want == 0 {
		t.Fatalf("merged count %d, want %d", got, want)
	}
	if !res.Latency.Equals(union) {
		t.Fatal("merged histogram differs from the union of the runs' histograms")
	}
	for _, p := range []float64{0, 50, 90, 99, 99.9, 100} {
		if g, w := res.Latency.ValueAtPercentile(p), union.ValueAtPercentile(p); g != w {
			t.Fatalf("p%v: merged %d µs, union %d µs", p, g, w)
		}
	}
	if !m.TotalsExact || res.Transactions != resA.Transactions+resB.Transactions ||
		res.HTTPErrors != resA.HTTPErrors+resB.HTTPErrors || res.Status[404] != resA.Status[404]+resB.Status[404] ||
		res.Bytes != resA.Bytes+resB.Bytes || res.Users != 3+5 {
		t.Fatalf("counters: %d transactions, %d http errors, %d bytes, %d users", res.Transactions, res.HTTPErrors, res.Bytes, res.Users)
	}
	if res.LatencyUncorrected == nil || !res.LatencyUncorrected.Equals(resB.LatencyUncorrected) {
		t.Fatal("uncorrected intervals should merge to run B's uncorrected histogram")
	}
	if res.Rate == nil || res.Rate.Target != 800 || res.Rate.Sent != resB.Rate.Sent || res.Rate.Users != resB.Rate.Users ||
		res.Rate.MaxLag != resB.Rate.MaxLag.Truncate(time.Microsecond) {
		t.Fatalf("rate: %+v", res.Rate)
	}
	// On absolute time: the merged span covers both runs.
	earliest := resA.Start
	if resB.Start.Before(earliest) {
		earliest = resB.Start
	}
	if d := res.Start.Sub(earliest); d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("merged start %v, runs started at %v and %v", res.Start, resA.Start, resB.Start)
	}
	var tl int64
	for _, p := range m.Timeline {
		tl += p.Count
	}
	if tl != res.Latency.TotalCount() {
		t.Fatalf("timeline holds %d values, want %d", tl, res.Latency.TotalCount())
	}
	rp := New(res, "test", 0)
	rp.Merged = m
	var out bytes.Buffer
	if err := rp.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Merged:") || !strings.Contains(out.String(), "2 logs") {
		t.Fatalf("text report:\n%s", out.String())
	}
}

// TestHdrHistogramReaderReadsOurLog: hdrhistogram-go's own log reader
// reads every interval, with tags and absolute times.
func TestHdrHistogramReaderReadsOurLog(t *testing.T) {
	base := server(t)
	o := options(2, 500*time.Millisecond)
	o.Rate = 500
	res, log := runWithLog(t, []loadgen.Target{{Method: "GET", URL: base + "/"}}, o)
	rd := hdrhistogram.NewHistogramLogReader(bytes.NewReader(log))
	var count, raw int64
	n := 0
	for {
		h, err := rd.NextIntervalHistogram()
		if err != nil {
			t.Fatalf("reader: %v\n%s", err, log)
		}
		if h == nil {
			break
		}
		n++
		if start := time.UnixMilli(h.StartTimeMs()); start.Before(res.Start.Add(-time.Second)) || start.After(res.End.Add(time.Second)) {
			t.Fatalf("interval %d starts at %v, outside the run %v..%v", n, start, res.Start, res.End)
		}
		switch h.Tag() {
		case "":
			count += h.TotalCount()
		case UncorrectedTag:
			raw += h.TotalCount()
		default:
			t.Fatalf("unexpected tag %q", h.Tag())
		}
	}
	if n < 4 || count != res.Latency.TotalCount() || raw != res.LatencyUncorrected.TotalCount() {
		t.Fatalf("%d intervals, %d + %d values; run had %d", n, count, raw, res.Transactions)
	}
	if !bytes.HasPrefix(log, []byte("#[loadgen test]\n#[Histogram log format version 1.3]\n#[StartTime: ")) {
		t.Fatalf("header:\n%s", log[:200])
	}
}

func TestReadHlogOfForeignLog(t *testing.T) {
	// Written by hdrhistogram-go's writer, with relative times and no BaseTime.
	h := hdrhistogram.New(1, 1000000, 3)
	for v := int64(1); v <= 1000; v++ {
		_ = h.RecordValue(v * 10)
	}
	var buf bytes.Buffer
	w := hdrhistogram.NewHistogramLogWriter(&buf)
	start := int64(1764000000000)
	_ = w.OutputStartTime(start)
	_ = w.OutputLegend()
	h.SetStartTimeMs(1000)
	h.SetEndTimeMs(2000)
	h.SetTag("A")
	if err := w.OutputIntervalHistogram(h); err != nil {
		t.Fatal(err)
	}
	lg, err := ReadHlog(&buf, "x")
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Intervals) != 1 || lg.Intervals[0].Tag != "A" || lg.Intervals[0].Histogram.TotalCount() != 1000 {
		t.Fatalf("intervals %+v", lg.Intervals)
	}
	if got := lg.Intervals[0].Start.UnixMilli(); got != start+1000 {
		t.Fatalf("relative start read as %d, want %d", got, start+1000)
	}
}

func TestReportRateFields(t *testing.T) {
	base := server(t)
	o := options(1, 0)
	o.Internet = false
	o.Reps = 20
	o.Rate = 100000 // far more than one user can do: the schedule falls behind
	o.OnInterval = nil
	res := runEngine(t, []loadgen.Target{{Method: "GET", URL: base + "/slow"}}, o)
	rp := New(res, "test", 1)
	js, err := json.Marshal(rp)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	rate, ok := m["rate"].(map[string]any)
	if !ok || rate["target"] != 100000.0 || rate["corrected"] != true || rate["short"] != true || rate["sent"] != 20.0 {
		t.Fatalf("rate JSON: %v", m["rate"])
	}
	if _, ok := m["latency_ms_uncorrected"].(map[string]any); !ok {
		t.Fatalf("no latency_ms_uncorrected: %s", js)
	}
	if rp.LatencyMs.P99 < rp.LatencyMsUncorrected.P99 {
		t.Fatalf("corrected p99 %v below raw %v", rp.LatencyMs.P99, rp.LatencyMsUncorrected.P99)
	}
	var out bytes.Buffer
	_ = rp.WriteText(&out)
	for _, want := range []string{"Latency percentiles:", "Uncorrected percentiles:", "Request rate:", "Warning: the achieved rate"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("text lacks %q:\n%s", want, out.String())
		}
	}
}

func FuzzReadHlog(f *testing.F) {
	h := hdrhistogram.New(1, 30000001, 3)
	_ = h.RecordValue(1234)
	payload, _ := h.EncodeV2()
	f.Add("#[StartTime: 1764000000.000 (seconds since epoch), x]\n#[BaseTime: 1764000000.000 (seconds since epoch)]\n0.000,1.000,1.234," + string(payload) + "\n")
	f.Add("Tag=uncorrected,0.5,1.0,0.1," + string(payload) + "\n#[loadgen-totals: {\"transactions\":1}]\n")
	f.Add("0.000,1.000,1.234," + string(payload) + "\n#[loadgen-interval: start=0.000 length=1.000 transactions=1 failed=0 http_errors=0]\n")
	f.Add("\"StartTimestamp\",\"Interval_Length\"\n# comment\n1,2,3,HISTFAAAA\n")
	f.Add("Tag=,1,2,3,x\n")
	f.Add("0.000,1.000,1.234," + string(payload) + "\n#[loadgen-interval: start=0.000 length=1.000 transactions=3 failed=0 http_errors=0 target=12.5 stage=2]\n")
	f.Add("#[StartTime: 99999999999999999999]\n")
	f.Add("0.000,1.000,1.234," + string(payload) + "\n#[loadgen-totals: {\"transactions\":3,\"status\":{\"200\":2,\"503\":1},\"shortest_us\":900,\"longest_us\":1200,\"sum_latency_us\":3000}]\n")
	f.Add("0.000,1.000,1.234," + string(payload) + "\n#[loadgen-totals: {\"transactions\":3,\"status\":{\"200\":2}}]\n")
	f.Fuzz(func(t *testing.T, s string) {
		lg, err := ReadHlog(strings.NewReader(s), "fuzz")
		if err != nil {
			return
		}
		for _, iv := range lg.Intervals {
			if iv.Histogram == nil || iv.End.Before(iv.Start) {
				t.Fatalf("bad interval %+v", iv)
			}
		}
		for _, c := range lg.Counts {
			if c.End.Before(c.Start) || c.Transactions < 0 || c.Failed < 0 || c.HTTPErrors < 0 {
				t.Fatalf("bad counts %+v", c)
			}
		}
		if len(lg.Intervals) > 0 {
			HlogIntervals([]*Hlog{lg}, time.Second)
			res, _, err := MergeHlogs([]*Hlog{lg}, time.Second)
			if err != nil && !strings.Contains(err.Error(), "outside") {
				t.Fatalf("merge of a readable log: %v", err)
			}
			if err == nil {
				if err := New(res, "fuzz", 1).Check(); err != nil {
					t.Fatalf("report of a merged log: %v", err)
				}
			}
		}
	})
}

// BenchmarkWriteInterval is the other half of an --hlog interval boundary:
// encoding and writing the interval's histogram (compressed, base64).
func BenchmarkWriteInterval(b *testing.B) {
	h := hdrhistogram.New(1, 30_000_001, 3)
	for i := int64(0); i < 200_000; i++ {
		_ = h.RecordValue(100 + i*7919%50_000)
	}
	start := time.Now()
	hw, err := NewHlogWriter(io.Discard, start, "bench")
	if err != nil {
		b.Fatal(err)
	}
	iv := loadgen.Interval{Start: start, End: start.Add(time.Second), Latency: h}
	for b.Loop() {
		if err := hw.WriteInterval(iv); err != nil {
			b.Fatal(err)
		}
	}
}
