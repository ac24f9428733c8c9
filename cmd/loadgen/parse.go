package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// parseSiegeTime parses siege's -t: a number with an optional S, M or H
// suffix (case-insensitive); a bare number means minutes.
func parseSiegeTime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty time")
	}
	unit := time.Minute
	switch s[len(s)-1] {
	case 's', 'S':
		unit, s = time.Second, s[:len(s)-1]
	case 'm', 'M':
		unit, s = time.Minute, s[:len(s)-1]
	case 'h', 'H':
		unit, s = time.Hour, s[:len(s)-1]
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || n <= 0 || n > 1e6 {
		return 0, fmt.Errorf("invalid time %q: want a positive number with S, M or H, like 30S, 5M or 1H", s)
	}
	d := time.Duration(n * float64(unit))
	if d < time.Millisecond {
		return 0, fmt.Errorf("invalid time %q: shorter than a millisecond", s)
	}
	return d, nil
}

// parseSeconds parses a non-negative number of seconds, such as siege's -d.
func parseSeconds(s string) (time.Duration, error) {
	n, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || n < 0 || n > 1e6 {
		return 0, fmt.Errorf("invalid number of seconds %q", s)
	}
	return time.Duration(n * float64(time.Second)), nil
}

// parseTimeout accepts a Go duration ("30s", "1m") or a number of seconds.
func parseTimeout(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	d, err := parseSeconds(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("invalid timeout %q: want a duration like 30s or a number of seconds", s)
	}
	return d, nil
}

// siegercFlags maps the siegerc keys loadgen honours to the flags they
// stand for. "url" and "follow-location" are handled by applySiegerc.
var siegercFlags = map[string]string{
	"concurrent": "concurrent", "time": "time", "reps": "reps", "delay": "delay", "benchmark": "benchmark",
	"internet": "internet", "file": "file", "timeout": "timeout", "user-agent": "user-agent",
	"connection": "connection", "protocol": "protocol", "verbose": "verbose", "quiet": "quiet",
	"json_output": "json-output", "parser": "parser",
}

// siegercKnown reports whether loadgen honours a siegerc key.
func siegercKnown(k string) bool {
	_, ok := siegercFlags[k]
	return ok || k == "url" || k == "follow-location"
}

// applySiegerc applies siegerc settings as if they were given for the flags
// the user did not give; flags always win. It returns the siegerc's url.
func applySiegerc(fs *pflag.FlagSet, rc map[string]string, file string) (string, error) {
	set := func(key, flag, v string) error {
		if fs.Changed(flag) {
			return nil
		}
		if fs.Lookup(flag).Value.Type() == "bool" {
			b, err := parseBool(v)
			if err != nil {
				return fmt.Errorf("%s: %s: %w", file, key, err)
			}
			v = strconv.FormatBool(b)
		}
		if err := fs.Set(flag, v); err != nil {
			return fmt.Errorf("%s: %s: %w", file, key, err)
		}
		fs.Lookup(flag).Changed = false // still "not given" for later rules
		return nil
	}
	for key, v := range rc {
		switch flag, ok := siegercFlags[key]; {
		case ok:
			if err := set(key, flag, v); err != nil {
				return "", err
			}
		case key == "follow-location":
			follow, err := parseBool(v)
			if err != nil {
				return "", fmt.Errorf("%s: follow-location: %w", file, err)
			}
			if err := set(key, "no-follow", strconv.FormatBool(!follow)); err != nil {
				return "", err
			}
		}
	}
	return rc["url"], nil
}

// readSiegerc reads "key = value" lines, ignoring comments and blank lines.
// It returns the known settings and the sorted unknown keys.
func readSiegerc(path string) (map[string]string, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read siegerc: %w", err)
	}
	defer f.Close()
	return parseSiegerc(f, path)
}

func parseSiegerc(r io.Reader, name string) (map[string]string, []string, error) {
	known := map[string]string{}
	unknown := map[string]bool{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, nil, fmt.Errorf("%s:%d: want key = value, got %q", name, n, line)
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if siegercKnown(k) {
			known[k] = v
		} else {
			unknown[k] = true
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, nil, fmt.Errorf("%s:%d: line longer than %d KiB", name, n+1, bufio.MaxScanTokenSize>>10)
	} else if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	var keys []string
	for k := range unknown {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return known, keys, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "on", "yes", "1":
		return true, nil
	case "false", "off", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q", s)
}
