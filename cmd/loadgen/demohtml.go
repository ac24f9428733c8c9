//go:build !lean

package main

import (
	"net/url"
	"os"
	"path/filepath"
	"strconv"
)

// loadArgs is the demo's load command line: the workshop's, scaled down,
// with --rate and --stages passed through (a closed-model shape starts from
// 0 users unless -c is given).
func (d *demoFlags) loadArgs() []string {
	var args []string
	if d.stages == "" || d.usersGiven || d.rate > 0 {
		args = append(args, "-c", strconv.Itoa(d.users))
	}
	if d.rate > 0 {
		args = append(args, "--rate", strconv.FormatFloat(d.rate, 'f', -1, 64))
	}
	if d.stages != "" {
		args = append(args, "--stages", d.stages)
	}
	args = append(args, "--until-alarm", "--poll", d.poll.String(), "--alarm-timeout", d.alarmTimeout.String())
	if d.jsonFile != "" {
		args = append(args, "--json", d.jsonFile)
	}
	if d.htmlFile != "" {
		args = append(args, "--html", d.htmlFile)
	}
	return args
}

// defaultDemoHTML is where `loadgen demo` writes its HTML report unless
// told otherwise: the temporary folder, so the demo leaves nothing in the
// folder it runs in.
func defaultDemoHTML() string { return filepath.Join(os.TempDir(), "loadgen-demo.html") }

// sayPage tells where the demo's HTML report is, when the load wrote it.
func sayPage(say func(string, ...any), path string) {
	if path == "" {
		return
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if _, err := os.Stat(abs); err != nil {
		return
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	say("the HTML report: %s (open %s in a browser)", abs, u.String())
}
