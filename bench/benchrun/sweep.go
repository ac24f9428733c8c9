package main

import (
	"fmt"
	"sort"
	"strings"
)

// sweepRow is one connection count of the first page: each tool's median
// req/s and largest RSS, and loadgen's ratios to wrk and bombardier per
// round with their medians.
type sweepRow struct {
	Conns    int                   `json:"conns"`
	Tools    map[string]*toolStats `json:"tools"`
	Versus   []*sweepRatio         `json:"versus"`
	Target   string                `json:"target,omitempty"`
	Verdict  string                `json:"verdict,omitempty"`
	toolList []string
}

// sweepRatio is loadgen's RSS and req/s over another tool's, per round.
type sweepRatio struct {
	Versus    string    `json:"versus"`
	RSS       []float64 `json:"rss_per_round"`
	RPS       []float64 `json:"rps_per_round"`
	MedianRSS float64   `json:"median_rss"`
	MedianRPS float64   `json:"median_rps"`
}

// hlogSummary is loadgen's client CPU per request with and without --hlog
// at many connections, per round.
type hlogSummary struct {
	Conns     int       `json:"conns"`
	Without   float64   `json:"cpu_us_per_req"`      // median
	With      float64   `json:"cpu_us_per_req_hlog"` // median
	Ratio     []float64 `json:"ratio_per_round"`
	Median    float64   `json:"median_ratio"`
	TargetMax float64   `json:"target_max"`
}

// sweep adds the memory and throughput sweep over the first page's
// connection counts.
func (s *summary) sweep(cfg *config, runs []*runResult) {
	page := cfg.pages[0]
	counts := map[int]bool{}
	for _, r := range runs {
		if r.Page == page {
			counts[r.Conns] = true
		}
	}
	var cs []int
	for c := range counts {
		cs = append(cs, c)
	}
	sort.Ints(cs)
	for _, c := range cs {
		row := &sweepRow{Conns: c, Tools: map[string]*toolStats{}, toolList: cfg.tools}
		for _, st := range s.Settings {
			if st.Page == page && st.Conns == c {
				row.Tools = st.Tools
			}
		}
		for _, other := range []string{"wrk", "bombardier"} {
			v := &sweepRatio{Versus: other}
			for round := 1; round <= cfg.rounds; round++ {
				a, b := find(runs, "loadgen", page, c, round), find(runs, other, page, c, round)
				if a == nil || b == nil || b.MaxRSSMB == 0 || b.RPS == 0 {
					continue
				}
				v.RSS = append(v.RSS, a.MaxRSSMB/b.MaxRSSMB)
				v.RPS = append(v.RPS, a.RPS/b.RPS)
			}
			if len(v.RSS) > 0 {
				v.MedianRSS, v.MedianRPS = median(v.RSS), median(v.RPS)
				row.Versus = append(row.Versus, v)
			}
		}
		row.Target, row.Verdict = sweepTarget(row)
		s.Sweep = append(s.Sweep, row)
	}
}

// sweepTarget is the goal for a connection count and whether the
// medians meet it: at 10,000 (and more) RSS at most 2x wrk's with
// throughput at least 0.95x; at 200 RSS at most bombardier's.
func sweepTarget(row *sweepRow) (target, verdict string) {
	ratio := func(tool string) *sweepRatio {
		for _, v := range row.Versus {
			if v.Versus == tool {
				return v
			}
		}
		return nil
	}
	met := map[bool]string{true: "met", false: "not met"}
	switch {
	case row.Conns >= 10000:
		if w := ratio("wrk"); w != nil {
			return "RSS ≤ 2x wrk, req/s ≥ 0.95x wrk", met[w.MedianRSS <= 2 && w.MedianRPS >= 0.95]
		}
	case row.Conns == 200:
		if b := ratio("bombardier"); b != nil {
			return "RSS ≤ bombardier", met[b.MedianRSS <= 1]
		}
	}
	return "", ""
}

// hlog adds the --hlog overhead from interleaved loadgen and loadgen-hlog runs.
func (s *summary) hlog(cfg *config, runs []*runResult) {
	if len(runs) == 0 {
		return
	}
	h := &hlogSummary{Conns: runs[0].Conns, TargetMax: 1.10}
	var without, with []float64
	for round := 1; round <= cfg.rounds; round++ {
		a, b := find(runs, "loadgen", runs[0].Page, h.Conns, round), find(runs, "loadgen-hlog", runs[0].Page, h.Conns, round)
		if a == nil || b == nil || a.CPUus == 0 {
			continue
		}
		without, with = append(without, a.CPUus), append(with, b.CPUus)
		h.Ratio = append(h.Ratio, b.CPUus/a.CPUus)
	}
	if len(h.Ratio) == 0 {
		return
	}
	h.Without, h.With, h.Median = median(without), median(with), median(h.Ratio)
	s.Hlog = h
}

// sweepMarkdown renders the sweep and the --hlog overhead.
func (s *summary) sweepMarkdown() string {
	var b strings.Builder
	if len(s.Sweep) > 0 {
		b.WriteString("\n## connections sweep (first page): memory and throughput\n\n")
		b.WriteString("| conns | tool | req/s | max RSS MB | CPU µs/req | errors |\n|---:|---|---:|---:|---:|---:|\n")
		for _, row := range s.Sweep {
			for _, tool := range row.toolList {
				if ts := row.Tools[tool]; ts != nil {
					fmt.Fprintf(&b, "| %d | %s | %.0f | %.1f | %.2f | %d |\n", row.Conns, tool, ts.RPS, ts.MaxRSSMB, ts.CPUus, ts.Errors)
				}
			}
		}
		b.WriteString("\n| conns | loadgen / | RSS per round | median | req/s per round | median | target |\n|---:|---|---|---:|---|---:|---|\n")
		for _, row := range s.Sweep {
			for _, v := range row.Versus {
				target := ""
				if row.Target != "" && strings.Contains(row.Target, v.Versus) {
					target = row.Target + ": " + row.Verdict
				}
				fmt.Fprintf(&b, "| %d | %s | %s | **%.2f** | %s | **%.3f** | %s |\n", row.Conns, v.Versus, joinF(v.RSS), v.MedianRSS, joinF(v.RPS), v.MedianRPS, target)
			}
		}
	}
	if h := s.Hlog; h != nil {
		fmt.Fprintf(&b, "\n## --hlog at %d connections (client CPU per request)\n\n", h.Conns)
		b.WriteString("| without | with --hlog | with/without per round | median | target |\n|---:|---:|---|---:|---|\n")
		fmt.Fprintf(&b, "| %.2f µs | %.2f µs | %s | **%.3f** | ≤ %.2f: %s |\n", h.Without, h.With, joinF(h.Ratio), h.Median, h.TargetMax,
			map[bool]string{true: "met", false: "not met"}[h.Median <= h.TargetMax])
	}
	return b.String()
}
