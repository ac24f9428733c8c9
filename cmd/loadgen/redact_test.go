package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/report"
)

// secretSite serves a small site behind basic auth: pages, an image, a
// missing page and a page that drops the connection (so error samples
// quote its URL). It counts requests that carried the right password.
func secretSite(t *testing.T, user, pass string) (string, *atomic.Int64) {
	t.Helper()
	var authed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); ok && u == user && p == pass {
			authed.Add(1)
		}
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html><body><a href="/a">a</a><img src="/img.png"><a href="/drop">d</a><a href="/missing">m</a></body></html>`))
		case "/a":
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<html><body><img src="/img.png"></body></html>`))
		case "/img.png":
			w.Header().Set("Content-Type", "image/png")
			_, _ = w.Write([]byte("png"))
		case "/drop":
			if c, _, err := w.(http.Hijacker).Hijack(); err == nil {
				c.Close()
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &authed
}

// TestPasswordsInURLsAreNeverPrinted runs loadgen's commands with a URL
// that holds a password and greps everything they print and write.
func TestPasswordsInURLsAreNeverPrinted(t *testing.T) {
	const user, secret = "ann", "S3cr3tPw"
	base, authed := secretSite(t, user, secret)
	host := strings.TrimPrefix(base, "http://")
	withPw := "http://" + user + ":" + secret + "@" + host + "/"
	redacted := "http://" + user + ":xxxxx@" + host + "/"
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + secret))
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr
	}()
	urlFile, badFile := file("urls.txt"), file("bad.txt")
	if err := os.WriteFile(urlFile, []byte(withPw+"a\n"+withPw+"drop\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(badFile, []byte(withPw+"a\n"+withPw+"b FETCH\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	var outputs []string
	run := func(args ...string) result {
		r := runCLI(t, map[string]string{"HOME": dir}, args...)
		outputs = append(outputs, fmt.Sprintf("[run %d]\n%s\n%s", len(outputs)+1, r.stdout, r.stderr))
		return r
	}
	load := run("-c", "2", "-r", "6", "-i", "--parser", "-v", "--json", file("r.json"), "--hlog", file("r.hlog"), "--log="+file("r.log"), withPw)
	if load.code != 0 {
		t.Fatalf("exit %d: %s", load.code, load.stderr)
	}
	if !strings.Contains(load.stdout, "GET "+redacted) || !strings.Contains(load.stderr, "crawled ") {
		t.Fatalf("want the redacted URL in -v lines and a crawl notice:\n%s\n%s", load.stdout, load.stderr)
	}
	var rp report.Report
	if raw, err := os.ReadFile(file("r.json")); err != nil || json.Unmarshal(raw, &rp) != nil || rp.Transactions == 0 {
		t.Fatalf("JSON report: %v %+v", err, rp)
	}
	if authed.Load() == 0 {
		t.Fatal("the requests did not carry the password")
	}
	samples := run("-c", "1", "-r", "2", "-f", urlFile, "-j")
	if err := json.Unmarshal([]byte(samples.stdout), &rp); err != nil || !strings.Contains(rp.ErrorSamples["reset"], redacted+"drop") {
		t.Fatalf("want an error sample quoting the redacted URL: %v %v", err, rp.ErrorSamples)
	}
	refusedRun := run("-c", "1", "-r", "1", "-j", "http://"+user+":"+secret+"@"+refused+"/")
	if err := json.Unmarshal([]byte(refusedRun.stdout), &rp); err != nil || rp.Target != "http://"+user+":xxxxx@"+refused+"/" || rp.ErrorSamples["refused"] == "" {
		t.Fatalf("JSON target %q, samples %v (%v)", rp.Target, rp.ErrorSamples, err)
	}
	if r := run("crawl", withPw); !strings.HasPrefix(r.stdout, "# crawled from "+redacted) ||
		!strings.Contains(r.stdout, "\nhttp://"+user+":$(LOADGEN_PASSWORD)@"+host+"/a\n") {
		t.Fatalf("crawl output:\n%s", r.stdout)
	}
	run("crawl", "-o", file("crawl.txt"), withPw)
	if r := run("-g", withPw); !strings.Contains(r.stdout, "Authorization: Basic xxxxx") {
		t.Fatalf("-g:\n%s", r.stdout)
	}
	if r := run("-c", "1", "-r", "1", "http://"+user+":"+secret+"@"+host+":0/"); r.code != 2 || !strings.Contains(r.stderr, user+":xxxxx@") {
		t.Fatalf("port 0: exit %d %s", r.code, r.stderr)
	}
	run("-c", "1", "-r", "1", "http://"+user+":"+secret+"@127.0.0.1:99999/")
	run("-c", "1", "-r", "1", "http://"+user+":"+secret+"@[::1/")
	run("-c", "1", "-r", "1", "-f", badFile)
	if r := run("-c", "1", "-r", "1", "-H", "Bearer "+secret, withPw); r.code != 2 {
		t.Fatalf("malformed -H: exit %d", r.code)
	}
	// The crawl's URL file loads back with the password from the environment.
	before := authed.Load()
	t.Setenv("LOADGEN_PASSWORD", secret)
	if r := run("-c", "1", "-r", "3", "-v", "-f", file("crawl.txt")); r.code != 0 || authed.Load() != before+3 {
		t.Fatalf("crawl file with $LOADGEN_PASSWORD: exit %d, %d authenticated requests of 3: %s", r.code, authed.Load()-before, r.stderr)
	}
	// A fleet's report and files (its shards are the real binary).
	fleetRun := exec.Command(testsupport.LoadgenBinary(t), "fleet", "--shards", "2", "--lead", "1s", "--",
		"-c", "2", "-r", "3", "--json", file("fleet.json"), "--html", file("fleet.html"), withPw)
	fleetRun.Env = append(os.Environ(), "HOME="+dir, "SIEGERC="+os.DevNull)
	fleetOut, err := fleetRun.CombinedOutput()
	if err != nil {
		t.Fatalf("fleet: %v\n%s", err, fleetOut)
	}
	outputs = append(outputs, "[fleet]\n"+string(fleetOut))
	if raw, err := os.ReadFile(file("fleet.json")); err != nil || json.Unmarshal(raw, &rp) != nil || rp.Target != redacted {
		t.Fatalf("fleet JSON target %q (%v)", rp.Target, err)
	}
	for _, name := range []string{"r.json", "r.hlog", "r.log", "crawl.txt", "fleet.json", "fleet.html"} {
		raw, err := os.ReadFile(file(name))
		if err != nil {
			t.Fatal(err)
		}
		outputs = append(outputs, name+":\n"+string(raw))
	}
	for _, out := range outputs {
		if strings.Contains(out, secret) || strings.Contains(out, basic) {
			t.Errorf("the password leaked:\n%s", out)
		}
	}
}
