package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
	"github.com/loadgen/loadgen/report"
)

// site is an in-process fasthttp server on 127.0.0.1 counting requests.
type site struct {
	URL   string
	total atomic.Int64
}

func newSite(t *testing.T) *site {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &site{URL: "http://" + ln.Addr().String()}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		s.total.Add(1)
		switch string(ctx.Path()) {
		case "/missing":
			ctx.SetStatusCode(404)
		case "/":
			ctx.SetContentType("text/html")
			ctx.SetBodyString("<html><body>hello</body></html>")
			return
		}
		ctx.SetBodyString("ok")
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return s
}

type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs the command line in-process.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := run(ctx, args, strings.NewReader(""), &out, &errb, lookup)
	return result{code, out.String(), errb.String()}
}

// noSiegerc is this process's environment for the real binary, with no
// siege configuration file (the machine's ~/.siege/siege.conf would change
// what the run does).
func noSiegerc() []string { return append(os.Environ(), "SIEGERC="+os.DevNull) }

func TestMain(m *testing.M) {
	code := m.Run()
	testsupport.RemoveLoadgenBinary()
	os.Exit(code)
}

func TestRepsAndTextReport(t *testing.T) {
	s := newSite(t)
	r := runCLI(t, nil, "-c", "4", "-r", "5", s.URL+"/")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if s.total.Load() != 20 {
		t.Fatalf("server saw %d, want 20", s.total.Load())
	}
	for _, field := range []string{"Transactions:", "Availability:", "Elapsed time:", "Data transferred:", "Response time:",
		"Transaction rate:", "Throughput:", "Concurrency:", "Successful transactions:", "Failed transactions:",
		"Longest transaction:", "Shortest transaction:", "Latency percentiles:", "HTTP responses:", "HTTP errors (4xx/5xx):", "Socket errors:"} {
		if !strings.Contains(r.stdout, field) {
			t.Errorf("report lacks %q:\n%s", field, r.stdout)
		}
	}
	if !regexp.MustCompile(`Transactions:\s+20 hits`).MatchString(r.stdout) {
		t.Fatalf("report:\n%s", r.stdout)
	}
}

func TestJSONRoundTripsAndMatchesText(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	jf := filepath.Join(dir, "r.json")
	r := runCLI(t, nil, "-c", "3", "-r", "4", "--json", jf, s.URL+"/missing")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	raw, err := os.ReadFile(jf)
	if err != nil {
		t.Fatal(err)
	}
	var rp report.Report
	if err := json.Unmarshal(raw, &rp); err != nil {
		t.Fatal(err)
	}
	if rp.Schema != report.Schema || rp.Transactions != 12 || rp.HTTPErrors != 12 || rp.Status["404"] != 12 ||
		rp.StatusClasses["4xx"] != 12 || rp.FailedTransactions != 0 || rp.Availability != 100 {
		t.Fatalf("json: %+v", rp)
	}
	// The text report shows the same numbers.
	for _, want := range []string{
		fmt.Sprintf("Transactions:\t\t%12d hits", rp.Transactions),
		fmt.Sprintf("Elapsed time:\t\t%12.2f secs", rp.ElapsedTime),
		fmt.Sprintf("Transaction rate:\t%12.2f trans/sec", rp.TransactionRate),
		fmt.Sprintf("HTTP errors (4xx/5xx):\t%12d", rp.HTTPErrors),
		fmt.Sprintf("p99 %.2f ms", rp.LatencyMs.P99),
		"by code:\t\t404 12",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, r.stdout)
		}
	}
	// Re-encoding gives the same document: stable names, nothing lost.
	again, _ := json.Marshal(rp)
	var a, b map[string]any
	_ = json.Unmarshal(raw, &a)
	_ = json.Unmarshal(again, &b)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("round trip differs:\n%v\n%v", a, b)
	}
	// -j prints JSON only on stdout.
	r = runCLI(t, nil, "-c", "1", "-r", "2", "-j", s.URL+"/")
	var rp2 report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp2); err != nil || rp2.Transactions != 2 {
		t.Fatalf("-j stdout is not the JSON report: %v\n%s", err, r.stdout)
	}
}

func TestUsageAndSetupErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "urls.txt")
	if err := os.WriteFile(bad, []byte("http://127.0.0.1:1/\n# fine\nhttp://$(UNSET)/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-f", bad}, 2, bad + ":3: undefined variable"},
		{[]string{"-c", "x", "http://127.0.0.1/"}, 2, "invalid argument"},
		{[]string{"-t", "5X", "http://127.0.0.1/"}, 2, "-t/--time"},
		{[]string{"-r", "0", "http://127.0.0.1/"}, 2, "-r/--reps"},
		{[]string{"-H", "novalue", "http://127.0.0.1/"}, 2, "-H/--header"},
		{[]string{"--connection", "sometimes", "http://127.0.0.1/"}, 2, "--connection"},
		{[]string{"ftp://127.0.0.1/"}, 2, "scheme"},
		{[]string{"-f", filepath.Join(dir, "nope.txt")}, 3, "no such file"},
		{[]string{"alarm", "create", "--threshold", "x"}, 2, `invalid argument "x" for "--threshold"`},
		{[]string{"crawl", "--crawl-depth", "x", "http://127.0.0.1/"}, 2, `"--crawl-depth"`},
		{[]string{"crawl", "-H", "novalue", "http://127.0.0.1/"}, 2, "-H/--header"},
		{[]string{"-c", "1"}, 3, "no URL or -f FILE given, and none found in stack outputs: no AWS region set"},
	}
	isolateAWS(t)
	for _, c := range cases {
		r := runCLI(t, map[string]string{"HOME": dir}, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, r.code, r.stderr, c.code, c.msg)
		}
	}
}

func TestOnceOverURLFileAndLog(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "urls.txt")
	var lines []string
	lines = append(lines, "SITE="+s.URL)
	for i := range 9 {
		lines = append(lines, fmt.Sprintf("$(SITE)/page%d", i))
	}
	if err := os.WriteFile(file, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	logf := filepath.Join(dir, "log.csv")
	r := runCLI(t, nil, "-c", "4", "-r", "once", "-f", file, "--log="+logf, "-m", "first run", "-q")
	if r.code != 0 || s.total.Load() != 9 {
		t.Fatalf("exit %d, server %d: %s", r.code, s.total.Load(), r.stderr)
	}
	if r.stdout != "" {
		t.Fatalf("-q printed %q", r.stdout)
	}
	r = runCLI(t, nil, "-c", "1", "-r", "1", "-f", file, "--log="+logf, "-q")
	raw, _ := os.ReadFile(logf)
	text := string(raw)
	if strings.Count(text, "Date & Time") != 1 || !strings.Contains(text, "**** first run ****") || strings.Count(text, "\n") != 4 {
		t.Fatalf("log:\n%s", text)
	}
	if !regexp.MustCompile(`\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\s+9,`).MatchString(text) {
		t.Fatalf("log row:\n%s", text)
	}
	// -l without a file appends to ~/.loadgen/loadgen.log.
	home := t.TempDir()
	if r = runCLI(t, map[string]string{"HOME": home}, "-c", "1", "-r", "1", "-q", "-l", s.URL+"/"); r.code != 0 {
		t.Fatalf("-l: %d %s", r.code, r.stderr)
	}
	if raw, err := os.ReadFile(filepath.Join(home, ".loadgen", "loadgen.log")); err != nil || !strings.Contains(string(raw), "Date & Time") {
		t.Fatalf("default log: %v %q", err, raw)
	}
}

func TestSiegercSettings(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	rc := filepath.Join(dir, "siegerc")
	content := fmt.Sprintf("# my siegerc\nconcurrent = 3\nreps = 2\nurl = %s/\nverbose = true\nshow-logfile = true\nlogging = false\ncolor = on\n", s.URL)
	if err := os.WriteFile(rc, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "-R", rc)
	if r.code != 0 || s.total.Load() != 6 {
		t.Fatalf("exit %d, server %d: %s", r.code, s.total.Load(), r.stderr)
	}
	if strings.Count(r.stderr, "ignoring settings") != 1 || !strings.Contains(r.stderr, "loadgen does not use: color (no colour output)\n") {
		t.Fatalf("want one warning naming the keys loadgen does not honour: %s", r.stderr)
	}
	if strings.Count(r.stdout, "HTTP/1.1 200") != 6 {
		t.Fatalf("verbose = true: want 6 request lines:\n%s", r.stdout)
	}
	// A flag wins over the file.
	r = runCLI(t, nil, "-R", rc, "-c", "1", "-r", "1", "-q")
	if r.code != 0 || s.total.Load() != 7 {
		t.Fatalf("flags over siegerc: server %d", s.total.Load())
	}
}

func TestGetAndPrint(t *testing.T) {
	s := newSite(t)
	r := runCLI(t, nil, "-g", s.URL+"/")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "HEAD / HTTP/1.1") || !strings.Contains(r.stdout, "HTTP/1.1 200 OK") {
		t.Fatalf("-g: %d %q %s", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, nil, "-p", s.URL+"/")
	if r.code != 0 || r.stdout != "<html><body>hello</body></html>" {
		t.Fatalf("-p: %d %q", r.code, r.stdout)
	}
	r = runCLI(t, nil, "-V")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "loadgen ") {
		t.Fatalf("-V: %q", r.stdout)
	}
}

// TestWorkshopCommandCtrlC runs the workshop's command as written, on the
// real binary, and stops it with SIGINT as the workshop says.
func TestWorkshopCommandCtrlC(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	jf := filepath.Join(dir, "report.json")
	cmd := exec.Command(testsupport.LoadgenBinary(t), "-c", "200", "-i", s.URL+"/", "--json", jf)
	cmd.Env = noSiegerc()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	interrupt(t, cmd, errb.String, exitInterrupted)
	m := regexp.MustCompile(`Transactions:\s+(\d+) hits`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no report after Ctrl+C:\n%s", out.String())
	}
	n, _ := strconv.Atoi(m[1])
	if n == 0 || int64(n) > s.total.Load() {
		t.Fatalf("report says %d transactions, server saw %d", n, s.total.Load())
	}
	raw, err := os.ReadFile(jf)
	if err != nil {
		t.Fatalf("--json file not written on Ctrl+C: %v", err)
	}
	var rp report.Report
	if err := json.Unmarshal(raw, &rp); err != nil || rp.Transactions != int64(n) || rp.EndedBy != "cancelled" || rp.Users != 200 {
		t.Fatalf("json after Ctrl+C: %v %+v", err, rp)
	}
}

func TestTimeFlagStopsTheRun(t *testing.T) {
	s := newSite(t)
	start := time.Now()
	cmd := exec.Command(testsupport.LoadgenBinary(t), "-c", "5", "-t", "2S", "-q", "-j", s.URL+"/")
	cmd.Env = noSiegerc()
	out, err := cmd.Output()
	el := time.Since(start)
	if err != nil {
		t.Fatalf("%v", err)
	}
	if el < 2*time.Second || el > 15*time.Second {
		t.Fatalf("-t 2S took %v", el)
	}
	var rp report.Report
	if err := json.Unmarshal(out, &rp); err != nil || rp.EndedBy != "duration" || rp.ElapsedTime < 1.9 || rp.ElapsedTime > 3 {
		t.Fatalf("%v %+v", err, rp)
	}
}

// isolateAWS makes the SDK see no AWS configuration from this machine.
func isolateAWS(t *testing.T) { awstest.Isolate(t) }

// interrupt sends SIGINT to a started command, as Ctrl+C does, and expects
// it to exit promptly with code want.
func interrupt(t *testing.T, cmd *exec.Cmd, output func() string, want int) {
	t.Helper()
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("%s did not stop on SIGINT", cmd.Args[1])
	}
	if code := cmd.ProcessState.ExitCode(); code != want {
		t.Fatalf("exit %d, want %d\n%s", code, want, output())
	}
}

// checkFiredByEvaluation asserts that the report's alarm reached ALARM by
// the evaluation of published metrics (not SetAlarmState), and that the load
// stopped within a poll (plus slack) of it.
func checkFiredByEvaluation(t *testing.T, rp report.Report, poll time.Duration) {
	t.Helper()
	if rp.Alarm == nil || !rp.Alarm.Fired || rp.EndedBy != "alarm" || rp.Alarm.TimeToAlarm <= 0 || rp.Transactions == 0 {
		t.Fatalf("report: %+v alarm %+v", rp, rp.Alarm)
	}
	last := rp.Alarm.Changes[len(rp.Alarm.Changes)-1]
	if last.To != "ALARM" || !strings.HasPrefix(last.Reason, "Threshold Crossed") {
		t.Fatalf("the alarm did not fire by evaluation: %+v", rp.Alarm.Changes)
	}
	firedAt, _ := time.Parse(time.RFC3339Nano, rp.Alarm.FiredAt)
	end, _ := time.Parse(time.RFC3339Nano, rp.End)
	if gap := end.Sub(firedAt); gap > poll+1500*time.Millisecond {
		t.Fatalf("the load went on %v after the alarm fired (poll %v)", gap, poll)
	}
}
