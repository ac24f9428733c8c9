package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Arguments that loadgen cannot place are usage errors that say what they
// were and what was probably meant; nothing is sent.
func TestStrayArgumentsAreUsageErrors(t *testing.T) {
	s := newSite(t)
	dir := t.TempDir()
	urls := filepath.Join(dir, "urls.txt")
	if err := os.WriteFile(urls, []byte(s.URL+"/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want []string
	}{
		// -l's file is optional, so "-l run.log" is -l, then an argument.
		{[]string{"-c", "2", "-t", "2S", "-l", "run.log", "-f", urls}, []string{`unexpected argument "run.log"`, "--log=run.log"}},
		{[]string{"-c", "2", "-r", "1", "-l", "run.log", s.URL + "/"}, []string{"2 arguments", `"run.log"`, "--log=run.log"}},
		{[]string{"-c", "2", "-r", "1", s.URL + "/a", s.URL + "/b"}, []string{"2 arguments", "one URL"}},
		{[]string{"-c", "2", "-r", "1", "-f", urls, s.URL + "/"}, []string{"a URL and -f", "not both"}},
		{[]string{"-r", "1", "--rate", "0", s.URL + "/"}, []string{"--rate:", "> 0"}},
		{[]string{"-r", "1", "--rate", "-3", s.URL + "/"}, []string{"--rate:"}},
		{[]string{"-r", "1", "http://127.0.0.1:0/"}, []string{`bad port "0"`}},
		{[]string{"-r", "1", "--max-body", "lots", s.URL + "/"}, []string{"--max-body:", "4MiB"}},
		{[]string{"-r", "1", "--max-body", "0", s.URL + "/"}, []string{"--max-body:"}},
	}
	for _, c := range cases {
		r := runCLI(t, map[string]string{"HOME": dir}, c.args...)
		if r.code != exitUsage {
			t.Errorf("%v: exit %d, want 2: %s", c.args, r.code, r.stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, r.stderr, w)
			}
		}
	}
	if n := s.total.Load(); n != 0 {
		t.Fatalf("%d requests sent despite the usage errors", n)
	}
	// What the user meant works.
	if r := runCLI(t, map[string]string{"HOME": dir}, "-c", "1", "-r", "1", "-q", "--log="+filepath.Join(dir, "run.log"), "-f", urls); r.code != 0 {
		t.Fatalf("--log=FILE -f FILE: exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "run.log")); err != nil {
		t.Fatal(err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{
		"4MiB": 4 << 20, "512KiB": 512 << 10, "1048576": 1 << 20, "2m": 2 << 20, "1 GiB": 1 << 30, "10k": 10 << 10, "7B": 7, "3KB": 3 << 10,
	} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "0", "-1", "1.5MiB", "4XB", "MiB", "2GiB", "99999999999999999999"} {
		if n, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) = %d, want an error", bad, n)
		}
	}
	for _, n := range []int{1, 1023, 1024, 4 << 20, 3<<20 + 1} {
		if got, err := parseSize(formatSize(int64(n))); err != nil || got != n {
			t.Errorf("formatSize(%d) = %q does not parse back: %d %v", n, formatSize(int64(n)), got, err)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"4MiB", "512KiB", "1048576", "1 GiB", "0", "-1", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseSize(s)
		if err != nil {
			return
		}
		if n < 1 || n > maxSize {
			t.Fatalf("parseSize(%q) = %d, outside 1..%d", s, n, maxSize)
		}
		if back, err := parseSize(formatSize(int64(n))); err != nil || back != n {
			t.Fatalf("%q -> %d -> %q -> %d, %v", s, n, formatSize(int64(n)), back, err)
		}
	})
}
