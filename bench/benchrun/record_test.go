package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRecorderComparesAndKeepsTheBaseline drives the recorder with the
// real loadgen binary: a first recording becomes the baseline, a similar
// one is compared (no regression) and replaces it, one whose p99 doubled
// is a regression that leaves the baseline alone.
func TestRecorderComparesAndKeepsTheBaseline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds loadgen")
	}
	bin := filepath.Join(t.TempDir(), "loadgen")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/loadgen").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out := t.TempDir()
	cfg := &config{loadgen: bin, duration: 2 * time.Second}
	record := func(p99 float64) error {
		rc := &recorder{out: out}
		if err := rc.start(); err != nil {
			t.Fatal(err)
		}
		for round := 1; round <= 5; round++ {
			js := fmt.Sprintf(`{"schema":"loadgen.report/v1","transactions":%d,"elapsed_time":2,"transaction_rate":%d,"latency_ms":{"p50":0.4%d,"p90":0.9%d,"p99":%g,"p99_9":%g}}`,
				20000+round, 10000+round, round, round, p99+float64(round)/100, 2*p99+float64(round)/100)
			r := &runResult{Tool: "loadgen", Page: "small", Conns: 50, Round: round, report: []byte(js)}
			if err := rc.save(cfg, r); err != nil {
				t.Fatal(err)
			}
			if err := rc.save(cfg, &runResult{Tool: "wrk", Page: "small", Conns: 50, Round: round, report: []byte("x")}); err != nil {
				t.Fatal(err)
			}
		}
		return rc.finish(context.Background(), cfg)
	}
	setting := "small-c50-2s"
	if err := record(3); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "runs", setting, "round5.json")); err != nil {
		t.Fatalf("the first recording should be the baseline: %v", err)
	}
	if err := record(3); err != nil {
		t.Fatalf("a similar recording: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "runs.prev", setting, "round1.json")); err != nil {
		t.Fatalf("the previous baseline should be kept: %v", err)
	}
	if err := record(6); !errors.Is(err, errRegression) {
		t.Fatalf("p99 doubled: %v, want a regression", err)
	}
	if _, err := os.Stat(filepath.Join(out, "runs.new", setting, "round1.json")); err != nil {
		t.Fatalf("the regressed recording should stay in runs.new: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(out, "runs", setting, "round1.json"))
	if err != nil || !strings.Contains(string(raw), `"p99":3.01`) {
		t.Fatalf("the baseline should be kept: %s %v", raw, err)
	}
	if m, _ := filepath.Glob(filepath.Join(out, "runs", setting, "*")); len(m) != 5 {
		t.Fatalf("only loadgen's runs are recorded: %v", m)
	}
}
