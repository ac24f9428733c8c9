package crawl

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("parse %q: %v", s, err)
	}
	return u
}

func urlStrings(us []*url.URL) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.String()
	}
	return out
}

func diffLists(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %d: %s\nwant %d: %s", what, len(got), strings.Join(got, "\n      "), len(want), strings.Join(want, "\n      "))
	}
}

// everyTag holds one instance of each tag kind the crawler follows, plus
// the things it must drop.
const everyTag = `<!DOCTYPE html>
<html><head>
<title>t</title>
<link rel="stylesheet" href="/css/site.css">
<link rel="icon" href="/favicon.ico">
<link rel="preload" href="/fonts/f.woff2" as="font">
<link rel="alternate" type="application/rss+xml" href="/feed.xml">
<link rel="preconnect" href="https://fonts.example.net">
<META HTTP-EQUIV="Refresh" CONTENT="30; URL='/refreshed'">
<script src="/js/app.js"></script>
<script>var s = '<img src="/not-a-tag.png">';</script>
<style>body { background: url(/css-url.png) }</style>
</head>
<body background="/img/bg.png">
<a href="/page?x=1&amp;y=2#frag">page</a>
<a href="#top">top</a>
<a href="mailto:a@example.com">mail</a>
<a href="javascript:void(0)">js</a>
<a href="tel:+123">tel</a>
<a href="">empty</a>
<a>no href</a>
<map><area href="/area" alt=""></map>
<img src="/img/a.png" srcset="/img/a-1x.png 1x, /img/a-2x.png 2x">
<img src="data:image/png;base64,AAAA">
<picture><source srcset="/img/s.webp 100w, /img/s2.webp 200w" type="image/webp"><source src="/media/s.mp4"></picture>
<iframe src="/frame/i.html"></iframe>
<frameset><frame src="/frame/f.html"></frameset>
<video src="/media/v.mp4" poster="/img/poster.jpg"></video>
<audio src="/media/a.mp3"></audio>
<a href="/page?x=1&y=2">duplicate of the first</a>
<a href="  /spaced  ">spaces</a>
<a href="/tab&#9;bed">tab</a>
<a href="../up/../down/./x">dots</a>
<a href="HTTP://EXAMPLE.com:80/caps">caps</a>
</body></html>`

func TestLinksEveryTagKind(t *testing.T) {
	got := urlStrings(Links([]byte(everyTag), mustURL(t, "http://example.com/dir/index.html")))
	want := []string{
		"http://example.com/css/site.css",
		"http://example.com/favicon.ico",
		"http://example.com/fonts/f.woff2",
		"http://example.com/feed.xml",
		"http://example.com/refreshed",
		"http://example.com/js/app.js",
		"http://example.com/img/bg.png",
		"http://example.com/page?x=1&y=2",
		"http://example.com/area",
		"http://example.com/img/a.png",
		"http://example.com/img/a-1x.png",
		"http://example.com/img/a-2x.png",
		"http://example.com/img/s.webp",
		"http://example.com/img/s2.webp",
		"http://example.com/media/s.mp4",
		"http://example.com/frame/i.html",
		"http://example.com/frame/f.html",
		"http://example.com/media/v.mp4",
		"http://example.com/img/poster.jpg",
		"http://example.com/media/a.mp3",
		"http://example.com/spaced",
		"http://example.com/tabbed",
		"http://example.com/down/x",
		"http://example.com/caps",
	}
	diffLists(t, "Links", got, want)
	for _, s := range got {
		for _, bad := range []string{"#", "mailto:", "javascript:", "data:", "tel:", "not-a-tag", "css-url", "fonts.example.net"} {
			if strings.Contains(s, bad) {
				t.Errorf("Links returned %q, which contains %q", s, bad)
			}
		}
	}
}

func TestLinksBaseHref(t *testing.T) {
	page := mustURL(t, "http://example.com/a/b/page.html")
	tests := []struct {
		name, html string
		want       []string
	}{
		{"relative base", `<base href="/static/"><img src="x.png"><a href="/abs">`,
			[]string{"http://example.com/static/x.png", "http://example.com/abs"}},
		{"absolute base on another host", `<head><base href="http://cdn.example.org/v2/"></head><a href="p">`,
			[]string{"http://cdn.example.org/v2/p"}},
		{"base after the link still applies", `<a href="p"><base href="/late/">`,
			[]string{"http://example.com/late/p"}},
		{"base without href is ignored, the next one counts", `<base target="_top"><base href="/second/"><base href="/third/"><a href="p">`,
			[]string{"http://example.com/second/p"}},
		{"javascript base is ignored", `<base href="javascript:alert(1)"><a href="p">`,
			[]string{"http://example.com/a/b/p"}},
		{"no base", `<a href="p"><a href="../q">`,
			[]string{"http://example.com/a/b/p", "http://example.com/a/q"}},
		{"base inside a script is text", `<script>document.write('<base href="/no/">')</script><a href="p">`,
			[]string{"http://example.com/a/b/p"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			diffLists(t, "Links", urlStrings(Links([]byte(tc.html), page)), tc.want)
		})
	}
}

func TestLinksBadBase(t *testing.T) {
	for _, b := range []string{"mailto:x@y", "/relative", "ftp://h/x"} {
		if got := Links([]byte(`<a href="/x">`), mustURL(t, b)); got != nil {
			t.Errorf("Links with base %q = %v, want nil", b, got)
		}
	}
	if got := Links([]byte(`<a href="/x">`), nil); got != nil {
		t.Errorf("Links with nil base = %v", got)
	}
}

// siegePage holds everything siege's parser fetches, and everything it
// reads but does not fetch.
const siegePage = `<html><head>
<link rel="stylesheet" href="/css/a.css">
<link rel="alternate stylesheet" href="/css/alt.css">
<link rel="next" href="/page2">
<link rel="Stylesheet next" href="/css/next.css">
<link rel="icon" href="/favicon.ico">
<link rel="stylesheet" href="https://fonts.example.net/f.css">
<meta http-equiv="refresh" content="5;url=/moved">
<meta http-equiv="refresh">
<meta name="refresh" content="0; url=/not-http-equiv">
<script src="/js/a.js"></script>
<script src="/js/b.js" async></script>
<script>var x = "<img src='/inline.png'>";</script>
</head>
<BODY BACKGROUND="/img/bg.gif">
<img src="/img/one.png">
<img src="">
<img>
<img src="data:image/gif;base64,R0lGOD">
<img src="/img/one.png#again">
<img src="two.png" srcset="/img/2x.png 2x">
<img src="//cdn.example.net/x.png">
<img src="http://example.com:8080/img/other-port.png">
<img src="https://example.com/img/other-scheme.png">
<img src="HTTP://Example.COM:80/img/three.png">
<a href="/link">a</a>
<iframe src="/iframe"></iframe>
<frame src="/frame">
<video src="/v.mp4" poster="/poster.jpg"><source src="/s.mp4"></video>
<picture><source srcset="/srcset.webp"></picture>
</body></html>`

func TestAssetsSiegeList(t *testing.T) {
	page := mustURL(t, "http://example.com/dir/")
	got := Assets(nil, []byte(siegePage), page, nil)
	want := []string{
		"http://example.com/css/a.css",
		"http://example.com/moved",
		"http://example.com/js/a.js",
		"http://example.com/js/b.js",
		"http://example.com/img/bg.gif",
		"http://example.com/img/one.png",
		"http://example.com/dir/two.png",
		"http://example.com/img/three.png",
	}
	diffLists(t, "Assets", got, want)

	// Allow lets named hosts in; nothing else changes.
	got = Assets(nil, []byte(siegePage), page, []string{"cdn.example.net", "fonts.example.net:443"})
	want2 := slices.Insert(slices.Clone(want), 1, "https://fonts.example.net/f.css")
	want2 = slices.Insert(want2, 8, "http://cdn.example.net/x.png")
	diffLists(t, "Assets with allow", got, want2)
}

func TestAssetsAppendsAndDedupesPerCall(t *testing.T) {
	page := mustURL(t, "http://example.com/")
	dst := []string{"keep", "http://example.com/a.png"}
	got := Assets(dst, []byte(`<img src="/a.png"><img src="/a.png"><img src="/b.png">`), page, nil)
	diffLists(t, "Assets", got, []string{"keep", "http://example.com/a.png", "http://example.com/a.png", "http://example.com/b.png"})

	// Many distinct assets switch de-duplication to a map; order and
	// uniqueness must not change.
	var b strings.Builder
	var want []string
	for i := range 100 {
		for range 2 {
			b.WriteString(`<img src="/i/` + strconv.Itoa(i) + `.png">`)
		}
		want = append(want, "http://example.com/i/"+strconv.Itoa(i)+".png")
	}
	diffLists(t, "Assets many", Assets(nil, []byte(b.String()), page, nil), want)
}

func TestAssetsBaseHrefStaysSameOrigin(t *testing.T) {
	page := mustURL(t, "http://example.com/")
	// A <base> on another host moves relative assets off-origin: dropped.
	got := Assets(nil, []byte(`<base href="http://cdn.example.net/"><img src="/a.png"><img src="http://example.com/b.png">`), page, nil)
	diffLists(t, "Assets", got, []string{"http://example.com/b.png"})
	got = Assets(nil, []byte(`<base href="/static/"><img src="a.png"><img src="/b.png">`), page, nil)
	diffLists(t, "Assets", got, []string{"http://example.com/static/a.png", "http://example.com/b.png"})
}

func TestAssetsFastPathMatchesGeneral(t *testing.T) {
	page := mustURL(t, "http://Example.com:80/dir/page")
	vals := []string{
		"/assets/a-N-N-0123abcd.svg", "/a?b=c&d=e", "/a/./b", "/a/../b", "/a/.", "/a/..", "/.", "/..",
		"/a//b", "/a:b", "/a@b", "/a(b)", "/a'b", "/a*b", "/~u/", "/a$b", "/a,b;c=d", "/a+b",
		"/a?", "/a?/./..", "/a?b?c", "/é", "/a%20b", "/a b", "/a%zz", "//host/x", "/", "/a\\b", "/a|b",
	}
	for _, v := range vals {
		body := []byte(`<img src="` + v + `">`)
		fast := assets(nil, body, page, nil, true)
		slow := assets(nil, body, page, nil, false)
		if !slices.Equal(fast, slow) {
			t.Errorf("src %q: fast path %q, general path %q", v, fast, slow)
		}
	}
}

func TestRefreshURL(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"0; url=/next", "/next", true},
		{"5;URL='/q'", "/q", true},
		{`3, url = "/dq" trailing`, "/dq", true},
		{"0;url='/unterminated", "/unterminated", true},
		{"1.5; /bare", "/bare", true},
		{".5 url=/dot", "/dot", true},
		{"0; uri.html", "uri.html", true},
		{"0; urx=/y", "urx=/y", true},
		{"0; url /nospace", "url /nospace", true},
		{"10", "", false},
		{"10;", "", false},
		{"", "", false},
		{"url=/x", "", false},
		{"5x; url=/x", "", false},
		{"0; url=''", "", false},
	}
	for _, tc := range tests {
		got, ok := refreshURL([]byte(tc.in))
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("refreshURL(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSrcset(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a.png", []string{"a.png"}},
		{"a.png 1x, b.png 2x", []string{"a.png", "b.png"}},
		{"a.png,b.png", []string{"a.png,b.png"}},
		{"a.png, b.png,", []string{"a.png", "b.png"}},
		{" ,, a.png 100w (x, y) , b.png", []string{"a.png", "b.png"}},
		{"a.png 1x (unclosed, c.png", []string{"a.png"}},
		{"", nil},
	}
	for _, tc := range tests {
		var got []string
		eachSrcset([]byte(tc.in), func(b []byte) { got = append(got, string(b)) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("srcset %q = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	origin := mustURL(t, "http://example.com/start")
	tests := []struct {
		u     string
		allow []string
		want  bool
	}{
		{"http://example.com/x", nil, true},
		{"http://EXAMPLE.com:80/x", nil, true},
		{"HTTP://example.com/", nil, true},
		{"https://example.com/x", nil, false},
		{"http://example.com:8080/x", nil, false},
		{"http://sub.example.com/x", nil, false},
		{"http://example.com.evil.net/x", nil, false},
		{"mailto:a@example.com", nil, false},
		{"/relative", nil, false},
		{"http://api.example.net/", []string{"api.example.net"}, true},
		{"https://api.example.net:8443/", []string{"API.example.net"}, true},
		{"http://api.example.net:81/", []string{"api.example.net:80"}, false},
		{"http://api.example.net/", []string{"api.example.net:80"}, true},
		{"https://api.example.net/", []string{"http://api.example.net:443/"}, true},
		{"http://[::1]:9000/", []string{"[::1]:9000"}, true},
		{"http://[::1]:9000/", []string{"::1"}, true},
		{"ftp://api.example.net/", []string{"api.example.net"}, false},
		{"http://other.net/", []string{"", "  ", "api.example.net"}, false},
	}
	for _, tc := range tests {
		if got := SameOrigin(mustURL(t, tc.u), origin, tc.allow); got != tc.want {
			t.Errorf("SameOrigin(%q, %q, %q) = %v, want %v", tc.u, origin, tc.allow, got, tc.want)
		}
	}
	if !SameOrigin(mustURL(t, "https://h:443/"), mustURL(t, "https://H/"), nil) {
		t.Error("https default port not normalised")
	}
	if SameOrigin(nil, origin, nil) || SameOrigin(origin, nil, nil) {
		t.Error("nil URL reported same-origin")
	}
}

// workshopPage is the shape of ecsdemo-frontend's GET / (Rails 4.2 layout
// and index view): inline style, three h2, one fingerprinted img, the
// reload script.
const workshopPage = `<!DOCTYPE html>
<html>
<head>
  <title>ExampleApp</title>
  <script>
    window.onload = function() { setTimeout(function(){location=''},50) }
  </script>
</head>
<body>
<style>
  body { font-family: Arial, sans-serif; background-color: #232f3e; color: #ffffff; }
  h2 { margin: 10px; } img { width: 600px; }
</style>
<h2>Rails frontend: Hello! from 10.0.1.23 in AZ-b running 1a2b3c4</h2>
<h2>Node.js backend: Hello! from 10.0.2.45 in AZ-a commit 5d6e7f8</h2>
<h2>Crystal backend: Hello! from 10.0.3.67 in AZ-c commit 9a0b1c2</h2>
<img alt="B a c" src="/assets/b-a-c-6f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100.svg" />
</body>
</html>
`

func TestAssetsWorkshopPage(t *testing.T) {
	got := Assets(nil, []byte(workshopPage), mustURL(t, "http://ecsde-publi-abc.us-west-2.elb.amazonaws.com"), nil)
	diffLists(t, "Assets", got, []string{
		"http://ecsde-publi-abc.us-west-2.elb.amazonaws.com/assets/b-a-c-6f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100.svg",
	})
}

func BenchmarkAssets(b *testing.B) {
	body := []byte(workshopPage)
	base := mustURL(b, "http://ecsde-publi-abc.us-west-2.elb.amazonaws.com/")
	dst := make([]string, 0, 8)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		dst = Assets(dst[:0], body, base, nil)
	}
	if len(dst) != 1 {
		b.Fatalf("found %d assets", len(dst))
	}
}

func BenchmarkLinks(b *testing.B) {
	body := []byte(workshopPage)
	base := mustURL(b, "http://ecsde-publi-abc.us-west-2.elb.amazonaws.com/")
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if len(Links(body, base)) != 1 {
			b.Fatal("want one link")
		}
	}
}
