package weburl

import (
	"net/url"
	"strings"
	"testing"
)

func TestRedactText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://user:secret@host/", "http://user:xxxxx@host/"},
		{"https://user:s%40cret@host:8443/a?b=c#d", "https://user:xxxxx@host:8443/a?b=c#d"},
		{"http://user@host/", "http://user@host/"},
		{"http://host:8080/users/@me", "http://host:8080/users/@me"},
		{"http://host/a?mail=a@b:c", "http://host/a?mail=a@b:c"},
		{"http://[::1]:80/@x:y", "http://[::1]:80/@x:y"},
		{`invalid URL "http://u:pa/ss@h:0/": bad port`, `invalid URL "http://u:xxxxx@h:0/": bad port`},
		{"GET http://u:p@a/ and http://v:q@b/x POST d", "GET http://u:xxxxx@a/ and http://v:xxxxx@b/x POST d"},
		{"http://u:p@ss@h/", "http://u:xxxxx@h/"},
		{"no url here @ all", "no url here @ all"},
		{"http://u:xxxxx@h/", "http://u:xxxxx@h/"},
	}
	for _, c := range cases {
		if got := RedactText(c.in); got != c.want {
			t.Errorf("RedactText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// The same as url.URL.Redacted for URLs that parse.
	for _, s := range []string{"http://a:b@c/", "https://user:p%2Fw@h:1/x?y#z", "http://u:@h/"} {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if u.User != nil {
			if _, has := u.User.Password(); has && RedactText(s) != u.Redacted() {
				t.Errorf("RedactText(%q) = %q, url.Redacted %q", s, RedactText(s), u.Redacted())
			}
		}
	}
}

func FuzzRedactText(f *testing.F) {
	f.Add("user", "secret", "host:8080", "/path?q=1")
	f.Add("u", "pa/ss", "h", "/")
	f.Add("", "p@ss", "[::1]", "#x")
	f.Fuzz(func(t *testing.T, user, pass, host, rest string) {
		out := RedactText(host + rest) // anything: must not panic, and be stable
		if RedactText(out) != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", host+rest, out, RedactText(out))
		}
		clean := func(s string) bool { return s != "" && !strings.ContainsAny(s, " \t\r\n\"'`<>@:/?#") }
		if !clean(pass) || !clean(host) || strings.ContainsAny(user, " \t\r\n\"'`<>@:/?#") || strings.ContainsAny(rest, " \t\r\n\"'`<>") {
			return
		}
		if rest != "" && !strings.ContainsAny(rest[:1], "/?#") {
			return
		}
		s := "http://" + user + ":" + pass + "@" + host + rest
		want := "http://" + user + ":" + Mask + "@" + host + rest
		if got := RedactText("GET " + s + ": refused"); got != "GET "+want+": refused" {
			t.Fatalf("RedactText(%q) = %q, want %q", s, got, want)
		}
	})
}
