package main

import (
	"strings"
	"testing"
)

func TestSweepRatiosAndTargets(t *testing.T) {
	cfg := &config{rounds: 2, pages: []string{"small"}, tools: []string{"loadgen", "wrk", "bombardier"}}
	rss := map[string]map[int]float64{
		"loadgen":    {200: 14, 10000: 90},
		"wrk":        {200: 7, 10000: 50},
		"bombardier": {200: 15, 10000: 190},
	}
	rps := map[string]float64{"loadgen": 96, "wrk": 100, "bombardier": 90}
	var runs []*runResult
	cfg.conns, cfg.sweep = []int{200}, []int{10000}
	for _, c := range []int{200, 10000} {
		for round := 1; round <= 2; round++ {
			for _, tool := range cfg.tools {
				runs = append(runs, &runResult{Tool: tool, Page: "small", Conns: c, Round: round, metrics: metrics{RPS: rps[tool]}, CPUus: 8, MaxRSSMB: rss[tool][c]})
			}
		}
	}
	s := summarise(cfg, runs, nil)
	s.sweep(cfg, runs)
	if len(s.Sweep) != 2 {
		t.Fatalf("sweep rows %+v", s.Sweep)
	}
	small, big := s.Sweep[0], s.Sweep[1]
	if small.Conns != 200 || small.Verdict != "met" || big.Conns != 10000 || big.Verdict != "met" {
		t.Fatalf("verdicts: 200 %q %q, 10000 %q %q", small.Target, small.Verdict, big.Target, big.Verdict)
	}
	for _, v := range big.Versus {
		if v.Versus == "wrk" && (!near(v.MedianRSS, 1.8) || !near(v.MedianRPS, 0.96)) {
			t.Fatalf("10000 vs wrk %+v", v)
		}
	}
	// Over 2x wrk's memory at 10,000 connections misses the target.
	for _, r := range runs {
		if r.Tool == "loadgen" && r.Conns == 10000 {
			r.MaxRSSMB = 120
		}
	}
	s = summarise(cfg, runs, nil)
	s.sweep(cfg, runs)
	if s.Sweep[1].Verdict != "not met" {
		t.Fatalf("120 MB vs 50 MB: %q", s.Sweep[1].Verdict)
	}
	if big.Tools["loadgen"] == nil || big.Tools["loadgen"].MaxRSSMB != 90 {
		t.Fatalf("the sweep's own connection counts lack their tools' figures: %+v", big.Tools)
	}
	md := s.markdown()
	if !strings.Contains(md, "| 10000 | wrk | 2.400 2.400 | **2.40** |") || !strings.Contains(md, "RSS ≤ 2x wrk, req/s ≥ 0.95x wrk: not met") {
		t.Fatalf("markdown:\n%s", md)
	}
}

func TestHlogOverhead(t *testing.T) {
	cfg := &config{rounds: 3}
	var runs []*runResult
	for round := 1; round <= 3; round++ {
		runs = append(runs,
			&runResult{Tool: "loadgen", Page: "small", Conns: 5000, Round: round, CPUus: 10},
			&runResult{Tool: "loadgen-hlog", Page: "small", Conns: 5000, Round: round, CPUus: 10 + float64(round)})
	}
	s := &summary{}
	s.hlog(cfg, runs)
	if s.Hlog == nil || !near(s.Hlog.Median, 1.2) || s.Hlog.Without != 10 || s.Hlog.With != 12 {
		t.Fatalf("%+v", s.Hlog)
	}
	if md := s.sweepMarkdown(); !strings.Contains(md, "≤ 1.10: not met") {
		t.Fatalf("markdown:\n%s", md)
	}
}
