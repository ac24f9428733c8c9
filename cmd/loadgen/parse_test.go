package main

import (
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
	in := "# comment\nconcurrent = 25\n  delay=0.5 # trailing\nurl = http://x/?a=b\nCOLOR = on\nfailures = 1024\n\n"
	known, unknown, err := parseSiegerc(strings.NewReader(in), "rc")
	if err != nil {
		t.Fatal(err)
	}
	if known["concurrent"] != "25" || known["delay"] != "0.5" || known["url"] != "http://x/?a=b" || len(known) != 3 {
		t.Fatalf("known %v", known)
	}
	if strings.Join(unknown, ",") != "color,failures" {
		t.Fatalf("unknown %v", unknown)
	}
	long := "concurrent = 1\nurl = http://h/" + strings.Repeat("x", 70<<10) + "\n"
	if _, _, err := parseSiegerc(strings.NewReader(long), "rc"); err == nil || err.Error() != "rc:2: line longer than 64 KiB" {
		t.Errorf("long line: %v", err)
	}
	if _, _, err := parseSiegerc(strings.NewReader("ok = 1\nnot a setting\n"), "rc"); err == nil || !strings.Contains(err.Error(), "rc:2:") {
		t.Fatalf("bad line: %v", err)
	}
}

func FuzzParseSiegerc(f *testing.F) {
	f.Add("concurrent = 25\ntime = 1M\n# x\n")
	f.Add("a=b=c\n")
	f.Add("=\n")
	f.Fuzz(func(t *testing.T, s string) {
		known, _, err := parseSiegerc(strings.NewReader(s), "rc")
		if err != nil {
			return
		}
		for k := range known {
			if !siegercKnown(k) {
				t.Fatalf("unknown key %q returned as known", k)
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
