package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/loadgen/loadgen/internal/demoapp"
)

// workshopSite serves the demo site (shaped like the workshop's frontend) on
// 127.0.0.1 and counts requests by path prefix.
type workshopSite struct {
	URL    string
	mu     sync.Mutex
	counts map[string]int
}

func newWorkshopSite(t *testing.T) *workshopSite {
	t.Helper()
	cfg := demoapp.Config{WorkPerPage: 1}
	h := demoapp.Handler(cfg)
	ws := &workshopSite{counts: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path
		if strings.HasPrefix(key, "/assets/") {
			key = "/assets/"
		}
		ws.mu.Lock()
		ws.counts[key]++
		ws.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	ws.URL = srv.URL
	return ws
}

func (ws *workshopSite) count(key string) int {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.counts[key]
}

func TestCrawlCommandOutputLoadsBackWithF(t *testing.T) {
	ws := newWorkshopSite(t)
	r := runCLI(t, nil, "crawl", ws.URL)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "# crawled from "+ws.URL+"/") {
		t.Fatalf("header: %q", r.stdout)
	}
	urls := regexp.MustCompile(`(?m)^http://\S+$`).FindAllString(r.stdout, -1)
	if len(urls) != 2 || urls[0] != ws.URL+"/" || !strings.HasPrefix(urls[1], ws.URL+"/assets/") || !strings.HasSuffix(urls[1], ".svg") {
		t.Fatalf("crawl of the workshop page: %v", urls)
	}
	file := filepath.Join(t.TempDir(), "urls.txt")
	if err := os.WriteFile(file, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	before := ws.count("/")
	r = runCLI(t, nil, "-c", "2", "-r", "once", "-f", file, "-q")
	if r.code != 0 || ws.count("/") != before+1 {
		t.Fatalf("-f of crawl output: exit %d, / requested %d more times: %s", r.code, ws.count("/")-before, r.stderr)
	}
	// -o writes the file.
	out := filepath.Join(t.TempDir(), "saved.txt")
	r = runCLI(t, nil, "crawl", "-o", out, ws.URL)
	if raw, err := os.ReadFile(out); r.code != 0 || err != nil || !strings.Contains(string(raw), "/assets/") {
		t.Fatalf("crawl -o: %d %v", r.code, err)
	}
}

func TestInternetModeCrawlsTheSingleURL(t *testing.T) {
	ws := newWorkshopSite(t)
	r := runCLI(t, nil, "-c", "3", "-r", "20", "-i", ws.URL+"/")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "crawled 2 URLs from "+ws.URL+"/ (depth 1)") {
		t.Fatalf("stderr: %s", r.stderr)
	}
	// 60 requests spread over / and the image (plus the crawl's own two).
	if ws.count("/") < 10 || ws.count("/assets/") < 10 {
		t.Fatalf("internet mode over crawled URLs: / %d, assets %d", ws.count("/"), ws.count("/assets/"))
	}
	// --no-crawl keeps the single URL.
	ws2 := newWorkshopSite(t)
	r = runCLI(t, nil, "-c", "2", "-r", "5", "-i", "--no-crawl", ws2.URL+"/")
	if r.code != 0 || ws2.count("/") != 10 || ws2.count("/assets/") != 0 || strings.Contains(r.stderr, "crawled") {
		t.Fatalf("--no-crawl: / %d assets %d: %s", ws2.count("/"), ws2.count("/assets/"), r.stderr)
	}
}

func TestCrawlFailureFallsBackToStartURL(t *testing.T) {
	s := newSite(t) // its / page has no links
	r := runCLI(t, nil, "-c", "1", "-r", "3", "-i", s.URL+"/")
	if r.code != 0 || !strings.Contains(r.stderr, "crawl found only "+s.URL+"/") || !strings.Contains(r.stderr, "loading the start URL only") {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if s.total.Load() != 1+3 {
		t.Fatalf("server saw %d requests, want the crawl's 1 and 3", s.total.Load())
	}
}

func TestParserFetchesEachPageViewsAssets(t *testing.T) {
	ws := newWorkshopSite(t)
	dir := t.TempDir()
	jf := filepath.Join(dir, "r.json")
	r := runCLI(t, nil, "-c", "2", "-r", "5", "--parser", "--json", jf, ws.URL+"/")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if ws.count("/") != 10 || ws.count("/assets/") != 10 {
		t.Fatalf("--parser: / %d, assets %d; want 10 and 10", ws.count("/"), ws.count("/assets/"))
	}
	if !regexp.MustCompile(`Transactions:\s+20 hits`).MatchString(r.stdout) {
		t.Fatalf("assets are transactions:\n%s", r.stdout)
	}
	// Without --parser no HTML is parsed: no asset is fetched.
	ws2 := newWorkshopSite(t)
	r = runCLI(t, nil, "-c", "2", "-r", "5", ws2.URL+"/")
	if r.code != 0 || ws2.count("/assets/") != 0 || ws2.count("/") != 10 {
		t.Fatalf("without --parser: / %d assets %d", ws2.count("/"), ws2.count("/assets/"))
	}
	// siegerc parser = true turns it on; --no-parser off again.
	rc := filepath.Join(dir, "siegerc")
	_ = os.WriteFile(rc, []byte("parser = true\n"), 0o600)
	ws3 := newWorkshopSite(t)
	runCLI(t, nil, "-R", rc, "-c", "1", "-r", "3", "-q", ws3.URL+"/")
	runCLI(t, nil, "-R", rc, "--no-parser", "-c", "1", "-r", "3", "-q", ws3.URL+"/")
	if ws3.count("/assets/") != 3 || ws3.count("/") != 6 {
		t.Fatalf("siegerc parser: / %d assets %d", ws3.count("/"), ws3.count("/assets/"))
	}
}
