package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/internal/weburl"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
)

// settings finishes the flags into the run's settings: siegerc values for
// the flags not given, the URL argument, the parts that need more than one
// flag (-b, -j, -l/-m, --parser), and the checks a single flag cannot make.
func (a *app) settings(fs *pflag.FlagSet, f *runFlags, args []string) (*settings, error) {
	s := &f.settings
	if err := a.loadSiegerc(fs, f); err != nil {
		return nil, err
	}
	s.url = f.siege.url
	if fs.Changed("file") {
		s.url = "" // -f on the command line wins over a siegerc's url
	}
	arg, err := urlArgument(fs, f, args)
	if err != nil {
		return nil, err
	}
	if arg != "" {
		s.url = arg
	}
	if s.opts.Users < 1 {
		return nil, usageErr("-c/--concurrent: want a whole number of users >= 1, got %d", s.opts.Users)
	}
	if err := shapeSettings(fs, s, f.perf.rate); err != nil {
		return nil, err
	}
	if f.benchmark {
		s.opts.Delay = 0
	}
	if s.opts.Headers, err = parseHeaders(f.headers); err != nil {
		return nil, err
	}
	if err := a.finishSiege(fs, f, s); err != nil {
		return nil, err
	}
	if s.jsonOut {
		s.quiet = true
		s.verbose = false // siege: JSON output supersedes verbose
	}
	s.getMeth, s.showLog = firstNonEmpty(f.siege.gmethod, "HEAD"), f.siege.showLogfile
	if fs.Changed("log") || s.mark != "" || f.siege.logging {
		if s.logFile == "" || (s.logFile == defaultLog && f.siege.logfile != "") {
			s.logFile = firstNonEmpty(f.siege.logfile, defaultLog)
		}
		if rest, ok := strings.CutPrefix(s.logFile, "~/"); ok {
			s.logFile = filepath.Join(a.getenv("HOME"), rest)
		}
	} else {
		s.logFile = ""
	}
	if f.parser && !f.crawl.noParse {
		s.opts.Parser = parserFunc(f.crawl.allow, f.siege.nofollow)
	}
	return s, nil
}

// parseHeaders reads -H "Name: value" flags.
func parseHeaders(flags []string) ([]loadgen.Header, error) {
	var out []loadgen.Header
	for i, h := range flags {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			// Not quoted back: a malformed header may well be a token.
			return nil, usageErr("-H/--header: want \"Name: value\"; header %d of %d has no name before a colon", i+1, len(flags))
		}
		out = append(out, loadgen.Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)})
	}
	return out, nil
}

// targets loads the run's targets: the URL (argument or siegerc's url), or
// else the URL file (-f or siegerc's file).
func (a *app) targets(s *settings) ([]loadgen.Target, error) {
	if s.url != "" {
		t, err := loadgen.ParseTarget(s.url, ".")
		if err != nil {
			return nil, usageErr("URL: %v", err)
		}
		return []loadgen.Target{t}, nil
	}
	if s.file != "" {
		ts, err := loadgen.ReadURLFile(s.file)
		if err != nil {
			var le *loadgen.LineError
			if errors.As(err, &le) || !errors.Is(err, os.ErrNotExist) {
				return nil, usageErr("%v", err)
			}
			return nil, setupErr(err)
		}
		return ts, nil
	}
	return nil, nil
}

// runLoad is the load run: settings, targets (from the arguments or stack
// outputs, then the crawl), the alarm to watch, the load, the report and
// the verdict's exit code.
func (a *app) runLoad(ctx context.Context, fs *pflag.FlagSet, f *runFlags, args []string) error {
	if f.version {
		fmt.Fprintf(a.stdout, "loadgen %s\n", version)
		return nil
	}
	thresholds, err := f.failOn.parse()
	if err != nil {
		return err
	}
	s, handedOff, err := a.runSettings(ctx, fs, f, args)
	if err != nil || handedOff {
		return err
	}
	if s.verbose {
		f.aws.log = a.stderr // the SDK's warnings, such as its fallback to IMDSv1
	}
	if f.siege.config {
		return a.showConfig(f, s)
	}
	shard, perf, err := a.startShardPerf(fs, f, s)
	defer perf.close()
	if err != nil {
		return err
	}
	page, err := a.startPage(f.htmlFile, s)
	if err != nil {
		return err
	}
	targets, err := a.runTargets(ctx, f, s)
	if err != nil {
		return err
	}
	if s.get || s.print {
		return a.single(ctx, s, targets[0])
	}
	w, err := a.alarmToWatch(ctx, &f.alarm, &f.aws, s.quiet)
	if err != nil {
		return err
	}
	if len(targets) == 1 && s.url != "" && s.opts.Internet && !f.crawl.noCrawl {
		targets = a.discover(ctx, s, &f.crawl, targets[0])
	}
	if s.verbose {
		s.opts.Verbose = a.stdout
	}
	runner, err := loadgen.New(targets, s.opts)
	if err != nil {
		return newRunnerErr(err, &s.opts)
	}
	if !s.quiet {
		a.describe(s, targets)
	}
	if err := shard.wait(ctx, a, perf); err != nil {
		return err
	}
	stopProgress := a.progress(ctx, runner, s, w.view.get)
	var res *loadgen.Result
	v, endedBy, err := a.watchWhile(ctx, w, &f.alarm, s.quiet, func(ctx context.Context) error {
		var err error
		res, err = runner.Run(ctx)
		return err
	})
	stopProgress()
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	rp := runReport(res, targets, v, endedBy, w.view)
	perfErr := perf.finish(res, rp) // the report is still printed
	thresholdsOK := rp.CheckThresholds(thresholds)
	perfErr = errors.Join(perfErr, page.write(rp, res)) // --html, written before the text like --json
	if err := a.emit(s, rp); err != nil {
		return err
	}
	if perfErr != nil {
		return perfErr
	}
	alarmFailed := f.alarm.untilAlarm && (v == nil || !v.Fired)
	switch {
	case ctx.Err() != nil:
		return &quietExit{exitInterrupted}
	case alarmFailed || !thresholdsOK:
		return a.assertionFailed(rp, alarmFailed)
	}
	return nil
}

// runTargets loads the run's targets: the URL or the URL file, else the
// workshop's target from stack outputs (stackTargets).
func (a *app) runTargets(ctx context.Context, f *runFlags, s *settings) ([]loadgen.Target, error) {
	targets, err := a.targets(s)
	if err != nil || len(targets) > 0 {
		return targets, err
	}
	return a.stackTargets(ctx, f, s)
}

// runReport builds the run's report, with the alarm's verdict and the load
// in force when it fired.
func runReport(res *loadgen.Result, targets []loadgen.Target, v *verdict, endedBy string, view *alarmView) *report.Report {
	rp := report.New(res, version, len(targets))
	if len(targets) == 1 {
		rp.Target = weburl.RedactText(targets[0].URL)
	}
	if v != nil {
		setAlarm(rp, *v, res, view)
		if endedBy != "" && res.Interrupted {
			rp.EndedBy = endedBy
		}
	}
	return rp
}

// describe prints siege's opening line.
func (a *app) describe(s *settings, targets []loadgen.Target) {
	what := "until interrupted"
	switch {
	case s.opts.Once:
		what = "each URL once"
	case s.opts.Reps > 0 && s.opts.Duration > 0:
		what = fmt.Sprintf("%d reps per user, at most %s", s.opts.Reps, s.opts.Duration)
	case s.opts.Reps > 0:
		what = fmt.Sprintf("%d reps per user", s.opts.Reps)
	case s.opts.Duration > 0:
		what = "for " + s.opts.Duration.String()
	}
	users := fmt.Sprintf("%d concurrent users", s.opts.Users)
	if len(s.opts.Stages) > 0 {
		users, what = shapeDescription(&s.opts)
	}
	mode := ""
	if s.opts.Internet {
		mode = ", internet mode"
	}
	fmt.Fprintf(a.stderr, "** loadgen %s\n** Preparing %s for battle against %d URL(s)%s, %s.\n",
		version, users, len(targets), mode, what)
	fmt.Fprintf(a.stderr, "The server is now under siege...\n")
}

// emit writes the text report, the JSON report and the log line.
func (a *app) emit(s *settings, rp *report.Report) error {
	var errs []error
	if rp.EndedBy == "failures" {
		fmt.Fprintf(a.stderr, "loadgen aborted due to excessive socket failure: %d failures (failures = %d)\n", rp.FailedTransactions, s.opts.MaxFailures)
	}
	if s.jsonFile != "" {
		if err := report.WriteFileAtomic(s.jsonFile, rp.WriteJSON); err != nil {
			errs = append(errs, fmt.Errorf("write JSON report: %w", err))
		}
	}
	if s.logFile != "" {
		if err := report.AppendLog(s.logFile, s.mark, rp); err != nil {
			errs = append(errs, fmt.Errorf("write log: %w", err))
		} else if s.showLog {
			fmt.Fprintf(a.stderr, "LOG FILE: %s\n", s.logFile)
		}
	}
	if s.jsonOut {
		if err := rp.WriteJSON(a.stdout); err != nil {
			errs = append(errs, err)
		}
	} else if !s.quiet {
		out := a.stdout
		if s.hlogStdout {
			out = a.stderr // stdout carries the interval log
		}
		if err := rp.WriteText(out); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return setupErr(errors.Join(errs...))
	}
	return nil
}
