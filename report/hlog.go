package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen"
)

// UncorrectedTag tags the interval histograms of latency from the actual
// send in the open model; untagged ones are the corrected latency (or the
// only latency, in the closed model).
const UncorrectedTag = "uncorrected"

// HlogWriter writes the standard HdrHistogram interval log (format 1.3, as
// Java's HistogramLogWriter): a StartTime and a BaseTime line, the legend,
// then one line per interval and tag: start (seconds after BaseTime), length,
// max (ms) and the V2 compressed histogram in base64. Values are
// microseconds. Existing HdrHistogram tools read it; ReadHlog does too.
type HlogWriter struct {
	w    *bufio.Writer
	base time.Time
}

// NewHlogWriter writes the log's header with start as both StartTime and
// BaseTime, so interval times are relative to start and absolute times are
// start + offset.
func NewHlogWriter(w io.Writer, start time.Time, comment string) (*HlogWriter, error) {
	hw := &HlogWriter{w: bufio.NewWriter(w), base: start}
	secs := float64(start.UnixMilli()) / 1000
	if comment != "" {
		fmt.Fprintf(hw.w, "#[%s]\n", strings.ReplaceAll(comment, "\n", " "))
	}
	fmt.Fprintf(hw.w, "#[Histogram log format version %s]\n", hdrhistogram.HISTOGRAM_LOG_FORMAT_VERSION)
	fmt.Fprintf(hw.w, "#[StartTime: %.3f (seconds since epoch), %s]\n", secs, start.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(hw.w, "#[BaseTime: %.3f (seconds since epoch)]\n", secs)
	fmt.Fprintf(hw.w, "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n")
	if err := hw.w.Flush(); err != nil {
		return nil, fmt.Errorf("write hlog header: %w", err)
	}
	return hw, nil
}

// WriteInterval writes one interval: its latency untagged and, in the open
// model, the uncorrected latency tagged "uncorrected". Empty intervals are
// written too, so the log shows the seconds nothing completed in.
func (hw *HlogWriter) WriteInterval(iv loadgen.Interval) error {
	if err := hw.line("", iv.Start, iv.End, iv.Latency); err != nil {
		return err
	}
	if iv.Uncorrected != nil {
		if err := hw.line(UncorrectedTag, iv.Start, iv.End, iv.Uncorrected); err != nil {
			return err
		}
	}
	hw.counts(iv)
	return hw.w.Flush()
}

func (hw *HlogWriter) line(tag string, start, end time.Time, h *hdrhistogram.Histogram) error {
	payload, err := h.EncodeV2()
	if err != nil {
		return fmt.Errorf("encode interval histogram: %w", err)
	}
	if tag != "" {
		fmt.Fprintf(hw.w, "Tag=%s,", tag)
	}
	from := max(start.Sub(hw.base).Seconds(), 0)
	length := max(end.Sub(start).Seconds(), 0)
	_, err = fmt.Fprintf(hw.w, "%.3f,%.3f,%.3f,%s\n", from, length, float64(h.Max())/1000, payload)
	return err
}

// hlogTotals are the counts a histogram does not hold. They travel in a
// comment line, which HdrHistogram tools ignore, so `loadgen merge` can
// report transactions, failures, bytes and status codes exactly.
type hlogTotals struct {
	Users        int              `json:"users"`
	Transactions int64            `json:"transactions"`
	Successful   int64            `json:"successful"`
	Failed       int64            `json:"failed"`
	HTTPErrors   int64            `json:"http_errors"`
	Bytes        int64            `json:"bytes"`
	InFlight     int64            `json:"in_flight_at_end,omitempty"`
	SumLatencyUs int64            `json:"sum_latency_us"`
	ShortestUs   int64            `json:"shortest_us"`
	LongestUs    int64            `json:"longest_us"`
	Status       map[string]int64 `json:"status,omitempty"`
	Errors       map[string]int64 `json:"errors,omitempty"`
	RateTarget   float64          `json:"rate_target,omitempty"`
	RateAchieved float64          `json:"rate_achieved,omitempty"`
	Scheduled    int64            `json:"scheduled,omitempty"`
	Sent         int64            `json:"sent,omitempty"`
	MaxLagUs     int64            `json:"max_lag_us,omitempty"`
	MaxUsers     int              `json:"max_users,omitempty"`
}

const totalsPrefix = "#[loadgen-totals: "

// IsTotalsLine reports whether line is the totals line HlogWriter.WriteTotals
// writes last: a fleet's shard is done when its log stream shows it.
func IsTotalsLine(line string) bool { return strings.HasPrefix(line, totalsPrefix) }

// check rejects totals that contradict themselves (a hand-edited or
// corrupted log): merged reports must add up.
func (t *hlogTotals) check() error {
	var status, errs int64
	for code, n := range t.Status {
		c, err := strconv.Atoi(code)
		if err != nil || c < 0 || c > 999 || n < 0 {
			return fmt.Errorf("bad status count %q: %d", code, n)
		}
		status += n
	}
	for _, n := range t.Errors {
		if n < 0 {
			return fmt.Errorf("negative error count %d", n)
		}
		errs += n
	}
	switch {
	case status != t.Transactions:
		return fmt.Errorf("%d transactions, but the status codes add up to %d", t.Transactions, status)
	case errs != t.Failed:
		return fmt.Errorf("%d failures, but the error classes add up to %d", t.Failed, errs)
	case t.Successful < 0 || t.Successful > t.Transactions || t.HTTPErrors < 0 || t.HTTPErrors > t.Transactions:
		return fmt.Errorf("%d successful and %d HTTP errors out of %d transactions", t.Successful, t.HTTPErrors, t.Transactions)
	case t.Bytes < 0 || t.SumLatencyUs < 0 || t.ShortestUs < 0 || t.LongestUs < t.ShortestUs || t.Users < 0 || t.Sent < 0 || t.Scheduled < 0 || t.MaxLagUs < 0:
		return errors.New("negative counts or shortest above longest")
	case math.IsNaN(t.RateTarget) || math.IsNaN(t.RateAchieved) || t.RateTarget < 0 || t.RateAchieved < 0:
		return errors.New("bad rate")
	}
	return nil
}

// WriteTotals ends the log with a comment holding the run's counters.
func (hw *HlogWriter) WriteTotals(res *loadgen.Result) error {
	t := hlogTotals{
		Users: res.Users, Transactions: res.Transactions, Successful: res.Successful, Failed: res.Failed,
		HTTPErrors: res.HTTPErrors, Bytes: res.Bytes, InFlight: res.InFlight, SumLatencyUs: res.SumLatency.Microseconds(),
		ShortestUs: res.Shortest.Microseconds(), LongestUs: res.Longest.Microseconds(),
		Status: map[string]int64{}, Errors: map[string]int64{},
	}
	for code, n := range res.Status {
		t.Status[strconv.Itoa(code)] = n
	}
	for k, n := range res.Errors {
		if n > 0 {
			t.Errors[k] = n
		}
	}
	if rr := res.Rate; rr != nil {
		t.RateTarget, t.RateAchieved, t.Scheduled, t.Sent = rr.Target, rr.Achieved, rr.Scheduled, rr.Sent
		t.Users, t.MaxUsers, t.MaxLagUs = rr.Users, rr.MaxUsers, rr.MaxLag.Microseconds()
	}
	js, err := json.Marshal(t)
	if err != nil {
		return err
	}
	fmt.Fprintf(hw.w, "%s%s]\n", totalsPrefix, js)
	return hw.w.Flush()
}

// Hlog is an interval log read back.
type Hlog struct {
	Name      string
	Start     time.Time // the StartTime line, or the first interval's start
	Intervals []HlogInterval
	// Counts are loadgen's per-interval counters; empty in logs of other
	// tools (and of loadgen before they were written).
	Counts []HlogCounts
	totals *hlogTotals
}

// HlogInterval is one interval line, on absolute time.
type HlogInterval struct {
	Tag        string
	Start, End time.Time
	Histogram  *hdrhistogram.Histogram
}

// ReadHlog reads an HdrHistogram interval log: loadgen's or any other
// (tags, StartTime and BaseTime as Java's reader takes them: without
// BaseTime, times more than a year before StartTime are relative to it).
func ReadHlog(r io.Reader, name string) (*Hlog, error) {
	lg := &Hlog{Name: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var startSec, baseSec float64
	var haveStart, haveBase bool
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case line == "" || line[0] == '"':
			continue
		case strings.HasPrefix(line, "#[StartTime: "):
			v, err := leadingFloat(line[len("#[StartTime: "):])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: StartTime: %w", name, n, err)
			}
			startSec, haveStart = v, true
			continue
		case strings.HasPrefix(line, "#[BaseTime: "):
			v, err := leadingFloat(line[len("#[BaseTime: "):])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: BaseTime: %w", name, n, err)
			}
			baseSec, haveBase = v, true
			continue
		case strings.HasPrefix(line, "#[loadgen-") && strings.HasSuffix(line, "]"):
			if err := lg.loadgenLine(line, baseSec); err != nil {
				return nil, fmt.Errorf("%s:%d: %w", name, n, err)
			}
			continue
		case line[0] == '#':
			continue
		}
		tag := ""
		if rest, ok := strings.CutPrefix(line, "Tag="); ok {
			t, after, found := strings.Cut(rest, ",")
			if !found || t == "" {
				return nil, fmt.Errorf("%s:%d: malformed tag", name, n)
			}
			tag, line = t, after
		}
		f := strings.SplitN(line, ",", 4)
		if len(f) != 4 {
			return nil, fmt.Errorf("%s:%d: want start,length,max,histogram", name, n)
		}
		st, err1 := strconv.ParseFloat(f[0], 64)
		ln, err2 := strconv.ParseFloat(f[1], 64)
		if err := errors.Join(err1, err2); err != nil || !finite(st) || !finite(ln) || st < 0 || ln < 0 || st > 1e11 || ln > 1e11 {
			return nil, fmt.Errorf("%s:%d: bad interval times %q,%q", name, n, f[0], f[1])
		}
		h, err := hdrhistogram.Decode([]byte(f[3]))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: histogram: %w", name, n, err)
		}
		if !haveStart {
			startSec, haveStart = st, true
		}
		if !haveBase {
			if st < startSec-365*24*3600 {
				baseSec = startSec
			}
			haveBase = true
		}
		abs := st + baseSec
		lg.Intervals = append(lg.Intervals, HlogInterval{Tag: tag, Start: secTime(abs), End: secTime(abs + ln), Histogram: h})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if haveStart {
		lg.Start = secTime(startSec)
	}
	return lg, nil
}

// loadgenLine reads a comment line of loadgen's own: the run's totals or an
// interval's counts; others are ignored.
func (lg *Hlog) loadgenLine(line string, baseSec float64) error {
	switch {
	case strings.HasPrefix(line, countsPrefix):
		c, err := parseCounts(line[len(countsPrefix):len(line)-1], baseSec)
		if err != nil {
			return fmt.Errorf("loadgen interval counts: %w", err)
		}
		lg.Counts = append(lg.Counts, c)
	case strings.HasPrefix(line, totalsPrefix):
		var t hlogTotals
		if err := json.Unmarshal([]byte(line[len(totalsPrefix):len(line)-1]), &t); err != nil {
			return fmt.Errorf("loadgen totals: %w", err)
		}
		if err := t.check(); err != nil {
			return fmt.Errorf("loadgen totals: %w", err)
		}
		lg.totals = &t
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func leadingFloat(s string) (float64, error) {
	end := 0
	for end < len(s) && (s[end] == '.' || (s[end] >= '0' && s[end] <= '9')) {
		end++
	}
	v, err := strconv.ParseFloat(s[:end], 64)
	if err != nil || !finite(v) || v > 1e11 {
		return 0, fmt.Errorf("bad seconds %q", s[:end])
	}
	return v, nil
}

// secTime turns epoch seconds (millisecond precision) into a time.
func secTime(s float64) time.Time {
	return time.UnixMilli(int64(math.Round(s * 1000)))
}
