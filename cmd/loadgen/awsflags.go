package main

import (
	"io"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/internal/awsdefaults"
	"github.com/loadgen/loadgen/report"
)

// The AWS flags are registered in both builds, so that the lean build
// (lean.go) parses a command line exactly as the full one does before it
// hands a command that calls AWS to the full build.

// awsFlags select the AWS account, region and endpoint, as the AWS CLI does.
type awsFlags struct {
	region      string
	profile     string
	endpointURL string
	timeout     time.Duration
	log         io.Writer // the SDK's warnings, with -v; nil discards them
}

func (f *awsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	fs.StringVar(&f.profile, "profile", "", "AWS profile (default: AWS_PROFILE)")
	fs.StringVar(&f.endpointURL, "endpoint-url", "", "send AWS API calls here (like the AWS CLI's --endpoint-url; AWS_ENDPOINT_URL works too)")
	fs.DurationVar(&f.timeout, "aws-timeout", awsdefaults.Timeout, "give up on AWS after this long: each start-up step (finding the stack's URL, the alarm) and each call")
}

// alarmFlags are the run's alarm flags.
type alarmFlags struct {
	name       string
	untilAlarm bool
	timeout    time.Duration
	poll       time.Duration
	stacks     []string
}

func (f *alarmFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.stacks, "stack", nil, "find the URL in this stack's outputs: NAME, NAME:KEY or NAME:~SUBSTRING (repeatable; default: the workshop's stacks)")
	fs.BoolVar(&f.untilAlarm, "until-alarm", false, "run until the CPU alarm reaches ALARM, then stop and report the time it took (exit 1 if it does not within --alarm-timeout)")
	fs.StringVar(&f.name, "alarm", "", "the CloudWatch alarm to watch (default: the one alarm on an ECS service's CPU)")
	fs.DurationVar(&f.timeout, "alarm-timeout", awsdefaults.AlarmTimeout, "with --until-alarm, give up after this long")
	fs.DurationVar(&f.poll, "poll", awsdefaults.AlarmPoll, "how often to poll the alarm (at least 1s; jittered)")
}

func (f *alarmFlags) watching() bool { return f.untilAlarm || f.name != "" }

// alarmView keeps the latest alarm sample for the progress line.
type alarmView struct {
	mu      sync.Mutex
	line    string
	samples []report.AlarmSample // for the report (see addSample)
}

func (v *alarmView) set(s string) { v.mu.Lock(); v.line = s; v.mu.Unlock() }
func (v *alarmView) get() string  { v.mu.Lock(); defer v.mu.Unlock(); return v.line }

// The help lines of the commands that call AWS, shown by both builds.
const (
	urlShort   = "print the load balancer URL from CloudFormation stack outputs"
	alarmShort = "watch or create the CloudWatch CPU alarm"
	checkShort = "check each step of the workshop's Container Insights chapter: ✓ done, ✗ not done (with the command that fixes it), – does not apply"
	demoShort  = "run the whole workshop chapter on this machine: a local AWS endpoint, a frontend-like site, load until the CPU alarm fires, then loadgen check"
	fleetUse   = "fleet (--tasks N | --shards N) [flags] -- [run flags] [URL]"
	fleetShort = "run one load as N shards (ECS tasks, or processes here) that start together, and merge their logs into one verdict"
)

// demoSiteCommand is the hidden child that serves the demo site.
const demoSiteCommand = "__demo-site"

// handedOffEnv names, in the full build's environment, the lean build that
// handed it the command: the full build runs local shards with it (they
// only send load), and a lean build that finds it set was handed the
// command by another lean one, so it stops rather than hand it on forever.
const handedOffEnv = "LOADGEN_HANDED_OFF"
