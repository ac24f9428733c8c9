package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Shard is one of Count shards; Index counts from 1, as on the command line.
type Shard struct {
	Index, Count int
}

// String is "i/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// MaxShards bounds N: ECS runs at most 5,000 tasks per cluster in a
// service-less burst, and a fleet of more is more likely a typo.
const MaxShards = 5000

// ParseShard reads "i/N" with 1 <= i <= N.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || n > MaxShards || i < 1 || i > n {
		return Shard{}, fmt.Errorf("want i/N with 1 <= i <= N <= %d, got %q", MaxShards, s)
	}
	return Shard{Index: i, Count: n}, nil
}

// Share returns shard s's share of total: total/N rounded down, plus one
// for the first total%N shards, so the shares differ by at most one and
// add up to total exactly.
func (s Shard) Share(total int) int {
	q, r := total/s.Count, total%s.Count
	if s.Index <= r {
		return q + 1
	}
	return q
}

// RateShare returns shard s's share of a rate in requests per second. The
// rate is split in thousandths of a request per second as Share splits a
// count, so the shares add up to the rate (rounded to 0.001/s) exactly.
func (s Shard) RateShare(rate float64) float64 {
	milli := int64(math.Round(rate * 1000))
	q, r := milli/int64(s.Count), milli%int64(s.Count)
	if int64(s.Index) <= r {
		q++
	}
	return float64(q) / 1000
}

// FormatStartAt writes T as --start-at takes it: RFC 3339 UTC, in ms.
func FormatStartAt(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// ParseStartAt reads --start-at: an RFC 3339 time, or seconds since the
// epoch (with a fraction). Either form must fall at or after the epoch and
// before year 5138 (1e11 s), so that every accepted time prints back as
// itself in FormatStartAt's UTC form (a year-0 time with a positive
// offset would print as year -1, which no parser reads).
func ParseStartAt(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil && t.UnixMilli() >= 0 && t.Unix() < 1e11 {
		return t, nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 && v < 1e11 {
		return time.UnixMilli(int64(math.Round(v * 1000))), nil
	}
	return time.Time{}, fmt.Errorf("want an RFC 3339 time such as 2026-11-25T10:50:05Z, or seconds since the epoch, got %q", s)
}

// MaxLead bounds how far ahead --start-at may be: a shard that would sleep
// longer is more likely given a wrong time (or a wrong clock).
const MaxLead = time.Hour

// WaitUntil sleeps until t (on now's clock, normally time.Now) and returns
// how late the shard started: the time from t to waking, or to now when t
// had already passed. It returns ctx's error if ctx ends first.
func WaitUntil(ctx context.Context, t time.Time, now func() time.Time) (time.Duration, error) {
	if now == nil {
		now = time.Now
	}
	d := t.Sub(now())
	if d > MaxLead {
		return 0, fmt.Errorf("--start-at %s is %s ahead, more than %s: check the time (and this machine's clock)", FormatStartAt(t), d.Round(time.Second), MaxLead)
	}
	if d > 0 {
		timer := time.NewTimer(d)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-timer.C:
		}
	}
	return max(now().Sub(t), 0), nil
}

// Header is a shard's first log line: who it is, when it was told to
// start, how late it started and how far its clock may be off. It is an
// HdrHistogram comment line, so the log stays a valid interval log.
type Header struct {
	Shard   string    `json:"shard"`
	StartAt time.Time `json:"start_at"`
	Started time.Time `json:"started"`
	LateMs  float64   `json:"late_ms"`
	Users   int       `json:"users"`
	Rate    float64   `json:"rate,omitempty"`
	// ClockErrorMs is the clock-error bound (ECS task metadata v4's
	// ClockDrift.ClockErrorBound); -1 when unknown.
	ClockErrorMs float64 `json:"clock_error_ms"`
	ClockSource  string  `json:"clock_source"`
	ClockStatus  string  `json:"clock_status,omitempty"`
	Task         string  `json:"task,omitempty"`
}

const headerPrefix = "#[loadgen-shard: "

// Line renders the header as its log line (without the newline).
func (h Header) Line() string {
	js, _ := json.Marshal(h) // plain fields: cannot fail
	return headerPrefix + string(js) + "]"
}

// isHeader reports whether line is a shard header line.
func isHeader(line string) bool { return strings.HasPrefix(line, headerPrefix) }

// ParseHeader reads a header line.
func ParseHeader(line string) (Header, error) {
	var h Header
	if !isHeader(line) || !strings.HasSuffix(line, "]") {
		return h, fmt.Errorf("not a shard header line")
	}
	if err := json.Unmarshal([]byte(line[len(headerPrefix):len(line)-1]), &h); err != nil {
		return h, fmt.Errorf("shard header: %w", err)
	}
	return h, nil
}
