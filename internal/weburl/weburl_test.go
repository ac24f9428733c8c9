package weburl

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseCanonicalForm(t *testing.T) {
	for in, want := range map[string]string{
		"example.com":                      "http://example.com/",
		"http://Example.COM":               "http://example.com/",
		"http://example.com/":              "http://example.com/",
		"HTTPS://h:443/a/b/?q=1#frag":      "https://h/a/b/?q=1",
		"http://h:8080":                    "http://h:8080/",
		" 127.0.0.1:9000/x \n":             "http://127.0.0.1:9000/x",
		"http://[::1]:80/":                 "http://[::1]/",
		"http://u:secret@h/p":              "http://u:secret@h/p",
		"http://h/a%2Fb":                   "http://h/a%2Fb",
		"ecswor-Front-1.elb.amazonaws.com": "http://ecswor-front-1.elb.amazonaws.com/",
	} {
		u, err := Parse(in)
		if err != nil || u.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, bad := range []string{"", "  ", "0? #", "http://h/a b", "ftp://h", "http://", "http://:80", "http://h:99999", "http://a b/", "http://u:secret@h:bad/"} {
		if u, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", bad, u)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("Parse(%q): the error shows the password: %v", bad, err)
		}
	}
}

func TestNormalizeRejectsNonHTTP(t *testing.T) {
	for _, raw := range []string{"mailto:a@b", "/relative", "javascript:alert(1)", "http:opaque"} {
		u, _ := url.Parse(raw)
		if Normalize(u) {
			t.Errorf("Normalize(%q) = true", raw)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pw@h/": "http://user:xxxxx@h/",
		"http://user@h/":    "http://user@h/",
		"http://h/":         "http://h/",
		"not a url\x7f":     "not a url\x7f",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"example.com", "http://u:p@H:80/x#y", "https://[::1]:443", "http://h:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := Parse(raw)
		if err != nil {
			return
		}
		// The canonical form is a fixed point.
		again, err := Parse(u.String())
		if err != nil || again.String() != u.String() {
			t.Fatalf("Parse(%q) = %q, but Parse of that = %v, %v", raw, u, again, err)
		}
	})
}
