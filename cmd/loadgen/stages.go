package main

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen"
)

// stagesValue is --stages: a load shape in loadgen.ParseStages' syntax. A
// malformed spec is a flag error, so a usage error before any load.
type stagesValue struct{ st *[]loadgen.Stage }

func (v stagesValue) String() string {
	if v.st == nil || len(*v.st) == 0 {
		return ""
	}
	return loadgen.FormatStages(*v.st)
}
func (v stagesValue) Type() string { return "SPEC" }
func (v stagesValue) Set(s string) error {
	st, err := loadgen.ParseStages(s)
	if err != nil {
		return fmt.Errorf("invalid load shape %q: %w", s, err)
	}
	*v.st = st
	return nil
}

const stagesHelp = "load shape: DURATION:TARGET steps, e.g. 30s:50,2m:200,30s:0 (ramp linearly to each target; 2m:+200 holds 200); " +
	"targets are users, or requests/s with --rate; the run starts at -c (0 when -c is not given) or --rate, and ends with the last stage (-t caps it)"

func registerStages(fs *pflag.FlagSet, o *loadgen.Options) {
	fs.Var(stagesValue{&o.Stages}, "stages", stagesHelp)
}

// shapeSettings applies --stages to the run's settings: without -c the
// closed model starts from 0 users; -r does not combine with a shape.
func shapeSettings(fs *pflag.FlagSet, s *settings, rate float64) error {
	if len(s.opts.Stages) == 0 {
		return nil
	}
	if s.opts.Reps > 0 || s.opts.Once {
		return usageErr("--stages sets the run's length: it does not combine with -r/--reps")
	}
	if rate == 0 {
		if !fs.Changed("concurrent") {
			s.opts.Users = 0
		}
		for i, st := range s.opts.Stages {
			if st.Target != math.Trunc(st.Target) || st.Target > loadgen.MaxStageUsers {
				return usageErr("--stages: stage %d: a target of users must be a whole number up to %d, got %g (with --rate, targets are requests/s)", i+1, loadgen.MaxStageUsers, st.Target)
			}
		}
	}
	return nil
}

// shapeDescription says who and how long a shaped run will be, for
// siege's opening line.
func shapeDescription(o *loadgen.Options) (who, what string) {
	unit, level := "users", float64(o.Users)
	who = "up to " + strconv.Itoa(peakUsers(o)) + " users"
	if o.Rate > 0 {
		unit, level = "requests/s", o.Rate
		who = fmt.Sprintf("%d concurrent users", o.Users)
	}
	var total time.Duration
	for _, st := range o.Stages {
		total += st.Duration
	}
	end := fmt.Sprintf("over %s", total)
	if o.Duration > 0 && o.Duration < total {
		end = fmt.Sprintf("over %s, cut at %s by -t", total, o.Duration)
	}
	return who, fmt.Sprintf("a load shape of %d stages from %g %s (%s) %s", len(o.Stages), level, unit, loadgen.FormatStages(o.Stages), end)
}

// peakUsers is the most users a closed-model shape runs.
func peakUsers(o *loadgen.Options) int {
	n := float64(o.Users)
	for _, st := range o.Stages {
		n = max(n, st.Target)
	}
	return int(n)
}
