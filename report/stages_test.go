package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen"
)

// TestStageTable: a shaped run's stages become rows, in text and JSON, that
// add up to the run.
func TestStageTable(t *testing.T) {
	res := sampleResult()
	lat := func(from, to int64) *hdrhistogram.Histogram {
		h := hdrhistogram.New(1, 30_000_001, 3)
		for v := from; v <= to; v++ {
			_ = h.RecordValue(v * 100)
		}
		return h
	}
	res.StageCount = 3
	res.Stages = []loadgen.StageResult{
		{Stage: 1, Start: 0, End: 4 * time.Second, Length: 4 * time.Second, From: 0, To: 50, Users: 24.9, Transactions: 300, Failed: 2, HTTPErrors: 1, Latency: lat(1, 300)},
		{Stage: 2, Start: 4 * time.Second, End: 10 * time.Second, Length: 6 * time.Second, From: 50, To: 50, Hold: true, Users: 50, Transactions: 700, Failed: 8, HTTPErrors: 9, Latency: lat(301, 1000)},
	}
	rp := New(res, "test", 1)
	if len(rp.Stages) != 2 {
		t.Fatalf("rows %+v", rp.Stages)
	}
	var txns, failed, httpErrs int64
	for _, s := range rp.Stages {
		txns, failed, httpErrs = txns+s.Transactions, failed+s.Failed, httpErrs+s.HTTPErrors
	}
	if txns != rp.Transactions || failed != rp.FailedTransactions || httpErrs != rp.HTTPErrors {
		t.Errorf("rows add up to %d/%d/%d, the run is %d/%d/%d", txns, failed, httpErrs, rp.Transactions, rp.FailedTransactions, rp.HTTPErrors)
	}
	s := rp.Stages[0]
	if s.Of != 3 || s.Unit != "users" || s.Rate != 75 || s.LatencyMs.P50 < 14.9 || s.LatencyMs.P50 > 15.1 || s.End != 4 {
		t.Errorf("row 1 %+v", s)
	}
	var text bytes.Buffer
	if err := rp.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Stages (users):", "1/3     0:00-0:04       0 -> 50", "2/3     0:04-0:10       hold 50", "116.7        700"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	// The HTML table says the same as the text.
	var page bytes.Buffer
	if err := (&Page{Report: rp}).WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<td>0 → 50</td>", "<td>hold 50</td>"} {
		if !strings.Contains(page.String(), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	var back Report
	var js bytes.Buffer
	if err := rp.WriteJSON(&js); err != nil || json.Unmarshal(js.Bytes(), &back) != nil {
		t.Fatal(err)
	}
	if len(back.Stages) != 2 || back.Stages[1].Hold != true || back.Stages[1].LatencyMs.P99 == 0 || !strings.Contains(js.String(), `"stages": [`) {
		t.Errorf("JSON stages %+v", back.Stages)
	}
	// Without stages there is no table and no key.
	rp = New(sampleResult(), "test", 1)
	text.Reset()
	js.Reset()
	_ = rp.WriteText(&text)
	_ = rp.WriteJSON(&js)
	if strings.Contains(text.String(), "Stages") || strings.Contains(js.String(), `"stages"`) {
		t.Error("a flat run shows stages")
	}
}

func TestCapacityText(t *testing.T) {
	at := time.Date(2026, 11, 25, 14, 2, 0, 0, time.UTC)
	local := at.Local().Format("15:04:05")
	for _, c := range []struct {
		c    Capacity
		want string
	}{
		{Capacity{BreachStart: at.Format(time.RFC3339Nano), Period: 60, Offset: 130, Target: 140, Unit: "users", Users: 140, Rate: 3400.4, Stage: 2, Stages: 3},
			"the breaching minute began at " + local + ", at 140 users / 3,400 req/s (stage 2 of 3)"},
		{Capacity{BreachStart: at.Format(time.RFC3339Nano), Period: 10, Offset: 30, Target: 2833.3, Unit: "req/s", Users: 200, Rate: 2790},
			"the breaching 10 s period began at " + local + ", at 2,833 req/s scheduled (2,790 req/s completed, 200 users)"},
		{Capacity{BreachStart: at.Format(time.RFC3339Nano), Period: 10, Offset: -1.7, Outside: true, Target: 14, Unit: "users", Users: 14, Rate: 4065, Stage: 1, Stages: 2},
			"the breaching 10 s period began at " + local + ", 1.7 s before the load started; in the rest of it the load reached 14 users / 4,065 req/s (stage 1 of 2)"},
	} {
		if got := c.c.text(); got != c.want {
			t.Errorf("text = %q\nwant   %q", got, c.want)
		}
	}
	a := &Alarm{Name: "cpu", Fired: true, FiredAt: at.Add(70 * time.Second).Format(time.RFC3339Nano), TimeToAlarm: 200,
		Capacity: &Capacity{BreachStart: at.Format(time.RFC3339Nano), Period: 60, Target: 140, Unit: "users", Users: 140, Rate: 3400}}
	if want := "Capacity:\t\tALARM at " + at.Add(70*time.Second).Local().Format("15:04:05") + "; the breaching minute began at " + local; !strings.Contains(a.Text(), want) {
		t.Errorf("alarm text:\n%s\nwant %q", a.Text(), want)
	}
}

// TestHlogCarriesTheLevel: a shaped run's interval log has the level of
// each interval; read back, and merged from two runs at once, the levels add
// up on the time axis.
func TestHlogCarriesTheLevel(t *testing.T) {
	base := server(t)
	stages, err := loadgen.ParseStages("600ms:6,400ms:+6")
	if err != nil {
		t.Fatal(err)
	}
	o := options(0, 0)
	o.Internet, o.Stages, o.Interval = false, stages, 200*time.Millisecond
	targets := []loadgen.Target{{Method: "GET", URL: base + "/"}}
	var logs [2][]byte
	done := make(chan struct{})
	go func() { defer close(done); _, logs[1] = runWithLog(t, targets, o) }()
	res, log := runWithLog(t, targets, o)
	<-done
	logs[0] = log
	lg, err := ReadHlog(bytes.NewReader(logs[0]), "a")
	if err != nil {
		t.Fatal(err)
	}
	if len(lg.Counts) < 4 || len(lg.Counts) != len(lg.Intervals) {
		t.Fatalf("%d levels for %d intervals:\n%s", len(lg.Counts), len(lg.Intervals), logs[0])
	}
	for _, l := range lg.Counts {
		mid := l.Start.Add(l.End.Sub(l.Start) / 2).Sub(res.Start)
		want := 6 * min(mid.Seconds()/0.6, 1) // the mean of a linear ramp is its value at the middle
		end := l.End.Sub(res.Start)           // the stage is the one in force at the end (times are to the ms)
		nearBoundary := end > 595*time.Millisecond && end < 605*time.Millisecond
		if !l.HasTarget || math.Abs(l.Target-want) > 0.2 || (!nearBoundary && (end < 600*time.Millisecond) != (l.Stage == 1)) || l.Stage < 1 {
			t.Errorf("level %+v at %v, want %.2f", l, mid, want)
		}
	}
	lb, err := ReadHlog(bytes.NewReader(logs[1]), "b")
	if err != nil {
		t.Fatal(err)
	}
	_, m, err := MergeHlogs([]*Hlog{lg, lb}, 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	// [0.5 s, 1 s): the intervals starting at 0.6 and 0.8 s of both runs.
	if hold := m.Timeline[1]; hold.Target == nil || math.Abs(*hold.Target-12) > 0.5 {
		t.Errorf("merged: the hold of both runs should be 12 users: %+v", m.Timeline)
	}
}
