package main

// This file: siege's flags and settings beyond the core ones (-C, -D,
// cookies, login, proxy, failures, the siegerc's own keys), and how they
// finish into the run's options.

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen"
)

// siegeFlags are siege's settings that are not core load flags.
type siegeFlags struct {
	config bool     // -C: print the configuration and exit
	debug  bool     // -D
	logins []string // --login "URL [POST data]", siegerc login-url

	// From the siegerc only.
	rc          *siegerc
	url         string
	credentials []loadgen.Credential
	proxyHost   string
	proxyPort   string
	proxyAuth   *loadgen.Credential
	limit       int
	logging     bool
	logfile     string
	showLogfile bool
	nofollow    []string
	gmethod     string
	zeroDataOK  *bool
}

func (g *siegeFlags) register(fs *pflag.FlagSet, o *loadgen.Options) {
	fs.BoolVarP(&g.config, "config", "C", false, "print the configuration in effect (siegerc and flags) and exit")
	fs.BoolVarP(&g.debug, "debug", "D", false, "print each request's and response's head on stderr (credentials hidden)")
	fs.BoolVar(&o.NoCookies, "no-cookies", o.NoCookies, "no cookie jar (siegerc cookies = false); by default each user keeps its cookies")
	fs.BoolVar(&o.ExpireSession, "expire-session", o.ExpireSession, "clear a user's cookies each time it starts over the URL list")
	fs.StringArrayVar(&g.logins, "login", nil, `"URL [POST data]" each user requests once before its first transaction (repeatable: user k takes line k)`)
	fs.StringVar(&o.AcceptEncoding, "accept-encoding", o.AcceptEncoding, `Accept-Encoding sent with every request ("" for none)`)
	fs.IntVar(&o.MaxFailures, "failures", o.MaxFailures, "stop after this many socket failures (siegerc failures; 0: never)")
	fs.StringVar(&o.Proxy, "proxy", o.Proxy, "forward HTTP proxy host:port (https through CONNECT)")
}

// special takes a siegerc key that has no flag.
func (g *siegeFlags) special(key string, vs []string, empty string) error {
	v := vs[len(vs)-1]
	if v == "" {
		v = empty
	}
	var err error
	switch key {
	case "url":
		g.url = v
	case "login":
		for _, x := range vs {
			g.credentials = append(g.credentials, parseCredential(x))
		}
	case "proxy-host":
		g.proxyHost = v
	case "proxy-port":
		g.proxyPort = v
		if _, err = strconv.ParseUint(v, 10, 16); err != nil {
			return fmt.Errorf("want a port number, got %q", v)
		}
	case "proxy-login":
		c := parseCredential(v)
		g.proxyAuth = &c
	case "limit":
		if g.limit, err = strconv.Atoi(v); err != nil || g.limit < 1 {
			return fmt.Errorf("want a whole number >= 1, got %q", v)
		}
	case "logging":
		g.logging, err = parseBool(v)
	case "show-logfile":
		g.showLogfile, err = parseBool(v)
	case "logfile":
		g.logfile = v
	case "nofollow":
		g.nofollow = append(g.nofollow, vs...)
	case "gmethod":
		g.gmethod = strings.ToUpper(v)
		if g.gmethod != "GET" && g.gmethod != "HEAD" {
			return fmt.Errorf("want GET or HEAD, got %q", v)
		}
	case "zero-data-ok":
		var b bool
		b, err = parseBool(v)
		g.zeroDataOK = &b
	}
	return err
}

// parseCredential reads siege's user:pass[:realm]; the password ends at
// the next ':' when a realm follows.
func parseCredential(v string) loadgen.Credential {
	parts := strings.SplitN(v, ":", 3)
	c := loadgen.Credential{User: parts[0]}
	if len(parts) > 1 {
		c.Password = parts[1]
	}
	if len(parts) > 2 {
		c.Realm = parts[2]
	}
	return c
}

// loadSiegerc finds and applies siege's configuration file, printing which
// one was used (not for -R /dev/null, the way to use none).
func (a *app) loadSiegerc(fs *pflag.FlagSet, f *runFlags) error {
	path, why := a.findSiegerc(f.rc)
	if path == "" {
		return nil
	}
	rc, err := readSiegerc(path, a.lookupEnv)
	if err != nil {
		if why == "-R" || why == "$SIEGERC" {
			return usageErr("%v", err)
		}
		return setupErr(err)
	}
	rc.why = why
	f.siege.rc = rc
	if path != os.DevNull {
		fmt.Fprintf(a.stderr, "loadgen: reading siege's configuration from %s (%s; -R FILE reads another, -R %s none)\n", path, why, os.DevNull)
	}
	if len(rc.ignored) > 0 {
		fmt.Fprintf(a.stderr, "loadgen: %s: ignoring settings loadgen does not use: %s\n", path, strings.Join(rc.ignored, ", "))
	}
	if err := applySiegerc(fs, f, rc); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// finishSiege applies the settings that need more than one flag or come
// from the siegerc only, after the flags.
func (a *app) finishSiege(fs *pflag.FlagSet, f *runFlags, s *settings) error {
	g, o := &f.siege, &s.opts
	for i, l := range g.logins {
		t, err := loadgen.ParseTarget(l, ".")
		if err != nil {
			// Not shown: a login line usually holds credentials.
			return usageErr("--login/login-url %d: not a URL with an optional method and data (the line is not shown: it may hold credentials)", i+1)
		}
		o.Logins = append(o.Logins, t)
	}
	o.Credentials = g.credentials
	if g.proxyHost != "" && !fs.Changed("proxy") {
		o.Proxy = net.JoinHostPort(g.proxyHost, firstNonEmpty(g.proxyPort, "3128"))
	}
	o.ProxyAuth = g.proxyAuth
	if o.ProxyAuth != nil && o.Proxy == "" {
		o.ProxyAuth = nil // siege ignores proxy-login without a proxy too
	}
	if g.zeroDataOK != nil {
		o.ZeroDataFail = !*g.zeroDataOK
	}
	if g.debug {
		o.Debug = a.stderr
	}
	if g.limit > 0 && o.Users > g.limit {
		fmt.Fprintf(a.stderr, "loadgen: %d users is above limit = %d in %s: siege would pause 10 s and run %d; loadgen runs %d\n",
			o.Users, g.limit, g.rc.path, g.limit, o.Users)
	}
	if o.MaxFailures < 0 {
		return usageErr("--failures: want a number >= 0, got %d", o.MaxFailures)
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// nofollowFilter drops the parser's URLs whose host contains one of siege's
// nofollow names (case-insensitive, as siege matches them).
func nofollowFilter(urls []string, nofollow []string) []string {
	if len(nofollow) == 0 {
		return urls
	}
	out := urls[:0]
	for _, u := range urls {
		host := u
		if i := strings.Index(u, "://"); i >= 0 {
			host = u[i+3:]
		}
		host, _, _ = strings.Cut(host, "/")
		keep := true
		for _, n := range nofollow {
			if n != "" && strings.Contains(strings.ToLower(host), strings.ToLower(n)) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, u)
		}
	}
	return out
}
