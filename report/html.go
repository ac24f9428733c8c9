package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Page is everything the HTML report shows. Report is required; the rest is
// drawn when present, and the page says what it lacks.
type Page struct {
	Report *Report
	// Command is the command line that made the run (without the program
	// name); header values and URL passwords are redacted when rendered.
	Command []string
	// Sources name the files a page made by `loadgen report` came from.
	Sources []string
	// Intervals are the run's per-interval summaries, oldest first.
	Intervals []IntervalStats
	// Latency and Uncorrected are the run's full latency histograms (µs),
	// for the percentile plot; without them it is drawn from the report's
	// percentiles.
	Latency, Uncorrected *hdrhistogram.Histogram
	// Notes are shown at the top of the page.
	Notes []string
	// MaxPoints bounds the points per time series (default 3000): more
	// intervals are merged into points that keep their maxima.
	MaxPoints int
}

//go:embed assets/report.html.tmpl assets/report.js assets/report.css assets/uplot/uPlot.iife.min.js assets/uplot/uPlot.min.css
var assets embed.FS

// pageTemplate is parsed on first use: parsing costs ≈ 100 KB and 3 ms,
// which every run of the binary would pay at start-up, HTML or not.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
		"int":   formatInt,
		"fixed": func(places int, v float64) string { return formatFixed(v, places) },
		"ms":    func(seconds float64) string { return formatFixed(seconds*1000, 3) },
		"pct":   share,
		"barw": func(n, total int64) string {
			return strconv.FormatFloat(100*float64(n)/math.Max(1, float64(total)), 'f', 2, 64)
		},
		"clock": clockUTC,
		"level": level,
	}).ParseFS(assets, "assets/report.html.tmpl"))
})

// view is what the template renders: the page's facts, formatted, and the
// assets and the chart data to embed.
type view struct {
	*Report
	Title      string
	Command    string
	Target     string
	Sources    []string
	Notes      []string
	Verdict    *verdictView
	Thresholds []ThresholdRow
	Crossed    int // thresholds that failed the run
	StatusRows []countRow
	ErrorRows  []countRow
	ErrorNames string // every error class, for the "none" line
	Attempts   int64
	Charts     map[string]bool
	Data       template.JS
	UPlotJS    template.JS
	UPlotCSS   template.CSS
	PageJS     template.JS
	PageCSS    template.CSS
	Generated  string
	// UPlotVersion is the embedded uPlot's version.
	UPlotVersion string
}

// UPlotVersion is the version of uPlot embedded in the page (see
// report/assets/uplot/README.md to update it).
const UPlotVersion = "1.6.32"

// WriteHTML writes the page: one self-contained HTML file (uPlot, the
// page's script and styles, and the data are inlined; nothing is fetched).
func (p *Page) WriteHTML(w io.Writer) error {
	if p.Report == nil {
		return fmt.Errorf("html report: no report")
	}
	v, err := p.view()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := pageTemplate().Execute(&buf, v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func (p *Page) view() (*view, error) {
	rp := p.Report
	data := p.data()
	blob, err := json.Marshal(data) // escapes <, > and & so the blob cannot end its script element
	if err != nil {
		return nil, fmt.Errorf("html report: encode data: %w", err)
	}
	v := &view{
		Report: rp, Command: shellQuote(append([]string{"loadgen"}, RedactArgs(p.Command)...)),
		Target: RedactURLs(rp.Target), Sources: p.Sources, Notes: p.notes(data),
		Verdict: verdictOf(rp), Thresholds: ThresholdRows(rp), Crossed: len(rp.ThresholdsCrossed()),
		StatusRows: statusRows(rp), ErrorRows: errorRows(rp), ErrorNames: errorNames(), Attempts: rp.Transactions + rp.FailedTransactions,
		Charts: map[string]bool{
			"throughput": data.Series != nil, "errors": data.Series != nil && data.Series.HasErrors,
			"latency": data.Series != nil, "distribution": data.Dist != nil, "alarm": data.Alarm != nil && len(data.Alarm.T) > 0,
			"load": data.Series != nil && data.Series.Target != nil && data.LevelUnit == "users",
		},
		Data:         template.JS(blob),
		UPlotVersion: UPlotVersion,
		Generated:    clockUTC(time.Now().UTC().Format(time.RFC3339Nano)),
	}
	if len(p.Command) == 0 {
		v.Command = ""
	}
	v.Title = "loadgen report"
	if v.Target != "" {
		v.Title += ": " + v.Target
	}
	for name, dst := range map[string]*template.JS{"uplot/uPlot.iife.min.js": &v.UPlotJS, "report.js": &v.PageJS} {
		b, err := readAsset(name)
		if err != nil {
			return nil, err
		}
		*dst = template.JS(b)
	}
	for name, dst := range map[string]*template.CSS{"uplot/uPlot.min.css": &v.UPlotCSS, "report.css": &v.PageCSS} {
		b, err := readAsset(name)
		if err != nil {
			return nil, err
		}
		*dst = template.CSS(b)
	}
	return v, nil
}

// readAsset reads an embedded asset that is inlined into a script or style
// element, which it must not be able to close.
func readAsset(name string) (string, error) {
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		return "", fmt.Errorf("html report: %w", err)
	}
	low := strings.ToLower(string(b))
	if strings.Contains(low, "</script") || strings.Contains(low, "</style") || strings.Contains(low, "<!--") {
		return "", fmt.Errorf("html report: asset %s cannot be inlined", name)
	}
	return string(b), nil
}

// notes are the page's notes: the caller's, and what the page lacks.
func (p *Page) notes(d *pageData) []string {
	notes := append([]string(nil), p.Notes...)
	for _, n := range p.Report.Notes {
		notes = append(notes, RedactURLs(n))
	}
	if d.Series == nil {
		notes = append(notes, "No per-interval data: a JSON report holds only the run's totals, so there are no charts over time. "+
			"Give the run's --hlog log too (loadgen report run.json run.hlog --html OUT), or write the page during the run with --html.")
	} else if !d.Series.HasErrors {
		notes = append(notes, "The interval logs carry no error counts (they were not written by this loadgen), so errors per second are not drawn.")
	}
	if d.Dist != nil && d.Dist.Summary {
		notes = append(notes, "The latency distribution is drawn from the report's percentiles only (p50, p90, p99, p99.9, max); the run's full histogram is in its --hlog log.")
	}
	if d.Series != nil && d.Series.Merged > 1 {
		notes = append(notes, fmt.Sprintf("The run has %d intervals; each point over time covers %d of them (%s): rates are their average, latencies their highest.",
			d.Series.Intervals, d.Series.Merged, formatSeconds(d.Series.Step)))
	}
	return notes
}

// verdictView is the alarm's verdict, formatted.
type verdictView struct {
	Alarm   *Alarm
	Fired   bool
	Summary string
	Changes []AlarmChange
	// Capacity is the load in force when the first breaching datapoint
	// began, in words (empty when unknown).
	Capacity string
}

func verdictOf(rp *Report) *verdictView {
	a := rp.Alarm
	if a == nil {
		return nil
	}
	v := &verdictView{Alarm: a, Fired: a.Fired, Changes: a.Changes}
	if a.Fired && a.Capacity != nil {
		v.Capacity = upperFirst(a.Capacity.text()) + "."
	}
	cond := fmt.Sprintf("%s %s", comparisonSymbol(a.Comparison), formatFloat(a.Threshold))
	if a.Fired {
		v.Summary = fmt.Sprintf("Alarm %s reached ALARM %s s after the load started (%s for %d of %d datapoints of %d s).",
			a.Name, formatFixed(a.TimeToAlarm, 1), cond, a.DatapointsToAlarm, a.EvaluationPeriods, a.Period)
	} else {
		v.Summary = fmt.Sprintf("Alarm %s did not reach ALARM (state %s; it needs %s for %d of %d datapoints of %d s).",
			a.Name, a.FinalState, cond, a.DatapointsToAlarm, a.EvaluationPeriods, a.Period)
	}
	return v
}

// ThresholdRow is one --fail-on threshold of the verdict, formatted.
type ThresholdRow struct {
	Expression string
	Measured   string // with its unit
	Pass       bool
	Note       string
}

// ThresholdRows formats the report's thresholds for the verdict.
func ThresholdRows(rp *Report) []ThresholdRow {
	var rows []ThresholdRow
	for _, th := range rp.Thresholds {
		r := ThresholdRow{Expression: th.Expression, Pass: th.Passed, Note: th.Note}
		switch th.Unit {
		case "", "count":
			r.Measured = formatFloat(th.Measured)
		case "MB/s", "ms":
			r.Measured = formatFloat(th.Measured) + " " + th.Unit
		default: // %, /s
			r.Measured = formatFloat(th.Measured) + th.Unit
		}
		if th.Corrected {
			r.Note = strings.TrimPrefix(r.Note+"; corrected latency (from the intended send time)", "; ")
		}
		rows = append(rows, r)
	}
	return rows
}

// upperFirst capitalises a sentence's first letter.
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
