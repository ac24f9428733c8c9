package main

// This file: flag values with limits (--max-body SIZE, --rate R) and the
// check of the run's positional arguments.

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// maxSize bounds --max-body: the body kept per user for the parser.
const maxSize = 1 << 30

var sizeUnits = []struct {
	suffix string
	shift  uint
}{
	{"gib", 30}, {"gb", 30}, {"g", 30},
	{"mib", 20}, {"mb", 20}, {"m", 20},
	{"kib", 10}, {"kb", 10}, {"k", 10},
	{"b", 0},
}

// parseSize reads a size in bytes: a whole number with an optional unit,
// B, KiB, MiB or GiB (K, KB, M, MB, G, GB mean the same powers of 1024;
// case does not matter), from 1 byte to 1 GiB.
func parseSize(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	shift := uint(0)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, shift = strings.TrimSpace(rest), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 1 || n > maxSize>>shift {
		return 0, fmt.Errorf("invalid size %q: want 1 byte to 1GiB, like 4MiB, 512KiB or a number of bytes", s)
	}
	return int(n << shift), nil
}

// formatSize writes n in the largest unit that divides it.
func formatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "KiB"
	}
	return strconv.FormatInt(n, 10)
}

// sizeValue is a pflag.Value holding a size (parseSize).
type sizeValue struct{ n *int }

func (v sizeValue) String() string { return formatSize(int64(*v.n)) }
func (v sizeValue) Type() string   { return "SIZE" }
func (v sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*v.n = n
	return nil
}

// rateValue is a pflag.Value for --rate: given, it must be a positive
// number of requests per second (0 would silently be the closed model).
type rateValue struct{ r *float64 }

func (v rateValue) String() string { return strconv.FormatFloat(*v.r, 'g', -1, 64) }
func (v rateValue) Type() string   { return "float" }
func (v rateValue) Set(s string) error {
	r, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || !(r > 0) || math.IsInf(r, 0) {
		return fmt.Errorf("invalid rate %q: want requests per second > 0 (leave --rate out for siege's closed model)", s)
	}
	*v.r = r
	return nil
}

// urlArgument checks the run's positional arguments and returns the URL
// among them, if any. More than one argument, or a URL with -f given on the
// command line, is a usage error; when -l was given without a file (its
// file is optional, so "-l run.log" is -l and then an argument), the error
// says how to write what was probably meant.
func urlArgument(fs *pflag.FlagSet, f *runFlags, args []string) (string, error) {
	if len(args) == 0 {
		return "", nil
	}
	hint := ""
	if fs.Changed("log") && f.logFile == defaultLog {
		hint = fmt.Sprintf(`; -l takes a file only when attached: for the log file %q write --log=%s (or -l=%s)`, args[0], args[0], args[0])
	}
	switch {
	case len(args) > 1:
		return "", usageErr("want one URL, got %d arguments: %s%s", len(args), quoteAll(args), hint)
	case fs.Changed("file") && hint != "":
		return "", usageErr("unexpected argument %q with -f %s%s", args[0], f.file, hint)
	case fs.Changed("file"):
		return "", usageErr("a URL and -f %s given: give one or the other, not both", f.file)
	}
	return args[0], nil
}

func quoteAll(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}
