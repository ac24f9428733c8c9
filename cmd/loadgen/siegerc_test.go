package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSiegercIsFoundWhereSiegeLooks(t *testing.T) {
	s := newSite(t)
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	sent := int64(0)
	run := func(want int64, wantFile string, args ...string) {
		t.Helper()
		r := runCLI(t, env, append(append([]string{"-q"}, args...), s.URL+"/")...)
		sent += want
		if r.code != 0 || s.total.Load() != sent {
			t.Fatalf("exit %d, server saw %d, want %d: %s", r.code, s.total.Load(), sent, r.stderr)
		}
		if wantFile == "" {
			if strings.Contains(r.stderr, "configuration from") {
				t.Fatalf("no siegerc expected: %s", r.stderr)
			}
			return
		}
		if strings.Count(r.stderr, "loadgen: reading siege's configuration from "+wantFile+" (") != 1 {
			t.Fatalf("want one line naming %s: %s", wantFile, r.stderr)
		}
	}
	run(1, "", "-c", "1", "-r", "1") // no file anywhere: loadgen's defaults
	rc1 := writeFile(t, filepath.Join(home, ".siegerc"), "concurrent = 2\nreps = 1\n")
	run(2, rc1)
	rc2 := writeFile(t, filepath.Join(home, ".siege", "siege.conf"), "concurrent = 3\nreps = 1\n")
	run(3, rc2)
	env["SIEGERC"] = writeFile(t, filepath.Join(home, "other.rc"), "concurrent = 4\nreps = 1\n")
	run(4, env["SIEGERC"])
	rc4 := writeFile(t, filepath.Join(home, "flag.rc"), "concurrent = 5\nreps = 1\n")
	run(5, rc4, "-R", rc4)
	run(1, "", "-R", os.DevNull, "-c", "1", "-r", "1")
	run(1, env["SIEGERC"], "-c", "1") // a flag wins over the file

	env["SIEGERC"] = filepath.Join(home, "missing.rc")
	if r := runCLI(t, env, s.URL+"/"); r.code != 2 || !strings.Contains(r.stderr, "missing.rc") {
		t.Fatalf("a missing $SIEGERC: exit %d %s", r.code, r.stderr)
	}
}

func TestSiegercKeysReachTheWire(t *testing.T) {
	hs := newHeadServer(t)
	dir := t.TempDir()
	rc := writeFile(t, filepath.Join(dir, "rc"), `# siege's syntax, variables and repeated keys
SITE = `+hs.url+`
concurrent = 2
reps = 2
protocol = HTTP/1.0
connection = close
user-agent = Limey The Bulldog
accept-encoding = gzip
header = X-From-Rc: 1
header = X-Home: $(HOME)
login-url = $(SITE)/login POST user=ann
cookies = false
`)
	r := runCLI(t, map[string]string{"HOME": "/home/ann"}, "-R", rc, "-q", "-H", "X-Flag: 2", hs.url+"/x")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	if len(hs.lines) != 6 {
		t.Fatalf("%d requests, want 2 users x (login + 2 reps): %v", len(hs.lines), hs.lines)
	}
	logins := 0
	for i, h := range hs.heads {
		if hs.lines[i] == "POST /login HTTP/1.0" {
			logins++
		} else if hs.lines[i] != "GET /x HTTP/1.0" {
			t.Errorf("request line %q", hs.lines[i])
		}
		for name, want := range map[string]string{"User-Agent": "Limey The Bulldog", "Accept-Encoding": "gzip", "Accept": "*/*",
			"X-From-Rc": "1", "X-Home": "/home/ann", "X-Flag": "2", "Connection": "close"} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", hs.lines[i], name, got, want)
			}
		}
	}
	if logins != 2 {
		t.Fatalf("%d logins, want one per user", logins)
	}
}

func TestShowConfigPrintsAndHidesCredentials(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	rc := writeFile(t, filepath.Join(dir, "rc"), "login = ann:s3cret:shop\nlogin-url = http://h.test/login?user=ann&pass=hunter2 POST pw=topsecret\n"+
		"proxy-host = 127.0.0.1\nproxy-port = 3129\nproxy-login = pu:proxypass\nlimit = 100\nfailures =\ngmethod = GET\n")
	r := runCLI(t, nil, "-R", rc, "-C", "-c", "7", "-H", "Authorization: Bearer tok3n", strings.Replace(s.URL, "http://", "http://u:urlpass@", 1)+"/")
	if r.code != 0 || s.total.Load() != 0 {
		t.Fatalf("-C: exit %d, %d requests sent: %s", r.code, s.total.Load(), r.stderr)
	}
	for _, want := range []string{"CURRENT  LOADGEN  CONFIGURATION", "concurrent users:               7", "failures until abort:           1024",
		"proxy:                          127.0.0.1:3129", "thread limit:                   100", "get method:                     GET",
		" - ann:xxxxx:shop", " - http://h.test/login?xxxxx POST xxxxx", " - pu:xxxxx", " - Authorization: xxxxx", "resource file:                  " + rc} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("-C lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, secret := range []string{"s3cret", "hunter2", "topsecret", "proxypass", "tok3n", "urlpass"} {
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Fatalf("-C shows %q:\n%s", secret, r.stdout)
		}
	}
}

func TestFailuresAbortAndLimitWarns(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/"
	ln.Close()
	rc := writeFile(t, filepath.Join(t.TempDir(), "rc"), "failures = 5\nlimit = 2\n")
	r := runCLI(t, nil, "-R", rc, "-c", "3", "-t", "30S", "-j", dead)
	var rp struct {
		EndedBy string `json:"ended_by"`
		Failed  int64  `json:"failed_transactions"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &rp) != nil || rp.EndedBy != "failures" || rp.Failed < 5 {
		t.Fatalf("exit %d, report %+v: %s", r.code, rp, r.stderr)
	}
	for _, want := range []string{"loadgen aborted due to excessive socket failure", "3 users is above limit = 2"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, r.stderr)
		}
	}
	// Without a file there is no limit: siege's 1024 applies only when the file names failures.
	r = runCLI(t, nil, "-c", "1", "-r", "20", "-j", dead)
	if json.Unmarshal([]byte(r.stdout), &rp) != nil || rp.EndedBy != "reps" || rp.Failed != 20 {
		t.Fatalf("no siegerc: %+v %s", rp, r.stderr)
	}
}

func TestSiegercLogging(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	logf := filepath.Join(dir, "siege.log")
	rc := writeFile(t, filepath.Join(dir, "rc"), "logging = true\nlogfile = "+logf+"\nshow-logfile = true\n")
	r := runCLI(t, nil, "-R", rc, "-c", "1", "-r", "1", "-q", s.URL+"/")
	raw, err := os.ReadFile(logf)
	if r.code != 0 || err != nil || !strings.Contains(string(raw), "Date & Time") || !strings.Contains(r.stderr, "LOG FILE: "+logf+"\n") {
		t.Fatalf("exit %d, log %q (%v): %s", r.code, raw, err, r.stderr)
	}
}

func TestSiegeShortFlags(t *testing.T) {
	hs := newHeadServer(t)
	// -D: the request as sent, on stderr.
	r := runCLI(t, nil, "-D", "-c", "1", "-r", "1", "-q", hs.url+"/dbg")
	if r.code != 0 || !strings.Contains(r.stderr, "GET /dbg HTTP/1.1\r\nHost: ") || !strings.Contains(r.stderr, "HTTP/1.1 200 OK") {
		t.Fatalf("-D: %q", r.stderr)
	}
	// -F and -N parse as --no-follow and --no-parser.
	for _, f := range []string{"-F", "-N", "--no-cookies", "--expire-session"} {
		if r := runCLI(t, nil, f, "-C"); r.code != 0 {
			t.Fatalf("%s: exit %d %s", f, r.code, r.stderr)
		}
	}
	r = runCLI(t, nil, "-F", "-C")
	if !strings.Contains(r.stdout, "allow redirects:                false") {
		t.Fatalf("-F: %s", r.stdout)
	}
}
