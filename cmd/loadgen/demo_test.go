package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/browsertest"
	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/report"
)

// TestDemoEndToEnd runs `loadgen demo`, scaled down, on the real binary: the
// stack output gives the URL, the crawl finds the page and its image, the
// load raises the site's CPU, the published metrics drive the alarm to ALARM
// through the evaluator, and the load stops within a poll of it.
func TestDemoEndToEnd(t *testing.T) {
	isolateAWS(t)
	jf := filepath.Join(t.TempDir(), "demo.json")
	hf := filepath.Join(t.TempDir(), "demo.html")
	cmd := exec.Command(binary(t), "demo", "-c", "20", "--period", "2", "--poll", "1s", "--publish-every", "500ms",
		"--alarm-timeout", "60s", "--json", jf, "--html", hf)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errb.String())
	}
	t.Logf("demo took %v", time.Since(start))
	log := errb.String()
	for _, want := range []string{
		"target http://127.0.0.1:", "from stack ecsworkshop-frontend output FrontendFargateLBServiceServiceURL55F424CF",
		"crawled 2 URLs from http://127.0.0.1:", "-> ALARM", "the workshop works end to end",
		"demo: the HTML report: " + hf + " (open file://" + hf + " in a browser)",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("demo output lacks %q:\n%s", want, log)
		}
	}
	var rp report.Report
	raw, err := os.ReadFile(jf)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rp); err != nil {
		t.Fatal(err)
	}
	if rp.FailedTransactions != 0 {
		t.Fatalf("failed transactions: %+v", rp.ErrorSamples)
	}
	checkFiredByEvaluation(t, rp, time.Second)
	assertChildrenGone(t, log, sitePid, loadPid)
	// The picture the console would have shown: the load and the alarm on one time axis.
	pg := browsertest.Open(t, hf, 1280, 800)
	browsertest.CheckCharts(t, pg, "throughput", "errors", "latency", "distribution", "alarm")
	browsertest.CheckNumbers(t, pg, raw)
}

// How the demo prints the pids of its site and of its load.
const (
	sitePid = `\(pid (\d+), one CPU\)`
	loadPid = `load pid (\d+)`
)

// startUntil starts cmd and waits until its output contains marker.
func startUntil(t *testing.T, cmd *exec.Cmd, marker string) *testsupport.SyncBuffer {
	t.Helper()
	out := &testsupport.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), marker) {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("%q did not appear:\n%s", marker, out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	return out
}

// assertChildrenGone checks that the processes whose pids the demo printed
// (matched by pidPatterns) no longer exist.
func assertChildrenGone(t *testing.T, log string, pidPatterns ...string) {
	t.Helper()
	for _, re := range pidPatterns {
		m := regexp.MustCompile(re).FindStringSubmatch(log)
		if m == nil {
			t.Fatalf("no pid for %s in:\n%s", re, log)
		}
		pid, _ := strconv.Atoi(m[1])
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("child %d still exists (kill 0: %v)", pid, err)
		}
	}
}

// TestDemoCtrlCLeavesNoChild interrupts the demo mid-load.
func TestDemoCtrlCLeavesNoChild(t *testing.T) {
	isolateAWS(t)
	cmd := exec.Command(binary(t), "demo", "-c", "10", "--period", "60", "--poll", "1s", "--html", filepath.Join(t.TempDir(), "demo.html"))
	errb := startUntil(t, cmd, "The server is now under siege")
	interrupt(t, cmd, errb.String, exitInterrupted)
	log := errb.String()
	assertChildrenGone(t, log, sitePid, loadPid)
	if !strings.Contains(log, "Transactions:") {
		t.Errorf("no report after Ctrl+C:\n%s", log)
	}
}

// TestDemoServe starts the local workshop, uses it as a user would with the
// printed exports (`loadgen url`), and stops it with Ctrl+C.
func TestDemoServe(t *testing.T) {
	isolateAWS(t)
	cmd := exec.Command(binary(t), "demo", "--serve")
	out := startUntil(t, cmd, "Ctrl+C stops the demo.")
	log := out.String()
	m := regexp.MustCompile(`export AWS_ENDPOINT_URL=(\S+)`).FindStringSubmatch(log)
	site := regexp.MustCompile(`site (http://127\.0\.0\.1:\d+) \(pid`).FindStringSubmatch(log)
	if m == nil || site == nil {
		_ = cmd.Process.Kill()
		t.Fatalf("no endpoint or site in:\n%s", log)
	}
	url := exec.Command(binary(t), "url")
	url.Env = append(os.Environ(), "AWS_ENDPOINT_URL="+m[1], "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo")
	got, err := url.Output()
	if err != nil || strings.TrimSpace(string(got)) != site[1]+"/" {
		t.Errorf("loadgen url against the demo: %q %v, want %s", got, err, site[1])
	}
	// Ctrl+C is how --serve is meant to end: exit 0.
	interrupt(t, cmd, out.String, exitOK)
	assertChildrenGone(t, log, sitePid)
}

// TestDemoWithStagesNamesTheCapacity: `loadgen demo --rate R --stages S`
// passes the shape to the load, which ramps until the site's CPU alarm
// fires; the report has the per-stage table and names the rate in force
// when the breaching period began.
func TestDemoWithStagesNamesTheCapacity(t *testing.T) {
	isolateAWS(t)
	jf := filepath.Join(t.TempDir(), "demo.json")
	cmd := exec.Command(binary(t), "demo", "-c", "50", "--rate", "50", "--stages", "20s:4000,30s:+4000", "--period", "2", "--poll", "1s",
		"--publish-every", "500ms", "--alarm-timeout", "60s", "--json", jf, "--html", filepath.Join(t.TempDir(), "demo.html"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errb.String())
	}
	log := errb.String()
	if !strings.Contains(log, "running: loadgen -c 50 --rate 50 --stages 20s:4000,30s:+4000 --until-alarm") || !strings.Contains(out.String(), "Capacity:") {
		t.Errorf("demo output:\n%s\n%s", log, out.String())
	}
	var rp report.Report
	raw, err := os.ReadFile(jf)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rp); err != nil {
		t.Fatal(err)
	}
	checkFiredByEvaluation(t, rp, time.Second)
	c := rp.Alarm.Capacity
	if c == nil || c.Unit != "req/s" || c.Stages != 2 || c.Target < 50 || c.Target > 4000 || len(rp.Stages) == 0 || rp.Stages[0].Unit != "req/s" {
		t.Fatalf("capacity %+v, stages %+v", c, rp.Stages)
	}
	t.Logf("the demo site crossed 50%% at %.0f req/s scheduled, %.0f completed", c.Target, c.Rate)
	assertChildrenGone(t, log, sitePid, loadPid)
}

func TestDemoLoadArgs(t *testing.T) {
	d := &demoFlags{users: 200, poll: 2 * time.Second, alarmTimeout: time.Minute}
	if got := strings.Join(d.loadArgs(), " "); got != "-c 200 --until-alarm --poll 2s --alarm-timeout 1m0s" {
		t.Errorf("the workshop's load: %q", got)
	}
	d.stages = "30s:50,1m:+50"
	if got := strings.Join(d.loadArgs(), " "); got != "--stages 30s:50,1m:+50 --until-alarm --poll 2s --alarm-timeout 1m0s" {
		t.Errorf("a shape from 0 users: %q", got)
	}
	d.usersGiven = true
	if got := strings.Join(d.loadArgs(), " "); !strings.HasPrefix(got, "-c 200 --stages 30s:50,1m:+50 ") {
		t.Errorf("a shape from -c: %q", got)
	}
	d.usersGiven = false
	d.rate, d.jsonFile, d.htmlFile = 100, "r.json", "r.html"
	if got := strings.Join(d.loadArgs(), " "); got != "-c 200 --rate 100 --stages 30s:50,1m:+50 --until-alarm --poll 2s --alarm-timeout 1m0s --json r.json --html r.html" {
		t.Errorf("a rate shape: %q", got)
	}
	if r := runCLI(t, nil, "demo", "--stages", "30s"); r.code != 2 || !strings.Contains(r.stderr, "--stages") {
		t.Errorf("bad --stages: exit %d %s", r.code, r.stderr)
	}
}
