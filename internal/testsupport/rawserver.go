package testsupport

import (
	"bufio"
	"net"
	"sync"
	"testing"
)

// RawServer listens on 127.0.0.1 and hands each connection it accepts to
// serve, in a goroutine of its own. When the test ends it stops listening,
// closes every connection it accepted and waits for the serve calls to
// return. It returns the server's URL, "http://127.0.0.1:port".
func RawServer(t testing.TB, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var conns []net.Conn // the accept loop's alone until it ends
	accepting := make(chan struct{})
	go func() {
		defer close(accepting)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
			wg.Add(1)
			go func() { defer wg.Done(); serve(c) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-accepting // no connection comes after this
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	})
	return "http://" + ln.Addr().String()
}

// SilentServer is a RawServer that accepts connections and never answers
// (nor reads): an endpoint that hangs. It returns the server's URL.
func SilentServer(t testing.TB) string {
	t.Helper()
	return RawServer(t, func(net.Conn) {})
}

// ReadHead reads one HTTP request head, up to and including its empty
// line; false when the connection ended first.
func ReadHead(br *bufio.Reader) bool {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return false
		}
		if len(line) <= 2 {
			return true
		}
	}
}
