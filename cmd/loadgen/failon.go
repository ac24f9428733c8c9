package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/report"
)

// exitFailed is the code of a run whose assertion failed: a threshold was
// crossed, the alarm did not fire, compare found a regression.
const exitFailed = exitAlarm

// failOnFlags is --fail-on, on a load run and on merge.
type failOnFlags struct {
	exprs []string
}

func (f *failOnFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.exprs, "fail-on", nil,
		"fail the run (exit 1) when `EXPR` (METRIC OP VALUE) holds; repeatable. The expression names the failure condition, "+
			"as in 'p99 > 250ms', 'errors > 1%', 'rate < 2000'. Metrics: "+report.ThresholdMetrics+
			". Operators: < <= > >=. With --rate, latencies are the corrected ones (from the intended send time)")
}

// parse checks every expression, so a malformed one is a usage error
// before any load is sent.
func (f *failOnFlags) parse() ([]report.Threshold, error) {
	var ts []report.Threshold
	for _, e := range f.exprs {
		th, err := report.ParseThreshold(e)
		if err != nil {
			return nil, usageErr("--fail-on %v", err)
		}
		ts = append(ts, th)
	}
	return ts, nil
}

// assertionFailed ends a run whose report is out: it names what failed
// (a fleet's incomplete shards, the alarm that did not fire, crossed
// thresholds) and exits 1.
func (a *app) assertionFailed(rp *report.Report, alarmFailed bool, incomplete ...string) error {
	var why []string
	if len(incomplete) > 0 {
		why = append(why, "the run is incomplete: "+strings.Join(incomplete, "; "))
	}
	if alarmFailed {
		why = append(why, "the alarm did not reach ALARM")
	}
	for _, t := range rp.ThresholdsCrossed() {
		why = append(why, fmt.Sprintf("threshold %q crossed", t.Expression))
	}
	fmt.Fprintf(a.stderr, "loadgen: failed: %s\n", strings.Join(why, "; "))
	return &quietExit{exitFailed}
}
