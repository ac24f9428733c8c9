package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
)

// pageRun records what the HTML report (--html) needs while the load runs.
type pageRun struct {
	path    string
	args    []string
	records *report.IntervalRecorder
}

// startPage checks where --html goes (its folder must exist, so the run's
// results are not lost at the end) and records the run's intervals beside
// whatever else receives them (--hlog). Without --html it does nothing.
func (a *app) startPage(path string, s *settings) (*pageRun, error) {
	if path == "" {
		return &pageRun{}, nil
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || !st.IsDir() {
		return nil, setupErr(fmt.Errorf("--html %s: the folder does not exist", path))
	}
	p := &pageRun{path: path, args: a.args, records: &report.IntervalRecorder{}}
	next := s.opts.OnInterval
	s.opts.OnInterval = func(iv loadgen.Interval) {
		if next != nil {
			next(iv)
		}
		p.records.Add(iv)
	}
	return p, nil
}

// write renders the page, atomically; a no-op without --html.
func (p *pageRun) write(rp *report.Report, res *loadgen.Result) error {
	if p.path == "" {
		return nil
	}
	if err := writePage(p.path, &report.Page{Report: rp, Command: p.args, Intervals: p.records.Intervals()}, res); err != nil {
		return setupErr(err)
	}
	return nil
}

// writePage completes page with res's latency and writes it to path,
// atomically. The uncorrected latency is shown with --uncorrected only (the
// report has it then), as in the report.
func writePage(path string, page *report.Page, res *loadgen.Result) error {
	page.Latency = res.Latency
	if page.Report.LatencyMsUncorrected != nil {
		page.Uncorrected = res.LatencyUncorrected
	} else {
		for i := range page.Intervals {
			page.Intervals[i].Uncorrected = nil
		}
	}
	if err := report.WriteFileAtomic(path, page.WriteHTML); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

// alarmSamples returns the alarm's samples seen so far, for the report.
func (v *alarmView) alarmSamples() []report.AlarmSample {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]report.AlarmSample{}, v.samples...)
}
