package demoapp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// get fetches url and returns the response with its body read.
func get(t testing.TB, c *http.Client, method, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, body
}

// pageFacts is what a crawler would see on a page.
type pageFacts struct {
	title    string
	imgs     []map[string]string
	links    int
	scripts  []string // inline script texts
	extRefs  int      // <script src>, <link rel=stylesheet>
	styles   int
	h2       []string
	comments []string
}

func parsePage(t *testing.T, body []byte) pageFacts {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	var pf pageFacts
	var text func(n *html.Node) string
	text = func(n *html.Node) string {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			} else {
				b.WriteString(text(c))
			}
		}
		return b.String()
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.CommentNode {
			pf.comments = append(pf.comments, n.Data)
		}
		if n.Type == html.ElementNode {
			attrs := map[string]string{}
			for _, a := range n.Attr {
				attrs[a.Key] = a.Val
			}
			switch n.Data {
			case "title":
				pf.title = text(n)
			case "img":
				pf.imgs = append(pf.imgs, attrs)
			case "a":
				pf.links++
			case "script":
				if attrs["src"] != "" {
					pf.extRefs++
				} else {
					pf.scripts = append(pf.scripts, text(n))
				}
			case "link":
				pf.extRefs++
			case "style":
				pf.styles++
			case "h2":
				pf.h2 = append(pf.h2, text(n))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return pf
}

var (
	railsH2   = regexp.MustCompile(`^Rails frontend: Hello! from 10\.0\.\d+\.\d+ in AZ-([a-z0-9]+) running [0-9a-f]{7}$`)
	nodeH2    = regexp.MustCompile(`^Node\.js backend: Hello! from 10\.0\.\d+\.\d+ in AZ-([a-z0-9]+) commit [0-9a-f]{7}$`)
	crystalH2 = regexp.MustCompile(`^Crystal backend: Hello! from 10\.0\.\d+\.\d+ in AZ-([a-z0-9]+) commit [0-9a-f]{7}$`)
	imgSrc    = regexp.MustCompile(`^/assets/([a-z0-9]+)-([a-z0-9]+)-([a-z0-9]+)-([0-9a-f]{64})\.svg$`)
)

func newTestSite(t *testing.T, cfg Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(Handler(cfg))
	t.Cleanup(srv.Close)
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server not on loopback: %s", srv.URL)
	}
	return srv
}

func TestPageShape(t *testing.T) {
	t.Parallel()
	srv := newTestSite(t, Config{WorkPerPage: 50 * time.Microsecond})
	c := srv.Client()
	fronts := map[string]bool{}
	srcs := map[string]bool{}
	for i := range 30 {
		resp, body := get(t, c, http.MethodGet, srv.URL+"/")
		if resp.StatusCode != 200 {
			t.Fatalf("GET /: status %d", resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("Content-Type = %q", ct)
		}
		pf := parsePage(t, body)
		if pf.title != "ExampleApp" {
			t.Errorf("title = %q", pf.title)
		}
		if len(pf.imgs) != 1 {
			t.Fatalf("page %d has %d <img>, want exactly 1:\n%s", i, len(pf.imgs), body)
		}
		if pf.links != 0 || pf.extRefs != 0 {
			t.Errorf("page has %d <a> and %d external script/stylesheet references", pf.links, pf.extRefs)
		}
		if pf.styles != 1 {
			t.Errorf("page has %d inline <style>, want 1", pf.styles)
		}
		if len(pf.scripts) != 1 || !strings.Contains(pf.scripts[0], "setTimeout(function(){location=''},50)") ||
			!strings.Contains(pf.scripts[0], "onload") {
			t.Errorf("reload script missing or wrong: %q", pf.scripts)
		}
		if len(pf.h2) != 3 {
			t.Fatalf("page has %d <h2>, want 3: %q", len(pf.h2), pf.h2)
		}
		mr, mn, mc := railsH2.FindStringSubmatch(pf.h2[0]), nodeH2.FindStringSubmatch(pf.h2[1]), crystalH2.FindStringSubmatch(pf.h2[2])
		if mr == nil || mn == nil || mc == nil {
			t.Fatalf("h2 texts do not match the frontend's: %q", pf.h2)
		}
		src := pf.imgs[0]["src"]
		mi := imgSrc.FindStringSubmatch(src)
		if mi == nil {
			t.Fatalf("img src %q is not /assets/<zone>-<n>-<n>-<sha256>.svg", src)
		}
		// The image names the zones that answered.
		if mi[1] != mr[1] || mi[2] != mn[1] || mi[3] != mc[1] {
			t.Errorf("img %q does not match zones %s/%s/%s", src, mr[1], mn[1], mc[1])
		}
		if want := strings.ToUpper(mi[1]) + " " + mi[2] + " " + mi[3]; pf.imgs[0]["alt"] != want {
			t.Errorf("alt = %q, want %q", pf.imgs[0]["alt"], want)
		}
		if len(pf.comments) != 1 || !regexp.MustCompile(`^ render [0-9a-f]{16} $`).MatchString(pf.comments[0]) {
			t.Errorf("render comment = %q", pf.comments)
		}
		fronts[mr[1]] = true
		srcs[src] = true
	}
	if len(fronts) != 3 {
		t.Errorf("frontend zones seen over 30 pages: %v, want a, b and c", fronts)
	}
	if len(srcs) < 10 {
		t.Errorf("only %d distinct image names over 30 pages", len(srcs))
	}
}

func TestHeadPage(t *testing.T) {
	t.Parallel()
	srv := newTestSite(t, Config{WorkPerPage: -1})
	resp, body := get(t, srv.Client(), http.MethodHead, srv.URL+"/")
	if resp.StatusCode != 200 || len(body) != 0 || resp.ContentLength <= 0 {
		t.Errorf("HEAD /: status %d, %d body bytes, Content-Length %d", resp.StatusCode, len(body), resp.ContentLength)
	}
}

// svgDoc is enough of SVG to check the image's shape.
type svgDoc struct {
	XMLName xml.Name `xml:"http://www.w3.org/2000/svg svg"`
	Width   string   `xml:"width,attr"`
	Height  string   `xml:"height,attr"`
	Circles []struct {
		Fill string `xml:"fill,attr"`
	} `xml:"circle"`
	Texts []string `xml:"text"`
}

func TestAssetsAreValidSVG(t *testing.T) {
	t.Parallel()
	srv := newTestSite(t, Config{WorkPerPage: -1, Zones: []string{"a", "b", "c"}})
	c := srv.Client()
	seen := 0
	for range 27 { // one full round of zone combinations
		_, body := get(t, c, http.MethodGet, srv.URL+"/")
		pf := parsePage(t, body)
		src := pf.imgs[0]["src"]
		mi := imgSrc.FindStringSubmatch(src)
		resp, svg := get(t, c, http.MethodGet, srv.URL+src)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: status %d", src, resp.StatusCode)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "image/svg+xml" {
			t.Errorf("GET %s: Content-Type %q", src, ct)
		}
		sum := sha256.Sum256(svg)
		if hex.EncodeToString(sum[:]) != mi[4] {
			t.Errorf("%s: digest does not match the content's sha256", src)
		}
		var doc svgDoc
		if err := xml.Unmarshal(svg, &doc); err != nil {
			t.Fatalf("%s is not valid SVG XML: %v", src, err)
		}
		if doc.Width == "" || doc.Height == "" || len(doc.Circles) != 1 || doc.Circles[0].Fill == "" {
			t.Errorf("%s: unexpected shape %+v", src, doc)
		}
		if len(doc.Texts) != 3 || doc.Texts[0] != strings.ToUpper(mi[1]) {
			t.Errorf("%s: labels %q, want the zone letters", src, doc.Texts)
		}
		seen++
	}
	if seen != 27 {
		t.Fatalf("checked %d images", seen)
	}
}

func TestHealthAnd404(t *testing.T) {
	t.Parallel()
	srv := newTestSite(t, Config{WorkPerPage: -1})
	c := srv.Client()
	resp, body := get(t, c, http.MethodGet, srv.URL+"/health")
	if resp.StatusCode != 200 || string(body) != "OK" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("GET /health: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
	if got, want := resp.Header.Get(GomaxprocsHeader), runtime.GOMAXPROCS(0); got != strconv.Itoa(want) {
		t.Errorf("%s = %q, want %d", GomaxprocsHeader, got, want)
	}
	for _, p := range []string{
		"/nope", "/assets/", "/assets/a-b-c.svg", "/assets/a-b-c-" + strings.Repeat("0", 64) + ".svg",
		"/health/x", "/index.html", "/favicon.ico", "//", "/assets/../health",
	} {
		resp, _ := get(t, c, http.MethodGet, srv.URL+p)
		if resp.StatusCode != 404 {
			t.Errorf("GET %s: status %d, want 404", p, resp.StatusCode)
		}
	}
	resp, _ = get(t, c, http.MethodPost, srv.URL+"/")
	if resp.StatusCode != 404 {
		t.Errorf("POST /: status %d, want 404", resp.StatusCode)
	}
}

func TestInvalidZonesFallBack(t *testing.T) {
	t.Parallel()
	srv := newTestSite(t, Config{WorkPerPage: -1, Zones: []string{"<script>", ""}})
	_, body := get(t, srv.Client(), http.MethodGet, srv.URL+"/")
	if !railsH2.Match([]byte(parsePage(t, body).h2[0])) || bytes.Contains(body, []byte("<script>\"")) {
		t.Errorf("invalid zones leaked into the page:\n%s", body)
	}
}

// TestRenderCostIsCPU renders pages in-process and checks, with getrusage,
// that they burned CPU time of the configured order (sleeping would not).
func TestRenderCostIsCPU(t *testing.T) {
	const work = 2 * time.Millisecond
	const pages = 50
	h := Handler(Config{WorkPerPage: work})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	cpu0, err := ProcessCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	for range pages {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
	}
	cpu1, err := ProcessCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	used, want := cpu1-cpu0, pages*work
	t.Logf("%d pages at WorkPerPage=%v used %v CPU (%v per page)", pages, work, used, used/pages)
	if used < want/2 {
		t.Errorf("rendering used %v CPU, want at least %v: the work is not CPU", used, want/2)
	}
	// Other parallel tests add CPU, so the upper bound is loose; it catches a
	// calibration that is off by an order of magnitude.
	if used > 10*want {
		t.Errorf("rendering used %v CPU, far above %v: calibration is off", used, want)
	}
}

// TestConcurrentPages exercises the handler's shared state under -race.
func TestConcurrentPages(t *testing.T) {
	t.Parallel()
	srv := newTestSite(t, Config{WorkPerPage: 20 * time.Microsecond})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				resp, body := get(t, srv.Client(), http.MethodGet, srv.URL+"/")
				if resp.StatusCode != 200 || !bytes.HasSuffix(body, []byte("</html>\n")) {
					t.Errorf("bad page: %d %q", resp.StatusCode, body)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzHandlerPath: any path answers 200 only for /, /health and a known
// asset, 404 otherwise, and never panics.
func FuzzHandlerPath(f *testing.F) {
	h := Handler(Config{WorkPerPage: -1})
	for _, p := range []string{"/", "/health", "/assets/x.svg", "/assets/a-b-c-00.svg", "/%00", "/assets/../"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL.Path = p
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case p == "/" || p == "/health":
			if rec.Code != 200 {
				t.Fatalf("%q: status %d", p, rec.Code)
			}
		case rec.Code == 200:
			if !imgSrc.MatchString(p) || rec.Header().Get("Content-Type") != "image/svg+xml" {
				t.Fatalf("%q answered 200", p)
			}
		case rec.Code != 404:
			t.Fatalf("%q: status %d, want 404", p, rec.Code)
		}
	})
}

// BenchmarkPage measures one GET / at the default WorkPerPage, and reports
// the CPU time per page from getrusage next to the wall time.
func BenchmarkPage(b *testing.B) {
	h := Handler(Config{})
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	cpu0, _ := ProcessCPUTime()
	b.ResetTimer()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
	b.StopTimer()
	cpu1, _ := ProcessCPUTime()
	b.ReportMetric(float64(cpu1-cpu0)/float64(b.N)/1e3, "cpu-µs/page")
}

// discardWriter is a minimal ResponseWriter for benchmarks.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}

func TestThreadCPUTimeIsFineGrained(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0, err := threadCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	// Busy for 3 ms of wall time: well under a scheduler tick on HZ=250,
	// which getrusage would not show yet.
	var st [32]byte
	for t0 := time.Now(); time.Since(t0) < 3*time.Millisecond; {
		st = spin(st, 64)
	}
	c1, err := threadCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	if d := c1 - c0; d <= 0 || d > time.Second {
		t.Errorf("thread CPU time advanced %v over 3 ms of work (state %x)", d, st[:2])
	}
}

// TestStaticPageIsTheServedPage: the benchmark's static copy is the page and
// image the site serves (same head, same image bytes at the same path).
func TestStaticPageIsTheServedPage(t *testing.T) {
	page, assetPath, asset := StaticPage(Config{})
	srv := httptest.NewServer(Handler(Config{WorkPerPage: time.Microsecond}))
	defer srv.Close()
	get := func(path string) []byte {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return b
	}
	served := get("/")
	head, _, _ := bytes.Cut(served, []byte("<!-- render "))
	if !bytes.HasPrefix(page, head) || !bytes.Contains(page, []byte(`<img src="`+assetPath+`"`)) {
		t.Errorf("static page differs from the served one:\n%s\n---\n%s", page, served)
	}
	if !bytes.Equal(get(assetPath), asset) {
		t.Error("the static image differs from the served one")
	}
}
