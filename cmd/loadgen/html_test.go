package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/browsertest"
	"github.com/loadgen/loadgen/internal/testsupport"
)

// TestHTMLFlagAndReportCommand: a run writes its page with --html (and
// its JSON report and interval log); `loadgen report` renders pages from
// the log, from the report and the log, and from the report alone; each
// opens in the browser with the report's numbers.
func TestHTMLFlagAndReportCommand(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	in := func(name string) string { return filepath.Join(dir, name) }
	r := runCLI(t, nil, "-c", "3", "-t", "2S", "-q", "--rate", "300", "--uncorrected", "-H", "Authorization: Bearer s3cret", "--fail-on", "p99 > 10s",
		"--json", in("run.json"), "--hlog", in("run.hlog"), "--html", in("run.html"), "-i", "-f", writeURLs(t, dir, s.URL))
	if r.code != 0 {
		t.Fatalf("run: %d %s", r.code, r.stderr)
	}
	reportJSON, err := os.ReadFile(in("run.json"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(in("run.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(page, []byte("s3cret")) || !bytes.Contains(page, []byte("Authorization: xxxxx")) {
		t.Error("the page shows the header's value, or not the header")
	}
	pg := browsertest.Open(t, in("run.html"), 1280, 800)
	browsertest.CheckCharts(t, pg, "throughput", "errors", "latency", "distribution")
	browsertest.CheckNumbers(t, pg, reportJSON)
	if th := browsertest.Eval[string](t, pg, `document.querySelector("#thresholds tbody").textContent`); !strings.HasPrefix(th, "p99 > 10s") || !strings.Contains(th, "held") {
		t.Errorf("thresholds in the verdict: %q", th)
	}

	for _, c := range []struct {
		files  []string
		charts []string
		note   string
	}{
		{[]string{"run.json", "run.hlog"}, []string{"throughput", "errors", "latency", "distribution"}, ""},
		{[]string{"run.hlog"}, []string{"throughput", "errors", "latency", "distribution"}, ""},
		{[]string{"run.json"}, []string{"distribution"}, "No per-interval data"},
	} {
		args := []string{"report"}
		for _, f := range c.files {
			args = append(args, in(f))
		}
		out := in(strings.Join(c.files, "+") + ".html")
		if r := runCLI(t, nil, append(args, "--html", out)...); r.code != 0 || !strings.Contains(r.stderr, "wrote "+out) {
			t.Fatalf("%v: %d %s", args, r.code, r.stderr)
		}
		pg := browsertest.Open(t, out, 1280, 800)
		browsertest.CheckCharts(t, pg, c.charts...)
		if c.files[0] == "run.json" {
			browsertest.CheckNumbers(t, pg, reportJSON) // the summary comes from the report
		}
		notes := browsertest.Eval[string](t, pg, `[...document.querySelectorAll("p.note")].map(p => p.textContent).join("\n")`)
		if !strings.Contains(notes, c.note) {
			t.Errorf("%v: notes %q, want %q", c.files, notes, c.note)
		}
	}
}

// writeURLs writes a URL file of the site's page and a missing one, so the
// run has HTTP errors.
func writeURLs(t *testing.T, dir, base string) string {
	t.Helper()
	path := filepath.Join(dir, "urls.txt")
	if err := os.WriteFile(path, []byte(base+"/\n"+base+"/missing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportCommandErrors(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	j := filepath.Join(dir, "r.json")
	if r := runCLI(t, nil, "-c", "1", "-r", "3", "-q", "--json", j, s.URL+"/"); r.code != 0 {
		t.Fatalf("run: %s", r.stderr)
	}
	bad := filepath.Join(dir, "bad.hlog")
	_ = os.WriteFile(bad, []byte("1,2,3,notbase64\n"), 0o644)
	notJSON := filepath.Join(dir, "bad.json")
	_ = os.WriteFile(notJSON, []byte(`{"schema": "something/else"}`), 0o644)
	empty := filepath.Join(dir, "empty")
	_ = os.WriteFile(empty, nil, 0o644)
	out := filepath.Join(dir, "out.html")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"report", j}, 2, "give --html OUT"},
		{[]string{"report", "--html", out}, 2, "give one or more result files"},
		{[]string{"report", j, j, "--html", out}, 2, "one JSON report at most"},
		{[]string{"report", bad, "--html", out}, 2, "bad.hlog:1"},
		{[]string{"report", notJSON, "--html", out}, 2, `bad.json: schema "something/else"`},
		{[]string{"report", empty, "--html", out}, 2, "empty: empty file"},
		{[]string{"report", filepath.Join(dir, "nope.json"), "--html", out}, 3, "nope.json"},
		{[]string{"report", j, "--html", filepath.Join(dir, "no", "such", "dir.html")}, 3, "dir.html"},
	} {
		r := runCLI(t, nil, c.args...)
		if r.code != c.code || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", c.args, r.code, c.code, c.want, r.stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed report command wrote its page")
	}
	// --html into a folder that does not exist fails before any load.
	before := s.total.Load()
	if r := runCLI(t, nil, "-c", "1", "-r", "5", "--html", filepath.Join(dir, "nope", "x.html"), s.URL+"/"); r.code != 3 || !strings.Contains(r.stderr, "--html") {
		t.Fatalf("--html into a missing folder: %d %s", r.code, r.stderr)
	}
	if s.total.Load() != before {
		t.Fatal("load was sent before --html was found unwritable")
	}
}

// TestHTMLOnCtrlC: Ctrl+C writes the page before exiting 130.
func TestHTMLOnCtrlC(t *testing.T) {
	s := newSite(t)
	out := filepath.Join(t.TempDir(), "run.html")
	cmd := exec.Command(testsupport.LoadgenBinary(t), "-c", "20", "-q", "--html", out, s.URL+"/")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	interrupt(t, cmd, errb.String, exitInterrupted)
	page, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(page, []byte("(cancelled)")) {
		t.Fatalf("no page after Ctrl+C: %v", err)
	}
}

// TestHTMLOfAnAlarmRun: with --until-alarm against the local CloudWatch,
// the page draws the alarm's samples and states on the load's time axis,
// and the JSON report keeps the samples.
func TestHTMLOfAnAlarmRun(t *testing.T) {
	alarmingWorkshop(t)
	dir := t.TempDir()
	hf, jf := filepath.Join(dir, "alarm.html"), filepath.Join(dir, "alarm.json")
	r := runCLI(t, nil, "-c", "4", "--until-alarm", "--poll", "1s", "--alarm-timeout", "40s", "--html", hf, "--json", jf)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	reportJSON, _ := os.ReadFile(jf)
	if !bytes.Contains(reportJSON, []byte(`"samples": [`)) {
		t.Errorf("the JSON report has no alarm samples:\n%s", reportJSON)
	}
	pg := browsertest.Open(t, hf, 1280, 800)
	browsertest.CheckCharts(t, pg, "throughput", "errors", "latency", "distribution", "alarm")
	browsertest.CheckNumbers(t, pg, reportJSON)
	got := browsertest.Eval[[]any](t, pg, `(() => { const d = JSON.parse(document.getElementById("data").textContent);
	  return [d.alarm.t.length, d.alarm.bands.map(b => b.state).join(","), d.alarm.fired_at >= d.start && d.alarm.fired_at <= d.end + 2]; })()`)
	if got[0].(float64) < 1 || !strings.HasSuffix(got[1].(string), "ALARM") || got[2] != true {
		t.Fatalf("alarm data on the page: %v", got)
	}
}
