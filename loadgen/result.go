package loadgen

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what a run measured. Field meanings follow siege's summary.
type Result struct {
	Start, End   time.Time
	Elapsed      time.Duration // wall time from start to the last user finishing
	Users        int
	Transactions int64 // completed HTTP exchanges, redirects and assets included
	Successful   int64 // responses with code < 400, or 401/407 (siege's rule)
	Failed       int64 // socket-level failures: timeouts, refused, reset, DNS, TLS
	HTTPErrors   int64 // 4xx and 5xx responses (siege counts them as successful transactions)
	Bytes        int64 // header and body bytes received
	SumLatency   time.Duration
	Shortest     time.Duration
	Longest      time.Duration
	Latency      *hdrhistogram.Histogram // microseconds, 1 µs to the timeout, 3 significant digits
	Status       map[int]int64           // by HTTP status code
	Errors       map[string]int64        // by ErrorClass name; every class present
	ErrorSamples map[string]string       // the first message of each class seen
	// Interrupted is true when the run was cancelled from outside (Ctrl+C, alarm).
	Interrupted bool
	// Reason says why the run ended: "duration", "reps", "cancelled".
	Reason string
}

func (r *Runner) result(start, end time.Time, outer, ctx context.Context) *Result {
	res := &Result{
		Start: start, End: end, Elapsed: end.Sub(start), Users: len(r.users),
		Latency:      hdrhistogram.New(1, r.highest, 3),
		Status:       map[int]int64{},
		Errors:       map[string]int64{},
		ErrorSamples: map[string]string{},
	}
	for _, c := range ErrorClasses() {
		res.Errors[c.String()] = 0
	}
	for _, u := range r.users {
		res.Transactions += u.txns.Load()
		res.Failed += u.fails.Load()
		res.HTTPErrors += u.httpErrs.Load()
		res.Bytes += u.bytes.Load()
		res.Successful += u.ok
		res.SumLatency += u.sumLat
		if u.maxLat > res.Longest {
			res.Longest = u.maxLat
		}
		if u.minLat > 0 && (res.Shortest == 0 || u.minLat < res.Shortest) {
			res.Shortest = u.minLat
		}
		res.Latency.Merge(u.hist)
		for code, n := range u.status {
			if n > 0 {
				res.Status[code] += n
			}
		}
		for c, n := range u.errs {
			name := ErrorClass(c).String()
			res.Errors[name] += n
			if n > 0 && res.ErrorSamples[name] == "" {
				res.ErrorSamples[name] = u.errMsg[c]
			}
		}
	}
	switch {
	case outer.Err() != nil:
		res.Reason = "cancelled"
		res.Interrupted = true
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.Reason = "duration"
	default:
		res.Reason = "reps"
	}
	return res
}

// StatusCodes returns the status codes seen, sorted.
func (res *Result) StatusCodes() []int {
	codes := make([]int, 0, len(res.Status))
	for c := range res.Status {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	return codes
}

// Percentile returns the latency at percentile p (0..100).
func (res *Result) Percentile(p float64) time.Duration {
	if res.Latency == nil || res.Latency.TotalCount() == 0 {
		return 0
	}
	return time.Duration(res.Latency.ValueAtPercentile(p)) * time.Microsecond
}
