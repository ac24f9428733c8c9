package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/loadgen"
)

func TestParseThreshold(t *testing.T) {
	good := []struct {
		expr   string
		metric string
		op     string
		value  float64
		unit   string
	}{
		{"p99 > 250ms", "p99", ">", 250, "ms"},
		{"p99>250ms", "p99", ">", 250, "ms"},
		{"  P99.9 >= 1.5 s ", "p99.9", ">=", 1500, "ms"},
		{"p50 < 800us", "p50", "<", 0.8, "ms"},
		{"p95 <= 2µs", "p95", "<=", 0.002, "ms"},
		{"max > 3s", "max", ">", 3000, "ms"},
		{"mean > 10ms", "mean", ">", 10, "ms"},
		{"errors > 1%", "errors", ">", 1, "%"},
		{"errors > 0", "errors", ">", 0, ""},
		{"http_errors >= 10", "http_errors", ">=", 10, ""},
		{"http_errors > 0.5%", "http_errors", ">", 0.5, "%"},
		{"availability < 99.9%", "availability", "<", 99.9, "%"},
		{"availability < 99.9", "availability", "<", 99.9, "%"},
		{"rate < 2000", "rate", "<", 2000, "/s"},
		{"rate < 2000/s", "rate", "<", 2000, "/s"},
		{"throughput < 10 MB/s", "throughput", "<", 10, "MB/s"},
	}
	for _, g := range good {
		th, err := ParseThreshold(g.expr)
		if err != nil {
			t.Errorf("%q: %v", g.expr, err)
			continue
		}
		if th.Metric != g.metric || th.Op != g.op || math.Abs(th.Value-g.value) > 1e-12 || th.Unit != g.unit || th.Expr != g.expr {
			t.Errorf("%q: got %+v", g.expr, th)
		}
	}
	bad := map[string]string{
		"p99 250ms":          "want METRIC OP VALUE",
		"> 250ms":            "no metric",
		"p99 >":              "want a number",
		"p99 > ms":           "want a number",
		"p99 > 250":          "needs a unit",
		"p99 > 250 min":      "unknown unit",
		"p98 > 250ms":        "unknown metric",
		"p99 = 250ms":        "want METRIC OP VALUE",
		"p99 => 250ms":       "unknown metric",
		"p99 >> 250ms":       "want a number",
		"p99 > 1.2.3ms":      "bad number",
		"errors > 1 per sec": "unknown unit",
		"errors > 101%":      "at most 100",
		"availability < 9s":  "percentage",
		"rate < 20 MB/s":     "transactions per second",
		"throughput < 1%":    "MB per second",
		"p99 > -5ms":         "want a number",
	}
	for expr, want := range bad {
		_, err := ParseThreshold(expr)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), fmt.Sprintf("%q", expr)) {
			t.Errorf("%q: error %v, want one quoting the expression and saying %q", expr, err, want)
		}
	}
}

func mustThresholds(t *testing.T, exprs ...string) []Threshold {
	t.Helper()
	var ts []Threshold
	for _, e := range exprs {
		th, err := ParseThreshold(e)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, th)
	}
	return ts
}

// TestThresholdsDecideOnTheReport uses sampleResult: 1000 transactions,
// 10 socket failures, 10 HTTP errors, latencies 0.1..100 ms uniform, 100/s.
func TestThresholdsDecideOnTheReport(t *testing.T) {
	rp := New(sampleResult(), "test", 1)
	if rp.LatencyMs.P95 < 94.5 || rp.LatencyMs.P95 > 95.5 {
		t.Fatalf("p95 = %v, want about 95 ms", rp.LatencyMs.P95)
	}
	cases := []struct {
		expr     string
		passed   bool
		measured float64
	}{
		{"p99 > 250ms", true, 99},
		{"p99 > 50ms", false, 99},
		{"p95 >= 0.09s", false, 95},
		{"p50 < 60ms", false, 50},
		{"max > 100ms", true, 100},
		{"max >= 100ms", false, 100},
		{"max >= 100.001ms", true, 100},
		{"mean > 60ms", true, 50},
		{"errors > 0", false, 10},
		{"errors > 0.5%", false, 0.9901}, // 10 of 1010 attempts
		{"errors > 1%", true, 0.9901},
		{"http_errors > 1%", true, 1}, // 10 of 1000 responses: not more than 1%
		{"http_errors >= 1%", false, 1},
		{"availability < 99.5%", false, 99.01},
		{"availability < 99%", true, 99.01},
		{"rate < 2000", false, 100},
		{"rate < 50", true, 100},
		{"throughput < 0.4", true, 0.5},
		{"throughput <= 0.5MB/s", false, 0.5},
	}
	for _, c := range cases {
		got := New(sampleResult(), "test", 1)
		ok := got.CheckThresholds(mustThresholds(t, c.expr))
		r := got.Thresholds[0]
		if ok != c.passed || r.Passed != c.passed || math.Abs(r.Measured-c.measured) > c.measured*0.01+1e-9 {
			t.Errorf("%q: passed %v (all %v), measured %v; want passed %v, measured %v", c.expr, r.Passed, ok, r.Measured, c.passed, c.measured)
		}
	}
	ok := rp.CheckThresholds(mustThresholds(t, "p99 > 250ms", "errors > 0", "rate < 50"))
	if ok || len(rp.Thresholds) != 3 || len(rp.ThresholdsCrossed()) != 1 || rp.ThresholdsCrossed()[0].Expression != "errors > 0" {
		t.Fatalf("all passed %v; %+v", ok, rp.Thresholds)
	}
	var text bytes.Buffer
	if err := rp.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(text.String(), "\n"), "\n")
	tail := strings.Join(lines[len(lines)-3:], "\n")
	for _, want := range []string{"Threshold p99 > 250ms:\tpass (p99 99.", "Threshold errors > 0:\tFAILED (errors 10)", "Threshold rate < 50:\tpass (rate 100.00 /s)"} {
		if !strings.Contains(tail, want) {
			t.Errorf("the text report should end with the thresholds; lacks %q:\n%s", want, tail)
		}
	}
	var js bytes.Buffer
	if err := rp.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Latency    map[string]float64 `json:"latency_ms"`
		Thresholds []map[string]any   `json:"thresholds"`
	}
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if _, ok := back.Latency["p95"]; !ok || len(back.Thresholds) != 3 {
		t.Fatalf("JSON: %s", js.String())
	}
	th := back.Thresholds[1]
	if th["expression"] != "errors > 0" || th["metric"] != "errors" || th["measured"] != 10.0 || th["passed"] != false || th["unit"] != "count" {
		t.Fatalf("JSON threshold: %v", th)
	}
}

func TestLatencyThresholdsInTheOpenModelAreCorrected(t *testing.T) {
	res := sampleResult()
	res.Rate = &loadgen.RateResult{Target: 100, Achieved: 100, Scheduled: 1000, Sent: 1000}
	res.Longest = 10 * 1e6 // the actual send's max (10 ms) is below the corrected histogram's 100 ms
	rp := New(res, "test", 1)
	if rp.LatencyMs.Max < 99 {
		t.Fatalf("open-model max = %v ms, want the corrected histogram's (~100 ms)", rp.LatencyMs.Max)
	}
	rp.CheckThresholds(mustThresholds(t, "max > 50ms", "rate < 10"))
	if r := rp.Thresholds[0]; r.Passed || !r.Corrected || !strings.Contains(r.text(), "corrected latency") {
		t.Fatalf("%+v %s", r, r.text())
	}
	if rp.Thresholds[1].Corrected {
		t.Fatal("a rate threshold is not a corrected latency")
	}
}

func TestLatencyThresholdWithoutResponsesFails(t *testing.T) {
	rp := New(&loadgen.Result{Errors: map[string]int64{"refused": 5}, Failed: 5, Status: map[int]int64{}}, "test", 1)
	if rp.CheckThresholds(mustThresholds(t, "p99 > 250ms")) || !strings.Contains(rp.Thresholds[0].Note, "no responses") {
		t.Fatalf("%+v", rp.Thresholds)
	}
	rp = New(&loadgen.Result{Errors: map[string]int64{}, Status: map[int]int64{}}, "test", 1)
	if !rp.CheckThresholds(mustThresholds(t, "errors > 1%", "http_errors > 1%")) {
		t.Fatalf("no attempts is 0%% errors: %+v", rp.Thresholds)
	}
}

// FuzzParseThreshold: any input either fails with an error quoting it, or
// parses to a known metric and operator and a finite value that reads back
// the same from its canonical form.
func FuzzParseThreshold(f *testing.F) {
	for _, s := range []string{"p99 > 250ms", "errors > 1%", "rate < 2000", "availability<=99.9%", "p99.9 >= 1.5s",
		"throughput < 10MB/s", "http_errors > 3", "p50<800µs", "max>", "<", "p99 >= .5e3ms", "rate < 1/s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThreshold(s)
		if err != nil {
			if !strings.Contains(err.Error(), fmt.Sprintf("%q", s)) {
				t.Fatalf("error does not quote the expression: %v", err)
			}
			return
		}
		if _, _, err := thresholdValue(th.Metric, 1, strings.ToLower(th.Unit)); err != nil {
			t.Fatalf("%q parsed to an unknown metric or unit: %+v", s, th)
		}
		switch th.Op {
		case "<", "<=", ">", ">=":
		default:
			t.Fatalf("%q: op %q", s, th.Op)
		}
		if math.IsNaN(th.Value) || math.IsInf(th.Value, 0) || th.Value < 0 {
			t.Fatalf("%q: value %v", s, th.Value)
		}
		unit := th.Unit
		if unit == "%" && th.Metric == "availability" {
			unit = ""
		}
		canon := fmt.Sprintf("%s %s %s%s", th.Metric, th.Op, strconv.FormatFloat(th.Value, 'f', -1, 64), unit)
		back, err := ParseThreshold(canon)
		if err != nil || back.Metric != th.Metric || back.Op != th.Op || back.Unit != th.Unit || math.Abs(back.Value-th.Value) > 1e-9*math.Max(1, th.Value) {
			t.Fatalf("%q -> %+v; canonical %q -> %+v, %v", s, th, canon, back, err)
		}
	})
}
