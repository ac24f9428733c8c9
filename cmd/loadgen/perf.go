package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
)

// perfFlags are the open-model and HdrHistogram-log flags, and profiling.
type perfFlags struct {
	rate        float64
	maxUsers    int
	uncorrected bool
	hlog        string
	interval    time.Duration
	cpuProfile  string
	memProfile  string
}

func (p *perfFlags) register(fs *pflag.FlagSet) {
	fs.Var(rateValue{&p.rate}, "rate", "open model: send R requests/s in total on a fixed schedule, spread over the users; latency counts from each request's intended send time (coordinated omission corrected, as wrk2)")
	fs.IntVar(&p.maxUsers, "max-users", 0, "with --rate: let users join while the schedule is over 10 ms behind (50% more every 100 ms), up to this many")
	fs.BoolVar(&p.uncorrected, "uncorrected", false, "with --rate: also report the latency from the actual send (what a closed-loop tool shows)")
	fs.StringVar(&p.hlog, "hlog", "", "write an HdrHistogram interval log (format 1.3, one histogram per interval, µs) to FILE ('-': stdout, the text summary then goes to stderr); combine logs with 'loadgen merge'")
	fs.DurationVar(&p.interval, "hlog-interval", time.Second, "the interval log's interval")
	fs.StringVar(&p.cpuProfile, "cpuprofile", "", "diagnostics: write a CPU profile of the run to FILE (go tool pprof)")
	fs.StringVar(&p.memProfile, "memprofile", "", "diagnostics: write an allocation profile to FILE at the end")
}

// perfRun is what the flags set up around one load run.
type perfRun struct {
	f        *perfFlags
	hlogFile io.Writer // a file, or stdout for --hlog -
	closer   io.Closer // the file; nil for stdout
	mu       sync.Mutex
	hw       *report.HlogWriter
	hlogErr  error
	cpu      *os.File
}

// check refuses what these flags cannot mean together, before anything
// starts (a fleet checks them before launching a shard).
func (p *perfFlags) check() error {
	if p.rate == 0 && (p.maxUsers != 0 || p.uncorrected) {
		return usageErr("--max-users and --uncorrected need --rate")
	}
	if p.maxUsers < 0 {
		return usageErr("--max-users: want a number of users, got %d", p.maxUsers)
	}
	if p.interval < 10*time.Millisecond {
		return usageErr("--hlog-interval: want at least 10ms, got %s", p.interval)
	}
	return nil
}

// startPerf checks the flags, sets the run's options, opens the interval
// log and starts the CPU profile. close must be called in any case.
func (a *app) startPerf(p *perfFlags, s *settings) (*perfRun, error) {
	pr := &perfRun{f: p}
	if err := p.check(); err != nil {
		return pr, err
	}
	if p.rate > 0 {
		if s.opts.Delay > 0 {
			fmt.Fprintf(a.stderr, "loadgen: --rate sets the pace; ignoring -d/--delay\n")
			s.opts.Delay = 0
		}
		s.opts.Rate, s.opts.MaxUsers = p.rate, p.maxUsers
	}
	s.opts.Interval = p.interval
	if p.hlog == "-" && (s.jsonOut || s.verbose) {
		return pr, usageErr("--hlog - writes the interval log to stdout, where -j and -v write too: send it to a file")
	}
	s.hlogStdout = p.hlog == "-"
	if p.hlog != "" {
		var fh io.Writer = a.stdout
		if p.hlog != "-" {
			f, err := os.Create(p.hlog)
			if err != nil {
				return pr, setupErr(fmt.Errorf("--hlog: %w", err))
			}
			fh, pr.closer = f, f
		}
		pr.hlogFile = fh
		comment := fmt.Sprintf("loadgen %s interval log: latency in microseconds", version)
		if p.rate > 0 {
			comment += fmt.Sprintf("; open model at %g/s: untagged = from the intended send time (corrected), Tag=%s = from the actual send", p.rate, report.UncorrectedTag)
		}
		s.opts.OnInterval = func(iv loadgen.Interval) {
			pr.mu.Lock()
			defer pr.mu.Unlock()
			if pr.hlogErr != nil {
				return
			}
			if pr.hw == nil {
				if pr.hw, pr.hlogErr = report.NewHlogWriter(fh, iv.Start, comment); pr.hlogErr != nil {
					return
				}
			}
			pr.hlogErr = pr.hw.WriteInterval(iv)
		}
	}
	if p.cpuProfile != "" {
		fh, err := os.Create(p.cpuProfile)
		if err != nil {
			return pr, setupErr(fmt.Errorf("--cpuprofile: %w", err))
		}
		if err := pprof.StartCPUProfile(fh); err != nil {
			fh.Close()
			return pr, setupErr(fmt.Errorf("--cpuprofile: %w", err))
		}
		pr.cpu = fh
	}
	return pr, nil
}

// finish completes the interval log with the run's totals, writes the
// allocation profile, and shapes the report (uncorrected latency on request).
func (pr *perfRun) finish(res *loadgen.Result, rp *report.Report) error {
	pr.stopCPU()
	if !pr.f.uncorrected {
		rp.LatencyMsUncorrected = nil
	}
	var errs []error
	if pr.hlogFile != nil {
		pr.mu.Lock()
		if pr.hlogErr == nil && pr.hw != nil {
			pr.hlogErr = pr.hw.WriteTotals(res)
		}
		if pr.hlogErr != nil {
			errs = append(errs, fmt.Errorf("--hlog: %w", pr.hlogErr))
		}
		pr.mu.Unlock()
	}
	if pr.f.memProfile != "" {
		runtime.GC()
		if err := report.WriteFileAtomic(pr.f.memProfile, func(w io.Writer) error { return pprof.Lookup("allocs").WriteTo(w, 0) }); err != nil {
			errs = append(errs, fmt.Errorf("--memprofile: %w", err))
		}
	}
	if len(errs) > 0 {
		return setupErr(errors.Join(errs...))
	}
	return nil
}

func (pr *perfRun) stopCPU() {
	if pr.cpu != nil {
		pprof.StopCPUProfile()
		pr.cpu.Close()
		pr.cpu = nil
	}
}

// close releases what startPerf opened; safe after finish.
func (pr *perfRun) close() {
	pr.stopCPU()
	if pr.closer != nil {
		pr.mu.Lock()
		pr.closer.Close()
		pr.mu.Unlock()
	}
}

// comment writes a line to the interval log as it is (a shard's header,
// before the log's own header); a no-op without --hlog.
func (pr *perfRun) comment(line string) error {
	if pr.hlogFile == nil {
		return nil
	}
	pr.mu.Lock()
	defer pr.mu.Unlock()
	_, err := io.WriteString(pr.hlogFile, line+"\n")
	return err
}
