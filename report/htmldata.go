package report

import (
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// pageData is the JSON the page's script draws from. Series are columns
// (uPlot's data layout); times are Unix seconds, latencies milliseconds.
type pageData struct {
	Start      num     `json:"start"`
	End        num     `json:"end"`
	TargetRate float64 `json:"target_rate,omitempty"`
	// LevelUnit says what Series.Target counts, when the run had a load
	// shape: "users" or "req/s".
	LevelUnit string      `json:"level_unit,omitempty"`
	Series    *seriesData `json:"series"`
	Dist      *distData   `json:"dist"`
	Alarm     *alarmData  `json:"alarm"`
}

type seriesData struct {
	Intervals int     `json:"intervals"` // before merging
	Merged    int     `json:"merged"`    // intervals per point
	Step      float64 `json:"step"`      // seconds per point (typical)
	HasErrors bool    `json:"has_errors"`
	T         []num   `json:"t"`
	Rate      []num   `json:"rate"`   // transactions per second
	Failed    []num   `json:"failed"` // socket errors per second
	HTTPErr   []num   `json:"http_errors"`
	P50       []num   `json:"p50"`
	P90       []num   `json:"p90"`
	P99       []num   `json:"p99"`
	Max       []num   `json:"max"`
	U50       []num   `json:"u50,omitempty"` // uncorrected (open model)
	U90       []num   `json:"u90,omitempty"`
	U99       []num   `json:"u99,omitempty"`
	UMax      []num   `json:"umax,omitempty"`
	Target    []num   `json:"target,omitempty"` // the load's level (--stages)
}

// distData is the percentile plot: X is 1/(1-p) (HdrHistogram's plotter's
// axis), Y and U the latency (ms) at p, corrected and uncorrected.
type distData struct {
	Summary bool  `json:"summary"` // from the report's few percentiles only
	X       []num `json:"x"`
	Y       []num `json:"y"`
	U       []num `json:"u,omitempty"`
}

type alarmData struct {
	Name      string      `json:"name"`
	Threshold float64     `json:"threshold"`
	Cmp       string      `json:"cmp"`
	Period    int32       `json:"period"`
	T         []num       `json:"t"`
	V         []num       `json:"v"`
	Bands     []alarmBand `json:"bands"`
	FiredAt   *num        `json:"fired_at"`
}

type alarmBand struct {
	From  num    `json:"from"`
	To    num    `json:"to"`
	State string `json:"state"`
}

// num is a number in the page's JSON: NaN is null (a gap), and it is
// written in its shortest form to keep the page small.
type num float64

func (n num) MarshalJSON() ([]byte, error) {
	if !finite(float64(n)) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(n), 'f', -1, 64), nil
}

func unix(t time.Time) num { return num(round(float64(t.UnixMilli())/1000, 3)) }

func (p *Page) data() *pageData {
	rp := p.Report
	d := &pageData{}
	start, _ := time.Parse(time.RFC3339Nano, rp.Start)
	end, _ := time.Parse(time.RFC3339Nano, rp.End)
	d.Start, d.End = unix(start), unix(end)
	if rp.Rate != nil {
		d.TargetRate = rp.Rate.Target
	}
	maxPoints := p.MaxPoints
	if maxPoints <= 0 {
		maxPoints = 3000
	}
	d.Series = seriesOf(p.Intervals, maxPoints)
	if d.Series != nil && len(rp.Stages) > 0 && d.Series.Target != nil {
		d.LevelUnit = rp.Stages[0].Unit
	} else if d.Series != nil {
		d.Series.Target = nil // a flat level says nothing the rate rule does not
	}
	d.Dist = distOf(p.Latency, p.Uncorrected, rp)
	d.Alarm = alarmOf(rp.Alarm)
	return d
}

// seriesOf turns intervals into columns, merging runs of intervals into one
// point when there are more than maxPoints: counts become rates over the
// merged time, latencies keep their maxima. A last interval much shorter
// than the others (the run's end) is folded into its predecessor.
func seriesOf(ivs []IntervalStats, maxPoints int) *seriesData {
	if len(ivs) == 0 {
		return nil
	}
	if n := len(ivs); n > 1 && ivs[n-1].Seconds < ivs[n-2].Seconds/2 {
		ivs = append(append([]IntervalStats(nil), ivs[:n-2]...), mergeStats(ivs[n-2:]))
	}
	k := (len(ivs) + maxPoints - 1) / maxPoints
	s := &seriesData{Intervals: len(ivs), Merged: k, HasErrors: true}
	raw, level := false, true
	for _, iv := range ivs {
		s.HasErrors = s.HasErrors && iv.HasErrors
		raw = raw || iv.Uncorrected != nil
		level = level && iv.HasTarget
	}
	var steps []float64
	for i := 0; i < len(ivs); i += k {
		m := mergeStats(ivs[i:min(i+k, len(ivs))])
		steps = append(steps, m.Seconds)
		perSec := func(n int64) num {
			if m.Seconds <= 0 {
				return num(math.NaN())
			}
			return num(round(float64(n)/m.Seconds, 2))
		}
		s.T = append(s.T, unix(m.Start))
		s.Rate = append(s.Rate, perSec(m.Transactions))
		s.Failed = append(s.Failed, perSec(m.Failed))
		s.HTTPErr = append(s.HTTPErr, perSec(m.HTTPErrors))
		appendQ(&s.P50, &s.P90, &s.P99, &s.Max, m.Latency)
		if level {
			s.Target = append(s.Target, num(round(m.Target, 2)))
		}
		if raw {
			u := Quantiles{}
			if m.Uncorrected != nil {
				u = *m.Uncorrected
			}
			appendQ(&s.U50, &s.U90, &s.U99, &s.UMax, u)
		}
	}
	sort.Float64s(steps)
	s.Step = steps[len(steps)/2]
	if !s.HasErrors {
		s.Failed, s.HTTPErr = nil, nil
	}
	return s
}

func appendQ(p50, p90, p99, pmax *[]num, q Quantiles) {
	if q.N == 0 {
		q = Quantiles{P50: math.NaN(), P90: math.NaN(), P99: math.NaN(), Max: math.NaN()}
	}
	*p50 = append(*p50, num(q.P50))
	*p90 = append(*p90, num(q.P90))
	*p99 = append(*p99, num(q.P99))
	*pmax = append(*pmax, num(q.Max))
}

// mergeStats adds consecutive intervals: counts and lengths add up,
// percentiles take the highest (a merged point never hides a spike).
func mergeStats(ivs []IntervalStats) IntervalStats {
	m := IntervalStats{Start: ivs[0].Start, HasErrors: true, HasTarget: true}
	var u *Quantiles
	var levelSecs float64 // the level's mean weighs each interval by its length
	for _, iv := range ivs {
		levelSecs += iv.Target * iv.Seconds
		m.HasTarget = m.HasTarget && iv.HasTarget
		m.Seconds += iv.Seconds
		m.Transactions += iv.Transactions
		m.Failed += iv.Failed
		m.HTTPErrors += iv.HTTPErrors
		m.HasErrors = m.HasErrors && iv.HasErrors
		m.Latency = maxQ(m.Latency, iv.Latency)
		if iv.Uncorrected != nil {
			if u == nil {
				u = &Quantiles{}
			}
			*u = maxQ(*u, *iv.Uncorrected)
		}
	}
	m.Uncorrected = u
	if m.Seconds > 0 {
		m.Target = levelSecs / m.Seconds
	} else {
		m.Target = ivs[0].Target
	}
	return m
}

func maxQ(a, b Quantiles) Quantiles {
	switch {
	case b.N == 0:
		return a
	case a.N == 0:
		return b
	}
	mx := func(x, y float64) float64 {
		if math.IsNaN(x) {
			return y
		}
		if math.IsNaN(y) {
			return x
		}
		return math.Max(x, y)
	}
	return Quantiles{N: a.N + b.N, P50: mx(a.P50, b.P50), P90: mx(a.P90, b.P90), P99: mx(a.P99, b.P99), Max: mx(a.Max, b.Max)}
}

// distOf samples the latency distribution as HdrHistogram's percentile
// output does (5 points per halving of the remaining tail) up to one in N,
// where the maximum goes. Without histograms it uses the report's
// percentiles.
func distOf(h, u *hdrhistogram.Histogram, rp *Report) *distData {
	if h == nil || h.TotalCount() == 0 {
		return summaryDist(rp)
	}
	n := float64(h.TotalCount())
	d := &distData{}
	ms := func(us int64) num { return num(round(float64(us)/1000, 3)) }
	hasU := u != nil && u.TotalCount() > 0
	for i := 0; ; i++ {
		x := math.Pow(2, float64(i)/5) // 1/(1-p) for p = 1 - 2^(-i/5)
		if x >= n {
			break
		}
		p := 100 * (1 - 1/x)
		d.X = append(d.X, num(round(x, 4)))
		d.Y = append(d.Y, ms(h.ValueAtPercentile(p)))
		if hasU {
			d.U = append(d.U, ms(u.ValueAtPercentile(p)))
		}
	}
	d.X = append(d.X, num(math.Max(n, 1)))
	d.Y = append(d.Y, ms(h.Max()))
	if hasU {
		d.U = append(d.U, ms(u.Max()))
	}
	return d
}

func summaryDist(rp *Report) *distData {
	if rp.Transactions == 0 {
		return nil
	}
	n := float64(rp.Transactions)
	l, u := rp.LatencyMs, rp.LatencyMsUncorrected
	d := &distData{Summary: true}
	for i, x := range []float64{1, 2, 10, 100, 1000, n} {
		if i < 5 && x >= n {
			continue // beyond what the run's count resolves: the maximum
		}
		d.X = append(d.X, num(x))
		d.Y = append(d.Y, num([]float64{l.Min, l.P50, l.P90, l.P99, l.P999, l.Max}[i]))
		if u != nil {
			d.U = append(d.U, num([]float64{u.Min, u.P50, u.P90, u.P99, u.P999, u.Max}[i]))
		}
	}
	return d
}
