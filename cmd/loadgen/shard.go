package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/fleet"
	"github.com/loadgen/loadgen/loadgen"
)

// shardFlags make a normal run one shard of a fleet (`loadgen fleet` passes
// them): --shard i/N takes this shard's share of -c and --rate, --start-at
// T starts the load at T, and the log header says how late it started.
type shardFlags struct {
	shard   string
	startAt string
}

func (f *shardFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.shard, "shard", "", "run as shard `i/N` of a fleet: this shard's share of -c, --rate and each --stages level (floor/ceil shares that add up exactly); implies -q and 5s --hlog-interval")
	fs.StringVar(&f.startAt, "start-at", "", "start the load at `T` (RFC 3339, or seconds since the epoch): sleep until then; with --shard, the lateness and clock-error bound go in the log header")
}

// shardRun is a shard's part of a run.
type shardRun struct {
	shard   fleet.Shard
	on      bool // --shard given
	startAt time.Time
	users   int
	rate    float64
}

// startShard applies --shard and checks --start-at, before the run's other
// settings are used.
func (a *app) startShard(fs *pflag.FlagSet, f *runFlags, s *settings) (*shardRun, error) {
	sr := &shardRun{}
	if f.shard.startAt != "" {
		t, err := fleet.ParseStartAt(f.shard.startAt)
		if err != nil {
			return nil, usageErr("--start-at: %v", err)
		}
		sr.startAt = t
	}
	if f.shard.shard == "" {
		return sr, nil
	}
	sh, err := fleet.ParseShard(f.shard.shard)
	if err != nil {
		return nil, usageErr("--shard: %v", err)
	}
	sr.shard, sr.on = sh, true
	sr.users = sh.Share(s.opts.Users)
	s.opts.Stages = shardStages(sh, s.opts.Stages, f.perf.rate > 0)
	if sr.users < 1 && len(s.opts.Stages) == 0 {
		return nil, usageErr("--shard %s: -c %d over %d shards leaves this shard without a user", sh, s.opts.Users, sh.Count)
	}
	s.opts.Users = sr.users
	if f.perf.rate > 0 {
		sr.rate = sh.RateShare(f.perf.rate)
		if sr.rate <= 0 {
			return nil, usageErr("--shard %s: --rate %g over %d shards leaves this shard no rate", sh, f.perf.rate, sh.Count)
		}
		f.perf.rate = sr.rate
	}
	if !fs.Changed("hlog-interval") {
		f.perf.interval = fleet.DefaultInterval
	}
	s.quiet = true
	return sr, nil
}

// startShardPerf applies the shard flags, then the open-model and log
// flags (a shard's share of --rate is the rate the run uses). perf.close
// must be called in any case.
func (a *app) startShardPerf(fs *pflag.FlagSet, f *runFlags, s *settings) (*shardRun, *perfRun, error) {
	shard, err := a.startShard(fs, f, s)
	if err != nil {
		return nil, &perfRun{f: &f.perf}, err
	}
	perf, err := a.startPerf(&f.perf, s)
	return shard, perf, err
}

// shardStages is shard sh's share of a load shape: each stage's level is
// split as -c (users) or --rate (requests/s) is, so at every stage the
// shards' levels add up to the shape's exactly.
func shardStages(sh fleet.Shard, stages []loadgen.Stage, rate bool) []loadgen.Stage {
	out := make([]loadgen.Stage, len(stages))
	for i, st := range stages {
		if rate {
			st.Target = sh.RateShare(st.Target)
		} else {
			st.Target = float64(sh.Share(int(st.Target)))
		}
		out[i] = st
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// wait sleeps until --start-at, then opens a shard's log with its header:
// how late it started and how far its clock may be off.
func (sr *shardRun) wait(ctx context.Context, a *app, perf *perfRun) error {
	if sr.startAt.IsZero() {
		return nil
	}
	var clock fleet.Clock
	if sr.on {
		var err error
		if clock, err = fleet.ReadClock(ctx, a.getenv); err != nil {
			fmt.Fprintf(a.stderr, "loadgen: shard %s: clock-error bound unknown: %v\n", sr.shard, err)
		}
	}
	late, err := fleet.WaitUntil(ctx, sr.startAt, time.Now)
	if err != nil {
		if ctx.Err() != nil {
			return &quietExit{exitInterrupted}
		}
		return usageErr("%v", err)
	}
	if !sr.on {
		return nil
	}
	h := fleet.Header{Shard: sr.shard.String(), StartAt: sr.startAt.UTC(), Started: time.Now().UTC(),
		LateMs: float64(late.Microseconds()) / 1000, Users: sr.users, Rate: sr.rate,
		ClockErrorMs: clock.ErrorBoundMs, ClockSource: clock.Source, ClockStatus: clock.Status, Task: clock.Task}
	if err := perf.comment(h.Line()); err != nil {
		return setupErr(fmt.Errorf("--hlog: %w", err))
	}
	return nil
}
