package compare

import (
	"sort"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/report"
)

// Metric is one row of the comparison.
type Metric struct {
	Name string // rate, p50, p90, p99, p99.9, errors, http_errors
	Unit string // "/s", "ms", "%"
	// HigherIsWorse is true for latencies and errors, false for the rate.
	HigherIsWorse bool
	fromReport    func(*report.Report) (float64, bool)
	// fromInterval is the metric of one interval's histogram over secs
	// seconds; nil when an interval log does not hold it (errors).
	fromInterval func(h *hdrhistogram.Histogram, secs float64) (float64, bool)
}

// Metrics are the rows, in order: the rate, the latency percentiles (ms,
// corrected in the open model), socket errors as a percentage of attempts
// and 4xx/5xx as a percentage of responses.
var Metrics = []Metric{
	{Name: "rate", Unit: "/s", fromReport: func(rp *report.Report) (float64, bool) { return rp.TransactionRate, rp.ElapsedTime > 0 },
		fromInterval: func(h *hdrhistogram.Histogram, secs float64) (float64, bool) {
			return float64(h.TotalCount()) / secs, true
		}},
	latencyMetric("p50", 50, func(l report.Latency) float64 { return l.P50 }),
	latencyMetric("p90", 90, func(l report.Latency) float64 { return l.P90 }),
	latencyMetric("p99", 99, func(l report.Latency) float64 { return l.P99 }),
	latencyMetric("p99.9", 99.9, func(l report.Latency) float64 { return l.P999 }),
	{Name: "errors", Unit: "%", HigherIsWorse: true, fromReport: func(rp *report.Report) (float64, bool) {
		return percent(rp.FailedTransactions, rp.Transactions+rp.FailedTransactions)
	}},
	{Name: "http_errors", Unit: "%", HigherIsWorse: true, fromReport: func(rp *report.Report) (float64, bool) {
		return percent(rp.HTTPErrors, rp.Transactions)
	}},
}

func latencyMetric(name string, p float64, field func(report.Latency) float64) Metric {
	return Metric{
		Name: name, Unit: "ms", HigherIsWorse: true,
		fromReport: func(rp *report.Report) (float64, bool) {
			return field(rp.LatencyMs), rp.Transactions > 0 // no responses, no latency
		},
		fromInterval: func(h *hdrhistogram.Histogram, _ float64) (float64, bool) {
			return float64(h.ValueAtPercentile(p)) / 1000, h.TotalCount() > 0
		},
	}
}

// percent is n as a percentage of of; a run with nothing to divide by has
// no sample.
func percent(n, of int64) (float64, bool) {
	if of <= 0 {
		return 0, false
	}
	return 100 * float64(n) / float64(of), true
}

// sample takes the side's samples: one per run, or, when the side is a
// single interval log, one per interval for the metrics an interval holds
// (the run's own value for the others).
func (s *Side) sample() {
	s.Samples = map[string][]float64{}
	s.Intervals = len(s.Runs) == 1 && s.Runs[0].Log != nil
	for _, m := range Metrics {
		if s.Intervals && m.fromInterval != nil {
			s.Samples[m.Name] = intervalSamples(s.Runs[0].Log, m)
			continue
		}
		for _, r := range s.Runs {
			if v, ok := m.fromReport(r.Report); ok {
				s.Samples[m.Name] = append(s.Samples[m.Name], v)
			}
		}
	}
}

// intervalSamples are a metric over the log's untagged intervals. Intervals
// shorter than half the typical one (the last, partial second) are left out.
func intervalSamples(lg *report.Hlog, m Metric) []float64 {
	var lengths []float64
	for _, iv := range lg.Intervals {
		if iv.Tag == "" {
			lengths = append(lengths, iv.End.Sub(iv.Start).Seconds())
		}
	}
	if len(lengths) == 0 {
		return nil
	}
	sorted := append([]float64(nil), lengths...)
	sort.Float64s(sorted)
	typical := sorted[len(sorted)/2]
	var out []float64
	for _, iv := range lg.Intervals {
		secs := iv.End.Sub(iv.Start).Seconds()
		if iv.Tag != "" || secs <= 0 || secs < typical/2 {
			continue
		}
		if v, ok := m.fromInterval(iv.Histogram, secs); ok {
			out = append(out, v)
		}
	}
	return out
}
