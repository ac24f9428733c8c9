package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// client is one load generator: how to call it and how to read its output.
type client struct {
	name  string
	bin   func(*config) string
	args  func(url string, conns int, d time.Duration) []string
	parse func(stdout []byte) (metrics, error)
}

// metrics is what a client says about its own run.
type metrics struct {
	Requests int64   `json:"requests"` // completed responses
	Errors   int64   `json:"errors"`   // socket errors and non-2xx/3xx
	Seconds  float64 `json:"seconds"`  // the run's length as the client measured it
	RPS      float64 `json:"rps"`
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
}

// loadgenArgs is loadgen's command line in the benchmark, with extra flags
// before the URL. -R /dev/null: no siege configuration file of this machine
// changes the run (nor one run and not the other).
func loadgenArgs(url string, conns int, d time.Duration, extra ...string) []string {
	args := []string{"-R", os.DevNull, "-c", strconv.Itoa(conns), "-t", fmt.Sprintf("%dS", int(d.Seconds())), "-b", "-j", "--timeout", "10s"}
	return append(append(args, extra...), url)
}

var clients = map[string]*client{
	"loadgen": {
		name:  "loadgen",
		bin:   func(c *config) string { return c.loadgen },
		args:  func(url string, conns int, d time.Duration) []string { return loadgenArgs(url, conns, d) },
		parse: parseLoadgen,
	},
	// loadgen-hlog is loadgen writing an interval log (to /dev/null: the
	// collection and encoding are paid, the file is not kept).
	"loadgen-hlog": {
		name: "loadgen-hlog",
		bin:  func(c *config) string { return c.loadgen },
		args: func(url string, conns int, d time.Duration) []string {
			return loadgenArgs(url, conns, d, "--hlog", os.DevNull)
		},
		parse: parseLoadgen,
	},
	"wrk": {
		name: "wrk",
		bin:  func(c *config) string { return c.wrk },
		args: func(url string, conns int, d time.Duration) []string {
			return []string{"-t1", "-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())), "--timeout", "10s", "--latency", url}
		},
		parse: parseWrk,
	},
	"bombardier": {
		name: "bombardier",
		bin:  func(c *config) string { return c.bombardier },
		args: func(url string, conns int, d time.Duration) []string {
			return []string{"-c", strconv.Itoa(conns), "-d", fmt.Sprintf("%ds", int(d.Seconds())), "-t", "10s", "-l", "-p", "r", "-o", "json", url}
		},
		parse: parseBombardier,
	},
}

// runResult is one client run with its resource use.
type runResult struct {
	Tool    string  `json:"tool"`
	Page    string  `json:"page"`
	Conns   int     `json:"conns"`
	Round   int     `json:"round"`
	metrics         // as the client reports them
	UserS   float64 `json:"user_s"`
	SysS    float64 `json:"sys_s"`
	// CPUus is the client's user+sys CPU time per completed request, in µs.
	CPUus    float64 `json:"cpu_us_per_req"`
	MaxRSSMB float64 `json:"max_rss_mb"`
	// ServerCPUus is nginx's CPU time per request during the run, and
	// ServerBusy its CPU use in percent of one core: near 100, the server
	// is the bottleneck and throughput says little about the client.
	ServerCPUus float64 `json:"server_cpu_us_per_req"`
	ServerBusy  float64 `json:"server_busy_pct"`
	Err         string  `json:"error,omitempty"`
	// report is loadgen's JSON report (its stdout), recorded for loadgen compare.
	report []byte
}

func (r *runResult) line() string {
	if r.Err != "" {
		return fmt.Sprintf("  %-10s %-8s c=%-4d round %d: ERROR %s", r.Tool, r.Page, r.Conns, r.Round, r.Err)
	}
	return fmt.Sprintf("  %-10s %-8s c=%-4d round %d: %9.0f req/s  %6.2f µs CPU/req (user %.2fs sys %.2fs)  RSS %6.1f MB  p50 %7.0f µs  p99 %7.0f µs  errors %d  | nginx %3.0f%% busy, %.2f µs/req",
		r.Tool, r.Page, r.Conns, r.Round, r.RPS, r.CPUus, r.UserS, r.SysS, r.MaxRSSMB, r.P50us, r.P99us, r.Errors, r.ServerBusy, r.ServerCPUus)
}

// command builds the client's command line, pinned to CPU 1 when asked.
func command(ctx context.Context, cfg *config, cl *client, url string, conns int, d time.Duration, wrap ...string) *exec.Cmd {
	argv := append([]string{cl.bin(cfg)}, cl.args(url, conns, d)...)
	if cfg.pin {
		argv = append([]string{"taskset", "-c", "1"}, argv...)
	}
	argv = append(wrap, argv...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.WaitDelay = 5 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// runClient runs one client for cfg.duration (killed after duration + 30 s)
// and reads its CPU time and max RSS from the rusage of the child.
func runClient(ctx context.Context, cfg *config, cl *client, url string, conns int) *runResult {
	r := &runResult{Tool: cl.name, Conns: conns}
	ctx, cancel := context.WithTimeout(ctx, cfg.duration+30*time.Second)
	defer cancel()
	cmd := command(ctx, cfg, cl, url, conns, cfg.duration)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.UserS = tv(ru.Utime)
			r.SysS = tv(ru.Stime)
			r.MaxRSSMB = float64(ru.Maxrss) / 1024 // KiB on Linux
		}
	}
	if err != nil {
		r.Err = fmt.Sprintf("%v: %s", err, firstLine(errb.String()))
		return r
	}
	m, err := cl.parse(out.Bytes())
	if err != nil {
		r.Err = fmt.Sprintf("parse output: %v", err)
		return r
	}
	r.metrics = m
	r.report = out.Bytes()
	if m.Requests > 0 {
		r.CPUus = (r.UserS + r.SysS) / float64(m.Requests) * 1e6
	}
	return r
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// syscallResult is the system calls a client made per request, from
// perf stat's raw_syscalls:sys_enter tracepoint (or strace -c).
type syscallResult struct {
	Tool             string  `json:"tool"`
	Page             string  `json:"page"`
	Conns            int     `json:"conns"`
	Requests         int64   `json:"requests"`
	Syscalls         int64   `json:"syscalls"`
	PerRequest       float64 `json:"syscalls_per_req"`
	ContextSwitches  int64   `json:"context_switches"`
	CtxSwitchPerReq  float64 `json:"context_switches_per_req"`
	TaskClockMsPerKr float64 `json:"task_clock_ms_per_1k_req"`
	Err              string  `json:"error,omitempty"`
}

// countSyscalls runs the client once under perf stat.
func countSyscalls(ctx context.Context, cfg *config, cl *client, url string, conns int) *syscallResult {
	s := &syscallResult{Tool: cl.name, Conns: conns}
	perf, err := exec.LookPath("perf")
	if err != nil {
		s.Err = "perf not found"
		return s
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.duration+30*time.Second)
	defer cancel()
	tmp, err := os.MkdirTemp("", "benchrun-perf-")
	if err != nil {
		s.Err = err.Error()
		return s
	}
	defer os.RemoveAll(tmp)
	statFile := filepath.Join(tmp, "stat.csv")
	cmd := command(ctx, cfg, cl, url, conns, cfg.duration,
		perf, "stat", "-x", ",", "-o", statFile, "-e", "raw_syscalls:sys_enter,context-switches,task-clock", "--")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		s.Err = fmt.Sprintf("%v: %s", err, firstLine(errb.String()))
		return s
	}
	m, err := cl.parse(out.Bytes())
	if err != nil {
		s.Err = fmt.Sprintf("parse output: %v", err)
		return s
	}
	stat, err := os.ReadFile(statFile)
	if err != nil {
		s.Err = err.Error()
		return s
	}
	counts := parsePerfStat(stat)
	s.Requests = m.Requests
	s.Syscalls = int64(counts["raw_syscalls:sys_enter"])
	s.ContextSwitches = int64(counts["context-switches"])
	if m.Requests > 0 {
		s.PerRequest = float64(s.Syscalls) / float64(m.Requests)
		s.CtxSwitchPerReq = float64(s.ContextSwitches) / float64(m.Requests)
		s.TaskClockMsPerKr = counts["task-clock"] / float64(m.Requests) * 1000
	}
	fmt.Printf("  syscalls %-10s c=%d: %.2f syscalls/req, %.3f context switches/req\n", s.Tool, conns, s.PerRequest, s.CtxSwitchPerReq)
	return s
}

// parsePerfStat reads perf stat -x, output: value,unit,event,...
func parsePerfStat(b []byte) map[string]float64 {
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) < 3 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		out[strings.TrimSuffix(f[2], ":u")] = v
	}
	return out
}

// parseLoadgen reads loadgen's -j report.
func parseLoadgen(b []byte) (metrics, error) {
	var rp struct {
		Transactions int64   `json:"transactions"`
		Failed       int64   `json:"failed_transactions"`
		HTTPErrors   int64   `json:"http_errors"`
		Elapsed      float64 `json:"elapsed_time"`
		Rate         float64 `json:"transaction_rate"`
		Latency      struct {
			P50 float64 `json:"p50"`
			P99 float64 `json:"p99"`
		} `json:"latency_ms"`
	}
	if err := json.Unmarshal(b, &rp); err != nil {
		return metrics{}, fmt.Errorf("loadgen JSON: %w", err)
	}
	if rp.Transactions == 0 && rp.Failed == 0 {
		return metrics{}, errors.New("loadgen reported no transactions")
	}
	return metrics{Requests: rp.Transactions, Errors: rp.Failed + rp.HTTPErrors, Seconds: rp.Elapsed, RPS: rp.Rate,
		P50us: rp.Latency.P50 * 1000, P99us: rp.Latency.P99 * 1000}, nil
}

var (
	wrkTotal   = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),`)
	wrkRate    = regexp.MustCompile(`(?m)^Requests/sec:\s+([\d.]+)`)
	wrkPct     = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$`)
	wrkNon2xx  = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)`)
	wrkSockErr = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

// unitSeconds converts a wrk duration with its unit to seconds.
func unitSeconds(v, unit string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, err
	}
	switch unit {
	case "us":
		return f / 1e6, nil
	case "ms":
		return f / 1e3, nil
	case "s":
		return f, nil
	case "m":
		return f * 60, nil
	}
	return 0, fmt.Errorf("unknown unit %q", unit)
}

// parseWrk reads wrk --latency output.
func parseWrk(b []byte) (metrics, error) {
	var m metrics
	t := wrkTotal.FindSubmatch(b)
	r := wrkRate.FindSubmatch(b)
	if t == nil || r == nil {
		return m, errors.New("wrk output has no request total or Requests/sec line")
	}
	var err error
	if m.Requests, err = strconv.ParseInt(string(t[1]), 10, 64); err != nil {
		return m, fmt.Errorf("wrk request count: %w", err)
	}
	if m.Seconds, err = unitSeconds(string(t[2]), string(t[3])); err != nil {
		return m, fmt.Errorf("wrk duration: %w", err)
	}
	if m.RPS, err = strconv.ParseFloat(string(r[1]), 64); err != nil {
		return m, fmt.Errorf("wrk rate: %w", err)
	}
	for _, p := range wrkPct.FindAllSubmatch(b, -1) {
		s, err := unitSeconds(string(p[2]), string(p[3]))
		if err != nil {
			return m, fmt.Errorf("wrk percentile: %w", err)
		}
		if string(p[1]) == "50" {
			m.P50us = s * 1e6
		} else {
			m.P99us = s * 1e6
		}
	}
	if x := wrkNon2xx.FindSubmatch(b); x != nil {
		n, _ := strconv.ParseInt(string(x[1]), 10, 64)
		m.Errors += n
	}
	if x := wrkSockErr.FindSubmatch(b); x != nil {
		for _, f := range x[1:] {
			n, _ := strconv.ParseInt(string(f), 10, 64)
			m.Errors += n
		}
	}
	return m, nil
}

// parseBombardier reads bombardier -o json -p r output (latencies in µs).
func parseBombardier(b []byte) (metrics, error) {
	var out struct {
		Result struct {
			Time    float64 `json:"timeTakenSeconds"`
			R1      int64   `json:"req1xx"`
			R2      int64   `json:"req2xx"`
			R3      int64   `json:"req3xx"`
			R4      int64   `json:"req4xx"`
			R5      int64   `json:"req5xx"`
			Others  int64   `json:"others"`
			Latency struct {
				Percentiles map[string]float64 `json:"percentiles"`
			} `json:"latency"`
		} `json:"result"`
	}
	// bombardier may print progress before the JSON object.
	if i := bytes.IndexByte(b, '{'); i > 0 {
		b = b[i:]
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return metrics{}, fmt.Errorf("bombardier JSON: %w", err)
	}
	res := out.Result
	m := metrics{Seconds: res.Time}
	m.Requests = res.R1 + res.R2 + res.R3 + res.R4 + res.R5
	m.Errors = res.R4 + res.R5 + res.Others
	if res.Time <= 0 || m.Requests == 0 {
		return m, errors.New("bombardier reported no requests")
	}
	m.RPS = float64(m.Requests) / res.Time
	m.P50us = res.Latency.Percentiles["50"]
	m.P99us = res.Latency.Percentiles["99"]
	return m, nil
}
