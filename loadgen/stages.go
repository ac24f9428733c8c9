package loadgen

// This file: running a load shape: the closed model's user-count
// controller, each stage's accounts, and the load timeline.

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// StageResult is what one stage measured: the transactions that completed
// while it was in force. The stages reached add up to the run's totals (the
// last one reached ends with the run, its drain included).
type StageResult struct {
	Stage      int           // 1-based, into Options.Stages
	Start, End time.Duration // offsets from Result.Start
	// Length is how long the stage was in force: End - Start, but in the
	// open model the last stage's ends with the schedule, before the drain.
	Length   time.Duration
	From, To float64 // the target level at the stage's start and end
	Hold     bool
	// Users is the mean number of users running (not waiting) over the stage.
	Users float64
	// Transactions, Failed and HTTPErrors are as in Result.
	Transactions, Failed, HTTPErrors int64
	// Sent (open model) is the scheduled requests that completed or failed
	// in the stage; Scheduled the send times its schedule held.
	Sent, Scheduled int64
	// Latency is the stage's transactions' latency, as Result.Latency.
	Latency *hdrhistogram.Histogram
}

// Rate is the stage's achieved rate: scheduled requests sent per second in
// the open model, transactions per second in the closed model.
func (s *StageResult) Rate(open bool) float64 {
	d := s.Length.Seconds()
	if d <= 0 {
		return 0
	}
	if open {
		return float64(s.Sent) / d
	}
	return float64(s.Transactions) / d
}

// LoadSample is the load at one moment of the run.
type LoadSample struct {
	At           time.Duration // offset from Result.Start
	Target       float64       // the level in force: users, or requests/s in the open model
	Users        int           // users running (not waiting)
	Transactions int64         // completed since the start
}

// timelineEvery is how often Run samples the load timeline (about 14 MB
// a day).
const timelineEvery = 250 * time.Millisecond

// checkStages validates Options.Stages in New.
func checkStages(o *Options) error {
	if len(o.Stages) == 0 {
		return nil
	}
	if len(o.Stages) > MaxStages {
		return fmt.Errorf("%d stages: at most %d", len(o.Stages), MaxStages)
	}
	if o.Reps > 0 || o.Once {
		return errors.New("stages set the run's length: they do not combine with reps")
	}
	var total time.Duration
	for i, st := range o.Stages {
		if st.Duration < 0 || math.IsNaN(st.Target) || st.Target < 0 || st.Target > maxStageTarget {
			return fmt.Errorf("stage %d: want a duration >= 0 and a target from 0 to %g, got %s:%g", i+1, float64(maxStageTarget), st.Duration, st.Target)
		}
		if o.Rate == 0 && (st.Target != math.Trunc(st.Target) || st.Target > MaxStageUsers) {
			return fmt.Errorf("stage %d: a target of users must be a whole number up to %d, got %g", i+1, MaxStageUsers, st.Target)
		}
		if total += st.Duration; total > maxShapeLength {
			return fmt.Errorf("stages last more than %s in all", maxShapeLength)
		}
	}
	if total == 0 {
		return errors.New("the stages last 0 s in all")
	}
	return nil
}

// pacer is Run's bookkeeping for the load's shape: it moves the closed
// model's user count along the shape, closes each stage's accounts at its
// end, and samples the load timeline. Only Run's goroutine uses it.
type pacer struct {
	nextSample time.Duration
	span       int // index into shape.spans of the stage whose accounts are open; -1 none
	lastAt     time.Duration
	userSecs   float64 // running users integrated over the open stage
	lat        *intervals
	cnt        ivCounts // the counters at the last stage boundary
	stages     []StageResult
	timeline   []LoadSample
}

// startPace prepares the pacer at the start of Run.
func (r *Runner) startPace() {
	p := &r.pace
	p.span = -1
	if r.shaped {
		p.span = 0
		p.lat = newIntervals(r.highest)
	}
	r.sample(0)
	p.nextSample = timelineEvery
}

// step brings the load up to offset now: the closed model's users follow
// the shape (it returns how many user goroutines it started), the stages
// that ended are accounted, and the timeline is sampled. next is the offset
// of the next thing to do.
func (r *Runner) step(now time.Duration) (started int, next time.Duration) {
	p := &r.pace
	closed := r.shaped && !r.rate
	if closed && !r.stopped.Load() {
		started = r.setUsers(min(max(r.shape.users(now), 0), len(r.users)))
	}
	for p.span >= 0 && p.span+1 < len(r.shape.spans) && now >= r.shape.spans[p.span+1].start {
		b := r.shape.spans[p.span+1].start
		r.integrate(b)
		r.closeStage(b)
		p.span++
	}
	r.integrate(now)
	if now >= p.nextSample {
		r.sample(now)
		p.nextSample = now.Truncate(timelineEvery) + timelineEvery
	}
	next = p.nextSample
	if p.span >= 0 && p.span+1 < len(r.shape.spans) {
		next = min(next, r.shape.spans[p.span+1].start)
	}
	if closed {
		// Users follow within one; running users are integrated from
		// samples at least every 100 ms.
		next = min(next, r.shape.nextUserChange(now), now+100*time.Millisecond)
	}
	return started, next
}

// finishPace closes the last stage's accounts and samples the end.
func (r *Runner) finishPace(end time.Duration) {
	p := &r.pace
	r.integrate(end)
	if p.span >= 0 {
		r.closeStage(end)
		p.span = -1
	}
	if n := len(p.timeline); n == 0 || p.timeline[n-1].At < end {
		r.sample(end)
	}
}

// integrate adds the users running, as now, over the time since the last
// call up to offset at, to the open stage's user-seconds.
func (r *Runner) integrate(at time.Duration) {
	p := &r.pace
	if at > p.lastAt {
		p.userSecs += float64(r.running.Load()) * (at - p.lastAt).Seconds()
		p.lastAt = at
	}
}

// setUsers makes the closed model's user count want: the users with an id
// below it run, the rest wait. It starts the users that never ran yet and
// returns how many it started.
func (r *Runner) setUsers(want int) int {
	cur := int(r.allowed.Load())
	if want == cur {
		return 0
	}
	r.allowed.Store(int32(want))
	if want < cur {
		return 0
	}
	ch := make(chan struct{})
	close(*r.gate.Swap(&ch)) // wake the waiting users
	n := int(r.nUsers.Load())
	if want <= n {
		return 0
	}
	return r.spawn(n, want)
}

// park makes a user above the closed model's level leave: it closes its
// connections and waits until the level includes it again. It returns false
// when the run ended meanwhile.
func (u *user) park() bool {
	r := u.r
	u.closeAll()
	u.putReader() // a waiting user holds no buffer
	r.running.Add(-1)
	defer r.running.Add(1)
	for {
		ch := *r.gate.Load()
		if int32(u.id) < r.allowed.Load() {
			return true
		}
		select {
		case <-ch:
		case <-r.ctx.Done():
			return false
		}
	}
}

// closeStage ends the accounts of the stage in force at offset end.
func (r *Runner) closeStage(end time.Duration) {
	p := &r.pace
	sp := &r.shape.spans[p.span]
	st := &r.opts.Stages[sp.stage]
	sr := StageResult{Stage: sp.stage + 1, Start: sp.start, End: end, Length: end - sp.start, From: sp.from, To: sp.to, Hold: st.Hold,
		Latency: hdrhistogram.New(1, r.highest, 3)}
	// The counters first: they are few, and the boundary is now; the
	// histograms' buckets take longer to sum.
	d := p.cnt.next(r.shards.sum())
	p.lat.next(r.shards.latencies(false), sr.Latency)
	sr.Transactions, sr.Failed, sr.HTTPErrors, sr.Sent = d.txns, d.fails, d.httpErrs, d.sent
	if secs := (end - sp.start).Seconds(); secs > 0 {
		sr.Users = p.userSecs / secs
	}
	p.userSecs = 0
	if r.rate {
		cut := r.scheduleCut(end)
		sr.Length = max(cut-sp.start, 0)
		sr.Scheduled = scheduledBefore(r.shape, cut) - scheduledBefore(r.shape, sp.start)
	}
	p.stages = append(p.stages, sr)
}

// scheduleCut is where the open model's schedule ended, for a run that
// ended at offset end: at its planned end when every send time was taken
// (the users then leave before it), else at end.
func (r *Runner) scheduleCut(end time.Duration) time.Duration {
	if k := r.slot.Load(); k > 0 && r.plannedAt(k-1) >= r.schedEnd {
		return r.schedEnd
	}
	return min(end, r.schedEnd)
}

// scheduledBefore is how many send times the open model's schedule holds
// before offset t.
func scheduledBefore(s *shape, t time.Duration) int64 {
	return int64(math.Ceil(s.integral(t) - 1e-9))
}

// sample adds the load at offset at to the timeline.
func (r *Runner) sample(at time.Duration) {
	level, _ := r.shape.at(at)
	txns := r.shards.sum().transactions()
	r.pace.timeline = append(r.pace.timeline, LoadSample{At: at, Target: level, Users: int(r.running.Load()), Transactions: txns})
}

// Load is the load at one moment of a run (Result.LoadAt).
type Load struct {
	// Offset is the moment's, from Result.Start (negative before it).
	Offset time.Duration
	// Target is the level in force: users, or requests/s in the open model
	// (Open).
	Target float64
	Open   bool
	// Users is how many users were running (not waiting) then,
	// interpolated between the timeline's samples and rounded.
	Users int
	// Rate is the transactions completed per second over the part of the
	// window starting at the moment that lies within the run (its last
	// second when that part is shorter than half a second).
	Rate float64
	// Stage is the stage in force (1-based) of Stages in the shape; both 0
	// without stages.
	Stage, Stages int
	// Outside is set when the moment fell before the start or after the end
	// of the run; the figures are then the run's at its start (end).
	Outside bool
}

// LoadAt returns the load at moment t, with the rate measured over
// [t, t+window): what the run was doing when, for example, the period of
// an alarm's first breaching datapoint began. ok is false when the result
// has no timeline.
func (res *Result) LoadAt(t time.Time, window time.Duration) (l Load, ok bool) {
	tl := res.Timeline
	if len(tl) == 0 {
		return Load{}, false
	}
	end := tl[len(tl)-1].At
	l.Offset, l.Open = t.Sub(res.Start), res.Rate != nil
	off := min(max(l.Offset, 0), end)
	l.Outside = off != l.Offset
	i := len(tl) - 1
	for i > 0 && tl[i].At > off {
		i--
	}
	l.Target, l.Users = tl[i].Target, tl[i].Users
	if i+1 < len(tl) && tl[i+1].At > tl[i].At {
		f := (off - tl[i].At).Seconds() / (tl[i+1].At - tl[i].At).Seconds()
		l.Users = int(math.Round(float64(tl[i].Users) + f*float64(tl[i+1].Users-tl[i].Users)))
	}
	if res.shape != nil {
		var idx int
		l.Target, idx = res.shape.at(off)
		if idx >= 0 {
			l.Stage, l.Stages = idx+1, res.shape.n
		}
	}
	// The rate over the window's part within the run.
	a, b := off, min(max(l.Offset+max(window, time.Millisecond), 0), end)
	if b-a < 500*time.Millisecond {
		a = max(b-time.Second, 0)
	}
	if b > a {
		l.Rate = (txnsAt(tl, b) - txnsAt(tl, a)) / (b - a).Seconds()
	}
	return l, true
}

// txnsAt interpolates the timeline's completed transactions at offset x.
func txnsAt(tl []LoadSample, x time.Duration) float64 {
	if x <= tl[0].At {
		return float64(tl[0].Transactions)
	}
	for i := 1; i < len(tl); i++ {
		if x <= tl[i].At {
			a, b := tl[i-1], tl[i]
			f := (x - a.At).Seconds() / (b.At - a.At).Seconds()
			return float64(a.Transactions) + f*float64(b.Transactions-a.Transactions)
		}
	}
	return float64(tl[len(tl)-1].Transactions)
}
