package report

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen"
)

// Merged says where a merged report's figures came from.
type Merged struct {
	Sources   []string `json:"sources"`
	Intervals int      `json:"intervals"`
	// TotalsExact is true when every log carried loadgen's totals, so
	// transactions, failures, bytes and status codes are exact; otherwise
	// they come from the histograms (successful responses only).
	TotalsExact bool            `json:"totals_exact"`
	WindowS     float64         `json:"window_s"`
	Timeline    []TimelinePoint `json:"timeline"`
}

// TimelinePoint is the union of every log's intervals that start in one
// window of absolute time.
type TimelinePoint struct {
	OffsetS float64 `json:"offset_s"` // from the earliest interval's start
	Start   string  `json:"start"`
	Count   int64   `json:"count"`
	Rate    float64 `json:"rate"`
	P50     float64 `json:"p50_ms"`
	P99     float64 `json:"p99_ms"`
	Max     float64 `json:"max_ms"`
	// Target is the load's level in the window, added over the logs
	// (users, or requests/s in the open model); absent when no log has it.
	Target *float64 `json:"target,omitempty"`
}

// MergeHlogs adds interval logs from several runs, typically on several
// machines at once, on absolute time: the untagged histograms of every
// interval add up to the result's Latency, the "uncorrected" ones to
// LatencyUncorrected. Percentiles come from the union histogram, never from
// averaging. window groups the intervals for the timeline (default 1 s).
func MergeHlogs(logs []*Hlog, window time.Duration) (*loadgen.Result, *Merged, error) {
	if window <= 0 {
		window = time.Second
	}
	m := &Merged{WindowS: window.Seconds(), TotalsExact: true}
	g := geometryOf(logs, m)
	if m.Intervals == 0 {
		return nil, nil, errors.New("no interval histograms in the logs")
	}
	res := &loadgen.Result{
		Start: g.start, End: g.end, Elapsed: g.end.Sub(g.start), Latency: g.newHist(),
		Status: map[int]int64{}, Errors: map[string]int64{}, ErrorSamples: map[string]string{}, Reason: "merged",
	}
	for _, c := range loadgen.ErrorClasses() {
		res.Errors[c.String()] = 0
	}
	windows, err := addIntervals(logs, res, g, window)
	if err != nil {
		return nil, nil, err
	}
	if m.TotalsExact {
		addTotals(logs, res)
	} else {
		h := res.Latency
		// Status codes are unknown: counted under 0, so they still add up
		// to the transactions.
		res.Transactions = h.TotalCount()
		res.Successful = h.TotalCount()
		if n := h.TotalCount(); n > 0 {
			res.Status[0] = n
		}
		res.SumLatency = time.Duration(h.Mean()*float64(h.TotalCount())) * time.Microsecond
		res.Shortest = time.Duration(h.Min()) * time.Microsecond
		res.Longest = time.Duration(h.Max()) * time.Microsecond
	}
	m.Timeline = timeline(logs, windows, g, window)
	return res, m, nil
}

// geometry is the one histogram geometry that holds every log's values, and
// the logs' span in absolute time.
type geometry struct {
	lowest, highest int64
	digits          int
	start, end      time.Time
}

func (g *geometry) newHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(g.lowest, g.highest, g.digits)
}

// geometryOf scans the logs: their sources, whether all carry totals, their
// interval count, span and histogram geometry.
func geometryOf(logs []*Hlog, m *Merged) *geometry {
	g := &geometry{lowest: math.MaxInt64}
	for _, lg := range logs {
		m.Sources = append(m.Sources, lg.Name)
		if lg.totals == nil {
			m.TotalsExact = false
		}
		for _, iv := range lg.Intervals {
			h := iv.Histogram
			g.lowest = min(g.lowest, h.LowestTrackableValue())
			g.highest = max(g.highest, h.HighestTrackableValue())
			g.digits = max(g.digits, int(h.SignificantFigures()))
			if g.start.IsZero() || iv.Start.Before(g.start) {
				g.start = iv.Start
			}
			if iv.End.After(g.end) {
				g.end = iv.End
			}
			m.Intervals++
		}
	}
	return g
}

// addIntervals adds every interval histogram into the result (untagged to
// Latency, "uncorrected" to LatencyUncorrected); it returns the untagged
// ones by timeline window. (Not each window's union: a histogram per window
// of an hour-long log is hundreds of MB; timeline merges one at a time.)
func addIntervals(logs []*Hlog, res *loadgen.Result, g *geometry, window time.Duration) (map[int64][]*hdrhistogram.Histogram, error) {
	windows := map[int64][]*hdrhistogram.Histogram{}
	var dropped int64
	for _, lg := range logs {
		for _, iv := range lg.Intervals {
			switch iv.Tag {
			case "":
				dropped += res.Latency.Merge(iv.Histogram)
				w := int64(iv.Start.Sub(g.start) / window)
				windows[w] = append(windows[w], iv.Histogram)
			case UncorrectedTag:
				if res.LatencyUncorrected == nil {
					res.LatencyUncorrected = g.newHist()
				}
				dropped += res.LatencyUncorrected.Merge(iv.Histogram)
			}
		}
	}
	if dropped > 0 {
		return nil, fmt.Errorf("%d values fell outside the merged histogram's range", dropped)
	}
	return windows, nil
}

// addTotals adds the logs' exact totals (loadgen's closing comment) into
// the result: counts, bytes, extremes, status codes, error classes, and the
// open model's schedule.
func addTotals(logs []*Hlog, res *loadgen.Result) {
	var rate loadgen.RateResult
	for _, lg := range logs {
		t := lg.totals
		res.Users += t.Users
		res.Transactions += t.Transactions
		res.Successful += t.Successful
		res.Failed += t.Failed
		res.HTTPErrors += t.HTTPErrors
		res.Bytes += t.Bytes
		res.InFlight += t.InFlight
		res.SumLatency += time.Duration(t.SumLatencyUs) * time.Microsecond
		if s := time.Duration(t.ShortestUs) * time.Microsecond; s > 0 && (res.Shortest == 0 || s < res.Shortest) {
			res.Shortest = s
		}
		res.Longest = max(res.Longest, time.Duration(t.LongestUs)*time.Microsecond)
		for code, n := range t.Status {
			if c, err := strconv.Atoi(code); err == nil {
				res.Status[c] += n
			}
		}
		for k, n := range t.Errors {
			res.Errors[k] += n
		}
		rate.Target += t.RateTarget
		rate.Achieved += t.RateAchieved
		rate.Scheduled += t.Scheduled
		rate.Sent += t.Sent
		if t.RateTarget > 0 {
			rate.Users += t.Users
			rate.MaxUsers += max(t.MaxUsers, t.Users)
			rate.MaxLag = max(rate.MaxLag, time.Duration(t.MaxLagUs)*time.Microsecond)
		}
	}
	if rate.Target > 0 {
		res.Rate = &rate
	}
}

// timeline summarises each window's union histogram, with the logs' levels
// when they have them. One histogram holds each window's union in turn.
func timeline(logs []*Hlog, windows map[int64][]*hdrhistogram.Histogram, g *geometry, window time.Duration) []TimelinePoint {
	start := g.start
	w := g.newHist()
	keys := make([]int64, 0, len(windows))
	for k := range windows {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	targets, haveTargets := windowTargets(logs, start, window)
	out := make([]TimelinePoint, 0, len(keys))
	for _, k := range keys {
		w.Reset()
		for _, h := range windows[k] {
			w.Merge(h)
		}
		at := start.Add(time.Duration(k) * window)
		p := TimelinePoint{
			OffsetS: round(at.Sub(start).Seconds(), 3), Start: at.UTC().Format(time.RFC3339Nano),
			Count: w.TotalCount(), Rate: round(float64(w.TotalCount())/window.Seconds(), 2),
			P50: pct(w, 50), P99: pct(w, 99), Max: round(float64(w.Max())/1000, 3),
		}
		if haveTargets {
			v := round(targets[k], 2)
			p.Target = &v
		}
		out = append(out, p)
	}
	return out
}
