package report

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen"
)

// synthetic is a page of n one-second intervals: a ramp to 5,000
// transactions/s, some errors, a latency spike, and an alarm on a CPU
// metric that fires 40 s after the load reaches full rate.
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
		h := hdrhistogram.New(1, 30_000_001, 3)
		load := math.Min(1, float64(i)/60)
		count := int64(50 + 4950*load)
		base := 800 + 4000*load
		if i%97 == 50 {
			base *= 20 // a stall
		}
		for j := int64(0); j < 200; j++ {
			_ = h.RecordValues(int64(base*(0.5+rng.ExpFloat64())), count/200)
		}
		all.Merge(h)
		s := IntervalStats{Start: start.Add(time.Duration(i) * time.Second), Seconds: 1, Transactions: h.TotalCount(),
			HasErrors: true, Latency: QuantilesOf(h)}
		if i%13 == 0 {
			s.Failed = int64(rng.IntN(20))
		}
		s.HTTPErrors = int64(load * 10 * rng.Float64())
		if rate {
			u := hdrhistogram.New(1, 30_000_001, 3)
			for j := int64(0); j < 100; j++ {
				_ = u.RecordValues(int64(base*0.6*(0.5+rng.ExpFloat64())), h.TotalCount()/100)
			}
			raw.Merge(u)
			q := QuantilesOf(u)
			s.Uncorrected = &q
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
		ErrorSamples: map[string]string{"timeout": "GET http://ann:s3cret@shop.example.com/cart: i/o timeout", "reset": "GET http://shop.example.com/: connection reset by peer"},
		Reason: "alarm",
	}
	if rate {
		res.Rate = &loadgen.RateResult{Target: 5000, Achieved: 4990, Scheduled: txns, Sent: txns, MaxLag: 3 * time.Millisecond, Users: 200, MaxUsers: 400}
	}
	rp := New(res, "v0.1.0-test", 12)
	rp.Target = "http://ann:s3cret@shop.example.com/"
	fired := start.Add(100 * time.Second)
	rp.Alarm = &Alarm{Name: "ecsdemo-frontend-cpu-high", Fired: true, FiredAt: fired.Format(time.RFC3339Nano), TimeToAlarm: 100,
		FinalState: "ALARM", Threshold: 50, Comparison: "GreaterThanThreshold", Period: 10, EvaluationPeriods: 1, DatapointsToAlarm: 1,
		Changes: []AlarmChange{
			{Time: start.Add(15 * time.Second).Format(time.RFC3339Nano), From: "INSUFFICIENT_DATA", To: "OK", Reason: "Threshold Crossed: 1 datapoint [12.0] was not greater than the threshold (50.0)."},
			{Time: fired.Format(time.RFC3339Nano), From: "OK", To: "ALARM", Reason: "Threshold Crossed: 1 datapoint [63.5] was greater than the threshold (50.0)."},
		}}
	var samples []AlarmSample
	for t := -20; t < n+30 && t < 4000; t += 10 {
		cpu := 10 + 70*math.Min(1, math.Max(0, float64(t-30))/90)
		samples = append(samples, NewAlarmSample(start.Add(time.Duration(t)*time.Second), cpu))
	}
	rp.Alarm.SetSamples(samples)
	return &Page{Report: rp, Command: []string{"-c", "200", "--until-alarm", "-H", "Authorization: Bearer abc", "--html", "run.html"},
		Intervals: ivs, Latency: all, Uncorrected: raw}
}

func writePage(t testing.TB, p *Page, dir string) (string, []byte) {
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

var _ = context.Background
var _ sync.Mutex
