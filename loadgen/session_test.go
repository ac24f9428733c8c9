package loadgen

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/testsupport"
)

// seen is one request as a raw server received it.
type seen struct {
	conn int
	raw  string
	req  *http.Request
}

// scriptServer is a raw HTTP/1.1 server on 127.0.0.1 that records every
// request byte for byte and answers with respond's raw response head (a
// Content-Length and the body are added).
type scriptServer struct {
	URL  string
	mu   sync.Mutex
	reqs []seen
}

func newScriptServer(t testing.TB, respond func(r *http.Request) (head, body string)) *scriptServer {
	ss := &scriptServer{}
	var connID int
	var idMu sync.Mutex
	ss.URL = testsupport.RawServer(t, func(c net.Conn) {
		defer c.Close()
		idMu.Lock()
		connID++
		id := connID
		idMu.Unlock()
		var raw bytes.Buffer
		br := bufio.NewReader(io.TeeReader(c, &raw))
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, req.Body)
			// What was consumed from raw so far, minus what br still buffers.
			consumed := raw.Len() - br.Buffered()
			ss.mu.Lock()
			ss.reqs = append(ss.reqs, seen{id, string(raw.Bytes()[:consumed]), req})
			ss.mu.Unlock()
			raw.Next(consumed)
			head, body := "HTTP/1.1 200 OK\r\n", "ok"
			if respond != nil {
				head, body = respond(req)
			}
			if _, err := fmt.Fprintf(c, "%sContent-Length: %d\r\n\r\n%s", head, len(body), body); err != nil {
				return
			}
		}
	})
	return ss
}

func (ss *scriptServer) all() []seen {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return append([]seen(nil), ss.reqs...)
}

// requests returns every request received, raw.
func (ss *scriptServer) requests() []string {
	all := ss.all()
	out := make([]string, len(all))
	for i, r := range all {
		out[i] = r.raw
	}
	return out
}

func TestRequestIsSiegesByteForByte(t *testing.T) {
	ss := newScriptServer(t, nil)
	host := strings.TrimPrefix(ss.URL, "http://")
	post, err := ParseTarget(ss.URL+"/p?x=1 POST a=b&c=d", "")
	if err != nil {
		t.Fatal(err)
	}
	del := Target{Method: "DELETE", URL: ss.URL + "/d"}
	o := opts(1, 3)
	o.UserAgent = DefaultUserAgent("9.9")
	mustRun(t, []Target{get(ss.URL + "/g"), post, del}, o)
	ua := "Mozilla/5.0 (" + platform() + ") loadgen/9.9"
	want := []string{
		"GET /g HTTP/1.1\r\nHost: " + host + "\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nUser-Agent: " + ua +
			"\r\nConnection: keep-alive\r\n\r\n",
		"POST /p?x=1 HTTP/1.1\r\nHost: " + host + "\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nUser-Agent: " + ua +
			"\r\nConnection: keep-alive\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=b&c=d",
		"DELETE /d HTTP/1.1\r\nHost: " + host + "\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\nUser-Agent: " + ua +
			"\r\nConnection: keep-alive\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n",
	}
	got := ss.all()
	for i := range want {
		if i >= len(got) || got[i].raw != want[i] {
			t.Errorf("request %d:\n got %q\nwant %q", i, got[min(i, len(got)-1)].raw, want[i])
		}
	}
	// -H replaces siege's own headers of the same name; others follow User-Agent in order.
	ss2 := newScriptServer(t, nil)
	o = opts(1, 1)
	o.UserAgent, o.Close, o.Protocol = "a/1", true, "HTTP/1.0"
	o.Headers = []Header{{"X-B", "2"}, {"Accept", "text/html"}, {"Host", "v.test"}, {"Accept-Encoding", "br"}}
	mustRun(t, []Target{{Method: "PUT", URL: ss2.URL + "/u", Body: []byte("{}"), ContentType: "application/json"}}, o)
	if got := ss2.all()[0].raw; got != "PUT /u HTTP/1.0\r\nUser-Agent: a/1\r\nX-B: 2\r\nAccept: text/html\r\nHost: v.test\r\nAccept-Encoding: br\r\n"+
		"Connection: close\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" {
		t.Errorf("with -H:\n%q", got)
	}
	for _, bad := range []Header{{"Content-Length", "3"}, {"X-A", "1\r\nX-B: 2"}, {"Bad Name", "x"}} {
		o.Headers = []Header{bad}
		if _, err := New([]Target{get(ss.URL)}, o); err == nil {
			t.Errorf("header %q accepted", bad)
		}
	}
}

// cookieSite sets cookies on /login and /set, and echoes nothing.
func cookieSite(r *http.Request) (string, string) {
	h := "HTTP/1.1 200 OK\r\n"
	switch r.URL.Path {
	case "/login":
		h += "Set-Cookie: uid=" + r.URL.Query().Get("u") + "; Path=/\r\n"
	case "/set":
		h += "Set-Cookie: a=1; Path=/\r\nSet-Cookie: sub=2; Path=/sub\r\nSet-Cookie: brief=3; Path=/; Max-Age=1\r\n"
	}
	return h, "ok"
}

func byCookie(reqs []seen, name string) map[string][]seen {
	out := map[string][]seen{}
	for _, r := range reqs {
		v := ""
		if c, err := r.req.Cookie(name); err == nil {
			v = c.Value
		}
		out[v] = append(out[v], r)
	}
	return out
}

func TestCookiesArePerUserAndFollowPathAndExpiry(t *testing.T) {
	ss := newScriptServer(t, cookieSite)
	o := opts(3, 4)
	o.Logins = []Target{get(ss.URL + "/login?u=0"), get(ss.URL + "/login?u=1"), get(ss.URL + "/login?u=2")}
	targets := []Target{get(ss.URL + "/set"), get(ss.URL + "/a"), get(ss.URL + "/sub/b"), get(ss.URL + "/a")}
	res := mustRun(t, targets, o)
	if res.Transactions != 15 {
		t.Fatalf("%d transactions, want 3 logins + 3x4", res.Transactions)
	}
	users := byCookie(ss.all(), "uid")
	for u := 0; u < 3; u++ {
		reqs := users[fmt.Sprint(u)]
		if len(reqs) != 4 {
			t.Fatalf("user %d sent %d requests with its cookie, want 4 (all after its login): %v", u, len(reqs), users)
		}
		set := false // this user's cookies from /set come after its first /set
		for _, r := range reqs {
			h, p := r.req.Header.Get("Cookie"), r.req.URL.Path
			want := fmt.Sprintf("uid=%d", u)
			switch {
			case set && p == "/sub/b":
				want = fmt.Sprintf("sub=2;uid=%d;a=1;brief=3", u) // longer path first, then by age
			case set:
				want = fmt.Sprintf("uid=%d;a=1;brief=3", u) // not the /sub cookie
			}
			if h != want {
				t.Errorf("user %d %s: Cookie %q, want %q", u, p, h, want)
			}
			set = set || p == "/set"
		}
	}
	if n := len(users[""]); n != 3 {
		t.Fatalf("%d requests without a session cookie, want the 3 logins", n)
	}
	// --no-cookies: nothing goes back.
	ss2 := newScriptServer(t, cookieSite)
	o = opts(1, 2)
	o.NoCookies = true
	mustRun(t, []Target{get(ss2.URL + "/set")}, o)
	for _, r := range ss2.all() {
		if r.req.Header.Get("Cookie") != "" {
			t.Fatalf("NoCookies sent %q", r.req.Header.Get("Cookie"))
		}
	}
}

func TestExpireSessionStartsOverEachRound(t *testing.T) {
	ss := newScriptServer(t, cookieSite)
	o := opts(1, 4)
	o.ExpireSession = true
	mustRun(t, []Target{get(ss.URL + "/set"), get(ss.URL + "/a")}, o)
	var got []string
	for _, r := range ss.all() {
		got = append(got, r.req.URL.Path+"["+r.req.Header.Get("Cookie")+"]")
	}
	if want := "/set[] /a[a=1;brief=3] /set[] /a[a=1;brief=3]"; strings.Join(got, " ") != want {
		t.Fatalf("got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestBasicChallengeIsAnsweredAsSiegeDoes(t *testing.T) {
	ss := newScriptServer(t, func(r *http.Request) (string, string) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "ann" || pass != "s3cret" {
			return "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"shop\"\r\n", "no"
		}
		return "HTTP/1.1 200 OK\r\n", "ok"
	})
	o := opts(2, 3)
	o.Credentials = []Credential{{User: "x", Password: "wrong", Realm: "other"}, {User: "ann", Password: "s3cret"}}
	res := mustRun(t, []Target{get(ss.URL + "/")}, o)
	// Per user: 401 and its answer, then two requests with credentials.
	if res.Transactions != 8 || res.Status[401] != 2 || res.Status[200] != 6 {
		t.Fatalf("transactions %d, status %v", res.Transactions, res.Status)
	}
	o.Credentials = []Credential{{User: "ann", Password: "s3cret", Realm: "elsewhere"}}
	res = mustRun(t, []Target{get(ss.URL + "/")}, o)
	if res.Status[401] != 6 || res.Transactions != 6 {
		t.Fatalf("no credentials for the realm: status %v", res.Status)
	}
	if s := fmt.Sprintf("%v %#v %s", o.Credentials[0], o.Credentials[0], o.Credentials[0]); strings.Contains(s, "s3cret") {
		t.Fatalf("a credential printed its password: %s", s)
	}
}

func TestLoginRequestsComeFirstRoundRobin(t *testing.T) {
	ss := newScriptServer(t, nil)
	o := opts(3, 2)
	o.Close = true
	login, err := ParseTarget(ss.URL+"/login1 POST user=a&pw=1", "")
	if err != nil {
		t.Fatal(err)
	}
	o.Logins = []Target{login, get(ss.URL + "/login2?u=b")}
	var verbose bytes.Buffer
	o.Verbose = &verbose
	mustRun(t, []Target{get(ss.URL + "/x")}, o)
	var logins []string
	for _, r := range ss.all() {
		if strings.HasPrefix(r.req.URL.Path, "/login") {
			logins = append(logins, r.req.Method+" "+r.req.URL.RequestURI())
		}
	}
	sort.Strings(logins)
	if strings.Join(logins, ",") != "GET /login2?u=b,POST /login1,POST /login1" || len(ss.all()) != 9 {
		t.Fatalf("logins %v of %d requests", logins, len(ss.all()))
	}
	if strings.Contains(verbose.String(), "u=b") || !strings.Contains(verbose.String(), "/login2?xxxxx") {
		t.Fatalf("verbose shows the login query:\n%s", verbose.String())
	}
}

func TestMaxFailuresEndsTheRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // refused from now on
	o := opts(4, 0)
	o.Duration = 20 * time.Second
	o.MaxFailures = 50
	start := time.Now()
	res := mustRun(t, []Target{get("http://" + addr + "/")}, o)
	if res.Reason != "failures" || res.Failed < 50 || res.Failed > 50+4 || time.Since(start) > 10*time.Second {
		t.Fatalf("reason %q, failed %d after %v", res.Reason, res.Failed, time.Since(start))
	}
}

func TestZeroDataFailCountsEmptyBodies(t *testing.T) {
	ss := newScriptServer(t, func(*http.Request) (string, string) { return "HTTP/1.1 200 OK\r\n", "" })
	o := opts(1, 3)
	res := mustRun(t, []Target{get(ss.URL + "/")}, o)
	if res.Transactions != 3 || res.Failed != 0 {
		t.Fatalf("zero data ok: %d %d", res.Transactions, res.Failed)
	}
	o.ZeroDataFail = true
	res = mustRun(t, []Target{get(ss.URL + "/")}, o)
	if res.Transactions != 0 || res.Failed != 3 || !strings.Contains(res.ErrorSamples["other"], "zero-data-ok") {
		t.Fatalf("zero data fail: %d %d %v", res.Transactions, res.Failed, res.ErrorSamples)
	}
}

func TestDebugShowsHeadsWithoutCredentials(t *testing.T) {
	ss := newScriptServer(t, cookieSite)
	var dbg bytes.Buffer
	o := opts(1, 1)
	o.Debug = &dbg
	o.Logins = []Target{get(ss.URL + "/login?u=7&pass=hunter2")}
	mustRun(t, []Target{get(strings.Replace(ss.URL, "http://", "http://ann:pw9@", 1) + "/x")}, o)
	out := dbg.String()
	for _, want := range []string{"GET /login?xxxxx HTTP/1.1\r\n", "Set-Cookie: uid=7", "Authorization: xxxxx\r\n", "Cookie: uid=7\r\n", "HTTP/1.1 200 OK"} {
		if !strings.Contains(out, want) {
			t.Errorf("debug lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") || strings.Contains(out, "YW5uOnB3OQ") {
		t.Fatalf("debug shows credentials:\n%s", out)
	}
}

func TestParserReadsCompressedPagesAndBytesAreWireBytes(t *testing.T) {
	var page bytes.Buffer
	zw := gzip.NewWriter(&page)
	_, _ = zw.Write([]byte(`<html>` + strings.Repeat("<p>padding</p>", 500) + `<img src="/a.png"></html>`))
	_ = zw.Close()
	ss := newScriptServer(t, func(r *http.Request) (string, string) {
		if r.URL.Path == "/" {
			return "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n", page.String()
		}
		return "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n", "png"
	})
	o := opts(1, 2)
	o.Parser = func(dst []string, body []byte, _ *url.URL) []string {
		if bytes.Contains(body, []byte(`src="/a.png"`)) {
			dst = append(dst, ss.URL+"/a.png")
		}
		return dst
	}
	res := mustRun(t, []Target{get(ss.URL + "/")}, o)
	if res.Transactions != 4 {
		t.Fatalf("%d transactions, want 2 pages + 2 assets", res.Transactions)
	}
	headLen := len(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", page.Len()))
	assetLen := len("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 3\r\n\r\npng")
	if want := int64(2 * (headLen + page.Len() + assetLen)); res.Bytes != want {
		t.Fatalf("bytes %d, want %d (as on the wire)", res.Bytes, want)
	}
}

func TestProxyAbsoluteFormAndConnect(t *testing.T) {
	// An https origin reached through the proxy's CONNECT tunnel.
	origin := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "secure") }))
	defer origin.Close()
	var mu sync.Mutex
	var lines []string
	proxyURL := testsupport.RawServer(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		mu.Lock()
		lines = append(lines, req.Method+" "+req.RequestURI+" "+req.Proto+" auth="+req.Header.Get("Proxy-Authorization")+" ua="+req.Header.Get("User-Agent"))
		mu.Unlock()
		if req.Method != "CONNECT" {
			fmt.Fprint(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nplain")
			return
		}
		up, err := net.Dial("tcp", strings.TrimPrefix(origin.URL, "https://"))
		if err != nil {
			return
		}
		defer up.Close()
		fmt.Fprint(c, "HTTP/1.0 200 Connection established\r\n\r\n")
		go func() { _, _ = io.Copy(up, br) }()
		_, _ = io.Copy(c, up)
	})
	o := opts(1, 1)
	o.Insecure = true
	o.Proxy = strings.TrimPrefix(proxyURL, "http://")
	o.ProxyAuth = &Credential{User: "pu", Password: "pp"}
	o.Reps = 2
	res := mustRun(t, []Target{get("http://site.invalid/x?y=1"), get(origin.URL + "/s")}, o)
	if res.Transactions != 2 || res.Failed != 0 {
		t.Fatalf("through proxy: %d transactions, %v", res.Transactions, res.ErrorSamples)
	}
	mu.Lock()
	defer mu.Unlock()
	want := "GET http://site.invalid:80/x?y=1 HTTP/1.1 auth=Basic cHU6cHA= ua=" + o.UserAgent
	if len(lines) != 2 || lines[0] != want || !strings.HasPrefix(lines[1], "CONNECT "+strings.TrimPrefix(origin.URL, "https://")+" HTTP/1.0 auth=Basic cHU6cHA= ua=Proxy-User") {
		t.Fatalf("proxy saw:\n%s", strings.Join(lines, "\n"))
	}
	if _, err := New([]Target{get(origin.URL)}, Options{Users: 1, Proxy: "nope"}); err == nil {
		t.Fatal("bad proxy address accepted")
	}
}
