package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/perf/benchmath"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
)

// side builds a side from known samples, to check the decisions on
// numbers whose answer is known.
func side(label string, runs int, samples map[string][]float64) *Side {
	s := &Side{Label: label, Samples: samples}
	for i := 0; i < runs; i++ {
		s.Runs = append(s.Runs, &Run{Path: label})
	}
	return s
}

func rowOf(t *testing.T, c *Comparison, metric string) Row {
	t.Helper()
	for _, r := range c.Rows {
		if r.Metric == metric {
			return r
		}
	}
	t.Fatalf("no %s row in %+v", metric, c.Rows)
	return Row{}
}

func TestDecisionsOnKnownSamples(t *testing.T) {
	old := side("old", 5, map[string][]float64{
		"rate": {1000, 1010, 990, 1005, 995},
		"p50":  {1.0, 1.1, 0.9, 1.05, 0.95},
		"p90":  {2.0, 2.01, 1.99, 2.005, 1.995},
		"p99":  {5, 5.5, 4.5, 5.2, 4.8},
		// p99.9 overlaps: not significant.
		"p99.9":       {10, 20, 12, 18, 15},
		"errors":      {0, 0, 0, 0, 0},
		"http_errors": {1, 1.1, 0.9, 1, 1},
	})
	new := side("new", 5, map[string][]float64{
		"rate":        {900, 910, 890, 905, 895},        // -10%: worse, a regression
		"p50":         {0.5, 0.55, 0.45, 0.52, 0.48},    // -50%: better
		"p90":         {2.06, 2.07, 2.05, 2.065, 2.055}, // +3%, significant but within 5%
		"p99":         {6, 6.5, 5.6, 6.2, 5.8},          // +20%: a regression
		"p99.9":       {11, 19, 13, 17, 16},
		"errors":      {0.1, 0.2, 0.1, 0.3, 0.2}, // from 0: a regression without a percentage
		"http_errors": {1, 1.1, 0.9, 1, 1},
	})
	c := Compare(old, new, Options{MaxRegression: 5})
	if c.Alpha != 0.05 || c.NeedRuns != 0 {
		t.Fatalf("alpha %v need %d", c.Alpha, c.NeedRuns)
	}
	want := map[string][3]bool{ // significant, worse, regression
		"rate": {true, true, true}, "p50": {true, false, false}, "p90": {true, true, false}, "p99": {true, true, true},
		"p99.9": {false, false, false}, "errors": {true, true, true}, "http_errors": {false, false, false},
	}
	for m, w := range want {
		r := rowOf(t, c, m)
		if r.Significant != w[0] || r.Worse != w[1] || r.Regression != w[2] {
			t.Errorf("%s: significant %v worse %v regression %v (p=%.3f), want %v", m, r.Significant, r.Worse, r.Regression, r.P, w)
		}
	}
	if r := rowOf(t, c, "p50"); !r.Better || r.ChangePct == nil || *r.ChangePct > -49 || *r.ChangePct < -51 {
		t.Errorf("p50: %+v", r)
	}
	if r := rowOf(t, c, "errors"); r.ChangePct != nil {
		t.Errorf("a change from 0 has no percentage: %v", *r.ChangePct)
	}
	if !c.Regressed || strings.Join(c.Regressions, ",") != "rate,p99,errors" {
		t.Errorf("regressions %v", c.Regressions)
	}
	var text bytes.Buffer
	if err := c.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"p99.9 ms", "~ (p=", "-10.00% (p=0.008 n=5)", "worse: regression", "better",
		"verdict: REGRESSION: rate -10.00% (p=0.008), p99 +20.00% (p=0.008), errors ? (p=0.008): significantly worse by more than 5%",
		"+3.00% (p=0.008 n=5)   worse\n",
		"note: need >= 6 samples for confidence interval at level 0.95"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	// A looser limit: p99 (+20%) and errors (from 0) remain.
	if c := Compare(old, new, Options{MaxRegression: 15}); strings.Join(c.Regressions, ",") != "p99,errors" {
		t.Errorf("at 15%%: %v", c.Regressions)
	}
	var js bytes.Buffer
	if err := c.WriteJSON(&js); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	var back Comparison
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Rows) != 7 || !back.Regressed {
		t.Fatalf("%v %+v", err, back)
	}
}

func TestTooFewRunsSaysHowManyAreNeeded(t *testing.T) {
	old := side("old", 1, map[string][]float64{"rate": {1000}, "p50": {1}})
	new := side("new", 1, map[string][]float64{"rate": {500}, "p50": {9}})
	c := Compare(old, new, Options{MaxRegression: 5})
	if c.Regressed || c.NeedRuns != 4 {
		t.Fatalf("regressed %v, need %d (benchmath: 4 runs per side at alpha 0.05)", c.Regressed, c.NeedRuns)
	}
	var text bytes.Buffer
	_ = c.WriteText(&text)
	for _, want := range []string{"a significant difference needs at least 4 runs per side", "verdict: too few runs to tell (4 runs per side needed)", "~ (p=1.000 n=1)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("lacks %q:\n%s", want, text.String())
		}
	}
	if strings.Contains(text.String(), "need >= 4 samples to detect") {
		t.Errorf("benchmath's per-row remark repeats the too-few-runs note:\n%s", text.String())
	}
	new.Runs[0].Report = &report.Report{Rate: &report.Rate{Target: 100}}
	if c := Compare(old, new, Options{}); !strings.Contains(strings.Join(c.Warnings, "\n"), "1 of the 2 runs used --rate: their latencies are corrected") {
		t.Errorf("warnings %v", c.Warnings)
	}
	// At alpha 0.01, 5 per side are needed; 3 against 3 can never be significant.
	if n := minRuns(&benchmath.Thresholds{CompareAlpha: 0.01}); n != 5 {
		t.Errorf("at alpha 0.01: %d", n)
	}
}

// server answers after delay, on 127.0.0.1.
func server(t *testing.T, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		if delay > 0 {
			time.Sleep(delay)
		}
		ctx.SetBodyString("ok")
	}}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String() + "/"
}

// record runs the engine for d against url and writes its interval log
// (50 ms intervals) and JSON report into dir as name.hlog and name.json.
func record(t *testing.T, dir, name, url string, d time.Duration) {
	t.Helper()
	target, err := loadgen.ParseTarget(url, ".")
	if err != nil {
		t.Fatal(err)
	}
	o := loadgen.DefaultOptions()
	o.Users, o.Duration, o.Timeout, o.Interval = 2, d, 5*time.Second, 50*time.Millisecond
	var buf bytes.Buffer
	var mu sync.Mutex
	var hw *report.HlogWriter
	var werr error
	o.OnInterval = func(iv loadgen.Interval) {
		mu.Lock()
		defer mu.Unlock()
		if hw == nil {
			hw, werr = report.NewHlogWriter(&buf, iv.Start, "compare test")
		}
		if werr == nil {
			werr = hw.WriteInterval(iv)
		}
	}
	r, err := loadgen.New([]loadgen.Target{target}, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if werr == nil {
		werr = hw.WriteTotals(res)
	}
	mu.Unlock()
	if werr != nil {
		t.Fatal(werr)
	}
	var js bytes.Buffer
	if err := report.New(res, "test", 1).WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	for ext, b := range map[string][]byte{".hlog": buf.Bytes(), ".json": js.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name+ext), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOneLogPerSideComparesIntervals: one real run per side, the new one
// against a server that answers 20 ms later: each log's 50 ms intervals are
// the samples, with the correlation warning, and the merged distributions
// are printed side by side.
func TestOneLogPerSideComparesIntervals(t *testing.T) {
	dir := t.TempDir()
	record(t, dir, "old", server(t, 0), 600*time.Millisecond)
	record(t, dir, "new", server(t, 20*time.Millisecond), 600*time.Millisecond)
	old, err := LoadSide(filepath.Join(dir, "old.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	new, err := LoadSide(filepath.Join(dir, "new.hlog"))
	if err != nil {
		t.Fatal(err)
	}
	if !old.Intervals || len(old.Samples["p50"]) < 8 || len(old.Samples["errors"]) != 1 {
		t.Fatalf("samples: intervals %v, %d p50, %d errors", old.Intervals, len(old.Samples["p50"]), len(old.Samples["errors"]))
	}
	c := Compare(old, new, Options{MaxRegression: 5})
	for _, m := range []string{"rate", "p50", "p90", "p99"} {
		if r := rowOf(t, c, m); !r.Significant || !r.Worse || !r.Regression {
			t.Errorf("%s: %+v", m, r)
		}
	}
	if !c.Regressed || len(c.Distribution) != len(Percentiles) || c.Distribution[0].NewMs < 20 || c.Distribution[0].OldMs >= 20 {
		t.Fatalf("regressed %v, distribution %+v", c.Regressed, c.Distribution)
	}
	var text bytes.Buffer
	_ = c.WriteText(&text)
	for _, want := range []string{"old: " + filepath.Join(dir, "old.hlog") + " (one run's intervals)", "which are correlated",
		"latency distribution, each side's histograms merged (ms):", "p99.99", "max"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("lacks %q:\n%s", want, text.String())
		}
	}
	// The JSON report of the same run is one run: no distribution then.
	oj, err := LoadSide(filepath.Join(dir, "old.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c := Compare(oj, new, Options{}); c.Distribution != nil || oj.Intervals {
		t.Fatalf("a JSON side has no histogram: %+v", c.Distribution)
	}
}

func TestBadInputsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	emptyDir := filepath.Join(dir, "nothing")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		write("empty.json", " \n"):                    "empty file",
		write("broken.json", `{"schema": "loadgen.r`): "not a loadgen JSON report",
		write("other.json", `{"requests": 5}`):        "schema",
		write("bad.hlog", "1,2,3,not-a-histogram\n"):  "bad.hlog:1",
		write("comments.hlog", "#[just a comment]\n"): "no interval histograms",
		emptyDir:                          "no results in the directory",
		filepath.Join(dir, "none-*.json"): "matches no file",
		write("text.txt", "hello world, how are you"): "text.txt:1",
	}
	for path, want := range cases {
		_, err := LoadSide(path)
		var ie *InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an input error naming the file and saying %q", path, err, want)
		}
	}
	_, err := LoadSide(filepath.Join(dir, "missing.json"))
	var ie *InputError
	if err == nil || errors.As(err, &ie) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing file is not malformed input: %v", err)
	}
}

// FuzzReadRun: whatever a result file holds, reading it either fails with
// an input error naming the file, or gives a side whose comparison renders
// as text and as JSON (no NaN or infinity).
func FuzzReadRun(f *testing.F) {
	f.Add([]byte(`{"schema":"loadgen.report/v1","transactions":10,"elapsed_time":1,"transaction_rate":10,"latency_ms":{"p50":1,"p90":2,"p99":3,"p99_9":4}}`))
	f.Add([]byte(`{"schema":"loadgen.report/v1","transactions":1e300,"failed_transactions":-5,"elapsed_time":1e-300,"transaction_rate":1.7e308}`))
	f.Add([]byte(`{"schema":"other"}`))
	f.Add([]byte("#[StartTime: 1700000000.000 (seconds since epoch)]\n0.000,1.000,0.100,HISTFAAAACR4nJNpmSzMwMDAzQABzFCaEUwz2X+AsQE/IATf\n"))
	f.Add([]byte("0.0,1.0,2.0,garbage\n"))
	f.Add([]byte(""))
	dir := f.TempDir()
	oldPath := filepath.Join(dir, "old.json")
	if err := os.WriteFile(oldPath, []byte(`{"schema":"loadgen.report/v1","transactions":100,"failed_transactions":1,"http_errors":2,"elapsed_time":1,"transaction_rate":100,"latency_ms":{"p50":1,"p90":2,"p99":3,"p99_9":4}}`), 0o644); err != nil {
		f.Fatal(err)
	}
	old, err := LoadSide(oldPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "new.json")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		new, err := LoadSide(path)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(err.Error(), path) {
				t.Fatalf("not an input error naming the file: %v", err)
			}
			return
		}
		for _, c := range []*Comparison{Compare(old, new, Options{}), Compare(new, old, Options{})} {
			var out bytes.Buffer
			if err := c.WriteJSON(&out); err != nil {
				t.Fatalf("JSON: %v", err)
			}
			if err := c.WriteText(&out); err != nil {
				t.Fatalf("text: %v", err)
			}
		}
	})
}
