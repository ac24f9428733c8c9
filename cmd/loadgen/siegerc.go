package main

// This file: siege's configuration file, found where siege looks for it,
// read with siege's syntax, and applied by setting the flags the user did
// not give.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen"
)

// rcKey is what loadgen does with one siegerc key.
type rcKey struct {
	flag   string // the flag the key stands for; "" when siegeFlags.special handles it
	invert bool   // a boolean flag meaning the opposite (follow-location: --no-follow)
	repeat bool   // every line counts, in order (header, login-url, nofollow, login)
	empty  string // what an empty value means (siege's default for the key)
	fixed  string // loadgen always behaves so: honoured when the file says the same, warned otherwise
	note   string // loadgen does not honour the key: what differs (warned)
}

// siegercKeys lists every key siege documents (siegerc, siege's init.c).
// Keys not listed are siege's variables (NAME = value, used as $(NAME)).
var siegercKeys = map[string]rcKey{
	"concurrent": {flag: "concurrent"}, "time": {flag: "time"}, "reps": {flag: "reps"}, "delay": {flag: "delay"},
	"benchmark": {flag: "benchmark"}, "internet": {flag: "internet"}, "file": {flag: "file"}, "timeout": {flag: "timeout"},
	"user-agent": {flag: "user-agent"}, "connection": {flag: "connection"}, "protocol": {flag: "protocol"},
	"verbose": {flag: "verbose"}, "quiet": {flag: "quiet"}, "json_output": {flag: "json-output"}, "parser": {flag: "parser"},
	"debug": {flag: "debug"}, "accept-encoding": {flag: "accept-encoding"}, "expire-session": {flag: "expire-session"},
	"follow-location": {flag: "no-follow", invert: true}, "cookies": {flag: "no-cookies", invert: true},
	"failures":  {flag: "failures", empty: "1024"},
	"header":    {flag: "header", repeat: true},
	"login-url": {flag: "login", repeat: true},

	"url": {}, "login": {repeat: true}, "proxy-host": {}, "proxy-port": {empty: "3128"}, "proxy-login": {repeat: true},
	"limit": {empty: "255"}, "logging": {}, "logfile": {}, "show-logfile": {}, "nofollow": {repeat: true},
	"gmethod": {}, "zero-data-ok": {},
	"unique": {}, // FTP uploads only: loadgen refuses ftp:// URLs, so the key changes nothing

	"chunked":      {fixed: "true", note: "loadgen always reads chunked responses"},
	"url-escaping": {fixed: "true", note: "loadgen always percent-encodes URLs"},
	"cache":        {fixed: "false", note: "no cache revalidation"},
	"color":        {note: "no colour output"},
	"csv":          {note: "verbose lines are siege's plain format"},
	"timestamp":    {note: "verbose lines are siege's plain format"},
	"fullurl":      {note: "verbose lines always show the full URL"},
	"display-id":   {note: "verbose lines are siege's plain format"},
	"spinner":      {note: "loadgen shows its own progress line"},
	"attempts":     {note: "a 401 is answered once per request"},
	"username":     {note: "use login = user:pass"},
	"password":     {note: "use login = user:pass"},
	"ftp-login":    {note: "FTP only; loadgen has no FTP"},
	"ssl-cert":     {note: "no client certificates"},
	"ssl-key":      {note: "no client certificates"},
	"ssl-timeout":  {note: "--timeout covers the TLS handshake"},
	"ssl-ciphers":  {note: "Go's TLS cipher suites"},
}

// siegerc is a siege configuration file as read.
type siegerc struct {
	path, why string
	values    map[string][]string // by key; one value unless repeatable (the last line wins)
	ignored   []string            // "key (why)": keys loadgen does not honour, and unused variables
}

// findSiegerc returns the configuration file siege would read: -R, else
// $SIEGERC, else ~/.siege/siege.conf, else ~/.siegerc; "" when there is none.
func (a *app) findSiegerc(flagRC string) (path, why string) {
	if flagRC != "" {
		return flagRC, "-R"
	}
	if v, ok := a.lookupEnv("SIEGERC"); ok && v != "" {
		return v, "$SIEGERC"
	}
	home := a.getenv("HOME")
	if home == "" {
		return "", ""
	}
	for _, p := range []string{filepath.Join(home, ".siege", "siege.conf"), filepath.Join(home, ".siegerc")} {
		if isFile(p) {
			return p, "siege's default location"
		}
	}
	return "", ""
}

// readSiegerc reads a siegerc; environment variables come from env.
func readSiegerc(path string, env func(string) (string, bool)) (*siegerc, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read siegerc: %w", err)
	}
	defer f.Close()
	return parseSiegerc(f, path, env)
}

// parseSiegerc reads siege's syntax: "key = value" (or "key: value"), '#'
// comments (a '#' after white space ends a line), and variables: a key
// siege does not know is a variable, used in later values as $(NAME) or
// ${NAME}, as environment variables are.
func parseSiegerc(r io.Reader, name string, env func(string) (string, bool)) (*siegerc, error) {
	rc := &siegerc{path: name, values: map[string][]string{}}
	vars, used := map[string]string{}, map[string]bool{}
	lookup := func(k string) (string, bool) {
		if v, ok := vars[k]; ok {
			used[k] = true
			return v, true
		}
		if env != nil {
			return env(k)
		}
		return "", false
	}
	sc := bufio.NewScanner(r)
	lines := 0
	for n := 1; sc.Scan(); n++ {
		lines = n
		k, v, ok, err := siegercLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, n, err)
		}
		if !ok {
			continue
		}
		key := strings.ToLower(k)
		expanded, err := loadgen.Expand(v, lookup)
		spec, known := siegercKeys[key]
		switch {
		case !known:
			if err != nil {
				expanded = v
			}
			vars[k] = expanded
		case err != nil && spec.note == "":
			return nil, fmt.Errorf("%s:%d: %s: %w", name, n, key, err)
		case spec.repeat:
			rc.values[key] = append(rc.values[key], expanded)
		default:
			rc.values[key] = []string{expanded}
		}
	}
	if err := sc.Err(); errors.Is(err, bufio.ErrTooLong) {
		return nil, fmt.Errorf("%s:%d: line longer than %d KiB", name, lines+1, bufio.MaxScanTokenSize>>10)
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	rc.ignored = ignoredKeys(rc.values, vars, used)
	return rc, nil
}

// siegercLine splits one line into key and value; ok is false for blank
// lines and comments.
func siegercLine(line string) (key, value string, ok bool, err error) {
	line = strings.TrimSpace(line)
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			line = strings.TrimSpace(line[:i])
			break
		}
	}
	if line == "" || line[0] == '#' {
		return "", "", false, nil
	}
	end := strings.IndexAny(line, " \t=:")
	if end <= 0 {
		return "", "", false, fmt.Errorf("want key = value, got %q", line)
	}
	rest := strings.TrimLeft(line[end:], " \t")
	if rest == "" || (rest[0] != '=' && rest[0] != ':') {
		return "", "", false, fmt.Errorf("want key = value, got %q", line)
	}
	return line[:end], strings.TrimSpace(strings.TrimLeft(rest[1:], " \t=:")), true, nil
}

// ignoredKeys lists the keys loadgen does not honour, with why, and the
// variables nothing used (most likely misspelt keys).
func ignoredKeys(values map[string][]string, vars map[string]string, used map[string]bool) []string {
	var out []string
	for key, vs := range values {
		spec := siegercKeys[key]
		if spec.note == "" {
			continue
		}
		if spec.fixed != "" {
			if b, err := parseBool(vs[len(vs)-1]); err == nil && strconv.FormatBool(b) == spec.fixed {
				continue
			}
		}
		out = append(out, key+" ("+spec.note+")")
	}
	for k := range vars {
		if !used[k] {
			out = append(out, strings.ToLower(k)+" (unknown)")
		}
	}
	sort.Strings(out)
	return out
}

// applySiegerc sets the flags the user did not give from the file; flags
// always win. Keys without a flag go to the siegeFlags (special).
func applySiegerc(fs *pflag.FlagSet, f *runFlags, rc *siegerc) error {
	for key, vs := range rc.values {
		spec := siegercKeys[key]
		switch {
		case spec.note != "":
		case spec.flag == "":
			if err := f.siege.special(key, vs, spec.empty); err != nil {
				return fmt.Errorf("%s: %s: %w", rc.path, key, err)
			}
		case key == "header": // siege sends the file's headers and the command line's
			f.headers = append(append([]string(nil), vs...), f.headers...)
		case fs.Changed(spec.flag):
		default:
			if err := setFromRC(fs, spec, vs); err != nil {
				return fmt.Errorf("%s: %s: %w", rc.path, key, err)
			}
		}
	}
	return nil
}

// setFromRC sets one flag as if given, but leaves it "not given" for the
// rules that follow.
func setFromRC(fs *pflag.FlagSet, spec rcKey, vs []string) error {
	fl := fs.Lookup(spec.flag)
	if !spec.repeat {
		vs = vs[len(vs)-1:]
	}
	for _, v := range vs {
		if v == "" && spec.empty != "" {
			v = spec.empty
		}
		if fl.Value.Type() == "bool" {
			b, err := parseBool(v)
			if err != nil {
				return err
			}
			v = strconv.FormatBool(b != spec.invert)
		}
		if err := fs.Set(spec.flag, v); err != nil {
			return err
		}
	}
	fl.Changed = false
	return nil
}
