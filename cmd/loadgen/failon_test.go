package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/report"
)

func TestFailOnPassingThresholdsExitZero(t *testing.T) {
	s := newSite(t)
	r := runCLI(t, nil, "-c", "2", "-r", "20", "-j",
		"--fail-on", "p99 > 10s", "--fail-on", "errors > 0", "--fail-on", "http_errors > 1%",
		"--fail-on", "availability < 100%", "--fail-on", "rate < 1", "--fail-on", "p95>=5s", s.URL+"/")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatal(err)
	}
	if len(rp.Thresholds) != 6 {
		t.Fatalf("thresholds: %+v", rp.Thresholds)
	}
	for _, th := range rp.Thresholds {
		if !th.Passed || th.Corrected {
			t.Errorf("%+v", th)
		}
	}
	if th := rp.Thresholds[0]; th.Expression != "p99 > 10s" || th.Metric != "p99" || th.Limit != 10000 || th.Unit != "ms" || th.Measured <= 0 || th.Measured != rp.LatencyMs.P99 {
		t.Errorf("p99 threshold: %+v (report p99 %v)", th, rp.LatencyMs.P99)
	}
	if rp.LatencyMs.P95 <= 0 || rp.LatencyMs.P95 > rp.LatencyMs.P99 {
		t.Errorf("p95 %v, p99 %v", rp.LatencyMs.P95, rp.LatencyMs.P99)
	}
}

func TestFailOnCrossedThresholdExitsOneAndSaysWhich(t *testing.T) {
	s := newSite(t)
	jf := filepath.Join(t.TempDir(), "r.json")
	r := runCLI(t, nil, "-c", "2", "-r", "10", "--json", jf,
		"--fail-on", "p99 > 10s", "--fail-on", "http_errors > 1%", s.URL+"/missing")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `loadgen: failed: threshold "http_errors > 1%" crossed`) || strings.Contains(r.stderr, "p99 > 10s") {
		t.Errorf("stderr: %s", r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-2], "Threshold p99 > 10s:\tpass (p99 ") ||
		lines[len(lines)-1] != "Threshold http_errors > 1%:\tFAILED (http_errors 100.00% of responses)" {
		t.Errorf("the text report should end with one line per threshold:\n%s", r.stdout)
	}
	rp, _ := readReport(t, jf)
	if len(rp.Thresholds) != 2 || !rp.Thresholds[0].Passed || rp.Thresholds[1].Passed || rp.Thresholds[1].Measured != 100 {
		t.Fatalf("JSON thresholds: %+v", rp.Thresholds)
	}
}

func TestFailOnMalformedIsAUsageErrorBeforeAnyLoad(t *testing.T) {
	s := newSite(t)
	for _, expr := range []string{"p99 > 250", "p98 > 250ms", "errors 1%", "rate < fast"} {
		r := runCLI(t, nil, "-c", "2", "-r", "5", "--fail-on", "rate < 1", "--fail-on", expr, s.URL+"/")
		if r.code != exitUsage || !strings.Contains(r.stderr, "--fail-on") || !strings.Contains(r.stderr, `"`+expr+`"`) {
			t.Errorf("%q: exit %d: %s", expr, r.code, r.stderr)
		}
	}
	if n := s.total.Load(); n != 0 {
		t.Fatalf("the server received %d requests; a malformed --fail-on must stop the run before any load", n)
	}
	if r := runCLI(t, nil, "merge", "--fail-on", "p99 >", "x.hlog"); r.code != exitUsage || !strings.Contains(r.stderr, `"p99 >"`) {
		t.Errorf("merge: exit %d: %s", r.code, r.stderr)
	}
}

func TestFailOnWithRateJudgesCorrectedLatency(t *testing.T) {
	s := newSite(t)
	r := runCLI(t, nil, "-c", "2", "--rate", "200", "-t", "0.5S", "--fail-on", "p99 > 10s", "--fail-on", "max > 10s", s.URL+"/")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Threshold p99 > 10s:\tpass (p99 ") || !strings.Contains(r.stdout, "corrected latency: from each request's intended send time)") {
		t.Fatalf("report:\n%s", r.stdout)
	}
}

func TestMergeFailOnDecidesOnTheMergedData(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.hlog"), filepath.Join(dir, "b.hlog")
	writeHlog(t, a, "-c", "2", "-r", "30", s.URL+"/")
	writeHlog(t, b, "-c", "2", "-r", "10", s.URL+"/missing")
	// 20 of the 80 merged responses are 404s: 25%, above 20% and below 30%.
	r := runCLI(t, nil, "merge", "-j", "--fail-on", "http_errors > 20%", "--fail-on", "p99 > 10s", a, b)
	if r.code != exitFailed || !strings.Contains(r.stderr, `threshold "http_errors > 20%" crossed`) {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatal(err)
	}
	if len(rp.Thresholds) != 2 || rp.Thresholds[0].Passed || rp.Thresholds[0].Measured != 25 || !rp.Thresholds[1].Passed {
		t.Fatalf("%+v", rp.Thresholds)
	}
	if r := runCLI(t, nil, "merge", "--fail-on", "http_errors > 30%", a, b); r.code != 0 || !strings.Contains(r.stdout, "Threshold http_errors > 30%:\tpass (http_errors 25.00% of responses)") {
		t.Fatalf("exit %d: %s\n%s", r.code, r.stderr, r.stdout)
	}
}

// TestUntilAlarmAndThresholdsBothMustHold: the alarm fires but a threshold
// is crossed (exit 1, the threshold named), then a threshold holds but the
// alarm does not fire (exit 1, the alarm named).
func TestUntilAlarmAndThresholdsBothMustHold(t *testing.T) {
	srv, _ := alarmingWorkshop(t)
	r := runCLI(t, nil, "-c", "4", "--until-alarm", "--poll", "1s", "--alarm-timeout", "40s", "-j",
		"--fail-on", "p99 > 10s", "--fail-on", "rate < 1000000000")
	if r.code != exitFailed {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, `loadgen: failed: threshold "rate < 1000000000" crossed`) || strings.Contains(r.stderr, "did not reach ALARM") {
		t.Errorf("stderr should name the crossed threshold only:\n%s", r.stderr)
	}
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatal(err)
	}
	if rp.Alarm == nil || !rp.Alarm.Fired || len(rp.Thresholds) != 2 || !rp.Thresholds[0].Passed || rp.Thresholds[1].Passed {
		t.Fatalf("alarm %+v thresholds %+v", rp.Alarm, rp.Thresholds)
	}

	s := newSite(t)
	srv.PutStack("ecsworkshop-frontend", awslocal.Output{Key: "FrontendFargateLBServiceServiceURL55F424CF", Value: s.URL})
	if r := runCLI(t, nil, "alarm", "create", "--period", "10", "--name", "never", "--threshold", "99"); r.code != 0 {
		t.Fatalf("alarm create: %s", r.stderr)
	}
	r = runCLI(t, nil, "-c", "2", "-d", "0.05", "--until-alarm", "--alarm", "never", "--poll", "1s", "--alarm-timeout", "2s",
		"--fail-on", "p99 > 10s", s.URL+"/")
	if r.code != exitFailed || !strings.Contains(r.stderr, "loadgen: failed: the alarm did not reach ALARM\n") {
		t.Fatalf("exit %d, stderr should name the alarm only:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Verdict:\t\tthe alarm did not reach ALARM") || !strings.Contains(r.stdout, "Threshold p99 > 10s:\tpass") {
		t.Fatalf("report:\n%s", r.stdout)
	}
}
