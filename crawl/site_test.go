package crawl

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// testSite is an in-process HTTP server on 127.0.0.1 that counts every
// request it receives, by path and in total.
type testSite struct {
	*httptest.Server
	mu      sync.Mutex
	hits    map[string]int
	total   int
	headers []http.Header
	hosts   []string
	release chan struct{} // closed when the test ends; stalled handlers return then
}

type releaseKey struct{}

func newTestSite(t *testing.T, routes map[string]http.HandlerFunc) *testSite {
	t.Helper()
	s := &testSite{hits: map[string]int{}, release: make(chan struct{})}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(context.WithValue(r.Context(), releaseKey{}, s.release))
		s.mu.Lock()
		s.hits[r.URL.RequestURI()]++
		s.total++
		s.headers = append(s.headers, r.Header.Clone())
		s.hosts = append(s.hosts, r.Host)
		s.mu.Unlock()
		if fn, ok := routes[r.URL.Path]; ok {
			fn(w, r)
			return
		}
		if fn, ok := routes["*"]; ok {
			fn(w, r)
			return
		}
		http.NotFound(w, r)
	})
	s.Server = httptest.NewServer(h)
	t.Cleanup(func() {
		close(s.release)
		s.Close()
	})
	return s
}

func (s *testSite) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *testSite) requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

func page(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, body)
	}
}

func file(contentType, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		io.WriteString(w, body)
	}
}

func redirectTo(code int, loc string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Location", loc)
		w.WriteHeader(code)
	}
}

// stall blocks until the test ends, like a server that accepted the
// request and never answers (it ignores the client going away).
func stall(w http.ResponseWriter, r *http.Request) {
	<-r.Context().Value(releaseKey{}).(chan struct{})
}

func crawl(t *testing.T, start string, opts Options) Result {
	t.Helper()
	res, err := Site(context.Background(), start, opts)
	if err != nil {
		t.Fatalf("Site(%s): %v", start, err)
	}
	return res
}

func prefixed(base string, paths ...string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = base + p
	}
	return out
}

func hasError(r Result, substr string) bool {
	return slices.ContainsFunc(r.Errors, func(e string) bool { return strings.Contains(e, substr) })
}

// workshopFrontend behaves like ecsdemo-frontend: GET / names a different
// fingerprinted image depending on the "task" that answered, /health says OK.
func workshopFrontend(t *testing.T) *testSite {
	names := []string{
		"a-N-N-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"b-a-c-6f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100",
		"c-b-N-00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	}
	var mu sync.Mutex
	n := 0
	return newTestSite(t, map[string]http.HandlerFunc{
		"/": func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			mu.Lock()
			name := names[n%len(names)]
			n++
			mu.Unlock()
			body := strings.Replace(workshopPage,
				"b-a-c-6f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100", name, 1)
			page(body)(w, r)
		},
		"/health": file("text/plain", "OK"),
		"*": func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/assets/") && strings.HasSuffix(r.URL.Path, ".svg") {
				file("image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"/>`)(w, r)
				return
			}
			http.NotFound(w, r)
		},
	})
}

func TestSiteWorkshopFrontend(t *testing.T) {
	s := workshopFrontend(t)
	// The stack output has no trailing slash.
	res := crawl(t, s.URL, Options{})
	want := prefixed(s.URL, "/", "/assets/a-N-N-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0.svg")
	diffLists(t, "URLs", res.URLs, want)
	if res.Start != s.URL+"/" || res.Depth != 1 || res.Fetched != 2 || res.Truncated {
		t.Errorf("Start %q Depth %d Fetched %d Truncated %v", res.Start, res.Depth, res.Fetched, res.Truncated)
	}
	if res.Skipped[SkipNonHTML] != 1 || len(res.Errors) != 0 {
		t.Errorf("Skipped %v Errors %q", res.Skipped, res.Errors)
	}
	if s.count("/health") != 0 || s.count("/") != 1 {
		t.Errorf("hits: %v", s.hits)
	}

	// The parser view of the same page: exactly the one image.
	resp, err := http.Get(s.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	got := Assets(nil, body, mustURL(t, s.URL+"/"), nil)
	diffLists(t, "Assets", got, prefixed(s.URL, "/assets/b-a-c-6f0e1d2c3b4a59687766554433221100ffeeddccbbaa99887766554433221100.svg"))
}

// tagsPage links with each tag kind the crawler follows, all relative.
const tagsPage = `<html><head>
<link rel="stylesheet" href="/t/style.css"><link rel="icon" href="/t/icon.ico">
<meta http-equiv="refresh" content="60; url=/t/refresh.html">
<script src="/t/app.js"></script></head>
<body background="/t/bg.png">
<a href="/t/a.html#frag">a</a><map><area href="/t/area.html"></map>
<img src="/t/img.png" srcset="/t/img-2x.png 2x">
<picture><source srcset="/t/source-set.webp 1x"><source src="/t/source.mp4"></picture>
<iframe src="/t/iframe.html"></iframe><frame src="/t/frame.html">
<video src="/t/video.mp4" poster="/t/poster.jpg"></video><audio src="/t/audio.mp3"></audio>
<a href="mailto:x@example.com"></a><a href="javascript:void(0)"></a><img src="data:image/png;base64,AA">
</body></html>`

func anyFile(w http.ResponseWriter, r *http.Request) {
	if strings.HasSuffix(r.URL.Path, ".html") {
		page("<p>leaf</p>")(w, r)
		return
	}
	file("application/octet-stream", "\x00\x01binary")(w, r)
}

func TestSiteFindsEveryTagKind(t *testing.T) {
	s := newTestSite(t, map[string]http.HandlerFunc{"/": page(tagsPage), "*": anyFile})
	res := crawl(t, s.URL+"/", Options{})
	want := prefixed(s.URL, "/", "/t/style.css", "/t/icon.ico", "/t/refresh.html", "/t/app.js", "/t/bg.png",
		"/t/a.html", "/t/area.html", "/t/img.png", "/t/img-2x.png", "/t/source-set.webp", "/t/source.mp4",
		"/t/iframe.html", "/t/frame.html", "/t/video.mp4", "/t/poster.jpg", "/t/audio.mp3")
	diffLists(t, "URLs", res.URLs, want)
	if s.requests() != len(want) || res.Fetched != len(want) {
		t.Errorf("server saw %d requests, Fetched %d, want %d each", s.requests(), res.Fetched, len(want))
	}
	// 11 assets are not HTML; 5 .html leaves are.
	if res.Skipped[SkipNonHTML] != 11 {
		t.Errorf("Skipped %v", res.Skipped)
	}
}

func TestSiteNeverRequestsCrossOrigin(t *testing.T) {
	other := newTestSite(t, map[string]http.HandlerFunc{"*": anyFile})
	o := other.URL
	main := newTestSite(t, map[string]http.HandlerFunc{
		"/": page(fmt.Sprintf(`<html><head>
<link rel="stylesheet" href="%[1]s/s.css"><script src="%[1]s/s.js"></script>
<meta http-equiv="refresh" content="0; url=%[1]s/refresh.html"></head>
<body background="%[1]s/bg.png">
<a href="%[1]s/a.html">a</a><a href="//%[2]s/proto-relative.html">b</a><area href="%[1]s/area.html">
<img src="%[1]s/i.png" srcset="%[1]s/i2.png 2x"><source src="%[1]s/v.mp4" srcset="%[1]s/s.webp">
<iframe src="%[1]s/if.html"></iframe><frame src="%[1]s/f.html">
<video src="%[1]s/v2.mp4" poster="%[1]s/p.jpg"></video><audio src="%[1]s/a.mp3"></audio>
<a href="/redirect">r</a><a href="/based.html">based</a><a href="https://%[2]s/">other scheme</a>
</body></html>`, o, strings.TrimPrefix(o, "http://"))),
		"/redirect":   redirectTo(http.StatusFound, o+"/target.html"),
		"/based.html": page(fmt.Sprintf(`<base href="%s/base/"><a href="rel.html">x</a><img src="rel.png">`, o)),
	})
	res := crawl(t, main.URL+"/", Options{})
	if n := other.requests(); n != 0 {
		t.Fatalf("the other origin received %d requests: %v", n, other.hits)
	}
	diffLists(t, "URLs", res.URLs, prefixed(main.URL, "/", "/redirect", "/based.html"))
	// 17 distinct cross-origin URLs on "/", 1 redirect target, 2 under <base>.
	if got := res.Skipped[SkipCrossOrigin]; got != 20 {
		t.Errorf("Skipped[cross-origin] = %d, want 20 (%v)", got, res.Skipped)
	}
	if !hasError(res, "redirect to "+o+"/target.html not followed") {
		t.Errorf("no message about the cross-origin redirect: %q", res.Errors)
	}
}

func TestSiteAllowLetsANamedHostIn(t *testing.T) {
	third := newTestSite(t, map[string]http.HandlerFunc{"*": anyFile})
	other := newTestSite(t, map[string]http.HandlerFunc{
		"/o.html": page(fmt.Sprintf(`<img src="/o.png"><a href="%s/third.html">`, third.URL)),
		"*":       anyFile,
	})
	main := newTestSite(t, map[string]http.HandlerFunc{
		"/":      page(fmt.Sprintf(`<a href="%s/o.html">o</a>`, other.URL)),
		"/r.css": redirectTo(http.StatusMovedPermanently, other.URL+"/r.css"),
	})
	res := crawl(t, main.URL+"/", Options{Allow: []string{strings.TrimPrefix(other.URL, "http://")}})
	diffLists(t, "URLs", res.URLs, []string{main.URL + "/", other.URL + "/o.html", other.URL + "/o.png"})
	if third.requests() != 0 || other.count("/o.html") != 1 || other.count("/o.png") != 1 {
		t.Errorf("third %d, other %v", third.requests(), other.hits)
	}
	if res.Skipped[SkipCrossOrigin] != 1 {
		t.Errorf("Skipped %v", res.Skipped)
	}
}

// chainSite serves /p/0 -> /p/1 -> ... -> /p/(n-1), each page linking
// the next.
func chainSite(t *testing.T, n int) *testSite {
	routes := map[string]http.HandlerFunc{}
	for i := range n {
		routes[fmt.Sprintf("/p/%d", i)] = page(fmt.Sprintf(`<a href="/p/%d">next</a>`, i+1))
	}
	return newTestSite(t, routes)
}

func TestSiteDepthLimit(t *testing.T) {
	s := chainSite(t, 10)
	res := crawl(t, s.URL+"/p/0", Options{Depth: 2})
	diffLists(t, "URLs", res.URLs, prefixed(s.URL, "/p/0", "/p/1", "/p/2"))
	if res.Depth != 2 || res.Skipped[SkipDepth] != 1 || res.Truncated || s.count("/p/3") != 0 || s.requests() != 3 {
		t.Errorf("Depth %d Skipped %v Truncated %v requests %d", res.Depth, res.Skipped, res.Truncated, s.requests())
	}

	s2 := chainSite(t, 10)
	res = crawl(t, s2.URL+"/p/0", Options{Depth: -1})
	diffLists(t, "URLs (depth 0)", res.URLs, prefixed(s2.URL, "/p/0"))
	if s2.requests() != 1 {
		t.Errorf("depth 0 made %d requests", s2.requests())
	}
}

func TestSiteCountLimit(t *testing.T) {
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, `<a href="/n/%d.html">%d</a>`, i, i)
	}
	s := newTestSite(t, map[string]http.HandlerFunc{
		"/": page(b.String()),
		"*": page(`<a href="/deeper.html">`),
	})
	res := crawl(t, s.URL+"/", Options{MaxURLs: 10})
	want := []string{s.URL + "/"}
	for i := range 9 {
		want = append(want, fmt.Sprintf("%s/n/%d.html", s.URL, i))
	}
	diffLists(t, "URLs", res.URLs, want)
	if !res.Truncated || res.Skipped[SkipLimit] != 42 || s.requests() != 10 || res.Fetched != 10 {
		// 41 links left on "/" plus /deeper.html found on level 1.
		t.Errorf("Truncated %v Skipped %v requests %d Fetched %d", res.Truncated, res.Skipped, s.requests(), res.Fetched)
	}
}

func TestSiteOrderIsDeterministic(t *testing.T) {
	routes := map[string]http.HandlerFunc{}
	jitter := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Duration(rand.IntN(15)) * time.Millisecond)
			h(w, r)
		}
	}
	var top strings.Builder
	var want []string
	want = append(want, "/")
	for i := range 6 {
		fmt.Fprintf(&top, `<a href="/a%d/">`, i)
		want = append(want, fmt.Sprintf("/a%d/", i))
		routes[fmt.Sprintf("/a%d/", i)] = jitter(page(fmt.Sprintf(`<a href="x.html"><img src="/a%d/y.png"><a href="/a%d/">`, i, (i+1)%6)))
	}
	for i := range 6 {
		want = append(want, fmt.Sprintf("/a%d/x.html", i), fmt.Sprintf("/a%d/y.png", i))
	}
	routes["/"] = page(top.String())
	routes["*"] = jitter(anyFile)
	var first []string
	for run := range 3 {
		s := newTestSite(t, routes)
		res := crawl(t, s.URL+"/", Options{Parallel: 4})
		got := make([]string, len(res.URLs))
		for i, u := range res.URLs {
			got[i] = strings.TrimPrefix(u, s.URL)
		}
		diffLists(t, fmt.Sprintf("run %d", run), got, want)
		if run == 0 {
			first = got
		} else if !slices.Equal(got, first) {
			t.Errorf("run %d order differs", run)
		}
	}
}

func TestSiteParallelBound(t *testing.T) {
	var mu sync.Mutex
	inFlight, peak := 0, 0
	slow := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inFlight++
		peak = max(peak, inFlight)
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
		mu.Lock()
		inFlight--
		mu.Unlock()
		anyFile(w, r)
	}
	var b strings.Builder
	for i := range 12 {
		fmt.Fprintf(&b, `<img src="/i%d.png">`, i)
	}
	s := newTestSite(t, map[string]http.HandlerFunc{"/": page(b.String()), "*": slow})
	res := crawl(t, s.URL+"/", Options{Parallel: 2})
	if len(res.URLs) != 13 {
		t.Fatalf("found %d URLs", len(res.URLs))
	}
	if peak > 2 || peak < 1 {
		t.Errorf("peak requests in flight %d, want 1..2", peak)
	}
}

func TestSiteMalformedHTMLAndGarbage(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 256<<10)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	s := newTestSite(t, map[string]http.HandlerFunc{
		"/": page(`<html><body><a href=/ok1>x</a><<<>>></a></b><img src='/ok2' <div <p>` +
			`<a href="/garbage.html">g</a><a href=/binary><script>never closed <a href=/in-script>` +
			`</SCRIPT ><a href=/ok3><a href=/truncated-tag`),
		"/garbage.html": page(string(garbage)),
		"/binary":       file("application/octet-stream", string(garbage)),
		"/ok1":          anyFile,
		"/ok2":          anyFile,
		"/ok3":          anyFile,
	})
	start := time.Now()
	res := crawl(t, s.URL+"/", Options{Timeout: 5 * time.Second})
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %v", el)
	}
	want := prefixed(s.URL, "/", "/ok1", "/ok2", "/garbage.html", "/binary", "/ok3")
	if got := res.URLs[:min(len(res.URLs), len(want))]; !slices.Equal(got, want) {
		t.Errorf("URLs %q, want prefix %q", res.URLs, want)
	}
	if s.count("/in-script") != 0 || s.count("/truncated-tag") != 0 {
		t.Errorf("followed text as links: %v", s.hits)
	}
	// Whatever the garbage page "links" to must stay on this server.
	for _, u := range res.URLs {
		if !strings.HasPrefix(u, s.URL+"/") {
			t.Errorf("URL %q off the site", u)
		}
	}
}

func TestSiteRedirects(t *testing.T) {
	routes := map[string]http.HandlerFunc{
		"/start":   redirectTo(http.StatusFound, "/a"),
		"/a":       redirectTo(http.StatusMovedPermanently, "b"),
		"/b":       redirectTo(http.StatusFound, "/a#x"),
		"/r":       redirectTo(http.StatusSeeOther, "/page#frag"),
		"/page":    page(`<a href="/leaf.html">`),
		"/nolocat": func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) },
	}
	for i := range 30 {
		routes[fmt.Sprintf("/chain/%d", i)] = redirectTo(http.StatusTemporaryRedirect, fmt.Sprintf("/chain/%d", i+1))
	}
	routes["*"] = anyFile

	t.Run("loop", func(t *testing.T) {
		s := newTestSite(t, routes)
		res := crawl(t, s.URL+"/start", Options{Timeout: 5 * time.Second})
		diffLists(t, "URLs", res.URLs, prefixed(s.URL, "/start", "/a", "/b"))
		for _, p := range []string{"/start", "/a", "/b"} {
			if n := s.count(p); n != 1 {
				t.Errorf("%s fetched %d times", p, n)
			}
		}
		if res.Skipped[SkipRedirectLoop] != 1 || !hasError(res, "GET "+s.URL+"/b: redirect loop back to "+s.URL+"/a") {
			t.Errorf("Skipped %v Errors %q", res.Skipped, res.Errors)
		}
	})
	t.Run("chain limit", func(t *testing.T) {
		s := newTestSite(t, routes)
		res := crawl(t, s.URL+"/chain/0", Options{Timeout: 5 * time.Second})
		if len(res.URLs) != MaxRedirects+1 || s.count("/chain/10") != 1 || s.count("/chain/11") != 0 {
			t.Errorf("URLs %d, hits %v", len(res.URLs), s.hits)
		}
		if res.Skipped[SkipRedirectLimit] != 1 || !hasError(res, "more than 10 redirects") {
			t.Errorf("Skipped %v Errors %q", res.Skipped, res.Errors)
		}
	})
	t.Run("target is parsed at the same depth", func(t *testing.T) {
		s := newTestSite(t, routes)
		res := crawl(t, s.URL+"/r", Options{Depth: 1})
		diffLists(t, "URLs", res.URLs, prefixed(s.URL, "/r", "/page", "/leaf.html"))
		if res.Depth != 1 {
			t.Errorf("Depth %d", res.Depth)
		}
		s2 := newTestSite(t, routes)
		res = crawl(t, s2.URL+"/r", Options{Depth: -1})
		diffLists(t, "URLs depth 0", res.URLs, prefixed(s2.URL, "/r", "/page"))
	})
	t.Run("no location", func(t *testing.T) {
		s := newTestSite(t, routes)
		res := crawl(t, s.URL+"/nolocat", Options{})
		diffLists(t, "URLs", res.URLs, prefixed(s.URL, "/nolocat"))
	})
}

func TestSiteTenMegabytePage(t *testing.T) {
	big := "<html><body><a href=\"/early.html\">early</a>" +
		strings.Repeat("<p>filler filler filler filler filler filler</p>\n", 10<<20/50) +
		"<a href=\"/late.html\">late</a></body></html>"
	s := newTestSite(t, map[string]http.HandlerFunc{
		"/":        page(big),
		"/big.bin": file("application/octet-stream", big),
		"*":        anyFile,
	})
	start := time.Now()
	res := crawl(t, s.URL+"/", Options{Timeout: 5 * time.Second, MaxBodyBytes: 1 << 20})
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("took %v", el)
	}
	diffLists(t, "URLs", res.URLs, prefixed(s.URL, "/", "/early.html"))
	if s.count("/late.html") != 0 {
		t.Error("read beyond MaxBodyBytes")
	}
	if res.Skipped[SkipTruncated] != 1 || !hasError(res, "body larger than 1048576 bytes") || res.Truncated {
		t.Errorf("Skipped %v Errors %q Truncated %v", res.Skipped, res.Errors, res.Truncated)
	}
}

func TestSiteStallingServer(t *testing.T) {
	const limit = time.Second
	const margin = 2 * time.Second // generous: -race on a shared machine

	t.Run("asset stalls, crawl time limit", func(t *testing.T) {
		s := newTestSite(t, map[string]http.HandlerFunc{
			"/":          page(`<img src="/slow.png"><img src="/fast.png">`),
			"/slow.png":  stall,
			"/fast.png":  anyFile,
			"/never.png": anyFile,
		})
		start := time.Now()
		res := crawl(t, s.URL+"/", Options{Timeout: limit, RequestTimeout: time.Minute})
		if el := time.Since(start); el > limit+margin {
			t.Fatalf("took %v with Timeout %v", el, limit)
		}
		diffLists(t, "URLs", res.URLs, prefixed(s.URL, "/", "/fast.png"))
		if !res.Truncated || res.Skipped[SkipTimeLimit] != 1 || !hasError(res, "crawl stopped: time limit of 1s reached") {
			t.Errorf("Truncated %v Skipped %v Errors %q", res.Truncated, res.Skipped, res.Errors)
		}
	})

	t.Run("start page stalls", func(t *testing.T) {
		s := newTestSite(t, map[string]http.HandlerFunc{"/": stall})
		start := time.Now()
		res, err := Site(context.Background(), s.URL, Options{Timeout: limit})
		if el := time.Since(start); el > limit+margin {
			t.Fatalf("took %v with Timeout %v", el, limit)
		}
		if err == nil || !strings.Contains(err.Error(), "start page "+s.URL+"/: no answer within the crawl time limit of 1s") ||
			!errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		if len(res.URLs) != 0 || !res.Truncated || res.Start != s.URL+"/" {
			t.Errorf("result %+v", res)
		}
	})

	t.Run("per-request timeout, crawl goes on", func(t *testing.T) {
		s := newTestSite(t, map[string]http.HandlerFunc{
			"/":         page(`<img src="/slow.png"><a href="/next.html">`),
			"/slow.png": stall,
			"/next.html": func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, `<a href="/after-stall.html">`)
				w.(http.Flusher).Flush()
				<-r.Context().Done() // the body never ends
			},
			"*": anyFile,
		})
		start := time.Now()
		res := crawl(t, s.URL+"/", Options{Timeout: 20 * time.Second, RequestTimeout: 300 * time.Millisecond})
		if el := time.Since(start); el > 10*time.Second {
			t.Fatalf("took %v", el)
		}
		// The page whose body broke off is not a target, but its links are.
		diffLists(t, "URLs", res.URLs, prefixed(s.URL, "/", "/after-stall.html"))
		if res.Truncated || res.Skipped[SkipTimeout] != 2 || !hasError(res, "GET "+s.URL+"/slow.png: timeout after 300ms") {
			t.Errorf("Truncated %v Skipped %v Errors %q", res.Truncated, res.Skipped, res.Errors)
		}
	})

	t.Run("caller cancels", func(t *testing.T) {
		s := newTestSite(t, map[string]http.HandlerFunc{
			"/":         page(`<img src="/slow.png">`),
			"/slow.png": stall,
		})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		start := time.Now()
		res, err := Site(ctx, s.URL, Options{})
		if el := time.Since(start); el > DefaultRequestTimeout {
			t.Fatalf("took %v", el)
		}
		if err != nil || !res.Truncated || !hasError(res, "crawl stopped: context canceled") {
			t.Errorf("err %v Truncated %v Errors %q", err, res.Truncated, res.Errors)
		}
	})
}

func TestSiteStatusCodes(t *testing.T) {
	s := newTestSite(t, map[string]http.HandlerFunc{
		"/":        page(`<a href="/ok.html"><a href="/missing"><img src="/teapot"><script src="/boom.js"></script>`),
		"/ok.html": page(`ok`),
		"/teapot": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTeapot)
		},
		"/boom.js": func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		},
	})
	res := crawl(t, s.URL+"/", Options{})
	diffLists(t, "URLs", res.URLs, prefixed(s.URL, "/", "/ok.html"))
	if res.Skipped["status-4xx"] != 2 || res.Skipped["status-5xx"] != 1 || res.Fetched != 5 {
		t.Errorf("Skipped %v Fetched %d", res.Skipped, res.Fetched)
	}
	if !hasError(res, "GET "+s.URL+"/missing: 404 Not Found") || !hasError(res, "500 Internal Server Error") {
		t.Errorf("Errors %q", res.Errors)
	}
}

func TestSiteStartErrors(t *testing.T) {
	for _, start := range []string{"", "http://", "ftp://example.com/", "mailto:x@example.com", "http://[::1"} {
		if _, err := Site(context.Background(), start, Options{}); err == nil {
			t.Errorf("Site(%q) succeeded", start)
		}
	}
	s := newTestSite(t, nil)
	res, err := Site(context.Background(), s.URL+"/nope", Options{})
	if err == nil || !strings.Contains(err.Error(), "404 Not Found") || res.Start != s.URL+"/nope" || res.Fetched != 1 {
		t.Errorf("404 start: err %v, result %+v", err, res)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Site(context.Background(), "http://"+addr+"/", Options{Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("closed port: err %v", err)
	}

	// No scheme means http.
	w := workshopFrontend(t)
	res = crawl(t, strings.TrimPrefix(w.URL, "http://"), Options{})
	if res.Start != w.URL+"/" || len(res.URLs) != 2 {
		t.Errorf("schemeless start: %+v", res)
	}
}

func TestSiteHeadersAndUserAgent(t *testing.T) {
	s := newTestSite(t, map[string]http.HandlerFunc{"/": page(`<img src="/i.png">`), "*": anyFile})
	h := http.Header{}
	h.Set("X-Run", "42")
	h.Set("Host", "frontend.example")
	h.Set("User-Agent", "from-header")
	res := crawl(t, s.URL+"/", Options{Header: h, UserAgent: "loadgen-test/1"})
	if len(res.URLs) != 2 {
		t.Fatalf("URLs %q", res.URLs)
	}
	for i, hdr := range s.headers {
		if hdr.Get("X-Run") != "42" || hdr.Get("User-Agent") != "loadgen-test/1" || s.hosts[i] != "frontend.example" {
			t.Errorf("request %d: headers %v host %q", i, hdr, s.hosts[i])
		}
	}

	s2 := newTestSite(t, map[string]http.HandlerFunc{"/": page(`x`)})
	crawl(t, s2.URL+"/", Options{Header: h})
	if ua := s2.headers[0].Get("User-Agent"); ua != "from-header" {
		t.Errorf("User-Agent %q, want the -H one", ua)
	}
	s3 := newTestSite(t, map[string]http.HandlerFunc{"/": page(`x`)})
	crawl(t, s3.URL+"/", Options{})
	if ua := s3.headers[0].Get("User-Agent"); ua != DefaultUserAgent {
		t.Errorf("User-Agent %q, want the default", ua)
	}
}

func TestSiteGzipWithCallerAcceptEncoding(t *testing.T) {
	gz := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				page(body)(w, r)
				return
			}
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			io.WriteString(zw, body)
			zw.Close()
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(b.Bytes())
		}
	}
	for _, hdr := range []http.Header{nil, {"Accept-Encoding": {"gzip, deflate"}}} {
		s := newTestSite(t, map[string]http.HandlerFunc{"/": gz(`<img src="/z.png">`), "*": anyFile})
		res := crawl(t, s.URL+"/", Options{Header: hdr})
		diffLists(t, fmt.Sprintf("URLs with header %v", hdr), res.URLs, prefixed(s.URL, "/", "/z.png"))
	}
}

func TestSiteTLSInsecureAndClient(t *testing.T) {
	other := newTestSite(t, map[string]http.HandlerFunc{"*": anyFile})
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			page(`<img src="/i.png"><a href="/away">`)(w, r)
		case "/away":
			redirectTo(http.StatusFound, other.URL+"/x")(w, r)
		default:
			anyFile(w, r)
		}
	}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake is expected
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)

	if _, err := Site(context.Background(), tlsSrv.URL, Options{Timeout: 5 * time.Second}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate accepted: %v", err)
	}
	want := prefixed(tlsSrv.URL, "/", "/i.png", "/away")
	res := crawl(t, tlsSrv.URL, Options{Insecure: true})
	diffLists(t, "URLs (insecure)", res.URLs, want)

	// A caller's client is used as is, except that redirects are ours.
	res = crawl(t, tlsSrv.URL, Options{Client: tlsSrv.Client()})
	diffLists(t, "URLs (client)", res.URLs, want)
	if other.requests() != 0 {
		t.Errorf("the caller's client followed a cross-origin redirect")
	}
}

func TestSiteErrorsAreBounded(t *testing.T) {
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, `<img src="/missing/%d.png">`, i)
	}
	s := newTestSite(t, map[string]http.HandlerFunc{"/": page(b.String())})
	res := crawl(t, s.URL+"/", Options{})
	if len(res.Errors) != MaxErrors+1 || res.Errors[MaxErrors] != "... 10 more errors not shown" || res.Skipped["status-4xx"] != 30 {
		t.Errorf("%d errors, last %q, Skipped %v", len(res.Errors), res.Errors[len(res.Errors)-1], res.Skipped)
	}
}

func TestWriteURLFile(t *testing.T) {
	r := Result{
		Start:     "http://example.com/",
		URLs:      []string{"http://example.com/", "http://example.com/assets/a.svg", "http://example.com/$(HOME)/${X}"},
		Depth:     1,
		Skipped:   map[string]int{"non-html": 1, "cross-origin": 3},
		Truncated: true,
	}
	var b strings.Builder
	if err := r.WriteURLFile(&b, time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	want := `# crawled from http://example.com/ at 2024-05-06T07:08:09Z (3 URLs, depth 1)
# skipped: cross-origin=3, non-html=1
# truncated: the crawl's time or URL limit cut it short
http://example.com/
http://example.com/assets/a.svg
http://example.com/%24(HOME)/%24{X}
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}

	// A crawl's own result, written and read back line by line.
	s := workshopFrontend(t)
	res := crawl(t, s.URL, Options{})
	var out bytes.Buffer
	if err := res.WriteURLFile(&out, time.Unix(0, 0).UTC()); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(line, "#") {
			urls = append(urls, line)
		}
	}
	diffLists(t, "URL lines", urls, res.URLs)
	if !strings.HasPrefix(out.String(), "# crawled from "+s.URL+"/ at 1970-01-01T00:00:00Z (2 URLs, depth 1)\n# skipped: non-html=1\nhttp") {
		t.Errorf("header:\n%s", out.String())
	}

	if err := r.WriteURLFile(failWriter{}, time.Now()); err == nil {
		t.Error("write error not reported")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, io.ErrClosedPipe }

// A password in the crawled URLs is never written: the header shows xxxxx,
// the URLs the variable LOADGEN_PASSWORD, which loads back from the environment.
func TestWriteURLFileHidesPasswords(t *testing.T) {
	r := Result{Start: "http://ann:s3cret@example.com/", URLs: []string{"http://ann:s3cret@example.com/", "http://ann:s3cret@example.com/a.css"}}
	var b strings.Builder
	if err := r.WriteURLFile(&b, time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	want := `# crawled from http://ann:xxxxx@example.com/ at 2024-05-06T07:08:09Z (2 URLs, depth 0)
# the password is not written: set LOADGEN_PASSWORD in the environment (or add a line LOADGEN_PASSWORD=... here) to use this file
http://ann:$(LOADGEN_PASSWORD)@example.com/
http://ann:$(LOADGEN_PASSWORD)@example.com/a.css
`
	if b.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}
