package report

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/browsertest"
	"github.com/loadgen/loadgen/loadgen"
)

// shapedPage runs a real shaped load against a local server, its intervals
// recorded as --html does, and makes its page.
func shapedPage(t *testing.T, spec string, rate float64) (*Page, *loadgen.Result) {
	t.Helper()
	base := server(t)
	stages, err := loadgen.ParseStages(spec)
	if err != nil {
		t.Fatal(err)
	}
	o := options(0, 0)
	o.Internet, o.Stages, o.Rate, o.Interval = false, stages, rate, 100*time.Millisecond
	if rate > 0 {
		o.Users = 4
	}
	res, intervals := runRecorded(t, []loadgen.Target{{Method: "GET", URL: base + "/"}}, o)
	return &Page{Report: New(res, "test", 1), Intervals: intervals, Latency: res.Latency}, res
}

// TestShapedPageData: the page's series carry the level of each interval,
// in the shape's unit; a flat run's do not.
func TestShapedPageData(t *testing.T) {
	p, res := shapedPage(t, "600ms:8,400ms:+8", 0)
	d := p.data()
	if d.LevelUnit != "users" || d.Series == nil || len(d.Series.Target) != len(d.Series.T) {
		t.Fatalf("level unit %q, series %+v", d.LevelUnit, d.Series)
	}
	last := float64(d.Series.Target[len(d.Series.Target)-1])
	if math.Abs(last-8) > 1e-9 || float64(d.Series.Target[0]) > 2 {
		t.Errorf("levels %v", d.Series.Target)
	}
	for i, iv := range p.Intervals {
		if want := res.Stages[0].To * min(1, (iv.Start.Sub(res.Start)+time.Duration(iv.Seconds*5e8)).Seconds()/0.6); !iv.HasTarget || math.Abs(iv.Target-want) > 0.3 {
			t.Errorf("interval %d at %v: level %v, want about %v", i, iv.Start.Sub(res.Start), iv.Target, want)
		}
	}
	flat := synthetic(60, false)
	if fd := flat.data(); fd.LevelUnit != "" || fd.Series.Target != nil {
		t.Errorf("a flat run has a level series: %q %v", fd.LevelUnit, fd.Series.Target)
	}
	blob, _ := json.Marshal(d)
	if !strings.Contains(string(blob), `"level_unit":"users"`) {
		t.Errorf("page data lacks the level: %.300s", blob)
	}
}

// TestShapedPagesInBrowser: a closed-model ramp's page draws the users
// over time above the throughput and lists the stages; an open-model ramp's
// draws the target rate beside the achieved one; the capacity at the alarm
// is in the verdict.
func TestShapedPagesInBrowser(t *testing.T) {
	p, res := shapedPage(t, "600ms:8,400ms:+8", 0)
	start := res.Start.Truncate(time.Second)
	p.Report.Alarm = &Alarm{Name: "cpu", Fired: true, FiredAt: start.Add(2 * time.Second).Format(time.RFC3339Nano), TimeToAlarm: 1.5,
		FinalState: "ALARM", Threshold: 50, Comparison: "GreaterThanThreshold", Period: 1, EvaluationPeriods: 1, DatapointsToAlarm: 1,
		Changes:  []AlarmChange{{Time: start.Add(2 * time.Second).Format(time.RFC3339Nano), From: "OK", To: "ALARM"}},
		Capacity: &Capacity{BreachStart: start.Add(time.Second).Format(time.RFC3339Nano), Period: 1, Offset: 0.4, Target: 5, Unit: "users", Users: 5, Rate: 900, Stage: 1, Stages: 2}}
	path, _ := render(t, p, t.TempDir())
	pg := browsertest.Open(t, path, 1280, 900)
	browsertest.CheckCharts(t, pg, "load", "throughput", "errors", "latency", "distribution")
	checkNumbers(t, pg, p.Report)
	rows := browsertest.Eval[[]string](t, pg, `[...document.querySelectorAll("#stage-table tbody tr")].map(r => r.textContent)`)
	if len(rows) != 2 || !strings.Contains(rows[0], "1/2") || !strings.Contains(rows[0], "0 → 8") || !strings.Contains(rows[1], "hold 8") {
		t.Errorf("stage rows %q", rows)
	}
	txns := browsertest.Eval[[]string](t, pg, `[...document.querySelectorAll("#stage-table td[data-key=transactions]")].map(c => c.textContent)`)
	var sum int64
	for _, s := range txns {
		var n int64
		for _, c := range s {
			if c >= '0' && c <= '9' {
				n = n*10 + int64(c-'0')
			}
		}
		sum += n
	}
	if sum != res.Transactions {
		t.Errorf("the stage rows show %d transactions, the run %d", sum, res.Transactions)
	}
	if got := browsertest.Eval[string](t, pg, `document.getElementById("alarm-capacity").textContent`); !strings.Contains(got, "at 5 users / 900 req/s (stage 1 of 2)") {
		t.Errorf("capacity shown as %q", got)
	}

	p, _ = shapedPage(t, "500ms:2000,300ms:+2000", 200)
	path, _ = render(t, p, t.TempDir())
	pg = browsertest.Open(t, path, 1280, 900)
	browsertest.CheckCharts(t, pg, "throughput", "errors", "latency", "distribution")
	labels := browsertest.Eval[[]string](t, pg, `window.loadgenReport.plots[0].series.map(s => s.label || "")`)
	if strings.Join(labels, ",") != "time,transactions/s,target rate" {
		t.Errorf("throughput series %q", labels)
	}
}
