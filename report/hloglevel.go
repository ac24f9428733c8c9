package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
)

// levelPrefix starts the comment line that follows each interval of a
// loadgen log with the load's level in the interval, so that a log shows the
// load's shape on its time axis: "#[loadgen-level: start=S length=L
// target=T stage=N]", times in seconds as on interval lines, T the target
// level (users, or requests/s in the open model; the mean over the interval
// on a ramp), N the stage of --stages in force at its end (0 without
// stages). HdrHistogram's tools skip it as a comment; ReadHlog reads it into
// Hlog.Levels. Unknown keys are ignored, so keys can be added.
const levelPrefix = "#[loadgen-level: "

// HlogLevel is one interval's load level from a loadgen log, on absolute
// time.
type HlogLevel struct {
	Start, End time.Time
	Target     float64
	Stage      int
}

// level writes the interval's level line.
func (hw *HlogWriter) level(iv loadgen.Interval) {
	from := max(iv.Start.Sub(hw.base).Seconds(), 0)
	length := max(iv.End.Sub(iv.Start).Seconds(), 0)
	fmt.Fprintf(hw.w, "%sstart=%.3f length=%.3f target=%s stage=%d]\n", levelPrefix, from, length,
		strconv.FormatFloat(iv.Target, 'f', -1, 64), iv.Stage)
}

// readLevel adds a comment line to lg.Levels when it is a level line; base
// is the log's BaseTime in epoch seconds.
func (lg *Hlog) readLevel(line string, base float64) error {
	body, ok := strings.CutPrefix(line, levelPrefix)
	if !ok || !strings.HasSuffix(body, "]") {
		return nil
	}
	l, err := parseLevel(strings.TrimSuffix(body, "]"), base)
	if err != nil {
		return fmt.Errorf("loadgen level: %w", err)
	}
	lg.Levels = append(lg.Levels, l)
	return nil
}

// parseLevel reads the body of a level line; base is the log's BaseTime in
// epoch seconds.
func parseLevel(s string, base float64) (HlogLevel, error) {
	var l HlogLevel
	var start, length float64
	haveStart := false
	for _, kv := range strings.Fields(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return l, fmt.Errorf("want key=value, got %q", kv)
		}
		var err error
		var f float64
		switch k {
		case "start", "length", "target":
			f, err = strconv.ParseFloat(v, 64)
			if err == nil && (!finite(f) || f < 0 || f > 1e11) {
				err = fmt.Errorf("out of range")
			}
		case "stage":
			var n int64
			n, err = strconv.ParseInt(v, 10, 32)
			if err == nil && n < 0 {
				err = fmt.Errorf("negative")
			}
			l.Stage = int(n)
		}
		if err != nil {
			return l, fmt.Errorf("%s=%q: %w", k, v, err)
		}
		switch k {
		case "start":
			start, haveStart = f, true
		case "length":
			length = f
		case "target":
			l.Target = f
		}
	}
	if !haveStart {
		return l, fmt.Errorf("no start")
	}
	l.Start, l.End = secTime(base+start), secTime(base+start+length)
	return l, nil
}

// windowTargets sums the logs' load levels per window of absolute time from
// start: each log's mean level over its intervals starting in the window,
// added over the logs (two machines at 100 users each are 200 users). ok is
// false when no log has levels.
func windowTargets(logs []*Hlog, start time.Time, window time.Duration) (map[int64]float64, bool) {
	out := map[int64]float64{}
	found := false
	for _, lg := range logs {
		sum, n := map[int64]float64{}, map[int64]int{}
		for _, l := range lg.Levels {
			w := max(int64(l.Start.Sub(start)/window), 0)
			sum[w] += l.Target
			n[w]++
			found = true
		}
		for w, s := range sum {
			out[w] += s / float64(n[w])
		}
	}
	return out, found
}
