package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestRedactArgs(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"-c", "5", "-H", "Authorization: Bearer abc", "http://u:p@h/"}, []string{"-c", "5", "-H", "Authorization: xxxxx", "http://u:xxxxx@h/"}},
		{[]string{"--header=Cookie: a=b", "--header", "X-Key:k"}, []string{"--header=Cookie: xxxxx", "--header", "X-Key: xxxxx"}},
		{[]string{"-HX-Token: t", "-qH", "Y: y", "-qHZ: z", "-H=W: w"}, []string{"-HX-Token: xxxxx", "-qH", "Y: xxxxx", "-qHZ: xxxxx", "-H=W: xxxxx"}},
		{[]string{"-mHello", "-H", "novalue"}, []string{"-mHello", "-H", "xxxxx"}},
		{[]string{"-lH", "X-Token: secret", "-l", "http://a:b@c/"}, []string{"-lH", "X-Token: xxxxx", "-l", "http://a:xxxxx@c/"}},
		{[]string{"--", "-H", "http://a:b@c"}, []string{"--", "-H", "http://a:xxxxx@c"}},
		{[]string{"--json", "r.json", "http://user@h/"}, []string{"--json", "r.json", "http://user@h/"}},
	} {
		if got := RedactArgs(c.in); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("RedactArgs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestRedactURLs(t *testing.T) {
	for in, want := range map[string]string{
		"GET http://ann:pw@h/x: timeout":    "GET http://ann:xxxxx@h/x: timeout",
		"https://a:p@ss@h/ and ftp://b:c@d": "https://a:xxxxx@h/ and ftp://b:xxxxx@d",
		"http://only-user@h/":               "http://only-user@h/",
		"http://:pw@h/":                     "http://:xxxxx@h/",
		"no url here: a@b":                  "no url here: a@b",
		"http://u:p/w@h/":                   "http://u:xxxxx@h/",
	} {
		if got := RedactURLs(in); got != want {
			t.Errorf("RedactURLs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestShellQuote(t *testing.T) {
	if got := shellQuote([]string{"loadgen", "-H", "A: b", "it's", ""}); got != `loadgen -H 'A: b' 'it'\''s' ''` {
		t.Fatalf("%s", got)
	}
}

// FuzzRedactArgs: whatever the command line, no header value survives.
func FuzzRedactArgs(f *testing.F) {
	f.Add("-H", "Authorization: Bearer s3cret")
	f.Add("--header=Cookie: s3cret", "x")
	f.Add("-qH", "X: s3cret")
	f.Add("-vHX: s3cret", "http://u:s3cret@h/")
	f.Fuzz(func(t *testing.T, a, b string) {
		args := []string{"-c", "2", a, b}
		out := RedactArgs(args)
		if len(out) != len(args) {
			t.Fatalf("%d args in, %d out", len(args), len(out))
		}
		joined := strings.Join(out, "\x00")
		for i, arg := range args {
			var name, value string
			switch {
			case arg == "-H" || arg == "--header":
				if i+1 < len(args) {
					name, value, _ = strings.Cut(args[i+1], ":")
				}
			case strings.HasPrefix(arg, "--header="):
				name, value, _ = strings.Cut(arg, ":")
			}
			value = strings.TrimSpace(value)
			// The header's name is kept on purpose: a value that is part
			// of it (X: X) shows because the name does.
			if len(value) >= 4 && !strings.Contains(Redacted, value) && !strings.Contains(name, value) && strings.Contains(joined, value) &&
				!strings.Contains(strings.Join(args[:i+1], "\x00"), value) {
				t.Fatalf("header value %q survives in %q", value, out)
			}
		}
	})
}

// FuzzReadJSON: ReadJSON rejects what is not a report, and what it accepts
// renders as a page.
func FuzzReadJSON(f *testing.F) {
	var buf bytes.Buffer
	_ = synthetic(3, false).Report.WriteJSON(&buf)
	f.Add(buf.String())
	f.Add(`{"schema":"loadgen.report/v1","start":"2026-11-25T14:00:00Z","end":"2026-11-25T14:00:01Z"}`)
	f.Add(`{"schema":"loadgen.report/v1","start":"x"}`)
	f.Add(`{"schema":"loadgen.report/v1","start":"2026-11-25T14:00:00Z","end":"2026-11-25T14:00:01Z","alarm":{"changes":[{"time":"bad"}],"samples":[{"time":"2026-11-25T14:00:00Z","value":1}]},"merged":{"window_s":0,"timeline":[{"start":"z"}]}}`)
	f.Fuzz(func(t *testing.T, s string) {
		rp, err := ReadJSON(strings.NewReader(s), "fuzz.json")
		if err != nil {
			return
		}
		p := &Page{Report: rp, Intervals: TimelineIntervals(rp.Merged)}
		if err := p.WriteHTML(&bytes.Buffer{}); err != nil {
			t.Fatalf("a readable report does not render: %v", err)
		}
	})
}
