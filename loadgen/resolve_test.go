package loadgen

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// fakeDNS is the run's resolver for tests (DNS is the boundary): names map
// to addresses the test sets, and it counts lookups.
type fakeDNS struct {
	mu      sync.Mutex
	answers map[string][]netip.Addr
	lookups map[string]int
}

func newFakeDNS() *fakeDNS {
	return &fakeDNS{answers: map[string][]netip.Addr{}, lookups: map[string]int{}}
}

func (f *fakeDNS) set(host string, addrs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers[host] = nil
	for _, a := range addrs {
		f.answers[host] = append(f.answers[host], netip.MustParseAddr(a))
	}
}

func (f *fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lookups[host]++
	if a, ok := f.answers[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (f *fakeDNS) count(host string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lookups[host]
}

// addrServer is a fasthttp server on one loopback address that counts
// requests and connections and remembers the Host headers it saw.
type addrServer struct {
	reqs, conns atomic.Int64
	mu          sync.Mutex
	hosts       map[string]int
}

// host is how many requests had Host h.
func (as *addrServer) host(h string) int {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.hosts[h]
}

// serveOn starts an addrServer on ln.
func serveOn(t *testing.T, ln net.Listener) *addrServer {
	t.Helper()
	as := &addrServer{hosts: map[string]int{}}
	srv := &fasthttp.Server{
		Handler: func(ctx *fasthttp.RequestCtx) {
			as.reqs.Add(1)
			as.mu.Lock()
			as.hosts[string(ctx.Host())]++
			as.mu.Unlock()
			ctx.SetBodyString("ok")
		},
		ConnState: func(_ net.Conn, st fasthttp.ConnState) {
			if st == fasthttp.StateNew {
				as.conns.Add(1)
			}
		},
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return as
}

// listenPair listens on 127.0.0.1 and 127.0.0.2 with the same port (both
// are loopback on Linux), as two addresses of one name would be.
func listenPair(t *testing.T) (port int, a, b net.Listener) {
	t.Helper()
	for range 20 {
		l1, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = l1.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", "127.0.0.2:"+strconv.Itoa(port))
		if err == nil {
			return port, l1, l2
		}
		l1.Close()
		if strings.Contains(err.Error(), "assign requested address") {
			t.Skipf("127.0.0.2 is not a local address here: %v", err)
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and 127.0.0.2")
	return 0, nil, nil
}

func TestEveryAddressIsUsedRoundRobin(t *testing.T) {
	port, l1, l2 := listenPair(t)
	s1, s2 := serveOn(t, l1), serveOn(t, l2)
	dns := newFakeDNS()
	dns.set("lb.test", "127.0.0.1", "127.0.0.2")
	o := opts(10, 50)
	o.Resolver = dns
	url := fmt.Sprintf("http://lb.test:%d/", port)
	res := mustRun(t, []Target{get(url)}, o)
	if s1.conns.Load() != 5 || s2.conns.Load() != 5 {
		t.Fatalf("connections %d and %d, want 5 and 5", s1.conns.Load(), s2.conns.Load())
	}
	if s1.reqs.Load() != 250 || s2.reqs.Load() != 250 || res.Transactions != 500 {
		t.Fatalf("requests %d and %d of %d, want 250 each", s1.reqs.Load(), s2.reqs.Load(), res.Transactions)
	}
	host := fmt.Sprintf("lb.test:%d", port)
	if s1.host(host) != 250 || s2.host(host) != 250 {
		t.Fatalf("Host headers %d and %d times %s, want 250 each", s1.host(host), s2.host(host), host)
	}
	want := []AddressResult{
		{Host: "lb.test", Address: fmt.Sprintf("127.0.0.1:%d", port), Requests: 250},
		{Host: "lb.test", Address: fmt.Sprintf("127.0.0.2:%d", port), Requests: 250},
	}
	if fmt.Sprint(res.Addresses) != fmt.Sprint(want) {
		t.Fatalf("addresses %+v, want %+v", res.Addresses, want)
	}
}

// TestNewAnswerMovesNewConnections: mid-run the name stops resolving to
// 127.0.0.1. Connections there finish their request and close; the users
// reconnect to 127.0.0.2, which then takes every request.
func TestNewAnswerMovesNewConnections(t *testing.T) {
	port, l1, l2 := listenPair(t)
	s1, s2 := serveOn(t, l1), serveOn(t, l2)
	dns := newFakeDNS()
	dns.set("lb.test", "127.0.0.1", "127.0.0.2")
	o := opts(6, 0)
	o.Resolver = dns
	o.ResolveEvery = 50 * time.Millisecond
	o.Duration = 1500 * time.Millisecond
	o.Delay = 5 * time.Millisecond // keep the servers' counters readable
	time.AfterFunc(500*time.Millisecond, func() { dns.set("lb.test", "127.0.0.2") })
	var atSwitch, settled atomic.Int64
	time.AfterFunc(480*time.Millisecond, func() { atSwitch.Store(s1.reqs.Load()) })
	time.AfterFunc(900*time.Millisecond, func() { settled.Store(s1.reqs.Load()) })
	res := mustRun(t, []Target{get(fmt.Sprintf("http://lb.test:%d/", port))}, o)
	if atSwitch.Load() == 0 {
		t.Fatal("127.0.0.1 served nothing before the switch")
	}
	if end := s1.reqs.Load(); end != settled.Load() {
		t.Fatalf("127.0.0.1 served %d requests after the new answer had settled", end-settled.Load())
	}
	if s2.conns.Load() != 6 || s1.conns.Load() != 3 {
		t.Fatalf("connections: 127.0.0.1 %d (want 3), 127.0.0.2 %d (want 3 + 3 moved)", s1.conns.Load(), s2.conns.Load())
	}
	if res.Failed != 0 {
		t.Fatalf("failures while moving: %v", res.ErrorSamples)
	}
	if dns.count("lb.test") < 5 {
		t.Fatalf("%d lookups in 1.5 s at a 50 ms period", dns.count("lb.test"))
	}
	var sum int64
	for _, a := range res.Addresses {
		sum += a.Requests
		// The end of the run cuts up to one request per user short: the
		// server saw it, the run does not count it.
		saw, cut := s1.reqs.Load(), int64(0)
		if strings.HasPrefix(a.Address, "127.0.0.2") {
			saw, cut = s2.reqs.Load(), int64(o.Users)
		}
		if a.Requests > saw || a.Requests < saw-cut {
			t.Fatalf("address %s: %d requests reported, the server saw %d", a.Address, a.Requests, saw)
		}
	}
	if sum != res.Transactions {
		t.Fatalf("addresses add up to %d of %d transactions", sum, res.Transactions)
	}
}

// TestTLSUsesTheNameNotTheAddress: connecting to a resolved address, the
// TLS handshake still sends the name (SNI) and the request its Host.
func TestTLSUsesTheNameNotTheAddress(t *testing.T) {
	var mu sync.Mutex
	var sni []string
	var hosts []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hosts = append(hosts, r.Host)
		mu.Unlock()
		_, _ = w.Write([]byte("ok"))
	}))
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("127.0.0.2: %v", err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.TLS = &tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		sni = append(sni, h.ServerName)
		mu.Unlock()
		return nil, nil
	}}
	srv.StartTLS()
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	dns := newFakeDNS()
	dns.set("secure.test", "127.0.0.2")
	o := opts(2, 3)
	o.Resolver = dns
	o.Insecure = true
	res := mustRun(t, []Target{get(fmt.Sprintf("https://secure.test:%d/", port))}, o)
	if res.Transactions != 6 || res.Failed != 0 {
		t.Fatalf("%d transactions, errors %v", res.Transactions, res.ErrorSamples)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sni) != 2 || sni[0] != "secure.test" || sni[1] != "secure.test" {
		t.Fatalf("SNI %q, want secure.test on both connections", sni)
	}
	for _, h := range hosts {
		if h != fmt.Sprintf("secure.test:%d", port) {
			t.Fatalf("Host %q", h)
		}
	}
}

// TestPinsSkipTheResolver: --resolve sends a name to fixed addresses.
func TestPinsSkipTheResolver(t *testing.T) {
	port, l1, l2 := listenPair(t)
	s1, s2 := serveOn(t, l1), serveOn(t, l2)
	dns := newFakeDNS()
	p, err := ParsePin(fmt.Sprintf("pinned.test:%d:127.0.0.2", port))
	if err != nil {
		t.Fatal(err)
	}
	o := opts(3, 4)
	o.Resolver = dns
	o.Pins = []Pin{p}
	res := mustRun(t, []Target{get(fmt.Sprintf("http://pinned.test:%d/", port))}, o)
	if res.Transactions != 12 || s2.reqs.Load() != 12 || s1.reqs.Load() != 0 {
		t.Fatalf("transactions %d; 127.0.0.1 saw %d, 127.0.0.2 %d", res.Transactions, s1.reqs.Load(), s2.reqs.Load())
	}
	if n := dns.count("pinned.test"); n != 0 {
		t.Fatalf("the resolver was asked %d times for a pinned name", n)
	}
	// The same name on another port is not pinned.
	res = mustRun(t, []Target{get(fmt.Sprintf("http://pinned.test:%d/", port+1))}, o)
	if res.Errors["dns"] != 12 {
		t.Fatalf("another port: errors %v", res.Errors)
	}
}

func TestParsePin(t *testing.T) {
	good := map[string]string{
		"example.com:443:127.0.0.1":         "example.com:443:127.0.0.1",
		"Example.COM:80:10.0.0.1,10.0.0.2":  "example.com:80:10.0.0.1,10.0.0.2",
		"+api.test:8080:[::1]":              "api.test:8080:[::1]",
		"host:1:::1,127.0.0.1":              "host:1:[::1],127.0.0.1",
		"[::1]:443:127.0.0.1":               "[::1]:443:127.0.0.1",
		"lb.test:65535: 127.0.0.1 , [::2] ": "lb.test:65535:127.0.0.1,[::2]",
	}
	for in, want := range good {
		p, err := ParsePin(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePin(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "host", "host:80", "host:80:", "host:0:1.2.3.4", "host:70000:1.2.3.4",
		":80:1.2.3.4", "host:x:1.2.3.4", "host:80:not-an-ip", "[::1:80:1.2.3.4", "a b:80:1.2.3.4"} {
		if p, err := ParsePin(in); err == nil {
			t.Errorf("ParsePin(%q) accepted: %v", in, p)
		} else if !strings.Contains(err.Error(), "HOST:PORT:ADDR") {
			t.Errorf("ParsePin(%q): error %q does not show the syntax", in, err)
		}
	}
}

func FuzzParsePin(f *testing.F) {
	for _, s := range []string{"example.com:443:127.0.0.1", "+a:1:[::1],1.2.3.4", "[::1]:80:::1", "x:80:", "::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePin(s)
		if err != nil {
			return
		}
		if p.Host == "" || p.Port == 0 || len(p.Addrs) == 0 {
			t.Fatalf("%q parsed to an incomplete pin %+v", s, p)
		}
		again, err := ParsePin(p.String())
		if err != nil || again.String() != p.String() {
			t.Fatalf("%q -> %q -> %v, %v", s, p.String(), again, err)
		}
	})
}

// TestRefusedAddressFallsBackToAnother: a name with two addresses, a server
// on only one (localhost's ::1 and 127.0.0.1 often are): every connection
// ends up on the one that answers, and nothing fails.
func TestRefusedAddressFallsBackToAnother(t *testing.T) {
	port, l1, l2 := listenPair(t)
	l2.Close() // nothing on 127.0.0.2
	s1 := serveOn(t, l1)
	dns := newFakeDNS()
	dns.set("half.test", "127.0.0.2", "127.0.0.1")
	o := opts(4, 5)
	o.Resolver = dns
	res := mustRun(t, []Target{get(fmt.Sprintf("http://half.test:%d/", port))}, o)
	if res.Failed != 0 || res.Transactions != 20 || s1.reqs.Load() != 20 || s1.conns.Load() != 4 {
		t.Fatalf("%d transactions, %d failed (%v); the server saw %d on %d connections", res.Transactions, res.Failed, res.ErrorSamples, s1.reqs.Load(), s1.conns.Load())
	}
	for _, a := range res.Addresses {
		if want := int64(20); strings.HasPrefix(a.Address, "127.0.0.1") && a.Requests != want {
			t.Fatalf("addresses %+v", res.Addresses)
		}
	}
}
