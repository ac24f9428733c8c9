package loadgen

// This file: load shapes (Options.Stages): the spec syntax, the level over
// time, and the open model's schedule as the integral of the rate.

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Stage is one step of a load shape. Over Duration the level moves
// linearly from where the previous stage left it (or the starting level) to
// Target; with Hold it is Target at once and stays there. A stage of
// Duration 0 sets the level at once. The level is concurrent users in the
// closed model (whole numbers) and requests per second in the open model
// (Options.Rate).
type Stage struct {
	Duration time.Duration
	Target   float64
	Hold     bool
}

// Bounds on a load shape.
const (
	MaxStages      = 100
	maxStageTarget = 1e9
	maxShapeLength = 366 * 24 * time.Hour
	// MaxStageUsers bounds a closed-model stage's target: every user up to
	// the highest target has a slot.
	MaxStageUsers = 1_000_000
)

// ParseStages reads a load shape: comma-separated DURATION:TARGET steps,
// such as "30s:50,2m:200,30s:0" (ramp to 50 over 30 s, to 200 over 2 min,
// down to 0 over 30 s). DURATION is a Go duration, case-insensitive ("30s",
// "2m", "1h30m", "0"); TARGET is a non-negative whole or decimal number; a
// leading "+" on it (2m:+200) holds the level at TARGET for the duration
// instead of ramping to it.
func ParseStages(spec string) ([]Stage, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("empty load shape: want DURATION:TARGET steps such as 30s:50,2m:200")
	}
	parts := strings.Split(spec, ",")
	if len(parts) > MaxStages {
		return nil, fmt.Errorf("%d stages: at most %d", len(parts), MaxStages)
	}
	var total time.Duration
	out := make([]Stage, 0, len(parts))
	for i, p := range parts {
		st, err := parseStage(strings.TrimSpace(p))
		if err != nil {
			return nil, fmt.Errorf("stage %d %q: %w", i+1, strings.TrimSpace(p), err)
		}
		if total += st.Duration; total > maxShapeLength {
			return nil, fmt.Errorf("stages last more than %s in all", maxShapeLength)
		}
		out = append(out, st)
	}
	if total == 0 {
		return nil, errors.New("the stages last 0 s in all")
	}
	return out, nil
}

func parseStage(s string) (Stage, error) {
	ds, ts, ok := strings.Cut(s, ":")
	if !ok {
		return Stage{}, errors.New("want DURATION:TARGET, such as 30s:50 or 2m:+200")
	}
	ds, ts = strings.TrimSpace(ds), strings.TrimSpace(ts)
	d, err := time.ParseDuration(strings.ToLower(ds))
	if err != nil || d < 0 {
		return Stage{}, fmt.Errorf("duration %q: want a duration such as 30s, 2m or 1h30m", ds)
	}
	if d > maxShapeLength {
		return Stage{}, fmt.Errorf("duration %q: longer than %s", ds, maxShapeLength)
	}
	st := Stage{Duration: d}
	if rest, ok := strings.CutPrefix(ts, "+"); ok {
		st.Hold, ts = true, rest
	}
	if ts == "" || strings.Trim(ts, "0123456789.") != "" || strings.Count(ts, ".") > 1 || ts == "." {
		return Stage{}, fmt.Errorf("target %q: want a number >= 0 (users, or requests/s with --rate), optionally with + to hold", ts)
	}
	v, err := strconv.ParseFloat(ts, 64)
	if err != nil || v > maxStageTarget {
		return Stage{}, fmt.Errorf("target %q: want a number from 0 to %g", ts, float64(maxStageTarget))
	}
	st.Target = v
	return st, nil
}

// FormatStages writes stages in ParseStages' syntax.
func FormatStages(stages []Stage) string {
	var b strings.Builder
	for i, st := range stages {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(formatDuration(st.Duration))
		b.WriteByte(':')
		if st.Hold {
			b.WriteByte('+')
		}
		b.WriteString(strconv.FormatFloat(st.Target, 'f', -1, 64))
	}
	return b.String()
}

// formatDuration is time.Duration's String without the trailing zero units
// ("2m" rather than "2m0s").
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// span is one stage on the time axis.
type span struct {
	stage      int // index into Options.Stages
	start, end time.Duration
	from, to   float64
	area       float64 // the level's integral before start (level × seconds)
}

// shape is the level over time: start at level0, then the stages. After
// the last stage the level stays where it ended.
type shape struct {
	level0 float64
	spans  []span // stages of non-zero duration, in order
	total  time.Duration
	n      int     // stages in the spec
	final  float64 // the level after the last stage
	area   float64 // the integral over the whole shape
}

func newShape(level0 float64, stages []Stage) *shape {
	s := &shape{level0: level0, n: len(stages)}
	cur := level0
	var t time.Duration
	var area float64
	for i, st := range stages {
		from := cur
		if st.Hold || st.Duration == 0 {
			from = st.Target
		}
		cur = st.Target
		if st.Duration == 0 {
			continue
		}
		s.spans = append(s.spans, span{stage: i, start: t, end: t + st.Duration, from: from, to: st.Target, area: area})
		area += (from + st.Target) / 2 * st.Duration.Seconds()
		t += st.Duration
	}
	s.total, s.final, s.area = t, cur, area
	if len(s.spans) == 0 {
		s.level0 = cur
	}
	return s
}

// find returns the index of the span in force at t: the last span starting
// at or before t; -1 before the first (there is none when the shape is flat).
func (s *shape) find(t time.Duration) int {
	lo, hi := 0, len(s.spans)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s.spans[m].start <= t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo - 1
}

// at returns the level at offset t and the index of the stage in force
// (into Options.Stages; -1 when there are no stages).
func (s *shape) at(t time.Duration) (float64, int) {
	if len(s.spans) == 0 {
		return s.level0, -1
	}
	i := s.find(max(t, 0))
	if i < 0 {
		i = 0
	}
	sp := &s.spans[i]
	if t >= sp.end {
		return sp.to, sp.stage
	}
	f := (t - sp.start).Seconds() / (sp.end - sp.start).Seconds()
	return sp.from + (sp.to-sp.from)*max(f, 0), sp.stage
}

// integral is the level's integral over [0, t]: the open model's scheduled
// requests before t, the closed model's user-seconds.
func (s *shape) integral(t time.Duration) float64 {
	if t <= 0 {
		return 0
	}
	if len(s.spans) == 0 {
		return s.level0 * t.Seconds()
	}
	if t >= s.total {
		return s.area + s.final*(t-s.total).Seconds()
	}
	sp := &s.spans[max(s.find(t), 0)]
	x := (t - sp.start).Seconds()
	d := (sp.end - sp.start).Seconds()
	return sp.area + sp.from*x + (sp.to-sp.from)*x*x/(2*d)
}

// mean is the level's mean over [a, b).
func (s *shape) mean(a, b time.Duration) float64 {
	if b <= a {
		l, _ := s.at(a)
		return l
	}
	return (s.integral(b) - s.integral(a)) / (b - a).Seconds()
}

// sendTime is the open model's send time k: where the rate's integral
// reaches k. It returns s.total when the stages' integral never does.
func (s *shape) sendTime(k int64) time.Duration {
	x := float64(k)
	lo, hi := 0, len(s.spans)
	for lo < hi { // the first span whose integral at its end exceeds x
		m := int(uint(lo+hi) >> 1)
		sp := &s.spans[m]
		if sp.area+(sp.from+sp.to)/2*(sp.end-sp.start).Seconds() > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	if lo == len(s.spans) {
		return s.total
	}
	sp := &s.spans[lo]
	y := x - sp.area
	if y <= 0 {
		return sp.start
	}
	d := (sp.end - sp.start).Seconds()
	// from·τ + (to-from)·τ²/(2d) = y, solved in the form that is stable
	// when the slope is 0 or negative.
	a := (sp.to - sp.from) / (2 * d)
	tau := 2 * y / (sp.from + math.Sqrt(max(sp.from*sp.from+4*a*y, 0)))
	return sp.start + min(time.Duration(tau*1e9), sp.end-sp.start)
}

// users is the closed model's user count at t: the level, rounded.
func (s *shape) users(t time.Duration) int {
	l, _ := s.at(t)
	return int(math.Round(l))
}

// nextUserChange is the first offset after t at which the closed model's
// user count may change: a crossing of the next half-user on a ramp, or
// the next stage's start.
func (s *shape) nextUserChange(t time.Duration) time.Duration {
	i := s.find(t)
	if i < 0 {
		if len(s.spans) == 0 {
			return math.MaxInt64
		}
		return s.spans[0].start
	}
	sp := &s.spans[i]
	if t >= sp.end || sp.to == sp.from {
		if i+1 < len(s.spans) {
			return s.spans[i+1].start
		}
		if t < sp.end {
			return sp.end
		}
		return math.MaxInt64
	}
	l, _ := s.at(t)
	n := math.Round(l)
	edge := n + 0.5
	if sp.to < sp.from {
		edge = n - 0.5
	}
	d := (sp.end - sp.start).Seconds()
	// A microsecond past the crossing, so that the rounding has changed.
	at := sp.start + time.Duration((edge-sp.from)/(sp.to-sp.from)*d*1e9) + time.Microsecond
	return min(max(at, t+time.Microsecond), sp.end)
}

// peak is the highest level the shape reaches.
func (s *shape) peak() float64 {
	p := s.level0
	for _, sp := range s.spans {
		p = max(p, sp.from, sp.to)
	}
	return max(p, s.final)
}
