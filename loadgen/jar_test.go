package loadgen

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// cookieHeader is the Cookie header value the jar sends for rawURL at now.
func cookieHeader(j *jar, rawURL string, now time.Duration) string {
	u, _ := url.Parse(rawURL)
	j.expire(now)
	h := string(j.header(nil, u, u.Scheme == "https"))
	h = strings.TrimPrefix(h, "Cookie: ")
	return strings.TrimSuffix(h, "\r\n")
}

func TestJarFollowsRFC6265(t *testing.T) {
	wall := time.Now()
	var j jar
	set := func(rawURL, sc string, now time.Duration) {
		j.set([]byte(sc), mustURL(t, rawURL), now, wall)
	}
	set("http://shop.example.com/cart/add", "sid=1", 0)                                        // host-only, default path /cart
	set("http://shop.example.com/", "site=2; Domain=example.com; Path=/", 0)                   // whole domain
	set("http://shop.example.com/", "deep=3; Path=/cart/items", 0)                             // longer path: sent first
	set("http://shop.example.com/", "sec=4; Path=/; Secure", 0)                                // https only
	set("http://shop.example.com/", "short=5; Path=/; Max-Age=10", 0)                          // expires at 10 s
	set("http://shop.example.com/", "old=6; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT", 0) // already expired: not stored
	set("http://shop.example.com/", "evil=7; Domain=other.com; Path=/", 0)                     // foreign domain: refused
	set("http://shop.example.com/", "tld=8; Domain=com; Path=/", 0)                            // a bare top-level domain: refused

	cases := []struct {
		url  string
		now  time.Duration
		want string
	}{
		{"http://shop.example.com/cart/items/1", 0, "deep=3;sid=1;site=2;short=5"},
		{"http://shop.example.com/cart", 0, "sid=1;site=2;short=5"},
		{"http://shop.example.com/cartoon", 0, "site=2;short=5"},
		{"https://shop.example.com/", 0, "site=2;sec=4;short=5"},
		{"http://www.example.com/", 0, "site=2"},
		{"http://example.com/", 0, "site=2"},
		{"http://badexample.com/", 0, ""},
		{"http://shop.example.com/", 11 * time.Second, "site=2"},
	}
	for _, c := range cases {
		if got := cookieHeader(&j, c.url, c.now); got != c.want {
			t.Errorf("%s at %v: Cookie %q, want %q", c.url, c.now, got, c.want)
		}
	}
	// Replacing keeps the position; Max-Age=0 deletes.
	set("http://shop.example.com/", "site=9; Domain=example.com; Path=/", 12*time.Second)
	set("http://shop.example.com/cart/x", "sid=gone; Max-Age=0", 12*time.Second)
	if got := cookieHeader(&j, "http://shop.example.com/cart/items/", 12*time.Second); got != "deep=3;site=9" {
		t.Errorf("after replace and delete: %q", got)
	}
	j.clear()
	if got := cookieHeader(&j, "http://shop.example.com/", 12*time.Second); got != "" {
		t.Errorf("after clear: %q", got)
	}
}

func TestJarRepeatedSetCookieOnlyRefreshes(t *testing.T) {
	var j jar
	u := mustURL(t, "http://h.test/a")
	wall := time.Now()
	j.set([]byte("s=1; Path=/; Max-Age=5"), u, 0, wall)
	v := j.version
	j.set([]byte("s=1; Path=/; Max-Age=5"), u, 4*time.Second, wall)
	if j.version != v {
		t.Fatal("an identical Set-Cookie changed the jar")
	}
	if got := cookieHeader(&j, "http://h.test/", 8*time.Second); got != "s=1" {
		t.Fatalf("Max-Age not refreshed: %q", got)
	}
	allocs := testing.AllocsPerRun(100, func() { j.set([]byte("s=1; Path=/; Max-Age=5"), u, 5*time.Second, wall) })
	if allocs != 0 {
		t.Fatalf("an identical Set-Cookie allocates %v times", allocs)
	}
}

func TestJarIsBounded(t *testing.T) {
	var j jar
	u := mustURL(t, "http://h.test/")
	for i := 0; i < 3*maxCookies; i++ {
		j.set([]byte("c"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+"="+strings.Repeat("v", i)), u, 0, time.Now())
	}
	if len(j.cookies) > maxCookies {
		t.Fatalf("%d cookies kept, bound %d", len(j.cookies), maxCookies)
	}
	j.set([]byte("big="+strings.Repeat("v", maxCookieBytes)), u, 0, time.Now())
	for _, c := range j.cookies {
		if c.name == "big" {
			t.Fatal("an oversized Set-Cookie was stored")
		}
	}
}

func TestPathMatch(t *testing.T) {
	for _, c := range []struct {
		req, cookie string
		want        bool
	}{
		{"/", "/", true}, {"/a", "/", true}, {"/a/b", "/a", true}, {"/a/b", "/a/", true}, {"/a", "/a", true},
		{"/ab", "/a", false}, {"/", "/a", false}, {"", "/", true},
	} {
		if got := pathMatch(c.req, c.cookie); got != c.want {
			t.Errorf("pathMatch(%q, %q) = %v", c.req, c.cookie, got)
		}
	}
	for in, want := range map[string]string{"": "/", "/": "/", "/a": "/", "/a/b": "/a", "/a/b/": "/a/b", "x": "/"} {
		if got := defaultPath(in); got != want {
			t.Errorf("defaultPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzJarSetCookie(f *testing.F) {
	for _, s := range []string{"a=b", "a=b; Path=/x; Domain=.h.test; Max-Age=3; Secure", `q="v"; Expires=Wed, 21 Oct 2015 07:28:00 GMT`,
		"=x", "a=b; Max-Age=-1", "a=b;;;Path", "a=b; Domain=test"} {
		f.Add(s, "/p/q")
	}
	f.Fuzz(func(t *testing.T, sc, path string) {
		u := &url.URL{Scheme: "http", Host: "www.h.test", Path: path}
		var j jar
		j.set([]byte(sc), u, time.Second, time.Now())
		j.set([]byte(sc), u, 2*time.Second, time.Now())
		if len(j.cookies) > 1 {
			t.Fatalf("one Set-Cookie stored %d cookies", len(j.cookies))
		}
		h := string(j.header(nil, u, false))
		if strings.ContainsAny(strings.TrimSuffix(h, "\r\n"), "\r\n") {
			t.Fatalf("Cookie header breaks the request: %q", h)
		}
		if h != "" && (!strings.HasPrefix(h, "Cookie: ") || !strings.HasSuffix(h, "\r\n")) {
			t.Fatalf("malformed Cookie header %q", h)
		}
	})
}
