package fleet

import (
	"time"

	"github.com/loadgen/loadgen/report"
)

// Summary is the outcome as the report shows it; backend names where the
// shards ran ("ecs", "local").
func (o *Outcome) Summary(backend string) *report.Fleet {
	f := &report.Fleet{Backend: backend, RunID: o.RunID, Shards: len(o.Shards), StartAt: FormatStartAt(o.StartAt),
		Complete: o.Complete(), StoppedBy: o.StoppedBy, MaxClockErrorMs: -1}
	var common [2]time.Time
	for _, s := range o.Shards {
		fs := report.FleetShard{Shard: s.Shard.String(), Name: s.Name(), Task: s.Task, Status: s.Status,
			ExitCode: s.ExitCode, Problem: s.Problem, Merged: s.Log != nil}
		if h := s.Header; h != nil {
			late, clk := h.LateMs, h.ClockErrorMs
			fs.Users, fs.Rate, fs.LateMs = h.Users, h.Rate, &late
			f.MaxLateMs = max(f.MaxLateMs, late)
			if clk >= 0 {
				fs.ClockErrorMs = &clk
				f.MaxClockErrorMs = max(f.MaxClockErrorMs, clk)
			}
		}
		if s.Log != nil {
			f.Merged++
			fs.Transactions = s.Log.Transactions()
			start, end := s.Log.Span()
			if common[0].IsZero() || start.After(common[0]) {
				common[0] = start
			}
			if common[1].IsZero() || end.Before(common[1]) {
				common[1] = end
			}
		}
		f.Tasks = append(f.Tasks, fs)
	}
	if !common[0].IsZero() && common[1].After(common[0]) {
		f.CommonStart = common[0].UTC().Format(time.RFC3339Nano)
		f.CommonEnd = common[1].UTC().Format(time.RFC3339Nano)
		f.CommonS = float64(common[1].Sub(common[0]).Milliseconds()) / 1000
	}
	return f
}
