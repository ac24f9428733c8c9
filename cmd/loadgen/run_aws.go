//go:build !lean

package main

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/internal/weburl"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
	"github.com/loadgen/loadgen/stackurl"
	"github.com/loadgen/loadgen/verify"
)

// The run's AWS side: its target from stack outputs and the alarm it
// watches. The lean build (lean.go) hands such runs to the full build.

// verdict is the verdict of the alarm a run watched.
type verdict = verify.Verdict

// runSettings finishes the run's settings (in the full build, every run is
// run here; the lean build may hand it off).
func (a *app) runSettings(_ context.Context, fs *pflag.FlagSet, f *runFlags, args []string) (*settings, bool, error) {
	s, err := a.settings(fs, f, args)
	return s, false, err
}

// stackTargets is the workshop's path, for a run without a URL or -f: the
// URL comes from stack outputs, and the load is the workshop's
// `siege -i $alb_url`: internet mode over the site.
func (a *app) stackTargets(ctx context.Context, f *runFlags, s *settings) ([]loadgen.Target, error) {
	resolved, err := stackTarget(ctx, &f.aws, f.alarm.stacks)
	if err != nil {
		return nil, err
	}
	if !s.quiet {
		fmt.Fprintf(a.stderr, "target %s from stack %s output %s\n", weburl.RedactText(resolved.URL), resolved.Stack, resolved.OutputKey)
	}
	s.url = resolved.URL
	s.opts.Internet = true
	return a.targets(s)
}

// stackTarget is the target of a run given no URL and no -f: the load
// balancer URL from stack outputs, as the workshop finds it.
func stackTarget(ctx context.Context, af *awsFlags, stacks []string) (stackurl.Resolved, error) {
	resolved, err := resolveURL(ctx, af, stacks)
	if err != nil {
		return resolved, &exitError{codeOf(err), fmt.Errorf("no URL or -f FILE given, and none found in stack outputs: %w", err)}
	}
	return resolved, nil
}

// watch is the alarm a run watches (cw nil: none) and its progress view.
type watch struct {
	cw    verify.API
	alarm types.MetricAlarm
	view  *alarmView
}

// alarmToWatch finds the alarm of --until-alarm or --alarm, before any load.
func (a *app) alarmToWatch(ctx context.Context, af *alarmFlags, awsf *awsFlags, quiet bool) (watch, error) {
	w := watch{view: &alarmView{}}
	if !af.watching() {
		return w, nil
	}
	var err error
	if w.cw, w.alarm, err = findAlarm(ctx, awsf, af.name); err != nil {
		return w, err
	}
	if !quiet {
		fmt.Fprintf(a.stderr, "watching alarm %s (%s)\n", aws.ToString(w.alarm.AlarmName), verify.Describe(w.alarm))
	}
	return w, nil
}

// setAlarm puts the alarm's verdict in the report: the load in force when
// it fired, and the metric's samples seen while watching.
func setAlarm(rp *report.Report, v verdict, res *loadgen.Result, view *alarmView) {
	rp.Alarm = alarmReport(v)
	rp.Alarm.Capacity = capacityReport(v, res)
	rp.Alarm.SetSamples(view.alarmSamples())
}

// watchWhile runs load and, when an alarm is watched, the watcher beside
// it (verify.WhileLoading): with --until-alarm, ALARM (or the alarm
// timeout) ends the load's context. endedBy is the report's ended_by when
// the watch ended the load, else "".
func (a *app) watchWhile(ctx context.Context, w watch, af *alarmFlags, quiet bool, load func(context.Context) error) (v *verdict, endedBy string, err error) {
	if w.cw == nil {
		return nil, "", load(ctx)
	}
	out, err := verify.WhileLoading(ctx, w.cw, w.alarm, verify.Options{
		Poll: af.poll, UntilAlarm: af.untilAlarm, Timeout: af.timeout, OnEvent: a.onEvent(w.view, quiet),
	}, load)
	if err != nil {
		return nil, "", err
	}
	if out.WatchErr != nil {
		fmt.Fprintf(a.stderr, "loadgen: alarm watch stopped: %v\n", out.WatchErr)
	}
	return &out.Verdict, out.EndedLoad, nil
}

// capacityReport is the load in force when the alarm's first breaching
// datapoint began, from the verdict's breach and the run's timeline; nil
// when the alarm did not fire or its data did not date the datapoint.
func capacityReport(v verify.Verdict, res *loadgen.Result) *report.Capacity {
	if !v.Fired || v.Breach.Start.IsZero() || res == nil {
		return nil
	}
	l, ok := res.LoadAt(v.Breach.Start, v.Breach.Period)
	if !ok {
		return nil
	}
	c := &report.Capacity{
		BreachStart: v.Breach.Start.UTC().Format(time.RFC3339Nano), Period: v.Breach.Period.Seconds(),
		Offset: math.Round(v.Breach.Start.Sub(res.Start).Seconds()*1000) / 1000,
		Target: l.Target, Unit: "users", Users: l.Users, Rate: math.Round(l.Rate*100) / 100,
		Stage: l.Stage, Stages: l.Stages, Outside: l.Outside,
	}
	if l.Open {
		c.Unit = "req/s"
	}
	if l.Outside && l.Offset < 0 {
		// The period began before the load: the level the load reached by
		// the period's end is what crossed the threshold.
		if e, ok := res.LoadAt(v.Breach.Start.Add(v.Breach.Period), 0); ok {
			c.Target, c.Users, c.Stage = e.Target, e.Users, e.Stage
		}
	}
	return c
}
