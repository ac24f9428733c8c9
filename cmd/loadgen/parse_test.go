package main

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParseSiegeTime(t *testing.T) {
	cases := map[string]time.Duration{
		"30S": 30 * time.Second, "30s": 30 * time.Second, "5M": 5 * time.Minute, "5m": 5 * time.Minute,
		"1H": time.Hour, "1h": time.Hour, "2": 2 * time.Minute, "0.5S": 500 * time.Millisecond,
	}
	for in, want := range cases {
		got, err := parseSiegeTime(in)
		if err != nil || got != want {
			t.Fatalf("%q: %v %v, want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "S", "-1S", "10X", "1.2.3M", "0"} {
		if _, err := parseSiegeTime(bad); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

func TestParseSiegerc(t *testing.T) {
	in := "# comment\nconcurrent = 25\n  delay=0.5 # trailing\nurl = http://x/?a=b\nCOLOR = on\nfailures = 1024\n\n" +
		"HOST = 127.0.0.1:8080\nlogin-url = http://$(HOST)/login POST u=a\nlogin-url: http://${HOST}/l2\nlogin = ann:pa#ss:realm\n" +
		"header = X-A: 1\nheader = X-B: ${HOME}\nTYPO = 3\nchunked = true\ncache = true\n"
	env := func(k string) (string, bool) { return map[string]string{"HOME": "/home/ann"}[k], k == "HOME" }
	rc, err := parseSiegerc(strings.NewReader(in), "rc", env)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"concurrent": {"25"}, "delay": {"0.5"}, "url": {"http://x/?a=b"}, "color": {"on"}, "failures": {"1024"},
		"login-url": {"http://127.0.0.1:8080/login POST u=a", "http://127.0.0.1:8080/l2"}, "login": {"ann:pa#ss:realm"},
		"header": {"X-A: 1", "X-B: /home/ann"}, "chunked": {"true"}, "cache": {"true"},
	}
	if fmt.Sprint(rc.values) != fmt.Sprint(want) {
		t.Fatalf("values\n%v\nwant\n%v", rc.values, want)
	}
	if got := strings.Join(rc.ignored, ", "); got != "cache (no cache revalidation), color (no colour output), typo (unknown)" {
		t.Fatalf("ignored: %s", got)
	}
	long := "concurrent = 1\nurl = http://h/" + strings.Repeat("x", 70<<10) + "\n"
	if _, err := parseSiegerc(strings.NewReader(long), "rc", nil); err == nil || err.Error() != "rc:2: line longer than 64 KiB" {
		t.Errorf("long line: %v", err)
	}
	for _, bad := range []string{"ok = 1\nnot a setting\n", "ok = 1\nlogin-url = http://$(NOPE)/\n", "=x\n"} {
		if _, err := parseSiegerc(strings.NewReader(bad), "rc", nil); err == nil || !strings.Contains(err.Error(), "rc:2:") && !strings.Contains(err.Error(), "rc:1:") {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}

func FuzzParseSiegerc(f *testing.F) {
	f.Add("concurrent = 25\ntime = 1M\n# x\n")
	f.Add("a=b=c\n")
	f.Add("=\n")
	f.Fuzz(func(t *testing.T, s string) {
		rc, err := parseSiegerc(strings.NewReader(s), "rc", nil)
		if err != nil {
			return
		}
		for k, vs := range rc.values {
			if _, ok := siegercKeys[k]; !ok || len(vs) == 0 {
				t.Fatalf("key %q (%d values) is not one siege documents", k, len(vs))
			}
		}
	})
}

func FuzzParseSiegeTime(f *testing.F) {
	for _, s := range []string{"30S", "5m", "1H", "2", "0.1s", "1e3S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseSiegeTime(s)
		if err == nil && d <= 0 {
			t.Fatalf("%q parsed to non-positive %v", s, d)
		}
	})
}
