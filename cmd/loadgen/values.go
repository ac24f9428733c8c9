package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pflag.Value types for siege's flag syntaxes. Each writes straight into
// the field of loadgen.Options it stands for, so the flag's default is the
// library's default and nothing is read back by name.

// siegeTime is -t: 30S, 5M, 1H (a bare number means minutes).
type siegeTime struct{ d *time.Duration }

func (v siegeTime) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return v.d.String()
}
func (v siegeTime) Type() string { return "T" }
func (v siegeTime) Set(s string) (err error) {
	*v.d, err = parseSiegeTime(s)
	return err
}

// seconds is -d: a number of seconds.
type seconds struct{ d *time.Duration }

func (v seconds) String() string {
	if v.d == nil || *v.d == 0 {
		return ""
	}
	return strconv.FormatFloat(v.d.Seconds(), 'f', -1, 64)
}
func (v seconds) Type() string { return "N" }
func (v seconds) Set(s string) (err error) {
	*v.d, err = parseSeconds(s)
	return err
}

// timeout is --timeout: a Go duration or a number of seconds.
type timeout struct{ d *time.Duration }

func (v timeout) String() string {
	if v.d == nil {
		return ""
	}
	return v.d.String()
}
func (v timeout) Type() string { return "D" }
func (v timeout) Set(s string) (err error) {
	*v.d, err = parseTimeout(s)
	return err
}

// reps is -r: a number of requests per user, or "once".
type reps struct {
	n    *int
	once *bool
}

func (v reps) String() string {
	switch {
	case v.once != nil && *v.once:
		return "once"
	case v.n != nil && *v.n > 0:
		return strconv.Itoa(*v.n)
	}
	return ""
}
func (v reps) Type() string { return "N|once" }
func (v reps) Set(s string) error {
	if strings.EqualFold(strings.TrimSpace(s), "once") {
		*v.once, *v.n = true, 0
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return fmt.Errorf("want a number >= 1 or 'once', got %q", s)
	}
	*v.n, *v.once = n, false
	return nil
}

// connection is --connection: keep-alive or close.
type connection struct{ close *bool }

func (v connection) String() string {
	if v.close != nil && *v.close {
		return "close"
	}
	return "keep-alive"
}
func (v connection) Type() string { return "keep-alive|close" }
func (v connection) Set(s string) error {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "keep-alive", "keepalive":
		*v.close = false
	case "close":
		*v.close = true
	default:
		return fmt.Errorf("want keep-alive or close, got %q", s)
	}
	return nil
}

// protocol is --protocol: HTTP/1.1 or HTTP/1.0.
type protocol struct{ p *string }

func (v protocol) String() string {
	if v.p == nil {
		return ""
	}
	return *v.p
}
func (v protocol) Type() string { return "HTTP/1.x" }
func (v protocol) Set(s string) error {
	p := strings.ToUpper(strings.TrimSpace(s))
	if p != "HTTP/1.1" && p != "HTTP/1.0" {
		return fmt.Errorf("want HTTP/1.1 or HTTP/1.0, got %q", s)
	}
	*v.p = p
	return nil
}
