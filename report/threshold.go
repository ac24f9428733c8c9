package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Threshold is one parsed --fail-on expression, METRIC OP VALUE: the
// condition under which the run fails ("p99 > 250ms" fails the run when
// p99 is above 250 ms).
type Threshold struct {
	Expr   string  // as given
	Metric string  // p50 p90 p95 p99 p99.9 max mean errors http_errors availability rate throughput
	Op     string  // < <= > >=
	Value  float64 // in Unit
	Unit   string  // "ms" for latencies, "%" or "" (a count) for errors, "%" for availability, "/s", "MB/s"
}

// ThresholdResult is a threshold decided on a report.
type ThresholdResult struct {
	Expression string  `json:"expression"`
	Metric     string  `json:"metric"`
	Op         string  `json:"op"`
	Limit      float64 `json:"limit"` // the expression's value, in unit
	Unit       string  `json:"unit"`  // ms, %, count, /s, MB/s
	Measured   float64 `json:"measured"`
	Passed     bool    `json:"passed"`
	// Corrected is true for a latency threshold in the open model (--rate):
	// the latency counts from each request's intended send time.
	Corrected bool   `json:"corrected,omitempty"`
	Note      string `json:"note,omitempty"`
}

// ThresholdMetrics lists the metrics a threshold can name, with what the
// value means; --help prints it.
const ThresholdMetrics = "p50 p90 p95 p99 p99.9 max mean (latency, with a unit: us, ms or s); " +
	"errors (socket errors: a count, or N% of attempts); http_errors (4xx/5xx: a count, or N% of responses); " +
	"availability (%); rate (transactions/s); throughput (MB/s)"

var latencyMetrics = map[string]bool{"p50": true, "p90": true, "p95": true, "p99": true, "p99.9": true, "max": true, "mean": true}

// ParseThreshold parses METRIC OP VALUE, such as "p99 > 250ms",
// "errors > 1%", "rate < 2000" or "availability < 99.9%". Spaces are
// optional; metric names and units are case-insensitive.
func ParseThreshold(expr string) (Threshold, error) {
	th := Threshold{Expr: expr}
	i := strings.IndexAny(expr, "<>")
	if i < 0 {
		return th, fmt.Errorf("%q: want METRIC OP VALUE with OP one of < <= > >=, like 'p99 > 250ms'", expr)
	}
	th.Metric = strings.ToLower(strings.TrimSpace(expr[:i]))
	th.Op, expr = expr[i:i+1], expr[i+1:]
	if strings.HasPrefix(expr, "=") {
		th.Op, expr = th.Op+"=", expr[1:]
	}
	if th.Metric == "" {
		return th, fmt.Errorf("%q: no metric before %s (want one of %s)", th.Expr, th.Op, metricNames())
	}
	num, unit := splitNumber(strings.TrimSpace(expr))
	if num == "" {
		return th, fmt.Errorf("%q: want a number after %s", th.Expr, th.Op)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return th, fmt.Errorf("%q: bad number %q", th.Expr, num)
	}
	unit = strings.ToLower(strings.TrimSpace(unit))
	if th.Value, th.Unit, err = thresholdValue(th.Metric, v, unit); err != nil {
		return th, fmt.Errorf("%q: %w", th.Expr, err)
	}
	return th, nil
}

// splitNumber splits "250ms" into "250" and "ms".
func splitNumber(s string) (num, rest string) {
	end := 0
	for end < len(s) && (s[end] == '.' || (s[end] >= '0' && s[end] <= '9')) {
		end++
	}
	return s[:end], s[end:]
}

// thresholdValue checks the unit against the metric and converts the value
// to the unit the report measures in.
func thresholdValue(metric string, v float64, unit string) (float64, string, error) {
	switch {
	case latencyMetrics[metric]:
		switch unit {
		case "us", "µs":
			return v / 1000, "ms", nil
		case "ms":
			return v, "ms", nil
		case "s":
			return v * 1000, "ms", nil
		case "":
			return 0, "", fmt.Errorf("%s needs a unit: us, ms or s (like %s > 250ms)", metric, metric)
		}
		return 0, "", fmt.Errorf("unknown unit %q for %s: want us, ms or s", unit, metric)
	case metric == "errors" || metric == "http_errors":
		switch unit {
		case "%":
			return v, "%", percentOK(v)
		case "":
			return v, "", nil
		}
		return 0, "", fmt.Errorf("unknown unit %q for %s: want a count, or a percentage like 1%%", unit, metric)
	case metric == "availability":
		if unit != "%" && unit != "" {
			return 0, "", fmt.Errorf("availability is a percentage, like 99.9%%; got unit %q", unit)
		}
		return v, "%", percentOK(v)
	case metric == "rate":
		if unit != "" && unit != "/s" {
			return 0, "", fmt.Errorf("rate is transactions per second, like 2000 or 2000/s; got unit %q", unit)
		}
		return v, "/s", nil
	case metric == "throughput":
		if unit != "" && unit != "mb/s" {
			return 0, "", fmt.Errorf("throughput is MB per second, like 10 or 10MB/s; got unit %q", unit)
		}
		return v, "MB/s", nil
	}
	return 0, "", fmt.Errorf("unknown metric %q: want one of %s", metric, metricNames())
}

func percentOK(v float64) error {
	if v > 100 {
		return fmt.Errorf("a percentage is at most 100, got %v%%", v)
	}
	return nil
}

func metricNames() string {
	return "p50 p90 p95 p99 p99.9 max mean errors http_errors availability rate throughput"
}

// CheckThresholds decides every threshold on the report, records the
// results in rp.Thresholds and reports whether all passed (none crossed).
func (rp *Report) CheckThresholds(ts []Threshold) bool {
	ok := true
	for _, th := range ts {
		r := rp.decide(th)
		ok = ok && r.Passed
		rp.Thresholds = append(rp.Thresholds, r)
	}
	return ok
}

// ThresholdsCrossed returns the thresholds that failed the run.
func (rp *Report) ThresholdsCrossed() []ThresholdResult {
	var out []ThresholdResult
	for _, r := range rp.Thresholds {
		if !r.Passed {
			out = append(out, r)
		}
	}
	return out
}

func (rp *Report) decide(th Threshold) ThresholdResult {
	r := ThresholdResult{Expression: th.Expr, Metric: th.Metric, Op: th.Op, Limit: th.Value, Unit: th.Unit}
	if r.Unit == "" {
		r.Unit = "count"
	}
	var measured float64
	switch th.Metric {
	case "errors":
		measured = float64(rp.FailedTransactions)
		if th.Unit == "%" {
			measured = percentOf(rp.FailedTransactions, rp.Transactions+rp.FailedTransactions)
		}
	case "http_errors":
		measured = float64(rp.HTTPErrors)
		if th.Unit == "%" {
			measured = percentOf(rp.HTTPErrors, rp.Transactions)
		}
	case "availability":
		measured = rp.Availability
	case "rate":
		measured = rp.TransactionRate
	case "throughput":
		measured = rp.Throughput
	default:
		measured = rp.latencyMetric(th.Metric)
		r.Corrected = rp.Rate != nil && rp.Rate.Corrected
		if rp.Transactions == 0 {
			r.Measured, r.Note = 0, "no responses, so no latency to judge: counted as crossed"
			return r
		}
	}
	r.Measured = measured
	r.Passed = !crossed(measured, th.Op, th.Value)
	return r
}

func (rp *Report) latencyMetric(m string) float64 {
	l := rp.LatencyMs
	switch m {
	case "p50":
		return l.P50
	case "p90":
		return l.P90
	case "p95":
		return l.P95
	case "p99":
		return l.P99
	case "p99.9":
		return l.P999
	case "max":
		return l.Max
	}
	return l.Mean
}

func percentOf(n, of int64) float64 {
	if of <= 0 {
		return 0
	}
	return round(100*float64(n)/float64(of), 4)
}

// crossed reports whether the failure condition "v op limit" holds.
func crossed(v float64, op string, limit float64) bool {
	switch op {
	case "<":
		return v < limit
	case "<=":
		return v <= limit
	case ">":
		return v > limit
	}
	return v >= limit
}

// text is the threshold's line at the end of the text report.
func (r ThresholdResult) text() string {
	verdict := "pass"
	if !r.Passed {
		verdict = "FAILED"
	}
	var measured string
	switch r.Unit {
	case "ms":
		measured = fmt.Sprintf("%s %.3f ms", r.Metric, r.Measured)
	case "%":
		measured = fmt.Sprintf("%s %.2f%%", r.Metric, r.Measured)
		switch r.Metric {
		case "errors":
			measured += " of attempts"
		case "http_errors":
			measured += " of responses"
		}
	case "count":
		measured = fmt.Sprintf("%s %.0f", r.Metric, r.Measured)
	default:
		measured = fmt.Sprintf("%s %.2f %s", r.Metric, r.Measured, r.Unit)
	}
	switch {
	case r.Note != "":
		measured = r.Note
	case r.Corrected:
		measured += ", corrected latency: from each request's intended send time"
	}
	return fmt.Sprintf("Threshold %s:\t%s (%s)\n", r.Expression, verdict, measured)
}
