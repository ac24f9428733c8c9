//go:build !lean

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/loadgen/loadgen/internal/awsclients"
	"github.com/loadgen/loadgen/internal/browsertest"

	"github.com/loadgen/loadgen/internal/testsupport"
)

// TestDemoEndToEnd runs `loadgen demo`, scaled down, on the real binary: the
// stack output gives the URL, the crawl finds the page and its image, the
// load raises the site's CPU, the published metrics drive the alarm to ALARM
// through the evaluator, the load stops within a poll of it, and `loadgen
// check` finds every step of the chapter done.
func TestDemoEndToEnd(t *testing.T) {
	isolateAWS(t)
	jf := filepath.Join(t.TempDir(), "demo.json")
	hf := filepath.Join(t.TempDir(), "demo.html")
	cmd := exec.Command(testsupport.LoadgenBinary(t), "demo", "-c", "20", "--period", "10", "--poll", "1s", "--publish-every", "500ms",
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
		"crawled 2 URLs from http://127.0.0.1:", "-> ALARM", "the alarm fired under load", "running: loadgen check",
		"every step of the chapter is done: the workshop works end to end",
		"demo: the HTML report: " + hf + " (open file://" + hf + " in a browser)",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("demo output lacks %q:\n%s", want, log)
		}
	}
	// The check's report, every step ✓ but the CloudWatch agent's, which
	// does not apply to a Fargate cluster.
	for _, want := range []string{
		"✓  1 credentials", "✓  2 roles", "✓  3 stacks", "✓  4 cluster", "✓  5 insights", "–  6 cwagent", "✓  7 logs",
		"✓  8 metrics", "✓  9 alarm", "e-mail to participant@example.com confirmed", "✓ 10 fired", "✓ 11 queries",
		"1  ecsdemo-frontend  1", "10 of 11 steps pass, 1 does not apply: done.",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("check output lacks %q:\n%s", want, out.String())
		}
	}
	rp, raw := readReport(t, jf)
	if rp.FailedTransactions != 0 {
		t.Fatalf("failed transactions: %+v", rp.ErrorSamples)
	}
	checkFiredByEvaluation(t, rp, time.Second)
	assertChildrenGone(t, log, sitePid, loadPid, checkPid)
	// The picture the console would have shown: the load and the alarm on one time axis.
	pg := browsertest.Open(t, hf, 1280, 800)
	browsertest.CheckCharts(t, pg, "throughput", "errors", "latency", "distribution", "alarm")
	browsertest.CheckNumbers(t, pg, raw)
}

// How the demo prints the pids of its site and of its load.
const (
	sitePid  = `\(pid (\d+), one CPU\)`
	loadPid  = `load pid (\d+)`
	checkPid = `check pid (\d+)`
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
	cmd := exec.Command(testsupport.LoadgenBinary(t), "demo", "-c", "10", "--period", "60", "--poll", "1s", "--html", filepath.Join(t.TempDir(), "demo.html"))
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
	cmd := exec.Command(testsupport.LoadgenBinary(t), "demo", "--serve")
	out := startUntil(t, cmd, "Ctrl+C stops the demo.")
	log := out.String()
	m := regexp.MustCompile(`export AWS_ENDPOINT_URL=(\S+)`).FindStringSubmatch(log)
	site := regexp.MustCompile(`site (http://127\.0\.0\.1:\d+) \(pid`).FindStringSubmatch(log)
	if m == nil || site == nil {
		_ = cmd.Process.Kill()
		t.Fatalf("no endpoint or site in:\n%s", log)
	}
	url := exec.Command(testsupport.LoadgenBinary(t), "url")
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
	cmd := exec.Command(testsupport.LoadgenBinary(t), "demo", "-c", "50", "--rate", "1000", "--stages", "10s:6000,30s:+6000", "--period", "10", "--poll", "1s",
		"--publish-every", "500ms", "--alarm-timeout", "60s", "--json", jf, "--html", filepath.Join(t.TempDir(), "demo.html"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo: %v\n%s\n%s", err, out.String(), errb.String())
	}
	log := errb.String()
	if !strings.Contains(log, "running: loadgen -c 50 --rate 1000 --stages 10s:6000,30s:+6000 --until-alarm") || !strings.Contains(out.String(), "Capacity:") {
		t.Errorf("demo output:\n%s\n%s", log, out.String())
	}
	rp, _ := readReport(t, jf)
	checkFiredByEvaluation(t, rp, time.Second)
	c := rp.Alarm.Capacity
	if c == nil || c.Unit != "req/s" || c.Stages != 2 || c.Target < 1000 || c.Target > 6000 || len(rp.Stages) == 0 || rp.Stages[0].Unit != "req/s" {
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
	// Refused before the local world starts (nothing is said about it).
	if r := runCLI(t, nil, "demo", "--fleet", "5", "-c", "3"); r.code != 2 || !strings.Contains(r.stderr, "demo: --fleet 5 needs -c 5 or more") ||
		strings.Contains(r.stderr+r.stdout, "127.0.0.1") {
		t.Errorf("--fleet over -c: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
}

// TestDemoServeFresh starts the chapter's starting world and does some of
// its steps as a participant would, watching loadgen check turn green:
// Container Insights off and no alarm at first; the insights step, then the
// performance logs pass once it is enabled; the SNS confirmation e-mail
// shows up in the demo's output with the token that confirms it.
func TestDemoServeFresh(t *testing.T) {
	isolateAWS(t)
	cmd := exec.Command(testsupport.LoadgenBinary(t), "demo", "--serve", "--fresh", "--publish-every", "200ms")
	out := startUntil(t, cmd, "Ctrl+C stops the demo.")
	m := regexp.MustCompile(`export AWS_ENDPOINT_URL=(\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "aws --endpoint-url "+m[1]+" ecs list-clusters") ||
		!strings.Contains(out.String(), "AWS_DEFAULT_REGION=us-east-1") {
		_ = cmd.Process.Kill()
		t.Fatalf("no exports or --endpoint-url form in:\n%s", out.String())
	}
	env := append(os.Environ(), "AWS_ENDPOINT_URL="+m[1], "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo")
	check := func(args ...string) (int, string) {
		c := exec.Command(testsupport.LoadgenBinary(t), append([]string{"check"}, args...)...)
		c.Env = env
		b, _ := c.Output()
		return c.ProcessState.ExitCode(), string(b)
	}
	code, rep := check()
	for _, want := range []string{"✗  2 roles", "✗  5 insights    containerInsights is disabled on container-demo", "✗  7 logs", "✗  9 alarm       no CloudWatch alarm"} {
		if !strings.Contains(rep, want) {
			t.Errorf("fresh check lacks %q:\n%s", want, rep)
		}
	}
	if code != exitCheckFailed {
		t.Errorf("fresh check: exit %d", code)
	}

	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("demo", "demo", "")}
	ctx := context.Background()
	_, err := awsclients.NewECS(cfg, m[1]).UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{Cluster: aws.String("container-demo"),
		Settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for code, rep = check("--step", "insights,logs"); code != 0 && time.Now().Before(deadline); code, rep = check("--step", "insights,logs") {
		time.Sleep(200 * time.Millisecond)
	}
	if code != 0 {
		t.Errorf("after enabling Container Insights: exit %d\n%s", code, rep)
	}

	snsc := awsclients.NewSNS(cfg, m[1])
	topic, err := snsc.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("ecsworkshop-cpu-alarm")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := snsc.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("you@example.com")}); err != nil {
		t.Fatal(err)
	}
	mail := regexp.MustCompile(`aws sns confirm-subscription --topic-arn (\S+) --token (\S+)`)
	for deadline = time.Now().Add(5 * time.Second); mail.FindStringSubmatch(out.String()) == nil && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	mm := mail.FindStringSubmatch(out.String())
	if mm == nil || !strings.Contains(out.String(), "e-mail to you@example.com") {
		t.Fatalf("no confirmation e-mail in:\n%s", out.String())
	}
	if _, err := snsc.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(mm[1]), Token: aws.String(mm[2])}); err != nil {
		t.Fatal(err)
	}
	interrupt(t, cmd, out.String, exitOK)
	assertChildrenGone(t, out.String(), sitePid)
}
