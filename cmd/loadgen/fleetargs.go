//go:build !lean

package main

import (
	"strings"

	"github.com/spf13/pflag"
)

// A fleet's shards get the user's run flags as given, less the flags the
// coordinator acts on itself: passing them on verbatim keeps every run
// flag (and any added later) working on the shards without a list of them
// here. Only the flags below are the coordinator's.

// coordinatorFlags are the run flags that the coordinator acts on: its
// outputs, its verdict, the alarm, AWS, and the shard flags it sets itself.
var coordinatorFlags = map[string]bool{
	"json-output": true, "json": true, "html": true, "hlog": true, "hlog-interval": true, "log": true, "mark": true,
	"quiet": true, "fail-on": true, "until-alarm": true, "alarm": true, "alarm-timeout": true, "poll": true,
	"stack": true, "region": true, "profile": true, "endpoint-url": true, "aws-timeout": true, "cpuprofile": true, "memprofile": true,
	"shard": true, "start-at": true,
}

// refusedFlags make no sense on a fleet's shards.
var refusedFlags = map[string]string{
	"get":     "-g makes one request: run it without fleet",
	"print":   "-p makes one request: run it without fleet",
	"version": "-V: use loadgen version",
	"verbose": "-v would write a line per request into every shard's log stream",
	"debug":   "-D would write every request's head into every shard's log stream",
	"config":  "-C prints the configuration: run loadgen -C with the run flags",
}

// takesValue reports whether a flag consumes a value (the next argument
// when none follows "=").
func takesValue(fl *pflag.Flag) bool { return fl != nil && fl.NoOptDefVal == "" }

// shardArgs returns args (parsed already into fs) less the coordinator's
// flags, each shorthand on its own so a cluster such as -qb keeps -b.
func shardArgs(fs *pflag.FlagSet, args []string) []string {
	var out []string
	keep := func(fl *pflag.Flag, toks ...string) {
		if fl == nil || !coordinatorFlags[fl.Name] {
			out = append(out, toks...)
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(out, args[i:]...)
		case strings.HasPrefix(a, "--"):
			name, _, hasVal := strings.Cut(a[2:], "=")
			fl := fs.Lookup(name)
			if !hasVal && takesValue(fl) && i+1 < len(args) {
				keep(fl, a, args[i+1])
				i++
				continue
			}
			keep(fl, a)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			i += shortArgs(fs, args, i, keep)
		default:
			out = append(out, a)
		}
	}
	return out
}

// shortArgs splits the shorthand cluster args[i] and passes each flag to
// keep; it returns how many following arguments it consumed as a value.
func shortArgs(fs *pflag.FlagSet, args []string, i int, keep func(*pflag.Flag, ...string)) int {
	a := args[i]
	for j := 1; j < len(a); j++ {
		c := a[j : j+1]
		fl := fs.ShorthandLookup(c)
		if !takesValue(fl) {
			keep(fl, "-"+c)
			continue
		}
		switch {
		case j+1 < len(a):
			keep(fl, "-"+c, strings.TrimPrefix(a[j+1:], "="))
		case i+1 < len(args):
			keep(fl, "-"+c, args[i+1])
			return 1
		default:
			keep(fl, "-"+c)
		}
		return 0
	}
	return 0
}
