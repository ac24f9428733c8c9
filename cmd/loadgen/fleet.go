//go:build !lean

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/fleet"
	fleetecs "github.com/loadgen/loadgen/fleet/ecs"
	"github.com/loadgen/loadgen/fleet/local"
	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awsclients"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
)

// fleetFlags are `loadgen fleet`'s own flags, before the "--".
type fleetFlags struct {
	tasks, shards           int
	cluster, taskDef        string
	subnets, securityGroups []string
	publicIP, allowPartial  bool
	lead, maxLate, grace    time.Duration
	poll, logTimeout        time.Duration
	launchRate              float64
	logGroup, streamPrefix  string
	container               string
	aws                     awsFlags
}

func (a *app) fleetCommand() *cobra.Command {
	ff := &fleetFlags{}
	cmd := &cobra.Command{
		Use:   fleetUse,
		Short: fleetShort,
		Long: `fleet splits a load (-c, --rate) over N shards, starts them together at a
time T a few seconds ahead, waits for them, reads every shard's interval log,
merges the logs on absolute time and prints one report: counts are exact and
percentiles come from the union histogram. The flags after "--" are the usual
run flags and URL; --fail-on, --json, --html, --hlog and --until-alarm act on
the merged run. A shard that did not start, exited non-zero, whose log was cut,
or that started late is named, and the run is incomplete: exit 1 unless
--allow-partial. Ctrl+C (and ALARM with --until-alarm) stops every task.

  loadgen fleet setup --image ACCOUNT.dkr.ecr.REGION.amazonaws.com/loadgen:latest
  loadgen fleet --tasks 10 --cluster load --subnets subnet-1,subnet-2 --security-groups sg-1 \
      -- -c 2000 -t 5M --fail-on 'p99 > 250ms' http://my-alb.example.com/
  loadgen fleet --shards 4 -- -c 800 -t 1M http://127.0.0.1:8080/   # 4 processes on this host`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if d := cmd.ArgsLenAtDash(); d > 0 {
				return usageErr("fleet: put the URL after \"--\", with the run flags: %q", args[:d])
			}
			return a.runFleet(cmd.Context(), ff, args)
		},
	}
	fs := cmd.Flags()
	fs.IntVar(&ff.tasks, "tasks", 0, "run N shards as ECS tasks")
	fs.IntVar(&ff.shards, "shards", 0, "run N shards as processes on this machine")
	fs.StringVar(&ff.cluster, "cluster", "default", "ECS cluster")
	fs.StringVar(&ff.taskDef, "task-definition", fleetecs.DefaultTaskDefinition, "ECS task definition (family[:revision] or ARN); see 'loadgen fleet setup'")
	fs.StringSliceVar(&ff.subnets, "subnets", nil, "subnets of the tasks (comma-separated; needed on Fargate)")
	fs.StringSliceVar(&ff.securityGroups, "security-groups", nil, "security groups of the tasks (comma-separated)")
	fs.BoolVar(&ff.publicIP, "public-ip", false, "give each task a public IP (a public subnet without a NAT gateway needs it)")
	fs.BoolVar(&ff.allowPartial, "allow-partial", false, "exit 0 even when the run is incomplete (a shard failed, was cut short or started late)")
	fs.DurationVar(&ff.lead, "lead", 0, "start the shards this long after the launch (default 3s here, 90s on ECS, where tasks take tens of seconds to start)")
	fs.DurationVar(&ff.maxLate, "max-late", 2*time.Second, "a shard that starts later than this after the start time makes the run incomplete")
	fs.DurationVar(&ff.grace, "grace", 30*time.Second, "with -t: stop shards still running this long after the load should have ended")
	fs.DurationVar(&ff.poll, "task-poll", 0, "how often to describe the tasks (default 500ms here, 5s on ECS)")
	fs.DurationVar(&ff.logTimeout, "log-timeout", 0, "how long to wait for the shards' end lines once they stopped (default 5s here, 60s on ECS)")
	fs.Float64Var(&ff.launchRate, "launch-rate", 10, "at most this many RunTask calls per second")
	fs.StringVar(&ff.logGroup, "log-group", "", "with --stream-prefix and --container: where the tasks' logs are, instead of reading the task definition")
	fs.StringVar(&ff.streamPrefix, "stream-prefix", "", "the awslogs stream prefix (see --log-group)")
	fs.StringVar(&ff.container, "container", "", "the task definition's container (see --log-group)")
	ff.aws.register(fs)
	fs.SortFlags = false
	cmd.AddCommand(a.fleetSetupCommand())
	return cmd
}

// fleetPlan is a fleet run, checked before anything is launched.
type fleetPlan struct {
	rf         *runFlags
	s          *settings
	thresholds []report.Threshold
	args       []string // what every shard gets after the shard flags
	target     string
	interval   time.Duration
	aws        awsFlags
	watch      watch // the alarm of --until-alarm or --alarm
	onECS      bool
}

// plan parses the run flags after "--" as a run would, refuses what cannot
// be split over shards, and finds the URL and the alarm when asked.
func (a *app) plan(ctx context.Context, ff *fleetFlags, runArgs []string) (*fleetPlan, error) {
	if (ff.tasks > 0) == (ff.shards > 0) || ff.tasks < 0 || ff.shards < 0 {
		return nil, usageErr("fleet: give --tasks N (ECS tasks) or --shards N (processes here), one of them")
	}
	n := max(ff.tasks, ff.shards)
	if n > fleet.MaxShards {
		return nil, usageErr("fleet: at most %d shards, got %d", fleet.MaxShards, n)
	}
	p := &fleetPlan{rf: &runFlags{}, onECS: ff.tasks > 0}
	fs := pflag.NewFlagSet("loadgen fleet --", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	p.rf.register(fs)
	if err := fs.Parse(runArgs); err != nil {
		return nil, usageErr("fleet: run flags: %v", err)
	}
	var err error
	if p.thresholds, err = p.rf.failOn.parse(); err != nil {
		return nil, err
	}
	if p.s, err = a.settings(fs, p.rf, fs.Args()); err != nil {
		return nil, err
	}
	if err := p.check(fs, n); err != nil {
		return nil, err
	}
	if err := p.rf.perf.check(); err != nil {
		return nil, fmt.Errorf("fleet: %w", err)
	}
	if p.s.hlogStdout = p.rf.perf.hlog == "-"; p.s.hlogStdout && p.s.jsonOut {
		return nil, usageErr("fleet: --hlog - and -j both write to stdout: send one of them to a file")
	}
	p.interval = fleet.DefaultInterval
	if fs.Changed("hlog-interval") {
		p.interval = p.rf.perf.interval
	}
	p.aws = ff.aws.or(p.rf.aws)
	p.args, p.target = shardArgs(fs, runArgs), p.s.url
	if p.s.url == "" && p.s.file == "" {
		resolved, err := stackTarget(ctx, &p.aws, p.rf.alarm.stacks)
		if err != nil {
			return nil, err
		}
		p.target = resolved.URL
		p.args = append(p.args, "-i", resolved.URL) // the workshop's siege -i $alb_url
	}
	if p.watch, err = a.alarmToWatch(ctx, &p.rf.alarm, &p.aws, p.s.quiet); err != nil {
		return nil, err
	}
	return p, nil
}

// check refuses the run flags that a fleet cannot honour.
func (p *fleetPlan) check(fs *pflag.FlagSet, n int) error {
	for name, why := range refusedFlags {
		if fs.Changed(name) {
			return usageErr("fleet: %s", why)
		}
	}
	if p.s.opts.Once {
		return usageErr("fleet: -r once runs each line of the URL file once, which is not split over shards: give -r N")
	}
	if p.onECS && ((p.s.file != "" && p.s.url == "") || p.rf.rc != "") {
		return usageErr("fleet: -f and -R name files on this machine, which ECS tasks cannot read: give the URL (or run --shards N here)")
	}
	last := fleet.Shard{Index: n, Count: n}
	if peak := peakLevel(p.s.opts.Stages); len(p.s.opts.Stages) > 0 {
		if p.rf.perf.rate == 0 && last.Share(int(peak)) < 1 {
			return usageErr("fleet: --stages peaks at %g users: over %d shards that leaves a shard without a user", peak, n)
		}
	} else if p.s.opts.Users < n {
		return usageErr("fleet: -c %d over %d shards leaves a shard without a user: give -c %d or more", p.s.opts.Users, n, n)
	}
	if r := p.rf.perf.rate; r > 0 && (fleet.Shard{Index: n, Count: n}).RateShare(r) <= 0 {
		return usageErr("fleet: --rate %g over %d shards leaves a shard no rate", r, n)
	}
	return nil
}

// peakLevel is a load shape's highest level.
func peakLevel(stages []loadgen.Stage) float64 {
	peak := 0.0
	for _, st := range stages {
		peak = max(peak, st.Target)
	}
	return peak
}

// or fills the settings f lacks from g.
func (f awsFlags) or(g awsFlags) awsFlags {
	if f.region == "" {
		f.region = g.region
	}
	if f.profile == "" {
		f.profile = g.profile
	}
	if f.endpointURL == "" {
		f.endpointURL = g.endpointURL
	}
	if g.timeout != awscfg.DefaultTimeout {
		f.timeout = g.timeout
	}
	if f.log == nil {
		f.log = g.log
	}
	return f
}

// backend builds where the shards run, with the defaults of that place.
func (a *app) backend(ctx context.Context, ff *fleetFlags, p *fleetPlan, o *fleet.Options) (fleet.Backend, string, func(), error) {
	pick := func(d *time.Duration, set, here, ecs time.Duration) {
		switch {
		case set > 0:
			*d = set
		case p.onECS:
			*d = ecs
		default:
			*d = here
		}
	}
	pick(&o.Lead, ff.lead, 3*time.Second, 90*time.Second)
	pick(&o.Poll, ff.poll, 500*time.Millisecond, 5*time.Second)
	pick(&o.LogTimeout, ff.logTimeout, 5*time.Second, time.Minute)
	if !p.onECS {
		exe, err := a.shardBinary()
		if err != nil {
			return nil, "", nil, err
		}
		b := local.New(local.Options{Binary: exe})
		return b, "local", b.Close, nil
	}
	cfg, err := p.aws.config(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	b, err := fleetecs.New(ctx, awsclients.NewECS(cfg, p.aws.endpointURL), awsclients.NewLogs(cfg, p.aws.endpointURL), fleetecs.Options{Cluster: ff.cluster, TaskDefinition: ff.taskDef,
		Subnets: ff.subnets, SecurityGroups: ff.securityGroups, PublicIP: ff.publicIP, LaunchRate: ff.launchRate,
		LogGroup: ff.logGroup, StreamPrefix: ff.streamPrefix, Container: ff.container})
	if err != nil {
		return nil, "", nil, setupErr(fmt.Errorf("fleet: %w", err))
	}
	if !p.s.quiet {
		fmt.Fprintf(a.stderr, "fleet: %s\n", b)
	}
	return b, "ecs", func() {}, nil
}

func (a *app) runFleet(ctx context.Context, ff *fleetFlags, runArgs []string) error {
	if ff.maxLate <= 0 || ff.grace <= 0 || ff.launchRate <= 0 {
		return usageErr("fleet: --max-late, --grace and --launch-rate must be positive")
	}
	p, err := a.plan(ctx, ff, runArgs)
	if err != nil {
		return err
	}
	o := fleet.Options{Shards: max(ff.tasks, ff.shards), Args: p.args, MaxLate: ff.maxLate, Interval: p.interval,
		RunFor: p.s.opts.Duration, Grace: ff.grace}
	if !p.s.quiet {
		o.Say = func(format string, args ...any) {
			fmt.Fprintf(a.stderr, "%s fleet: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
		}
	}
	b, where, closeB, err := a.backend(ctx, ff, p, &o)
	if err != nil {
		return err
	}
	defer closeB()
	// ALARM ends the fleet's context, which stops every task; their logs
	// are still collected.
	var out *fleet.Outcome
	verdict, endedBy, err := a.watchWhile(ctx, p.watch, &p.rf.alarm, p.s.quiet, func(ctx context.Context) error {
		var err error
		out, err = fleet.Run(ctx, b, o)
		return err
	})
	if err != nil {
		return setupErr(fmt.Errorf("fleet: %w", err))
	}
	return a.fleetReport(ctx, ff, p, out, where, verdict, endedBy)
}

// shardBinary is the program local shards run: the lean build that handed
// this command over, when there is one and its path is known (a shard only sends load, and the
// lean build does it without the AWS SDK's start-up memory), else this one.
func (a *app) shardBinary() (string, error) {
	if lean := a.getenv(handedOffEnv); filepath.IsAbs(lean) && isFile(lean) {
		return lean, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", setupErr(fmt.Errorf("find own executable: %w", err))
	}
	return exe, nil
}
