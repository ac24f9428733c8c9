package compare

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/report"
)

// InputError is a result that cannot be compared: an empty or malformed
// file, a file of an unknown kind, a directory or pattern with no results.
// The command reports it as a usage error.
type InputError struct {
	Path string
	Err  error
}

func (e *InputError) Error() string {
	if msg := e.Err.Error(); strings.HasPrefix(msg, e.Path+":") {
		return msg // ReadHlog's errors already start with the file (and line)
	}
	return e.Path + ": " + e.Err.Error()
}

func (e *InputError) Unwrap() error { return e.Err }

// Run is one result file: a JSON report, or an interval log turned into
// the report `loadgen merge` would print for it, or both for one run.
type Run struct {
	Path   string // the JSON report's when there are both
	Report *report.Report
	// Log and Latency are set for an interval log: the log as read, and its
	// untagged (corrected, in the open model) histograms added up.
	Log     *report.Hlog
	Latency *hdrhistogram.Histogram
}

// Files expands one side's argument: a file, a directory (its *.json and
// *.hlog files, sorted), or a glob pattern (quoted, so the shell leaves it).
func Files(arg string) ([]string, error) {
	st, err := os.Stat(arg)
	switch {
	case err == nil && st.IsDir():
		var out []string
		for _, pat := range []string{"*.json", "*.hlog"} {
			m, err := filepath.Glob(filepath.Join(arg, pat))
			if err != nil {
				return nil, &InputError{arg, err}
			}
			out = append(out, m...)
		}
		if len(out) == 0 {
			return nil, &InputError{arg, errors.New("no results in the directory (want *.json reports or *.hlog interval logs)")}
		}
		sort.Strings(out)
		return out, nil
	case err == nil:
		return []string{arg}, nil
	case strings.ContainsAny(arg, "*?["):
		m, gerr := filepath.Glob(arg)
		if gerr != nil {
			return nil, &InputError{arg, fmt.Errorf("bad pattern: %w", gerr)}
		}
		if len(m) == 0 {
			return nil, &InputError{arg, errors.New("the pattern matches no file")}
		}
		return m, nil
	}
	return nil, fmt.Errorf("read results: %w", err)
}

// ReadRun reads one result file. Its kind comes from its content: a JSON
// object is a loadgen report (-j, --json), anything else an HdrHistogram
// interval log (--hlog, or another HdrHistogram tool's).
func ReadRun(path string) (*Run, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	body := bytes.TrimSpace(raw)
	if len(body) == 0 {
		return nil, &InputError{path, errors.New("empty file")}
	}
	if body[0] == '{' {
		var rp report.Report
		if err := json.Unmarshal(body, &rp); err != nil {
			return nil, &InputError{path, fmt.Errorf("not a loadgen JSON report: %w", err)}
		}
		if !strings.HasPrefix(rp.Schema, "loadgen.report/") {
			return nil, &InputError{path, fmt.Errorf("not a loadgen JSON report (schema %q, want %s)", rp.Schema, report.Schema)}
		}
		return &Run{Path: path, Report: &rp}, nil
	}
	lg, err := report.ReadHlog(bytes.NewReader(raw), path)
	if err != nil {
		return nil, &InputError{path, err}
	}
	res, m, err := report.MergeHlogs([]*report.Hlog{lg}, 0)
	if err != nil {
		return nil, &InputError{path, fmt.Errorf("not a JSON report or an interval log: %w", err)}
	}
	rp := report.New(res, "", 0)
	rp.Merged = m
	return &Run{Path: path, Report: rp, Log: lg, Latency: res.Latency}, nil
}

// Side is one side of a comparison: its runs and one sample per run for
// each metric, or, for a single interval log, one per interval.
type Side struct {
	Label string
	Runs  []*Run
	// Intervals is true when the samples are the intervals of one log:
	// correlated, since they come from one run.
	Intervals bool
	// Samples holds the values of each metric, by Metric.Name.
	Samples map[string][]float64
	// Latency is every run's latency histogram added up, when every run is
	// an interval log; nil otherwise.
	Latency *hdrhistogram.Histogram
}

// LoadSide reads every result that arg names (see Files) into a side. A
// JSON report and an interval log with the same name but for the extension
// (run1.json, run1.hlog: one run written with --json and --hlog) are one
// run: the report gives its figures, the log its histogram.
func LoadSide(arg string) (*Side, error) {
	files, err := Files(arg)
	if err != nil {
		return nil, err
	}
	side := &Side{Label: arg}
	byStem := map[string]*Run{}
	for _, f := range files {
		r, err := ReadRun(f)
		if err != nil {
			return nil, err
		}
		stem := strings.TrimSuffix(f, filepath.Ext(f))
		if prev := byStem[stem]; prev != nil && (prev.Log == nil) != (r.Log == nil) {
			if r.Log != nil {
				prev.Log, prev.Latency = r.Log, r.Latency
			} else {
				prev.Path, prev.Report = r.Path, r.Report
			}
			continue
		}
		byStem[stem] = r
		side.Runs = append(side.Runs, r)
	}
	side.sample()
	side.mergeLatency()
	return side, nil
}

// mergeLatency adds up the runs' histograms when every run has one.
func (s *Side) mergeLatency() {
	var lowest, highest int64 = 0, 0
	digits := 0
	for _, r := range s.Runs {
		if r.Latency == nil {
			return
		}
		if lowest == 0 || r.Latency.LowestTrackableValue() < lowest {
			lowest = r.Latency.LowestTrackableValue()
		}
		highest = max(highest, r.Latency.HighestTrackableValue())
		digits = max(digits, int(r.Latency.SignificantFigures()))
	}
	h := hdrhistogram.New(lowest, highest, digits)
	for _, r := range s.Runs {
		h.Merge(r.Latency)
	}
	s.Latency = h
}
