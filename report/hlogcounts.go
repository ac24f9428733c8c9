package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
)

// countsPrefix starts the comment line that follows each interval of a
// loadgen log with the interval's counters, which a histogram does not
// hold: "#[loadgen-interval: start=S length=L transactions=T failed=F
// http_errors=E target=X stage=N]", times in seconds as on interval lines;
// X is the load's level (users, or requests/s in the open model; the mean
// over the interval on a ramp) and N the stage of --stages in force at the
// interval's end (0 without stages), so the load's shape is on the log's
// time axis. HdrHistogram's tools skip it as a comment; ReadHlog reads it
// into Hlog.Counts, so the HTML report can draw errors per second and the
// level from logs. Unknown keys are ignored, so keys can be added.
const countsPrefix = "#[loadgen-interval: "

// HlogCounts are one interval's counters from a loadgen log, on absolute
// time.
type HlogCounts struct {
	Start, End                       time.Time
	Transactions, Failed, HTTPErrors int64
	// Target and Stage are the load's level and stage (HasTarget: logs
	// written before they were added have none).
	Target    float64
	Stage     int
	HasTarget bool
}

// counts writes the interval's counters line.
func (hw *HlogWriter) counts(iv loadgen.Interval) {
	hw.writeCounts(HlogCounts{Start: iv.Start, End: iv.End, Transactions: iv.Transactions, Failed: iv.Failed, HTTPErrors: iv.HTTPErrors,
		Target: iv.Target, Stage: iv.Stage, HasTarget: true})
}

// writeCounts writes a counters line; the level and stage when c has them.
func (hw *HlogWriter) writeCounts(c HlogCounts) {
	level := ""
	if c.HasTarget {
		level = " target=" + strconv.FormatFloat(c.Target, 'f', -1, 64) + " stage=" + strconv.Itoa(c.Stage)
	}
	fmt.Fprintf(hw.w, "%sstart=%.3f length=%.3f transactions=%d failed=%d http_errors=%d%s]\n",
		countsPrefix, max(c.Start.Sub(hw.base).Seconds(), 0), max(c.End.Sub(c.Start).Seconds(), 0), c.Transactions, c.Failed, c.HTTPErrors, level)
}

// parseCounts reads the body of a counters line; base is the log's
// BaseTime in epoch seconds.
func parseCounts(s string, base float64) (HlogCounts, error) {
	var c HlogCounts
	var start, length float64
	var haveStart bool
	for _, kv := range strings.Fields(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return c, fmt.Errorf("want key=value, got %q", kv)
		}
		var err error
		switch k {
		case "start", "length":
			var f float64
			f, err = strconv.ParseFloat(v, 64)
			if err == nil && (!finite(f) || f < 0 || f > 1e11) {
				err = fmt.Errorf("out of range")
			}
			if k == "start" {
				start, haveStart = f, true
			} else {
				length = f
			}
		case "transactions":
			c.Transactions, err = parseCount(v)
		case "failed":
			c.Failed, err = parseCount(v)
		case "http_errors":
			c.HTTPErrors, err = parseCount(v)
		case "target":
			c.Target, err = strconv.ParseFloat(v, 64)
			if err == nil && (!finite(c.Target) || c.Target < 0 || c.Target > 1e11) {
				err = fmt.Errorf("out of range")
			}
			c.HasTarget = err == nil
		case "stage":
			var n int64
			n, err = parseCount(v)
			if err == nil && n > 1<<20 {
				err = fmt.Errorf("out of range")
			}
			c.Stage = int(n)
		}
		if err != nil {
			return c, fmt.Errorf("%s=%q: %w", k, v, err)
		}
	}
	if !haveStart {
		return c, fmt.Errorf("no start")
	}
	c.Start, c.End = secTime(base+start), secTime(base+start+length)
	return c, nil
}

func parseCount(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err == nil && n < 0 {
		err = fmt.Errorf("negative")
	}
	return n, err
}
