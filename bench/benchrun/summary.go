package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// summary is the harness's result: every run, per-tool medians per setting,
// and the per-round ratios of loadgen to the other clients.
type summary struct {
	When     string           `json:"when"`
	Duration string           `json:"duration"`
	Rounds   int              `json:"rounds"`
	Pinned   bool             `json:"pinned"`
	Runs     []*runResult     `json:"runs"`
	Settings []*setting       `json:"settings"`
	Syscalls []*syscallResult `json:"syscalls,omitempty"`
	Sweep    []*sweepRow      `json:"sweep,omitempty"`
	Hlog     *hlogSummary     `json:"hlog,omitempty"`
}

// setting is one page and connection count.
type setting struct {
	Page   string                `json:"page"`
	Conns  int                   `json:"conns"`
	Tools  map[string]*toolStats `json:"tools"`
	Ratios []*ratio              `json:"ratios"`
	order  []string
}

// toolStats are the medians of one tool's rounds.
type toolStats struct {
	Rounds   int     `json:"rounds"`
	RPS      float64 `json:"rps"`
	CPUus    float64 `json:"cpu_us_per_req"`
	MaxRSSMB float64 `json:"max_rss_mb"` // the largest over the rounds
	P50us    float64 `json:"p50_us"`
	P99us    float64 `json:"p99_us"`
	Errors   int64   `json:"errors"`
	// ServerCPUus and ServerBusy are nginx's (see runResult).
	ServerCPUus float64 `json:"server_cpu_us_per_req"`
	ServerBusy  float64 `json:"server_busy_pct"`
}

// ratio is loadgen against another tool: per round and the median.
type ratio struct {
	Versus       string    `json:"versus"`
	RPS          []float64 `json:"rps_per_round"`
	CPU          []float64 `json:"cpu_per_round"`
	MedianRPS    float64   `json:"median_rps"`
	MedianCPU    float64   `json:"median_cpu"`
	TargetRPS    float64   `json:"target_rps_min"`
	TargetCPU    float64   `json:"target_cpu_max"`
	MeetsTargets bool      `json:"meets_targets"`
}

// targets are the goals at 200 connections: loadgen/X throughput at
// least rps, client CPU per request at most cpu.
var targets = map[string]struct{ rps, cpu float64 }{
	"wrk":        {0.95, 1.10},
	"bombardier": {1.10, 1.00},
}

func summarise(cfg *config, runs []*runResult, sys []*syscallResult) *summary {
	s := &summary{When: time.Now().UTC().Format(time.RFC3339), Duration: cfg.duration.String(), Rounds: cfg.rounds, Pinned: cfg.pin, Runs: runs, Syscalls: sys}
	for i, page := range cfg.pages {
		conns := cfg.conns
		if i == 0 {
			conns = union(cfg.conns, cfg.sweep) // the first page also has the sweep
		}
		for _, c := range conns {
			st := &setting{Page: page, Conns: c, Tools: map[string]*toolStats{}, order: cfg.tools}
			byTool := map[string][]*runResult{}
			for _, r := range runs {
				if r.Page == page && r.Conns == c && r.Err == "" {
					byTool[r.Tool] = append(byTool[r.Tool], r)
				}
			}
			for tool, rs := range byTool {
				ts := &toolStats{Rounds: len(rs)}
				ts.RPS = median(pick(rs, func(r *runResult) float64 { return r.RPS }))
				ts.CPUus = median(pick(rs, func(r *runResult) float64 { return r.CPUus }))
				ts.P50us = median(pick(rs, func(r *runResult) float64 { return r.P50us }))
				ts.P99us = median(pick(rs, func(r *runResult) float64 { return r.P99us }))
				ts.ServerCPUus = median(pick(rs, func(r *runResult) float64 { return r.ServerCPUus }))
				ts.ServerBusy = median(pick(rs, func(r *runResult) float64 { return r.ServerBusy }))
				for _, r := range rs {
					ts.MaxRSSMB = max(ts.MaxRSSMB, r.MaxRSSMB)
					ts.Errors += r.Errors
				}
				st.Tools[tool] = ts
			}
			for _, other := range []string{"wrk", "bombardier"} {
				rt := &ratio{Versus: other, TargetRPS: targets[other].rps, TargetCPU: targets[other].cpu}
				for round := 1; round <= cfg.rounds; round++ {
					a, b := find(runs, "loadgen", page, c, round), find(runs, other, page, c, round)
					if a == nil || b == nil || b.RPS == 0 || b.CPUus == 0 {
						continue
					}
					rt.RPS = append(rt.RPS, a.RPS/b.RPS)
					rt.CPU = append(rt.CPU, a.CPUus/b.CPUus)
				}
				if len(rt.RPS) == 0 {
					continue
				}
				rt.MedianRPS, rt.MedianCPU = median(rt.RPS), median(rt.CPU)
				rt.MeetsTargets = rt.MedianRPS >= rt.TargetRPS && rt.MedianCPU <= rt.TargetCPU
				st.Ratios = append(st.Ratios, rt)
			}
			s.Settings = append(s.Settings, st)
		}
	}
	return s
}

func find(runs []*runResult, tool, page string, conns, round int) *runResult {
	for _, r := range runs {
		if r.Tool == tool && r.Page == page && r.Conns == conns && r.Round == round && r.Err == "" {
			return r
		}
	}
	return nil
}

func pick(rs []*runResult, f func(*runResult) float64) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = f(r)
	}
	return out
}

// median of xs (the mean of the middle two for an even count).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// markdown renders the tables; text() prints the same to the terminal.
func (s *summary) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# loadgen vs wrk vs bombardier (%s)\n\n", s.When)
	fmt.Fprintf(&b, "nginx, 1 worker, %s; runs of %s, %d interleaved round(s); medians over rounds; RSS is the largest.\n", map[bool]string{true: "pinned to CPU 0, clients to CPU 1", false: "unpinned"}[s.Pinned], s.Duration, s.Rounds)
	for _, st := range s.Settings {
		fmt.Fprintf(&b, "\n## page %s, %d connections\n\n", st.Page, st.Conns)
		b.WriteString("| tool | req/s | CPU µs/req (user+sys) | max RSS MB | p50 µs | p99 µs | errors | nginx busy % | nginx µs/req |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, tool := range st.order {
			ts := st.Tools[tool]
			if ts == nil {
				fmt.Fprintf(&b, "| %s | failed | | | | | | | |\n", tool)
				continue
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.2f | %.1f | %.0f | %.0f | %d | %.0f | %.2f |\n", tool, ts.RPS, ts.CPUus, ts.MaxRSSMB, ts.P50us, ts.P99us, ts.Errors, ts.ServerBusy, ts.ServerCPUus)
		}
		if len(st.Ratios) > 0 {
			b.WriteString("\n| loadgen / | req/s per round | median | CPU/req per round | median | target (200 conns) |\n|---|---|---:|---|---:|---|\n")
			for _, r := range st.Ratios {
				verdict := fmt.Sprintf("req/s ≥ %.2f, CPU ≤ %.2f: %s", r.TargetRPS, r.TargetCPU, map[bool]string{true: "met", false: "not met"}[r.MeetsTargets])
				fmt.Fprintf(&b, "| %s | %s | **%.3f** | %s | **%.3f** | %s |\n", r.Versus, joinF(r.RPS), r.MedianRPS, joinF(r.CPU), r.MedianCPU, verdict)
			}
		}
	}
	b.WriteString(s.sweepMarkdown())
	if len(s.Syscalls) > 0 {
		b.WriteString("\n## system calls per request (perf stat, one run each)\n\n| tool | page | conns | syscalls/req | context switches/req | task-clock ms per 1k req |\n|---|---|---:|---:|---:|---:|\n")
		for _, x := range s.Syscalls {
			if x.Err != "" {
				fmt.Fprintf(&b, "| %s | %s | %d | %s | | |\n", x.Tool, x.Page, x.Conns, x.Err)
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %d | %.2f | %.3f | %.2f |\n", x.Tool, x.Page, x.Conns, x.PerRequest, x.CtxSwitchPerReq, x.TaskClockMsPerKr)
		}
	}
	return b.String()
}

func joinF(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.3f", x)
	}
	return strings.Join(parts, " ")
}

func (s *summary) text() string { return "\n" + s.markdown() }

func (s *summary) write(dir string) error {
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "results.json"), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "results.md"), []byte(s.markdown()), 0o644); err != nil {
		return fmt.Errorf("write results: %w", err)
	}
	return nil
}
