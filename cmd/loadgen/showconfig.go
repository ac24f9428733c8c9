package main

// This file: siege's -C, the configuration in effect, credentials hidden.

import (
	"fmt"
	"io"
	"strings"

	"github.com/loadgen/loadgen/internal/weburl"
	"github.com/loadgen/loadgen/loadgen"
)

// showConfig prints the configuration a run would use, in siege's -C
// layout, and ends the command. Passwords, credential headers and login
// lines' queries and data are shown as xxxxx.
func (a *app) showConfig(f *runFlags, s *settings) error {
	o := &s.opts
	w := a.stdout
	row := func(name string, v any) { fmt.Fprintf(w, "%-32s%v\n", name+":", v) }
	orNA := func(ok bool, v any) any {
		if !ok {
			return "n/a"
		}
		return v
	}
	fmt.Fprintf(w, "CURRENT  LOADGEN  CONFIGURATION\n%s\nEdit the resource file to change the settings.\n%s\n", o.UserAgent, strings.Repeat("-", 46))
	row("version", version)
	row("verbose", s.verbose)
	row("quiet", s.quiet)
	row("debug", o.Debug != nil)
	row("protocol", o.Protocol)
	row("HTML parser", map[bool]string{true: "enabled", false: "disabled"}[o.Parser != nil])
	row("get method", s.getMeth)
	row("proxy", orNA(o.Proxy != "", o.Proxy))
	row("connection", map[bool]string{true: "close", false: "keep-alive"}[o.Close])
	row("concurrent users", o.Users)
	row("time to run", orNA(o.Duration > 0, o.Duration))
	row("repetitions", orNA(o.Reps > 0 || o.Once, reps{&o.Reps, &o.Once}.String()))
	row("socket timeout", o.Timeout)
	row("accept-encoding", o.AcceptEncoding)
	row("delay", fmt.Sprintf("%.3f sec", o.Delay.Seconds()))
	row("internet simulation", o.Internet)
	row("benchmark mode", f.benchmark)
	row("failures until abort", orNA(o.MaxFailures > 0, o.MaxFailures))
	row("named URL", firstNonEmpty(weburl.Redact(s.url), "none"))
	row("URLs file", firstNonEmpty(s.file, "none"))
	row("thread limit", orNA(f.siege.limit > 0, f.siege.limit))
	row("logging", s.logFile != "")
	row("log file", firstNonEmpty(s.logFile, "none"))
	row("resource file", rcName(f.siege.rc))
	row("allow redirects", !o.NoFollow)
	row("allow zero byte data", !o.ZeroDataFail)
	row("cookies", !o.NoCookies)
	row("expire session", o.ExpireSession)
	row("user-agent", o.UserAgent)
	row("content-type", o.ContentType)
	a.showLists(w, s)
	return nil
}

// showLists prints the repeatable settings, one per line under a heading.
func (a *app) showLists(w io.Writer, s *settings) {
	o := &s.opts
	list := func(name string, items []string) {
		fmt.Fprintf(w, "%s\n", name+":")
		for _, x := range items {
			fmt.Fprintf(w, " - %s\n", x)
		}
	}
	var headers, logins, creds []string
	for _, h := range o.Headers {
		v := h.Value
		if strings.EqualFold(h.Name, "Authorization") || strings.EqualFold(h.Name, "Proxy-Authorization") || strings.EqualFold(h.Name, "Cookie") {
			v = "xxxxx"
		}
		headers = append(headers, h.Name+": "+v)
	}
	for _, t := range o.Logins {
		logins = append(logins, hiddenLogin(t))
	}
	for _, c := range o.Credentials {
		creds = append(creds, c.String())
	}
	list("headers", headers)
	list("login URLs", logins)
	list("www auth", creds)
	if o.ProxyAuth != nil {
		list("proxy auth", []string{o.ProxyAuth.String()})
	}
}

// hiddenLogin shows a login line with its password, query and data hidden.
func hiddenLogin(t loadgen.Target) string {
	s := weburl.Redact(t.URL)
	if q := strings.IndexByte(s, '?'); q >= 0 {
		s = s[:q+1] + "xxxxx"
	}
	if t.Method != "GET" {
		s += " " + t.Method
	}
	if len(t.Body) > 0 || t.BodyFile != "" {
		s += " xxxxx"
	}
	return s
}

func rcName(rc *siegerc) string {
	if rc == nil {
		return "none"
	}
	return rc.path + " (" + rc.why + ")"
}
