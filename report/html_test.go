package report

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen"
)

// synthetic is a page of n one-second intervals: a ramp over the first
// minute to 5,000 transactions/s, a latency stall every 97 s, some socket
// and HTTP errors, and an alarm on a CPU metric that rises with the load and
// fires at 100 s. With rate, it is an open-model run with uncorrected
// latency too.
func synthetic(n int, rate bool) *Page {
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	all := hdrhistogram.New(1, 30_000_001, 3)
	var raw *hdrhistogram.Histogram
	if rate {
		raw = hdrhistogram.New(1, 30_000_001, 3)
	}
	var ivs []IntervalStats
	var txns, fails, httpErrs int64
	for i := 0; i < n; i++ {
		load := math.Min(1, float64(i+1)/60)
		count := int64(50 + 4950*load)
		base := 0.8 + 4*load // ms
		if i%97 == 50 {
			base *= 40 // a stall
		}
		q := Quantiles{N: count, P50: round(base*(1+0.1*rng.Float64()), 3), P90: round(base*2.5, 3), P99: round(base*6*(1+rng.Float64()), 3)}
		q.Max = round(q.P99*(1.5+rng.Float64()), 3)
		for _, v := range []struct{ ms, share float64 }{{q.P50, 0.5}, {q.P90, 0.4}, {q.P99, 0.09}, {q.Max, 0.01}} {
			_ = all.RecordValues(int64(v.ms*1000), max(1, int64(float64(count)*v.share)))
		}
		s := IntervalStats{Start: start.Add(time.Duration(i) * time.Second), Seconds: 1, Transactions: count, HasErrors: true, Latency: q}
		if i%13 == 0 {
			s.Failed = int64(rng.IntN(20))
		}
		s.HTTPErrors = int64(load * 10 * rng.Float64())
		if rate {
			u := Quantiles{N: count, P50: round(q.P50*0.6, 3), P90: round(q.P90*0.6, 3), P99: round(q.P99*0.5, 3), Max: round(q.Max*0.5, 3)}
			_ = raw.RecordValues(int64(u.P50*1000), count)
			s.Uncorrected = &u
		}
		txns += s.Transactions
		fails += s.Failed
		httpErrs += s.HTTPErrors
		ivs = append(ivs, s)
	}
	end := start.Add(time.Duration(n) * time.Second)
	res := &loadgen.Result{
		Start: start, End: end, Elapsed: end.Sub(start), Users: 200, Transactions: txns, Successful: txns - httpErrs,
		Failed: fails, HTTPErrors: httpErrs, Bytes: txns * 2100, SumLatency: time.Duration(all.Mean()*float64(all.TotalCount())) * time.Microsecond,
		Shortest: time.Duration(all.Min()) * time.Microsecond, Longest: time.Duration(all.Max()) * time.Microsecond,
		Latency: all, LatencyUncorrected: raw,
		Status: map[int]int64{200: txns - httpErrs - 40, 301: 40, 404: httpErrs / 3, 503: httpErrs - httpErrs/3},
		Errors: map[string]int64{"timeout": fails - 3, "refused": 0, "reset": 3, "dns": 0, "tls": 0, "other": 0},
		ErrorSamples: map[string]string{"timeout": "GET http://ann:s3cret@shop.example.com/cart: i/o timeout",
			"reset": "GET http://shop.example.com/: connection reset by peer"},
		Reason: "cancelled",
	}
	if rate {
		res.Rate = &loadgen.RateResult{Target: 5000, Achieved: 4990, Scheduled: txns, Sent: txns, MaxLag: 3 * time.Millisecond, Users: 200, MaxUsers: 400}
	}
	rp := New(res, "v0.1.0-test", 12)
	rp.EndedBy = "alarm"
	rp.Target = "http://ann:s3cret@shop.example.com/"
	rp.Alarm = syntheticAlarm(start, n)
	return &Page{Report: rp, Intervals: ivs, Latency: all, Uncorrected: raw,
		Command: []string{"-c", "200", "--until-alarm", "-H", "Authorization: Bearer s3cret-token", "--html", "run.html"}}
}

// syntheticAlarm fires 100 s after start, with a sample every 10 s (from
// 20 s before the load) rising from 10 to 80.
func syntheticAlarm(start time.Time, n int) *Alarm {
	fired := start.Add(100 * time.Second)
	a := &Alarm{Name: "ecsdemo-frontend-cpu-high", Fired: true, FiredAt: fired.Format(time.RFC3339Nano), TimeToAlarm: 100,
		FinalState: "ALARM", Threshold: 50, Comparison: "GreaterThanThreshold", Period: 10, EvaluationPeriods: 1, DatapointsToAlarm: 1,
		Changes: []AlarmChange{
			{Time: start.Add(15 * time.Second).Format(time.RFC3339Nano), From: "INSUFFICIENT_DATA", To: "OK", Reason: "Threshold Crossed: 1 datapoint [12.0] was not greater than the threshold (50.0)."},
			{Time: fired.Format(time.RFC3339Nano), From: "OK", To: "ALARM", Reason: "Threshold Crossed: 1 datapoint [63.5] was greater than the threshold (50.0)."},
		}}
	var samples []AlarmSample
	for t := -20; t < n+10 && t < 3600; t += 10 {
		cpu := 10 + 70*math.Min(1, math.Max(0, float64(t-30))/90)
		samples = append(samples, NewAlarmSample(start.Add(time.Duration(t)*time.Second), cpu))
	}
	a.SetSamples(samples)
	return a
}

// render writes the page into dir and returns its path and bytes.
func render(t testing.TB, p *Page, dir string) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := p.WriteHTML(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "report.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// pageDataOf extracts the page's JSON data.
func pageDataOf(t testing.TB, html []byte) pageDataJSON {
	t.Helper()
	const open = `<script type="application/json" id="data">`
	i := bytes.Index(html, []byte(open))
	j := bytes.Index(html[i:], []byte("</script>"))
	if i < 0 || j < 0 {
		t.Fatal("no data element in the page")
	}
	var d pageDataJSON
	if err := json.Unmarshal(html[i+len(open):i+j], &d); err != nil {
		t.Fatalf("page data: %v", err)
	}
	return d
}

// pageDataJSON reads pageData back (nulls as NaN-free pointers).
type pageDataJSON struct {
	Start, End float64
	Series     *struct {
		Intervals, Merged int
		Step              float64
		HasErrors         bool `json:"has_errors"`
		T, Rate, Failed   []*float64
		Max, P99          []*float64
		U50               []*float64
	}
	Dist *struct {
		Summary bool
		X, Y, U []float64
	}
	Alarm *struct {
		T, V    []float64
		FiredAt *float64 `json:"fired_at"`
		Bands   []struct {
			From, To *float64
			State    string
		}
	}
}

// TestPageSizeAndDownsampling: a 10-minute run's page, and a 10-hour one's,
// stay well under 2 MB; past 3,000 intervals points merge, keeping the
// highest latency and the exact count.
func TestPageSizeAndDownsampling(t *testing.T) {
	for _, n := range []int{600, 36_000} {
		p := synthetic(n, true)
		start := time.Now()
		_, html := render(t, p, t.TempDir())
		t.Logf("%d intervals: page %d bytes (%.0f KB), rendered by Go in %v", n, len(html), float64(len(html))/1024, time.Since(start))
		if len(html) > 2<<20 {
			t.Fatalf("%d intervals: page %d bytes, want under 2 MB", n, len(html))
		}
		d := pageDataOf(t, html)
		s := d.Series
		wantK := (n + 2999) / 3000
		if s == nil || s.Merged != wantK || len(s.T) != (n+wantK-1)/wantK || len(s.Rate) != len(s.T) || !s.HasErrors || len(s.U50) != len(s.T) {
			t.Fatalf("%d intervals: series %+v", n, s)
		}
		var top, got, txns, counted float64
		for _, iv := range p.Intervals {
			top = math.Max(top, iv.Latency.Max)
			txns += float64(iv.Transactions)
		}
		for i, v := range s.Max {
			got = math.Max(got, *v)
			counted += *s.Rate[i] * float64(min(wantK, n-i*wantK))
		}
		if got != top {
			t.Errorf("%d intervals: the highest latency drawn is %v ms, the run's %v ms", n, got, top)
		}
		if math.Abs(counted-txns) > txns*1e-6 {
			t.Errorf("%d intervals: the points hold %.0f transactions, the run %.0f", n, counted, txns)
		}
	}
}

// TestPageRedactsSecrets: no header value and no URL password reaches the
// page, wherever it came from.
func TestPageRedactsSecrets(t *testing.T) {
	p := synthetic(30, false)
	p.Report.Notes = []string{"crawl of https://bob:hunter2@site.example/ failed"}
	_, html := render(t, p, t.TempDir())
	for _, secret := range []string{"s3cret", "hunter2", "Bearer"} {
		if bytes.Contains(html, []byte(secret)) {
			t.Errorf("the page contains %q", secret)
		}
	}
	for _, want := range []string{"ann:xxxxx@shop.example.com", "Authorization: xxxxx", "bob:xxxxx@site.example"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// TestPageFromReportAlone: without intervals or histograms the page says
// so, and draws the distribution from the report's percentiles.
func TestPageFromReportAlone(t *testing.T) {
	full := synthetic(200, false)
	p := &Page{Report: full.Report}
	_, html := render(t, p, t.TempDir())
	d := pageDataOf(t, html)
	if d.Series != nil || d.Dist == nil || !d.Dist.Summary || len(d.Dist.X) != 6 || d.Alarm == nil || len(d.Alarm.T) == 0 {
		t.Fatalf("data %+v", d)
	}
	if !bytes.Contains(html, []byte("No per-interval data")) || !bytes.Contains(html, []byte("from the report&#39;s percentiles only")) {
		t.Error("the page does not say what it lacks")
	}
}

// TestAlarmBands: the states over time follow the changes: the first
// change's From before it, each To after it, open at both ends.
func TestAlarmBands(t *testing.T) {
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	d := alarmOf(syntheticAlarm(start, 200))
	if len(d.Bands) != 3 || d.Bands[0].State != "INSUFFICIENT_DATA" || d.Bands[1].State != "OK" || d.Bands[2].State != "ALARM" {
		t.Fatalf("bands %+v", d.Bands)
	}
	if !math.IsNaN(float64(d.Bands[0].From)) || float64(d.Bands[1].From) != float64(start.Unix()+15) ||
		float64(d.Bands[2].From) != float64(start.Unix()+100) || !math.IsNaN(float64(d.Bands[2].To)) {
		t.Fatalf("band times %+v", d.Bands)
	}
	if d.FiredAt == nil || float64(*d.FiredAt) != float64(start.Unix()+100) || d.Cmp != ">" {
		t.Fatalf("fired %v cmp %q", d.FiredAt, d.Cmp)
	}
	none := alarmOf(&Alarm{Name: "x", FinalState: "OK"})
	if len(none.Bands) != 1 || none.Bands[0].State != "OK" {
		t.Fatalf("no changes: %+v", none.Bands)
	}
}

// TestAlarmSamplesOnePerDatapoint: a datapoint polled again keeps its
// latest value; samples come out in time order.
func TestAlarmSamplesOnePerDatapoint(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	a := &Alarm{}
	a.SetSamples([]AlarmSample{
		NewAlarmSample(t0.Add(10*time.Second), 30), NewAlarmSample(t0, 10), NewAlarmSample(t0.Add(10*time.Second), 45),
		{Time: "not a time", Value: 1}, NewAlarmSample(t0.Add(20*time.Second), math.NaN()),
	})
	if len(a.Samples) != 2 || a.Samples[0].Value != 10 || a.Samples[1].Value != 45 {
		t.Fatalf("samples %+v", a.Samples)
	}
}

// TestThresholdsInTheVerdict: the --fail-on thresholds appear in the
// verdict with their measured values and results.
func TestThresholdsInTheVerdict(t *testing.T) {
	p := synthetic(5, false)
	p.Report.Thresholds = []ThresholdResult{
		{Expression: "p99 > 250ms", Metric: "p99", Op: ">", Limit: 250, Unit: "ms", Measured: 312.5, Passed: false},
		{Expression: "errors > 1%", Metric: "errors", Op: ">", Limit: 1, Unit: "%", Measured: 0.2, Passed: true},
		{Expression: "rate < 100", Metric: "rate", Op: "<", Limit: 100, Unit: "/s", Measured: 4000, Passed: true},
	}
	_, html := render(t, p, t.TempDir())
	for _, want := range []string{
		`<tr class="fail"><td><code>p99 &gt; 250ms</code></td><td class="num">312.5 ms</td><td class="result">CROSSED</td>`,
		`<tr class="pass"><td><code>errors &gt; 1%</code></td><td class="num">0.2%</td><td class="result">held</td>`,
		`<td class="num">4000/s</td>`,
		`1 of 3 thresholds crossed: the run failed.`,
	} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("the page lacks %s", want)
		}
	}
}

func TestUPlotVersionIsRecorded(t *testing.T) {
	js, err := assets.ReadFile("assets/uplot/uPlot.iife.min.js")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("assets/uplot/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js[:100], []byte("(v"+UPlotVersion+")")) || !bytes.Contains(readme, []byte("**"+UPlotVersion+"**")) {
		t.Fatalf("UPlotVersion %s is not the embedded file's (%q) or the README's", UPlotVersion, js[:60])
	}
}

// TestHTMLNoErrorsNamesEveryClass: the "none" line of the socket-errors
// table names every class the engine has, from loadgen.ErrorClasses.
func TestHTMLNoErrorsNamesEveryClass(t *testing.T) {
	res := sampleResult()
	for k := range res.Errors {
		res.Errors[k] = 0
	}
	res.Failed = 0
	var b strings.Builder
	if err := (&Page{Report: New(res, "test", 1)}).WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range loadgen.ErrorClasses() {
		names = append(names, c.String())
	}
	if want := "none (" + strings.Join(names, ", ") + ": 0)"; !strings.Contains(b.String(), want) {
		t.Errorf("the page lacks %q", want)
	}
}
