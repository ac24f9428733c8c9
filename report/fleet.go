package report

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
)

// Fleet says how a `loadgen fleet` run went: its shards, when they were
// told to start, how late each started, and whether the run is complete.
// The package fleet fills it; the report renders it.
type Fleet struct {
	Backend string `json:"backend"` // "ecs" or "local"
	RunID   string `json:"run_id"`
	Shards  int    `json:"shards"`
	StartAt string `json:"start_at"`
	// Complete is false when a shard did not run whole: the verdict is then
	// "incomplete", and Tasks name why.
	Complete bool `json:"complete"`
	// Merged is how many shards' logs were merged into the report.
	Merged int `json:"merged"`
	// StoppedBy is why the coordinator stopped the tasks: "interrupted"
	// (Ctrl+C or the alarm), "deadline", or absent.
	StoppedBy string `json:"stopped_by,omitempty"`
	// CommonStart, CommonEnd and CommonS are the window in which every
	// merged shard was recording.
	CommonStart string  `json:"common_start,omitempty"`
	CommonEnd   string  `json:"common_end,omitempty"`
	CommonS     float64 `json:"common_s"`
	MaxLateMs   float64 `json:"max_late_ms"`
	// MaxClockErrorMs is the largest clock-error bound a shard reported;
	// -1 when no shard knew its own.
	MaxClockErrorMs float64      `json:"max_clock_error_ms"`
	Tasks           []FleetShard `json:"tasks"`
}

// FleetShard is one shard of a fleet.
type FleetShard struct {
	Shard        string   `json:"shard"`
	Name         string   `json:"name"`
	Task         string   `json:"task,omitempty"`
	Status       string   `json:"status,omitempty"`
	ExitCode     *int     `json:"exit_code,omitempty"`
	Users        int      `json:"users,omitempty"`
	Rate         float64  `json:"rate,omitempty"`
	LateMs       *float64 `json:"late_ms,omitempty"`
	ClockErrorMs *float64 `json:"clock_error_ms,omitempty"`
	Transactions int64    `json:"transactions"`
	Merged       bool     `json:"merged"`
	// Problem says why this shard makes the run incomplete.
	Problem string `json:"problem,omitempty"`
}

// Text renders the fleet section of the text report.
func (f *Fleet) Text() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("Fleet:\t\t\t%d shards (%s, run %s), told to start at %s; %d merged", f.Shards, f.Backend, f.RunID, f.StartAt, f.Merged)
	if f.CommonS > 0 {
		w("; all recorded together for %.2f s", f.CommonS)
	}
	w("\n  started at most %.1f ms late", f.MaxLateMs)
	if f.MaxClockErrorMs >= 0 {
		w(", clocks within ±%.3f ms", f.MaxClockErrorMs)
	} else {
		w(", clock-error bound unknown (not on Fargate)")
	}
	if f.StoppedBy != "" {
		w("; stopped by the coordinator: %s", f.StoppedBy)
	}
	w("\n")
	for _, s := range f.Tasks {
		state := "ok"
		if s.Problem != "" {
			state = "INCOMPLETE: " + s.Problem
		}
		late := "-"
		if s.LateMs != nil {
			late = fmt.Sprintf("%.1f ms", *s.LateMs)
		}
		w("  %-32s users %-5d late %-9s %10d trans   %s\n", s.Name, s.Users, late, s.Transactions, state)
	}
	if f.Complete {
		w("Fleet verdict:\t\tcomplete: all %d shards ran whole\n", f.Shards)
	} else {
		w("Fleet verdict:\t\tINCOMPLETE: %d of %d shards did not run whole; the figures above are of the %d merged\n",
			f.Shards-f.completeCount(), f.Shards, f.Merged)
	}
	return b.String()
}

func (f *Fleet) completeCount() int {
	n := 0
	for _, s := range f.Tasks {
		if s.Problem == "" {
			n++
		}
	}
	return n
}

// Transactions returns the transactions the log's totals line counts, or
// those its untagged histograms hold when it has none.
func (lg *Hlog) Transactions() int64 {
	if lg.totals != nil {
		return lg.totals.Transactions
	}
	var n int64
	for _, iv := range lg.Intervals {
		if iv.Tag == "" {
			n += iv.Histogram.TotalCount()
		}
	}
	return n
}

// Span returns the start of the log's first interval and the end of its
// last; zero times when it has none.
func (lg *Hlog) Span() (start, end time.Time) {
	for _, iv := range lg.Intervals {
		if start.IsZero() || iv.Start.Before(start) {
			start = iv.Start
		}
		if iv.End.After(end) {
			end = iv.End
		}
	}
	return start, end
}

// WriteHlogs writes the intervals of several logs (a fleet's shards) as one
// interval log on their absolute times, with each interval's counters and
// res's totals (their merge) at the end: `loadgen merge` and `loadgen
// report` then read the fleet's run as one.
func WriteHlogs(w io.Writer, logs []*Hlog, res *loadgen.Result, comment string) error {
	var ivs []HlogInterval
	var counts []HlogCounts
	for _, lg := range logs {
		ivs = append(ivs, lg.Intervals...)
		counts = append(counts, lg.Counts...)
	}
	if len(ivs) == 0 {
		return errors.New("no intervals to write")
	}
	sort.SliceStable(ivs, func(i, j int) bool { return ivs[i].Start.Before(ivs[j].Start) })
	sort.SliceStable(counts, func(i, j int) bool { return counts[i].Start.Before(counts[j].Start) })
	hw, err := NewHlogWriter(w, ivs[0].Start, comment)
	if err != nil {
		return err
	}
	for _, iv := range ivs {
		if err := hw.line(iv.Tag, iv.Start, iv.End, iv.Histogram); err != nil {
			return err
		}
	}
	for _, c := range counts {
		c.HasTarget = false // a shard's level is its share: one merged log would not add them up
		hw.writeCounts(c)
	}
	return hw.WriteTotals(res)
}
