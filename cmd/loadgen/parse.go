package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
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

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "on", "yes", "1":
		return true, nil
	case "false", "off", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q", s)
}
