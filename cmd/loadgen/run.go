package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/spf13/pflag"
	"golang.org/x/sync/errgroup"

	"github.com/loadgen/loadgen/internal/redact"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
	"github.com/loadgen/loadgen/verify"
)

// settings is the effective configuration of a load run: siegerc values,
// overridden by flags given on the command line.
type settings struct {
	opts     loadgen.Options
	url      string
	file     string
	verbose  bool
	quiet    bool
	jsonOut  bool
	jsonFile string
	logFile  string
	mark     string
	get      bool
	print    bool
}

func (a *app) settings(fs *pflag.FlagSet, f *runFlags, args []string) (*settings, error) {
	s := &settings{opts: loadgen.DefaultOptions()}
	rc := map[string]string{}
	if f.rc != "" {
		known, unknown, err := readSiegerc(f.rc)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		rc = known
		if len(unknown) > 0 {
			fmt.Fprintf(a.stderr, "loadgen: %s: ignoring settings loadgen does not use: %s\n", f.rc, strings.Join(unknown, ", "))
		}
	}
	// pick returns the flag's value when given, else the siegerc value, else "".
	pick := func(flag, key string) (string, bool) {
		if fs.Changed(flag) {
			return fs.Lookup(flag).Value.String(), true
		}
		v, ok := rc[key]
		return v, ok
	}
	boolOf := func(flag, key string) (bool, error) {
		v, ok := pick(flag, key)
		if !ok {
			return false, nil
		}
		b, err := parseBool(v)
		if err != nil {
			return false, usageErr("--%s: %v", flag, err)
		}
		return b, nil
	}
	var err error
	o := &s.opts
	if v, ok := pick("concurrent", "concurrent"); ok {
		if o.Users, err = strconv.Atoi(v); err != nil || o.Users < 1 {
			return nil, usageErr("-c/--concurrent: want a whole number of users >= 1, got %q", v)
		}
	}
	if v, ok := pick("reps", "reps"); ok && v != "" {
		if strings.EqualFold(v, "once") {
			o.Once = true
		} else if o.Reps, err = strconv.Atoi(v); err != nil || o.Reps < 1 {
			return nil, usageErr("-r/--reps: want a number >= 1 or 'once', got %q", v)
		}
	}
	if v, ok := pick("time", "time"); ok && v != "" {
		if o.Duration, err = parseSiegeTime(v); err != nil {
			return nil, usageErr("-t/--time: %v", err)
		}
	}
	if v, ok := pick("delay", "delay"); ok && v != "" {
		if o.Delay, err = parseSeconds(v); err != nil {
			return nil, usageErr("-d/--delay: %v", err)
		}
	}
	bench, err := boolOf("benchmark", "benchmark")
	if err != nil {
		return nil, err
	}
	if bench {
		o.Delay = 0
	}
	if o.Internet, err = boolOf("internet", "internet"); err != nil {
		return nil, err
	}
	s.file, _ = pick("file", "file")
	s.url, _ = rc["url"]
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
	if o.Headers, err = parseHeaders(f.headers); err != nil {
		return nil, err
	}
	if v, ok := pick("user-agent", "user-agent"); ok {
		o.UserAgent = v
	}
	o.ContentType = f.contentType
	if s.verbose, err = boolOf("verbose", "verbose"); err != nil {
		return nil, err
	}
	if s.quiet, err = boolOf("quiet", "quiet"); err != nil {
		return nil, err
	}
	if s.jsonOut, err = boolOf("json-output", "json_output"); err != nil {
		return nil, err
	}
	if s.jsonOut {
		s.quiet = true
	}
	if v, ok := pick("timeout", "timeout"); ok {
		if o.Timeout, err = parseTimeout(v); err != nil {
			return nil, usageErr("--timeout: %v", err)
		}
	} else {
		o.Timeout = 30 * time.Second
	}
	if v, ok := pick("connection", "connection"); ok {
		switch strings.ToLower(v) {
		case "keep-alive", "keepalive":
		case "close":
			o.Close = true
		default:
			return nil, usageErr("--connection: want keep-alive or close, got %q", v)
		}
	}
	if v, ok := pick("protocol", "protocol"); ok {
		o.Protocol = strings.ToUpper(v)
		if o.Protocol != "HTTP/1.1" && o.Protocol != "HTTP/1.0" {
			return nil, usageErr("--protocol: want HTTP/1.1 or HTTP/1.0, got %q", v)
		}
	}
	if v, ok := rc["follow-location"]; ok {
		follow, err := parseBool(v)
		if err != nil {
			return nil, usageErr("%s: follow-location: %v", f.rc, err)
		}
		o.NoFollow = !follow
	}
	if f.noFollow {
		o.NoFollow = true
	}
	o.Insecure = f.insecure
	o.MaxBody = f.maxBody
	o.Seed = f.seed
	s.jsonFile = f.jsonFile
	s.mark = f.mark
	if fs.Changed("log") || f.mark != "" {
		s.logFile = f.log
		if s.logFile == "" {
			s.logFile = defaultLog
		}
		if rest, ok := strings.CutPrefix(s.logFile, "~/"); ok {
			s.logFile = filepath.Join(a.getenv("HOME"), rest)
		}
	}
	s.get, s.print = f.get, f.print
	parser, err := boolOf("parser", "parser")
	if err != nil {
		return nil, err
	}
	if parser && !f.crawl.noParse {
		s.opts.Parser = parserFunc(f.crawl.allow)
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

func (a *app) runLoad(ctx context.Context, fs *pflag.FlagSet, f *runFlags, args []string) error {
	if f.version {
		fmt.Fprintf(a.stdout, "loadgen %s\n", version)
		return nil
	}
	s, err := a.settings(fs, f, args)
	if err != nil {
		return err
	}
	if s.verbose {
		f.aws.log = a.stderr // the SDK's warnings, such as its fallback to IMDSv1
	}
	perf, err := a.startPerf(&f.perf, s)
	defer perf.close()
	if err != nil {
		return err
	}
	targets, err := a.targets(s)
	if err != nil {
		return err
	}
	if len(targets) == 0 {
		// The workshop's path: the URL comes from stack outputs, and the load
		// is the workshop's `siege -i $alb_url`: internet mode over the site.
		resolved, err := resolveURL(ctx, &f.aws, f.alarm.stacks)
		if err != nil {
			return &exitError{codeOf(err), fmt.Errorf("no URL or -f FILE given, and none found in stack outputs: %w", err)}
		}
		if !s.quiet {
			fmt.Fprintf(a.stderr, "target %s from stack %s output %s\n", redact.Text(resolved.URL), resolved.Stack, resolved.OutputKey)
		}
		s.url = resolved.URL
		s.opts.Internet = true
		if targets, err = a.targets(s); err != nil {
			return err
		}
	}
	if s.get || s.print {
		return a.single(ctx, s, targets[0])
	}
	var cw verify.API
	var alarm types.MetricAlarm
	if f.alarm.watching() {
		if cw, alarm, err = findAlarm(ctx, &f.aws, f.alarm.name); err != nil {
			return err
		}
		if !s.quiet {
			fmt.Fprintf(a.stderr, "watching alarm %s (%s)\n", aws.ToString(alarm.AlarmName), describeAlarm(alarm))
		}
	}
	if len(targets) == 1 && s.url != "" && s.opts.Internet && !f.crawl.noCrawl {
		targets = a.discover(ctx, s, &f.crawl, targets[0])
	}
	if s.verbose {
		s.opts.Verbose = a.stdout
	}
	runner, err := loadgen.New(targets, s.opts)
	if err != nil {
		return usageErr("%v", err)
	}
	if !s.quiet {
		a.describe(s, targets)
	}
	view := &alarmView{}
	stopProgress := a.progress(ctx, runner, s, view.get)
	res, verdict, err := a.loadAndWatch(ctx, runner, cw, alarm, &f.alarm, s, view)
	stopProgress()
	if err != nil {
		return err
	}
	rp := report.New(res, version, len(targets))
	if len(targets) == 1 {
		rp.Target = redact.Text(targets[0].URL)
	}
	perfErr := perf.finish(res, rp) // the report is still printed
	if verdict != nil {
		rp.SetAlarm(*verdict)
		if f.alarm.untilAlarm && ctx.Err() == nil && res.Interrupted {
			rp.EndedBy = "alarm-timeout"
			if verdict.Fired {
				rp.EndedBy = "alarm"
			}
		}
	}
	if err := a.emit(s, rp); err != nil {
		return err
	}
	if perfErr != nil {
		return perfErr
	}
	switch {
	case ctx.Err() != nil:
		return &quietExit{exitInterrupted}
	case f.alarm.untilAlarm && (verdict == nil || !verdict.Fired):
		return &quietExit{exitAlarm}
	}
	return nil
}

// loadAndWatch runs the load and, when an alarm is watched, the watcher
// beside it under one errgroup: with --until-alarm, ALARM (or the alarm
// timeout) stops the load; when the load ends first, the watcher stops too.
func (a *app) loadAndWatch(ctx context.Context, runner *loadgen.Runner, cw verify.API, alarm types.MetricAlarm,
	af *alarmFlags, s *settings, view *alarmView) (*loadgen.Result, *verify.Verdict, error) {
	if cw == nil {
		res, err := runner.Run(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("run: %w", err)
		}
		return res, nil, nil
	}
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	var (
		res     *loadgen.Result
		verdict verify.Verdict
	)
	start := time.Now()
	g := new(errgroup.Group)
	g.Go(func() error {
		defer stopWatch()
		var err error
		res, err = runner.Run(loadCtx)
		return err
	})
	g.Go(func() error {
		defer func() {
			if af.untilAlarm {
				stopLoad()
			}
		}()
		timeout := af.timeout
		if !af.untilAlarm {
			timeout = -1
		}
		var err error
		verdict, err = verify.Watch(watchCtx, cw, alarm, verify.Options{
			Poll: af.poll, Since: start, UntilAlarm: af.untilAlarm, Timeout: timeout, OnEvent: a.onEvent(view, s.quiet),
		})
		if err != nil {
			// The load goes on without the watcher, and the report says why.
			fmt.Fprintf(a.stderr, "loadgen: alarm watch stopped: %v\n", err)
			if verdict.Diagnosis == "" {
				verdict.Diagnosis = "the watch stopped: " + err.Error()
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, nil, fmt.Errorf("run: %w", err)
	}
	return res, &verdict, nil
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
	mode := ""
	if s.opts.Internet {
		mode = ", internet mode"
	}
	fmt.Fprintf(a.stderr, "** loadgen %s\n** Preparing %d concurrent users for battle against %d URL(s)%s, %s.\n",
		version, s.opts.Users, len(targets), mode, what)
	fmt.Fprintf(a.stderr, "The server is now under siege...\n")
}

// emit writes the text report, the JSON report and the log line.
func (a *app) emit(s *settings, rp *report.Report) error {
	var errs []error
	if s.jsonFile != "" {
		if err := writeFileAtomic(s.jsonFile, rp.WriteJSON); err != nil {
			errs = append(errs, fmt.Errorf("write JSON report: %w", err))
		}
	}
	if s.logFile != "" {
		if err := appendLog(s.logFile, s.mark, rp); err != nil {
			errs = append(errs, fmt.Errorf("write log: %w", err))
		}
	}
	if s.jsonOut {
		if err := rp.WriteJSON(a.stdout); err != nil {
			errs = append(errs, err)
		}
	} else if !s.quiet {
		if err := rp.WriteText(a.stdout); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return setupErr(errors.Join(errs...))
	}
	return nil
}

// ioWriter is io.Writer, named for the callers' closures.
type ioWriter = io.Writer

// writeFileAtomic writes through a temporary file and renames it, so a
// reader never sees half a report.
func writeFileAtomic(path string, write func(ioWriter) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".loadgen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

const logHeader = "      Date & Time,  Trans,  Elap Time,  Data Trans,  Resp Time,  Trans Rate,  Throughput,  Concurrent,    OKAY,   Failed\n"

// appendLog appends siege's CSV log line (and the header to a new file).
func appendLog(path, mark string, rp *report.Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	var b strings.Builder
	if st, err := fh.Stat(); err == nil && st.Size() == 0 {
		b.WriteString(logHeader)
	}
	if mark != "" {
		fmt.Fprintf(&b, "**** %s ****\n", mark)
	}
	end, _ := time.Parse(time.RFC3339Nano, rp.End)
	fmt.Fprintf(&b, "%s,%7d,%11.2f,%12.0f,%11.3f,%12.2f,%12.2f,%12.2f,%8d,%9d\n",
		end.Local().Format("2006-01-02 15:04:05"), rp.Transactions, rp.ElapsedTime, float64(rp.Bytes)/(1024*1024),
		rp.ResponseTime, rp.TransactionRate, rp.Throughput, rp.Concurrency, rp.SuccessfulTransactions, rp.FailedTransactions)
	if _, err := fh.WriteString(b.String()); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
