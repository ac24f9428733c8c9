//go:build lean

package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
)

// The lean build (go build -tags lean) is loadgen without the AWS SDK: Go
// runs every linked package's initialiser before main, and the SDK's
// service packages build their serialisation schemas there, which costs
// about 12 MB of memory in every process, more than the whole of
// bombardier's at 200 connections. A load that needs no AWS (a URL or -f,
// no alarm) runs in this process; a command that calls AWS (the workshop's
// target from stack outputs, --until-alarm, --alarm, url, alarm, check,
// demo, fleet) is handed, with the same arguments, to the full build
// (fullName), which replaces this process (as git hands its remote helpers
// their work). The full build is what `go install .../cmd/loadgen` makes;
// `make build` puts both in bin/.

// fullName is the full build's file name, looked for next to this
// executable, then on PATH.
const fullName = "loadgen-aws"

// verdict stands for the alarm's verdict, which only the full build has.
type verdict struct{ Fired bool }

// watch is the alarm a run watches: none in the lean build.
type watch struct{ view *alarmView }

// runSettings finishes the run's settings, or hands the run to the full
// build when it needs AWS. The settings are worked out first with their
// messages held back (the full build prints them again), so that what
// decides is the same command line, siegerc included, that the full build
// will read.
func (a *app) runSettings(ctx context.Context, fs *pflag.FlagSet, f *runFlags, args []string) (*settings, bool, error) {
	var held bytes.Buffer
	stderr := a.stderr
	a.stderr = &held
	s, err := a.settings(fs, f, args)
	a.stderr = stderr
	if err == nil && needsAWS(f, s) {
		return nil, true, a.handOff(ctx)
	}
	_, _ = stderr.Write(held.Bytes())
	return s, false, err
}

// needsAWS reports whether a run calls AWS: it watches an alarm, or it has
// no URL and no URL file, so its target comes from stack outputs (-C shows
// the settings, and needs no target).
func needsAWS(f *runFlags, s *settings) bool {
	return !f.siege.config && (f.alarm.watching() || (s.url == "" && s.file == ""))
}

// awsCommands are the commands that call AWS, each handed whole to the full
// build; their help is the full build's too.
func (a *app) awsCommands() []*cobra.Command {
	handed := func(use, short string) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, DisableFlagParsing: true,
			RunE: func(cmd *cobra.Command, _ []string) error { return a.handOff(cmd.Context()) },
		}
	}
	site := handed(demoSiteCommand, "")
	site.Hidden = true
	return []*cobra.Command{
		handed("url", urlShort), handed("alarm", alarmShort), handed("demo", demoShort), site,
		handed(fleetUse, fleetShort), handed("check", checkShort),
	}
}

// handOff runs the full build with this command line, in place of this
// process where the system can (execFull).
func (a *app) handOff(ctx context.Context) error {
	self, _ := os.Executable() // an absolute path, or "" if the system cannot say
	named := cmp.Or(self, "loadgen")
	if by := a.getenv(handedOffEnv); by != "" {
		// Handed on by another lean build: loadgen-aws is a lean one too.
		return setupErr(fmt.Errorf("this command calls AWS, and %s handed it to %s, which is a build of loadgen without AWS too: install the full build as %s (make build)", by, named, fullName))
	}
	path, err := findFull(self)
	if err != nil {
		return err
	}
	return execFull(ctx, path, a.args, handedOffEnv+"="+named)
}

// findFull finds the full build: next to self, this executable (symbolic
// links followed; "" when unknown), else on PATH.
func findFull(self string) (string, error) {
	name := fullName + exeSuffix
	var near string
	if self != "" {
		if real, err := filepath.EvalSymlinks(self); err == nil {
			self = real
		}
		near = filepath.Join(filepath.Dir(self), name)
		if isFile(near) {
			return near, nil
		}
	}
	if path, err := exec.LookPath(name); err == nil {
		return path, nil
	}
	return "", setupErr(fmt.Errorf("this command calls AWS, which this build of loadgen (built without the AWS SDK, to stay small) leaves to %s, "+
		"and there is none at %s or on PATH: `make build` builds both, or `go install github.com/loadgen/loadgen/cmd/loadgen@latest` installs a loadgen with everything", name, near))
}

// stackTargets is never reached in the lean build: runSettings hands a run
// without a URL or -f to the full build.
func (a *app) stackTargets(context.Context, *runFlags, *settings) ([]loadgen.Target, error) {
	return nil, errLean
}

// alarmToWatch is no alarm: runSettings hands a run that watches one to the
// full build.
func (a *app) alarmToWatch(_ context.Context, af *alarmFlags, _ *awsFlags, _ bool) (watch, error) {
	if af.watching() {
		return watch{}, errLean
	}
	return watch{view: &alarmView{}}, nil
}

// watchWhile runs the load: there is no alarm to watch.
func (a *app) watchWhile(ctx context.Context, _ watch, _ *alarmFlags, _ bool, load func(context.Context) error) (*verdict, string, error) {
	return nil, "", load(ctx)
}

// setAlarm is not reached: a lean run has no verdict.
func setAlarm(*report.Report, verdict, *loadgen.Result, *alarmView) {}

// errLean would mean that runSettings let through a run that needs AWS.
var errLean = errors.New("internal error: a run that calls AWS reached the lean build")
