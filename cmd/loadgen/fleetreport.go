//go:build !lean

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/fleet"
	"github.com/loadgen/loadgen/internal/weburl"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
	"github.com/loadgen/loadgen/verify"
)

// fleetReport merges the shards' logs, prints the usual report with the
// fleet's section, writes --json/--html/--hlog, and decides the exit.
func (a *app) fleetReport(ctx context.Context, ff *fleetFlags, p *fleetPlan, out *fleet.Outcome, where string,
	verdict *verify.Verdict, endedBy string) error {
	logs := out.Logs()
	rp, res, err := mergedReport(logs, p.interval)
	if err != nil {
		return setupErr(fmt.Errorf("fleet: merge the shards' logs: %w", err))
	}
	rp.Target = weburl.RedactText(p.target)
	rp.Fleet = out.Summary(where)
	rp.EndedBy = "reps"
	if p.s.opts.Duration > 0 {
		rp.EndedBy = "duration"
	}
	if verdict != nil {
		setAlarm(rp, *verdict, res, p.watch.view)
		if endedBy != "" {
			rp.EndedBy = endedBy
		}
	} else if out.StoppedBy == "interrupted" {
		rp.EndedBy = "cancelled"
	}
	if !p.rf.perf.uncorrected {
		rp.LatencyMsUncorrected = nil // as a run: shown with --uncorrected only
	}
	thresholdsOK := len(logs) == 0 || rp.CheckThresholds(p.thresholds)
	var errs []error
	if f := p.rf.perf.hlog; f != "" && len(logs) > 0 {
		errs = append(errs, writeMergedHlog(a.stdout, f, logs, res))
	}
	if f := p.rf.htmlFile; f != "" && len(logs) > 0 {
		errs = append(errs, writePage(f, &report.Page{Report: rp, Command: a.args, Intervals: report.HlogIntervals(logs, p.interval)}, res))
	}
	if err := a.emit(p.s, rp); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return setupErr(err)
	}
	problems := out.Problems()
	started := false
	for _, s := range out.Shards {
		started = started || s.Header != nil
	}
	alarmFailed := p.rf.alarm.untilAlarm && (verdict == nil || !verdict.Fired)
	switch {
	case ctx.Err() != nil:
		return &quietExit{exitInterrupted}
	case !started && len(problems) > 0:
		return setupErr(fmt.Errorf("fleet: no shard ran: %s", strings.Join(problems, "; ")))
	case alarmFailed || !thresholdsOK || (len(problems) > 0 && !ff.allowPartial):
		if ff.allowPartial {
			problems = nil
		}
		return a.assertionFailed(rp, alarmFailed, problems...)
	}
	return nil
}

// mergedReport merges the logs into a report; with no log it is an empty
// report, so the fleet's section still says what happened.
func mergedReport(logs []*report.Hlog, window time.Duration) (*report.Report, *loadgen.Result, error) {
	if len(logs) == 0 {
		res := &loadgen.Result{Latency: hdrhistogram.New(1, 1000, 3), Status: map[int]int64{}, Errors: map[string]int64{}, Reason: "none"}
		return report.New(res, version, 1), res, nil
	}
	res, m, err := report.MergeHlogs(logs, window)
	if err != nil {
		return nil, nil, err
	}
	rp := report.New(res, version, 1)
	rp.Merged = m
	return rp, res, nil
}

// writeMergedHlog writes the shards' intervals as one interval log, with
// the merged totals, so `loadgen merge` and `loadgen report` read the
// fleet's run as one.
func writeMergedHlog(stdout io.Writer, path string, logs []*report.Hlog, res *loadgen.Result) error {
	comment := fmt.Sprintf("loadgen %s fleet interval log: %d shards merged on absolute time; latency in microseconds", version, len(logs))
	write := func(w io.Writer) error { return report.WriteHlogs(w, logs, res, comment) }
	if path == "-" {
		return write(stdout)
	}
	if err := report.WriteFileAtomic(path, write); err != nil {
		return fmt.Errorf("--hlog: %w", err)
	}
	return nil
}
