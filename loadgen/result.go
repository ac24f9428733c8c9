package loadgen

import (
	"context"
	"errors"
	"math"
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
	// InFlight is the number of requests the end of the run cut short (time
	// up, Ctrl+C, alarm): begun but not answered. They are counted nowhere
	// else: neither transactions nor failures, nor in Bytes.
	InFlight   int64
	SumLatency time.Duration
	Shortest   time.Duration
	Longest    time.Duration
	Latency    *hdrhistogram.Histogram // microseconds, 1 µs to the timeout, 3 significant digits; corrected in rate mode
	// LatencyUncorrected is, in rate mode, the latency from the actual send
	// (what a closed-loop tool would report); nil otherwise.
	LatencyUncorrected *hdrhistogram.Histogram
	// Rate describes the open model's schedule; nil in the closed model.
	Rate         *RateResult
	Status       map[int]int64     // by HTTP status code
	Errors       map[string]int64  // by ErrorClass name; every class present
	ErrorSamples map[string]string // the first message of each class seen
	// Addresses is what each address of the targets' hosts served, by host
	// then address.
	Addresses []AddressResult
	// Interrupted is true when the run was cancelled from outside (Ctrl+C, alarm).
	Interrupted bool
	// Reason says why the run ended: "duration", "reps", "cancelled", or
	// "failures" (Options.MaxFailures socket failures: siege's "aborted due
	// to excessive socket failure").
	Reason string
	// Stages has one entry per stage of Options.Stages that the run reached
	// (stages of no duration have none); nil without stages.
	Stages []StageResult
	// StageCount is len(Options.Stages).
	StageCount int
	// Timeline is the load over time: a sample at the start, every 250 ms
	// and at the end.
	Timeline []LoadSample

	shape *shape // for LoadAt; nil in results not made by Run
}

func (r *Runner) result(start, end time.Time, outer, ctx context.Context) *Result {
	t := r.shards.sum()
	res := &Result{
		Start: start, End: end, Elapsed: end.Sub(start), Users: r.opts.Users,
		Stages: r.pace.stages, StageCount: len(r.opts.Stages), Timeline: r.pace.timeline, shape: r.shape,
		Latency:      hdrhistogram.New(1, r.highest, 3),
		Transactions: t.transactions(), Successful: t.successful(), Failed: t.failed(), HTTPErrors: t.httpErrors(),
		Bytes: t.bytes, SumLatency: time.Duration(t.sumLat), Shortest: time.Duration(t.minLat), Longest: time.Duration(t.maxLat),
		Status:       map[int]int64{},
		Errors:       map[string]int64{},
		ErrorSamples: map[string]string{},
		Addresses:    r.addressResults(),
	}
	for _, c := range r.shards.latencies(false) {
		c.addTo(res.Latency)
	}
	for code, n := range t.status {
		if n > 0 {
			res.Status[code] = n
		}
	}
	for c, n := range t.errs {
		name := ErrorClass(c).String()
		res.Errors[name] = n
		if m := r.errMsg[c].Load(); n > 0 && m != nil {
			res.ErrorSamples[name] = *m
		}
	}
	if r.shaped && !r.rate {
		res.Users = len(r.active()) // the most that ran
	}
	for _, u := range r.active() {
		res.InFlight += u.cut
	}
	if r.rate {
		res.LatencyUncorrected = hdrhistogram.New(1, r.highest, 3)
		for _, c := range r.shards.latencies(true) {
			c.addTo(res.LatencyUncorrected)
		}
		res.Rate = r.rateResult(res.Elapsed, t)
	}
	switch {
	case outer.Err() != nil:
		res.Reason = "cancelled"
		res.Interrupted = true
	case r.maxFailed.Load():
		res.Reason = "failures"
	case errors.Is(ctx.Err(), context.DeadlineExceeded), r.schedEnd > 0 && (r.schedTotal == 0 || r.slot.Load() < r.schedTotal):
		res.Reason = "duration"
	default:
		res.Reason = "reps"
	}
	return res
}

// rateResult is the open model's schedule accounting: the shards' counts
// and the users' send times.
func (r *Runner) rateResult(elapsed time.Duration, t *totals) *RateResult {
	users := r.active()
	rr := &RateResult{Target: r.opts.Rate, Users: len(users), MaxUsers: r.opts.MaxUsers, Sent: t.sent,
		MinLatency: time.Duration(t.minCorr), MaxLatency: time.Duration(t.maxCorr), SumLatency: time.Duration(t.sumCorr)}
	var lastSend time.Duration
	for _, u := range users {
		lastSend = max(lastSend, u.lastSend)
		rr.MaxLag = max(rr.MaxLag, u.maxLag)
	}
	r.scheduleResult(rr, elapsed, lastSend)
	return rr
}

// scheduleResult fills in how the open model's schedule was kept, for a
// run of elapsed whose last scheduled request went out at lastSend.
func (r *Runner) scheduleResult(rr *RateResult, elapsed, lastSend time.Duration) {
	cut := elapsed
	if r.schedEnd > 0 {
		cut = min(cut, r.schedEnd)
	}
	rr.Scheduled = int64(math.Ceil(cut.Seconds()*rr.Target - 1e-9))
	if r.schedTotal > 0 {
		rr.Scheduled = min(rr.Scheduled, r.schedTotal)
	}
	if r.shaped {
		cut = r.scheduleCut(elapsed)
	}
	switch {
	case r.shaped && cut > 0:
		// The target is the schedule's mean rate; achieved, what was sent
		// over the same time.
		rr.Scheduled = scheduledBefore(r.shape, cut)
		rr.Target = r.shape.integral(cut) / cut.Seconds()
		rr.Achieved = float64(rr.Sent) / cut.Seconds()
	case rr.Sent > 0:
		rr.Achieved = float64(rr.Sent) / (lastSend.Seconds() + 1/rr.Target)
	}
}

// RateResult is how well the open model kept its schedule.
type RateResult struct {
	Target float64 // requests per second asked for (with stages, the schedule's mean rate)
	// Achieved is the scheduled requests sent and answered (or failed) per
	// second of schedule: Sent / (the last one's send time - start + 1/Target).
	// It equals Target when every request went out on time.
	Achieved float64
	// Scheduled is the number of send times the schedule held before it
	// ended; Sent those that were sent and completed or failed.
	Scheduled, Sent int64
	// MaxLag is the longest a request went out after its intended time.
	MaxLag time.Duration
	// Users is how many users ran in the end (more than Result.Users' start
	// value when MaxUsers let them join); MaxUsers the bound.
	Users, MaxUsers int
	// MinLatency, MaxLatency and SumLatency are the exact extremes and sum
	// of what Result.Latency holds (latency from the intended send time);
	// zero when unknown (merged logs).
	MinLatency, MaxLatency, SumLatency time.Duration
}

// Short reports whether the achieved rate fell more than 1% short of the
// target: the target (or this machine) could not keep up.
func (rr *RateResult) Short() bool { return rr != nil && rr.Achieved < 0.99*rr.Target }

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
