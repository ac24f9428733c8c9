package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRateFlagReportsTheSchedule(t *testing.T) {
	s := newSite(t)
	// --max-users lets the schedule keep up on a busy machine.
	r := runCLI(t, nil, "-c", "4", "--max-users", "64", "-t", "1S", "--rate", "400", "--uncorrected", "-j", s.URL+"/health")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rp struct {
		Transactions int64 `json:"transactions"`
		Rate         *struct {
			Target    float64 `json:"target"`
			Corrected bool    `json:"corrected"`
			Scheduled int64   `json:"scheduled"`
			Sent      int64   `json:"sent"`
		} `json:"rate"`
		Uncorrected *struct {
			P99 float64 `json:"p99"`
		} `json:"latency_ms_uncorrected"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if rp.Rate == nil || rp.Rate.Target != 400 || !rp.Rate.Corrected || rp.Rate.Scheduled != 400 || rp.Uncorrected == nil {
		t.Fatalf("rate %+v, uncorrected %+v", rp.Rate, rp.Uncorrected)
	}
	if rp.Transactions != rp.Rate.Sent || s.total.Load() != rp.Rate.Sent || rp.Rate.Sent < 390 {
		t.Fatalf("%d transactions, %d sent, server saw %d", rp.Transactions, rp.Rate.Sent, s.total.Load())
	}
	// Without --uncorrected the raw latency is left out; the text says how
	// latency was measured.
	r = runCLI(t, nil, "-c", "2", "-r", "5", "--rate", "1000", s.URL+"/health")
	if r.code != 0 || !strings.Contains(r.stdout, "Request rate:") || !strings.Contains(r.stdout, "intended send time") ||
		strings.Contains(r.stdout, "Uncorrected percentiles") {
		t.Fatalf("exit %d:\n%s", r.code, r.stdout)
	}
}

func TestPerfFlagUsageErrors(t *testing.T) {
	s := newSite(t)
	for _, args := range [][]string{
		{"--max-users", "10", "-r", "1", s.URL},
		{"--uncorrected", "-r", "1", s.URL},
		{"--rate", "-5", "-r", "1", s.URL},
		{"--rate", "10", "--max-users", "-1", "-r", "1", s.URL},
		{"merge"},
	} {
		if r := runCLI(t, nil, args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, r.code, exitUsage, r.stderr)
		}
	}
	if r := runCLI(t, nil, "merge", filepath.Join(t.TempDir(), "missing.hlog")); r.code != exitSetup {
		t.Errorf("merge of a missing file: exit %d", r.code)
	}
	bad := filepath.Join(t.TempDir(), "bad.hlog")
	if err := os.WriteFile(bad, []byte("1,2,3,not-a-histogram\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, nil, "merge", bad); r.code != exitUsage || !strings.Contains(r.stderr, "bad.hlog:1") {
		t.Errorf("merge of a bad log: exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "--hlog", filepath.Join(t.TempDir(), "no", "such", "dir.hlog"), "-r", "1", s.URL); r.code != exitSetup {
		t.Errorf("unwritable --hlog: exit %d", r.code)
	}
}

// TestHlogThenMerge: two runs write interval logs; merge adds them up.
func TestHlogThenMerge(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.hlog"), filepath.Join(dir, "b.hlog")
	writeHlog(t, a, "-c", "3", "-r", "40", s.URL+"/health")
	writeHlog(t, b, "-c", "2", "-r", "25", "--rate", "500", s.URL+"/missing")
	head, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(head), "#[StartTime: ") || !strings.Contains(string(head), ",HISTF") || !strings.Contains(string(head), "#[loadgen-totals: ") {
		t.Fatalf("log a:\n%s", head)
	}
	r := runCLI(t, nil, "merge", "-j", a, b)
	if r.code != 0 {
		t.Fatalf("merge: exit %d: %s", r.code, r.stderr)
	}
	var rp struct {
		Transactions int64            `json:"transactions"`
		Status       map[string]int64 `json:"status"`
		EndedBy      string           `json:"ended_by"`
		Merged       struct {
			Sources     []string `json:"sources"`
			TotalsExact bool     `json:"totals_exact"`
		} `json:"merged"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if rp.Transactions != 170 || rp.Status["200"] != 120 || rp.Status["404"] != 50 || !rp.Merged.TotalsExact || len(rp.Merged.Sources) != 2 || rp.EndedBy != "merged" {
		t.Fatalf("merged report: %+v", rp)
	}
	r = runCLI(t, nil, "merge", a, b)
	if r.code != 0 || !strings.Contains(r.stdout, "Transactions:") || !strings.Contains(r.stdout, "Merged:") {
		t.Fatalf("merge text: exit %d\n%s", r.code, r.stdout)
	}
}
