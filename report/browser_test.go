package report

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/browsertest"
	"github.com/loadgen/loadgen/loadgen"
)

// These tests open pages in headless Chromium (see internal/browsertest):
// they skip when no browser is installed, except in CI, where they fail.

// checkNumbers asserts that the tables show the JSON report's numbers.
func checkNumbers(t *testing.T, pg *browsertest.Page, rp *Report) {
	t.Helper()
	var js bytes.Buffer
	if err := rp.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	browsertest.CheckNumbers(t, pg, js.Bytes())
}

// TestRunPageInBrowser: a real open-model run against a local server
// (some 404s), its intervals recorded as --html does; the page loads from
// a file:// URL with the network off, draws every chart, logs no error, and
// its tables show the JSON report's numbers.
func TestRunPageInBrowser(t *testing.T) {
	base := server(t)
	o := options(4, 1500*time.Millisecond)
	o.Rate = 1500
	o.Interval = 200 * time.Millisecond
	res, intervals := runRecorded(t, []loadgen.Target{{Method: "GET", URL: base + "/"}, {Method: "GET", URL: base + "/slow"}, {Method: "GET", URL: base + "/missing"}}, o)
	rp := New(res, "test", 3)
	rp.Target = base + "/"
	p := &Page{Report: rp, Intervals: intervals, Latency: res.Latency, Uncorrected: res.LatencyUncorrected, Command: []string{"--rate", "1500", base + "/"}}
	var sum int64
	for _, iv := range p.Intervals {
		sum += iv.Transactions
	}
	if sum != res.Transactions || len(p.Intervals) < 5 || rp.HTTPErrors == 0 {
		t.Fatalf("%d intervals with %d transactions; the run had %d (%d HTTP errors)", len(p.Intervals), sum, res.Transactions, rp.HTTPErrors)
	}
	path, _ := render(t, p, t.TempDir())
	pg := browsertest.Open(t, path, 1280, 800)
	browsertest.CheckCharts(t, pg, "throughput", "errors", "latency", "distribution")
	checkNumbers(t, pg, rp)
	if got := browsertest.Eval[string](t, pg, `document.getElementById("command").textContent`); got != "loadgen --rate 1500 "+base+"/" {
		t.Errorf("command line shown as %q", got)
	}
}

// TestSyntheticPagesInBrowser: a 10-minute and a 10-hour run with an alarm
// render every chart, with no error, in under a second.
func TestSyntheticPagesInBrowser(t *testing.T) {
	for _, n := range []int{600, 36_000} {
		p := synthetic(n, true)
		path, html := render(t, p, t.TempDir())
		pg := browsertest.Open(t, path, 1280, 800)
		browsertest.CheckCharts(t, pg, "throughput", "errors", "latency", "distribution", "alarm")
		checkNumbers(t, pg, p.Report)
		ms := browsertest.Eval[float64](t, pg, "window.loadgenReport.renderMs")
		if ms > 1000 {
			// A shared machine can stall any one load; the page is slow
			// only if it is slow twice.
			t.Logf("%d intervals: drawn after %.0f ms; loading it again", n, ms)
			browsertest.Reload(t, pg)
			ms = math.Min(ms, browsertest.Eval[float64](t, pg, "window.loadgenReport.renderMs"))
		}
		t.Logf("%d intervals: %d KB, drawn %.0f ms after the navigation started", n, len(html)/1024, ms)
		if ms > 1000 {
			t.Errorf("%d intervals: drawn after %.0f ms, want under a second", n, ms)
		}
		verdict := browsertest.Eval[string](t, pg, `document.getElementById("alarm-verdict").textContent`)
		if !strings.Contains(verdict, "reached ALARM 100.0 s after the load started") {
			t.Errorf("verdict %q", verdict)
		}
	}
}

// TestZoomSyncsTimeCharts: dragging over one time chart zooms every time
// chart to that span (not the distribution); a double click zooms out.
func TestZoomSyncsTimeCharts(t *testing.T) {
	p := synthetic(300, false)
	path, _ := render(t, p, t.TempDir())
	pg := browsertest.Open(t, path, 1280, 800)
	spans := func() [][]float64 {
		return browsertest.Eval[[][]float64](t, pg, `window.loadgenReport.plots.map(u => [u.scales.x.min, u.scales.x.max])`)
	}
	before := spans()
	zoomed := browsertest.Eval[[]float64](t, pg, `(() => { const u = window.loadgenReport.plots[2], w = u.bbox.width / devicePixelRatio;
	  u.setSelect({left: w / 4, top: 0, width: w / 4, height: 10});
	  return [u.posToVal(w / 4, "x"), u.posToVal(w / 2, "x")]; })()`)
	after := spans()
	for i, s := range after {
		if i == 3 { // the distribution has no time axis
			if s[0] != before[i][0] || s[1] != before[i][1] {
				t.Errorf("the distribution zoomed: %v -> %v", before[i], s)
			}
			continue
		}
		if s[1]-s[0] > (before[i][1]-before[i][0])/2 || s[0] <= before[i][0] {
			t.Errorf("chart %d: %v -> %v, want about %v", i, before[i], s, zoomed)
		}
	}
	browsertest.Eval[bool](t, pg, `window.loadgenReport.plots[0].over.dispatchEvent(new MouseEvent("dblclick", {bubbles: true})) || true`)
	if got := spans(); got[0][0] != before[0][0] || got[4][1] != before[4][1] {
		t.Errorf("after a double click: %v, want %v", got, before)
	}
	if probs := pg.Problems(); len(probs) > 0 {
		t.Errorf("the page logged: %v", probs)
	}
}

// TestReportAlonePageInBrowser: a JSON report without intervals draws the
// distribution and the alarm, and says what is missing.
func TestReportAlonePageInBrowser(t *testing.T) {
	p := &Page{Report: synthetic(120, false).Report}
	path, _ := render(t, p, t.TempDir())
	pg := browsertest.Open(t, path, 1280, 800)
	browsertest.CheckCharts(t, pg, "distribution", "alarm")
	checkNumbers(t, pg, p.Report)
	if note := browsertest.Eval[string](t, pg, `document.querySelector("p.note").textContent`); !strings.HasPrefix(note, "No per-interval data") {
		t.Errorf("note %q", note)
	}
}

// TestHostileTextStaysText: markup in the target, an error message or a
// note cannot add elements or scripts to the page.
func TestHostileTextStaysText(t *testing.T) {
	p := synthetic(20, false)
	evil := `</script><script>window.pwned=1</script><img src=x onerror="window.pwned=2">`
	p.Report.Target = "http://x/" + evil
	p.Report.ErrorSamples["timeout"] = evil
	p.Report.Alarm.Name = evil
	p.Report.Alarm.Changes[0].Reason = evil
	p.Notes = []string{evil}
	path, _ := render(t, p, t.TempDir())
	pg := browsertest.Open(t, path, 1280, 800)
	browsertest.CheckCharts(t, pg, "throughput", "errors", "latency", "distribution", "alarm")
	if got := browsertest.Eval[[]any](t, pg, `[typeof window.pwned, document.scripts.length, document.images.length]`); got[0] != "undefined" || got[1] != 3.0 || got[2] != 0.0 {
		t.Fatalf("pwned, scripts, images: %v", got)
	}
}

// TestScreenshot writes what a user sees at 1280×800, and the whole page,
// as PNGs: to $LOADGEN_SCREENSHOTS when set (to look at them), else to a
// temporary folder.
func TestScreenshot(t *testing.T) {
	dir := os.Getenv("LOADGEN_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	p := synthetic(180, true)
	p.Report.Thresholds = []ThresholdResult{
		{Expression: "p99 > 250ms", Unit: "ms", Measured: p.Report.LatencyMs.P99, Passed: true, Corrected: true},
		{Expression: "errors > 0.01%", Unit: "%", Measured: 0.02, Passed: false},
	}
	path, _ := render(t, p, t.TempDir())
	pg := browsertest.Open(t, path, 1280, 800)
	browsertest.CheckCharts(t, pg, "throughput", "errors", "latency", "distribution", "alarm")
	for name, full := range map[string]bool{"report-1280x800.png": false, "report-full.png": true} {
		b := browsertest.Screenshot(t, pg, full)
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 1280 || (!full && h != 800) || (full && h < 1600) {
			t.Errorf("%s is %dx%d", name, w, h)
		}
		out := filepath.Join(dir, name)
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", out)
	}
}
