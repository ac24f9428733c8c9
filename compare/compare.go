// Package compare says whether the difference between two sets of load runs
// is real, the way benchstat does for Go benchmarks: each side is one or
// more results (JSON reports, HdrHistogram interval logs, or directories of
// them), each run gives one sample per metric, and each metric's medians are
// compared with the Mann-Whitney U test at alpha 0.05. The statistics are
// golang.org/x/perf/benchmath's (benchstat's own), not rewritten here.
//
// It is a package of its own rather than part of report because report
// renders one run and every run imports it, while a comparison works on
// many runs, reads files and directories, and brings the statistics
// dependency. compare builds on report (Report, ReadHlog, MergeHlogs),
// never the reverse.
package compare

import (
	"fmt"
	"math"

	"github.com/HdrHistogram/hdrhistogram-go"
	"golang.org/x/perf/benchmath"
)

// Options tune the verdict.
type Options struct {
	// Alpha is the significance level (default 0.05, benchstat's).
	Alpha float64
	// MaxRegression is how much worse, in percent, a metric may
	// significantly get before the comparison is a regression (default 5).
	MaxRegression float64
}

// Comparison is the table and the verdict.
type Comparison struct {
	Old           SideInfo   `json:"old"`
	New           SideInfo   `json:"new"`
	Alpha         float64    `json:"alpha"`
	MaxRegression float64    `json:"max_regression_pct"`
	Rows          []Row      `json:"rows"`
	Distribution  []Quantile `json:"distribution,omitempty"`
	Warnings      []string   `json:"warnings,omitempty"`
	// NeedRuns is set when no row could reach significance with this many
	// samples: the runs per side a difference at Alpha needs.
	NeedRuns int `json:"need_runs,omitempty"`
	// Regressions names the metrics that got significantly worse by more
	// than MaxRegression; Regressed is true when there is one.
	Regressions []string `json:"regressions"`
	Regressed   bool     `json:"regressed"`
}

// SideInfo says what a side was made of.
type SideInfo struct {
	Label     string   `json:"label"`
	Files     []string `json:"files"`
	Runs      int      `json:"runs"`
	Intervals bool     `json:"intervals,omitempty"` // samples are one log's intervals
}

// Row is one metric compared.
type Row struct {
	Metric string `json:"metric"`
	Unit   string `json:"unit"`
	Old    Stat   `json:"old"`
	New    Stat   `json:"new"`
	// ChangePct is new/old - 1 of the medians, in percent; null when the
	// old median is 0.
	ChangePct   *float64 `json:"change_pct"`
	P           float64  `json:"p"`
	Significant bool     `json:"significant"`
	// Worse and Better are set only for a significant change.
	Worse      bool     `json:"worse"`
	Better     bool     `json:"better"`
	Regression bool     `json:"regression"`
	Warnings   []string `json:"warnings,omitempty"`
}

// Stat summarises one side's samples of a metric.
type Stat struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	// Lo and Hi bound the median's 95% confidence interval; null when the
	// samples are too few for one.
	Lo *float64 `json:"lo"`
	Hi *float64 `json:"hi"`
	// Spread is benchstat's ± figure: the interval's larger distance from
	// the median, in percent of it ("∞" with too few samples).
	Spread string    `json:"spread"`
	Values []float64 `json:"values"`
}

// Quantile is one percentile of the two merged latency distributions.
type Quantile struct {
	Percentile float64  `json:"percentile"`
	OldMs      float64  `json:"old_ms"`
	NewMs      float64  `json:"new_ms"`
	ChangePct  *float64 `json:"change_pct"`
}

// Percentiles are the distribution's rows.
var Percentiles = []float64{50, 75, 90, 95, 99, 99.9, 99.99, 100}

// confidence is the level of the medians' intervals, as benchstat's.
const confidence = 0.95

// Compare compares two sides metric by metric.
func Compare(old, new *Side, o Options) *Comparison {
	if o.Alpha <= 0 {
		o.Alpha = benchmath.DefaultThresholds.CompareAlpha
	}
	if o.MaxRegression < 0 || math.IsNaN(o.MaxRegression) {
		o.MaxRegression = 0
	}
	c := &Comparison{Old: old.info(), New: new.info(), Alpha: o.Alpha, MaxRegression: o.MaxRegression, Regressions: []string{}}
	th := &benchmath.Thresholds{CompareAlpha: o.Alpha}
	detectable := false
	for _, m := range Metrics {
		ov, nv := old.Samples[m.Name], new.Samples[m.Name]
		if len(ov) == 0 || len(nv) == 0 {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: no samples on the %s side", m.Name, emptySide(ov)))
			continue
		}
		row := compareMetric(m, ov, nv, th, o.MaxRegression)
		if row.Regression {
			c.Regressions = append(c.Regressions, m.Name)
		}
		detectable = detectable || canDetect(len(ov), len(nv), th)
		c.Rows = append(c.Rows, row)
	}
	c.Regressed = len(c.Regressions) > 0
	if !detectable {
		c.NeedRuns = minRuns(th)
		c.Warnings = append(c.Warnings, fmt.Sprintf("too few runs to tell a change at alpha %g: %d old and %d new; a significant difference needs at least %d runs per side",
			o.Alpha, len(old.Runs), len(new.Runs), c.NeedRuns))
	}
	for _, s := range []*Side{old, new} {
		if s.Intervals {
			c.Warnings = append(c.Warnings, fmt.Sprintf("%s: the samples are the intervals of one run, which are correlated: the p-values overstate the confidence; compare several runs per side instead", s.Label))
		}
	}
	if open := old.openModel() + new.openModel(); open > 0 {
		c.Warnings = append(c.Warnings, fmt.Sprintf("%d of the %d runs used --rate: their latencies are corrected (from each request's intended send time)",
			open, len(old.Runs)+len(new.Runs)))
	}
	if old.Latency != nil && new.Latency != nil {
		c.Distribution = distribution(old.Latency, new.Latency)
	}
	return c
}

func emptySide(old []float64) string {
	if len(old) == 0 {
		return "old"
	}
	return "new"
}

// openModel counts the runs made with --rate.
func (s *Side) openModel() int {
	n := 0
	for _, r := range s.Runs {
		if r.Report != nil && r.Report.Rate != nil {
			n++
		}
	}
	return n
}

func (s *Side) info() SideInfo {
	si := SideInfo{Label: s.Label, Runs: len(s.Runs), Intervals: s.Intervals, Files: []string{}}
	for _, r := range s.Runs {
		si.Files = append(si.Files, r.Path)
	}
	return si
}

// compareMetric is benchstat's comparison of one metric: medians with
// their confidence intervals, and the U test's p-value.
func compareMetric(m Metric, ov, nv []float64, th *benchmath.Thresholds, maxRegression float64) Row {
	so := benchmath.NewSample(append([]float64(nil), ov...), th)
	sn := benchmath.NewSample(append([]float64(nil), nv...), th)
	row := Row{Metric: m.Name, Unit: m.Unit}
	var wo, wn []error
	row.Old, wo = stat(so)
	row.New, wn = stat(sn)
	cmp := benchmath.AssumeNothing.Compare(so, sn)
	row.P = cmp.P
	row.Significant = cmp.P <= cmp.Alpha
	for _, w := range append(append(wo, wn...), cmp.Warnings...) {
		row.Warnings = appendUnique(row.Warnings, w.Error())
	}
	o, n := row.Old.Median, row.New.Median
	row.ChangePct = change(o, n)
	if row.Significant && o != n {
		row.Worse = (n > o) == m.HigherIsWorse
		row.Better = !row.Worse
	}
	if row.Worse {
		row.Regression = row.ChangePct == nil || math.Abs(*row.ChangePct) > maxRegression
	}
	return row
}

// stat is the median and its confidence interval, with benchmath's
// warnings (too few samples for an interval).
func stat(s *benchmath.Sample) (Stat, []error) {
	sum := benchmath.AssumeNothing.Summary(s, confidence)
	st := Stat{N: len(s.Values), Median: sum.Center, Spread: sum.PctRangeString(), Values: s.Values}
	if !math.IsInf(sum.Lo, 0) && !math.IsInf(sum.Hi, 0) {
		lo, hi := sum.Lo, sum.Hi
		st.Lo, st.Hi = &lo, &hi
	}
	return st, sum.Warnings
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// canDetect asks benchmath whether samples of these sizes can show a
// difference at all: two samples that do not overlap are the most
// different they can be, so if the test cannot call them significant,
// nothing of these sizes can be.
func canDetect(n1, n2 int, th *benchmath.Thresholds) bool {
	a := make([]float64, n1)
	b := make([]float64, n2)
	for i := range a {
		a[i] = float64(i)
	}
	for i := range b {
		b[i] = float64(n1 + i)
	}
	return benchmath.AssumeNothing.Compare(benchmath.NewSample(a, th), benchmath.NewSample(b, th)).P <= th.CompareAlpha
}

// minRuns is the fewest samples per side a difference at alpha needs.
func minRuns(th *benchmath.Thresholds) int {
	for n := 2; n < 100; n++ {
		if canDetect(n, n, th) {
			return n
		}
	}
	return 100
}

func distribution(old, new *hdrhistogram.Histogram) []Quantile {
	var out []Quantile
	for _, p := range Percentiles {
		q := Quantile{Percentile: p, OldMs: float64(old.ValueAtPercentile(p)) / 1000, NewMs: float64(new.ValueAtPercentile(p)) / 1000}
		q.ChangePct = change(q.OldMs, q.NewMs)
		out = append(out, q)
	}
	return out
}

// change is new/old - 1 in percent; nil when old is 0 (or the ratio
// overflows), as benchstat prints "?".
func change(old, new float64) *float64 {
	pct := (new/old - 1) * 100
	if old == 0 || math.IsNaN(pct) || math.IsInf(pct, 0) {
		return nil
	}
	return &pct
}
