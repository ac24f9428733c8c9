package report

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen"
)

// IntervalStats summarises one interval of a run, for the HTML report: what
// completed in it and the latency percentiles of those transactions.
type IntervalStats struct {
	Start   time.Time
	Seconds float64 // the interval's length
	// Transactions completed in the interval (4xx/5xx included).
	Transactions int64
	// Failed (socket failures) and HTTPErrors (4xx/5xx) are known only when
	// HasErrors: logs of other tools carry no such counts.
	Failed, HTTPErrors int64
	HasErrors          bool
	// Latency is of the transactions that completed in the interval
	// (corrected in the open model); Uncorrected, in the open model, is the
	// latency from the actual send.
	Latency     Quantiles
	Uncorrected *Quantiles
	// Target is the load's level over the interval (users, or requests/s
	// in the open model; its mean on a ramp), when HasTarget.
	Target    float64
	HasTarget bool
}

// Quantiles are the latency percentiles of one interval, in milliseconds.
// N is how many latencies they summarise; with N == 0 the rest is
// meaningless. A percentile that the source did not hold is NaN.
type Quantiles struct {
	N                  int64
	P50, P90, P99, Max float64
}

// QuantilesOf summarises a microsecond histogram.
func QuantilesOf(h *hdrhistogram.Histogram) Quantiles {
	if h == nil || h.TotalCount() == 0 {
		return Quantiles{}
	}
	v := h.ValueAtPercentiles([]float64{50, 90, 99})
	ms := func(us int64) float64 { return round(float64(us)/1000, 3) }
	return Quantiles{N: h.TotalCount(), P50: ms(v[50]), P90: ms(v[90]), P99: ms(v[99]), Max: ms(h.Max())}
}

// IntervalRecorder keeps a summary of each interval of a running load: give
// its Add to loadgen.Options.OnInterval (beside an interval log's writer).
// A summary is a few dozen bytes, so a day of one-second intervals fits in
// a few megabytes. It is safe for concurrent use.
type IntervalRecorder struct {
	mu    sync.Mutex
	stats []IntervalStats
}

// Add summarises one interval.
func (r *IntervalRecorder) Add(iv loadgen.Interval) {
	s := IntervalStats{
		Start: iv.Start, Seconds: iv.End.Sub(iv.Start).Seconds(),
		Transactions: iv.Transactions, Failed: iv.Failed, HTTPErrors: iv.HTTPErrors, HasErrors: true,
		Target: iv.Target, HasTarget: true,
		Latency: QuantilesOf(iv.Latency),
	}
	if iv.Uncorrected != nil {
		q := QuantilesOf(iv.Uncorrected)
		s.Uncorrected = &q
	}
	r.mu.Lock()
	r.stats = append(r.stats, s)
	r.mu.Unlock()
}

// Intervals returns the summaries so far, oldest first.
func (r *IntervalRecorder) Intervals() []IntervalStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]IntervalStats(nil), r.stats...)
}

// HlogIntervals summarises interval logs (one or several, as MergeHlogs
// adds them) per window of absolute time: each window's percentiles come
// from the union of the histograms of every log's intervals that start in
// it, its counts from loadgen's counter lines when every log has them (else
// transactions are the histograms' counts and HasErrors is false). Only one
// window's histogram is held at a time.
func HlogIntervals(logs []*Hlog, window time.Duration) []IntervalStats {
	if window <= 0 {
		window = time.Second
	}
	var start time.Time
	var corrected, uncorrected []HlogInterval
	lowest, highest, digits := int64(math.MaxInt64), int64(0), int64(0)
	for _, lg := range logs {
		for _, iv := range lg.Intervals {
			switch iv.Tag {
			case "":
				corrected = append(corrected, iv)
			case UncorrectedTag:
				uncorrected = append(uncorrected, iv)
			default:
				continue
			}
			if start.IsZero() || iv.Start.Before(start) {
				start = iv.Start
			}
			h := iv.Histogram
			lowest, highest = min(lowest, h.LowestTrackableValue()), max(highest, h.HighestTrackableValue())
			digits = max(digits, h.SignificantFigures())
		}
	}
	if len(corrected) == 0 {
		return nil
	}
	acc := hdrhistogram.New(lowest, highest, int(digits))
	lat := windowQuantiles(corrected, start, window, acc)
	var raw map[int64]Quantiles
	if len(uncorrected) > 0 {
		raw = windowQuantiles(uncorrected, start, window, acc)
	}
	counts, exact := windowCounts(logs, start, window)
	targets, haveTargets := windowTargets(logs, start, window)
	keys := make([]int64, 0, len(lat))
	for k := range lat {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	out := make([]IntervalStats, 0, len(keys))
	for _, k := range keys {
		s := IntervalStats{Start: start.Add(time.Duration(k) * window), Seconds: window.Seconds(), Latency: lat[k], Transactions: lat[k].N}
		if q, ok := raw[k]; ok {
			s.Uncorrected = &q
		}
		if exact {
			c := counts[k]
			s.Transactions, s.Failed, s.HTTPErrors, s.HasErrors = c.Transactions, c.Failed, c.HTTPErrors, true
		}
		s.Target, s.HasTarget = targets[k], haveTargets
		out = append(out, s)
	}
	return out
}

// windowQuantiles merges the intervals per window (by start) into acc, one
// window at a time, and summarises each.
func windowQuantiles(ivs []HlogInterval, start time.Time, window time.Duration, acc *hdrhistogram.Histogram) map[int64]Quantiles {
	sort.SliceStable(ivs, func(i, j int) bool { return ivs[i].Start.Before(ivs[j].Start) })
	out := map[int64]Quantiles{}
	cur := int64(-1)
	flush := func() {
		if cur >= 0 {
			out[cur] = QuantilesOf(acc)
		}
		acc.Reset()
	}
	for _, iv := range ivs {
		if w := int64(iv.Start.Sub(start) / window); w != cur {
			flush()
			cur = w
		}
		acc.Merge(iv.Histogram)
	}
	flush()
	return out
}

// windowCounts adds loadgen's interval counters per window; exact is false
// when a log has none.
func windowCounts(logs []*Hlog, start time.Time, window time.Duration) (map[int64]HlogCounts, bool) {
	out := map[int64]HlogCounts{}
	for _, lg := range logs {
		if len(lg.Counts) == 0 {
			return nil, false
		}
		for _, c := range lg.Counts {
			w := int64(c.Start.Sub(start) / window)
			if c.Start.Before(start) {
				w = 0
			}
			t := out[w]
			t.Transactions += c.Transactions
			t.Failed += c.Failed
			t.HTTPErrors += c.HTTPErrors
			out[w] = t
		}
	}
	return out, true
}

// TimelineIntervals turns a merged report's timeline (from `loadgen merge
// --json`) into interval summaries; it lacks p90 and error counts.
func TimelineIntervals(m *Merged) []IntervalStats {
	if m == nil {
		return nil
	}
	start, _ := time.Parse(time.RFC3339Nano, firstStart(m.Timeline))
	out := make([]IntervalStats, 0, len(m.Timeline))
	for _, p := range m.Timeline {
		at, err := time.Parse(time.RFC3339Nano, p.Start)
		if err != nil {
			at = start.Add(time.Duration(p.OffsetS * float64(time.Second)))
		}
		out = append(out, IntervalStats{
			Start: at, Seconds: m.WindowS, Transactions: p.Count,
			Latency: Quantiles{N: p.Count, P50: p.P50, P90: math.NaN(), P99: p.P99, Max: p.Max},
		})
	}
	return out
}

func firstStart(tl []TimelinePoint) string {
	if len(tl) == 0 {
		return ""
	}
	return tl[0].Start
}
