package fleet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/loadgen/loadgen/report"
)

// Options configure Run. Zero values take the defaults noted.
type Options struct {
	// Shards is N, the number of shards.
	Shards int
	// Args are the user's run flags and URL, given to every shard after the
	// shard flags. They carry the totals (-c 300, --rate 900): each shard
	// takes its own share.
	Args []string
	// Lead is how far ahead of the launch the shards start: T = now + Lead.
	// Default 5 s; on ECS a task takes tens of seconds to start, so give more.
	Lead time.Duration
	// MaxLate is how late after T a shard may start before the run is
	// incomplete (default 2 s).
	MaxLate time.Duration
	// Interval is each shard's interval-log period (default 5 s).
	Interval time.Duration
	// RunFor is how long the load runs (-t); 0 means until ctx ends (or
	// the shards end by themselves, with -r). Shards still running at
	// T + RunFor + Grace are stopped and named.
	RunFor time.Duration
	// Grace is the time allowed past T + RunFor (default 30 s).
	Grace time.Duration
	// Poll is how often the tasks are described, and logs re-read (default 2 s).
	Poll time.Duration
	// StopTimeout is how long stopped tasks have to stop (default 2 min:
	// Fargate kills a container at most 120 s after SIGTERM).
	StopTimeout time.Duration
	// LogTimeout is how long, once the tasks stopped, their end lines have
	// to arrive in the log streams (default 60 s).
	LogTimeout time.Duration
	// RunID names the run (the tasks' group); default random.
	RunID string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Say receives progress lines (default: none).
	Say func(format string, args ...any)
}

// DefaultInterval is a shard's interval-log period.
const DefaultInterval = 5 * time.Second

func (o Options) withDefaults() Options {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.Lead, 5*time.Second)
	def(&o.MaxLate, 2*time.Second)
	def(&o.Interval, DefaultInterval)
	def(&o.Grace, 30*time.Second)
	def(&o.Poll, 2*time.Second)
	def(&o.StopTimeout, 2*time.Minute)
	def(&o.LogTimeout, time.Minute)
	if o.RunID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		o.RunID = hex.EncodeToString(b[:])
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Say == nil {
		o.Say = func(string, ...any) {}
	}
	return o
}

// Group is the name a run's tasks are launched under (ECS's startedBy).
func Group(runID string) string { return "loadgen-fleet-" + runID }

// ShardArgs are the arguments of shard s of a run starting at t.
func ShardArgs(s Shard, t time.Time, interval time.Duration, args []string) []string {
	out := []string{"--shard", s.String(), "--start-at", FormatStartAt(t), "--hlog", "-"}
	if interval != DefaultInterval {
		out = append(out, "--hlog-interval", interval.String())
	}
	return append(out, args...)
}

// Run launches o.Shards shards on b, starting together at T, waits for
// them, stops them all when ctx ends (Ctrl+C, an alarm) or at the deadline,
// reads every shard's log stream and judges each shard. The error is for a
// run that could not start (the launch failed as a whole); a shard's
// failure is in the Outcome.
func Run(ctx context.Context, b Backend, o Options) (*Outcome, error) {
	if o.Shards < 1 || o.Shards > MaxShards {
		return nil, fmt.Errorf("fleet: want 1 to %d shards, got %d", MaxShards, o.Shards)
	}
	o = o.withDefaults()
	r := &run{b: b, o: o, group: Group(o.RunID)}
	r.out = &Outcome{RunID: o.RunID, Group: r.group, StartAt: o.Now().Add(o.Lead).Truncate(time.Millisecond), MaxLate: o.MaxLate}
	specs := make([]Spec, o.Shards)
	for i := range specs {
		s := Shard{Index: i + 1, Count: o.Shards}
		specs[i] = Spec{Shard: s, Args: ShardArgs(s, r.out.StartAt, o.Interval, o.Args),
			Token: fmt.Sprintf("%s-%d", o.RunID, i+1), Group: r.group}
	}
	o.Say("launching %d shards to start together at %s (run %s)", o.Shards, FormatStartAt(r.out.StartAt), o.RunID)
	tasks, err := b.Launch(ctx, specs)
	if err != nil {
		// Nothing may be left running: stop what the launch may have started.
		sctx, cancel := detached(ctx)
		defer cancel()
		if serr := b.Stop(sctx, r.group, tasks, "loadgen fleet: launch failed"); serr != nil {
			err = errors.Join(err, fmt.Errorf("and stopping what was launched: %w", serr))
		}
		return nil, err
	}
	r.init(tasks)
	r.watch(ctx)
	r.collect(ctx)
	r.judge()
	return r.out, nil
}

// run is one Run's state.
type run struct {
	b     Backend
	o     Options
	group string
	out   *Outcome

	tasks      []Task
	states     []State
	streams    []*stream
	readErrs   []error
	notStarted []bool // stopped by us: not started in time
	overran    []bool // stopped by us: still running at the deadline
	stuck      []bool // did not stop after being stopped
	noHeader   []bool // stopped by us: no header in its log in time
	cursors    []string
}

func (r *run) init(tasks []Task) {
	n := len(tasks)
	r.tasks, r.states, r.streams, r.readErrs = tasks, make([]State, n), make([]*stream, n), make([]error, n)
	r.notStarted, r.overran, r.stuck, r.noHeader = make([]bool, n), make([]bool, n), make([]bool, n), make([]bool, n)
	r.cursors = make([]string, n)
	for i := range r.streams {
		r.streams[i] = &stream{}
	}
	for _, t := range tasks {
		if t.Err != nil {
			r.o.Say("shard %s could not be launched: %v", t.Shard, t.Err)
		}
	}
}

// live returns the indexes of launched tasks not known to have stopped.
func (r *run) live() []int {
	var idx []int
	for i, t := range r.tasks {
		if t.Err == nil && !r.states[i].Stopped {
			idx = append(idx, i)
		}
	}
	return idx
}

// stop asks the tasks at idx to stop, on a context that Ctrl+C does not end.
func (r *run) stop(ctx context.Context, idx []int, reason string) {
	ts := make([]Task, 0, len(idx))
	for _, i := range idx {
		ts = append(ts, r.tasks[i])
	}
	sctx, cancel := detached(ctx)
	defer cancel()
	if err := r.b.Stop(sctx, r.group, ts, reason); err != nil {
		r.o.Say("stopping tasks: %v", err)
	}
}

// Outcome is what Run saw: when the shards were told to start and how each
// one did.
type Outcome struct {
	RunID   string
	Group   string
	StartAt time.Time
	MaxLate time.Duration
	// StoppedBy says why the coordinator stopped the tasks: "interrupted"
	// (ctx ended: Ctrl+C or an alarm), "deadline", or "" (they ended by
	// themselves).
	StoppedBy string
	Shards    []ShardResult
}

// ShardResult is how one shard did.
type ShardResult struct {
	Shard  Shard
	Task   string // the backend's task ID; "" when it was not launched
	Status string
	Header *Header
	// Log is the shard's interval log, when it arrived whole (to its end
	// line) and could be read; nil otherwise.
	Log      *report.Hlog
	ExitCode *int
	// Problem says why the shard makes the run incomplete; "" when it does not.
	Problem string
	// Messages are the lines of the shard's output that are not its log
	// (its stderr on ECS), at most 50.
	Messages []string
}

// Name is "shard i/N (task ID)", or "shard i/N (pid N)" for a local shard.
func (s ShardResult) Name() string {
	if s.Task == "" {
		return "shard " + s.Shard.String()
	}
	if strings.HasPrefix(s.Task, "pid ") {
		return fmt.Sprintf("shard %s (%s)", s.Shard, s.Task)
	}
	return fmt.Sprintf("shard %s (task %s)", s.Shard, s.Task[strings.LastIndex(s.Task, "/")+1:])
}

// Complete reports whether every shard ran whole.
func (o *Outcome) Complete() bool { return len(o.Problems()) == 0 }

// Problems lists what makes the run incomplete, one sentence per shard.
func (o *Outcome) Problems() []string {
	var out []string
	for _, s := range o.Shards {
		if s.Problem != "" {
			out = append(out, s.Name()+": "+s.Problem)
		}
	}
	return out
}

// Logs returns the interval logs that arrived whole, for merging.
func (o *Outcome) Logs() []*report.Hlog {
	var out []*report.Hlog
	for _, s := range o.Shards {
		if s.Log != nil {
			out = append(out, s.Log)
		}
	}
	return out
}
