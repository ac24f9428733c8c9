package loadgen

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/testsupport"
)

// TestLargeBodyFallsBackToNetConnWrite: a body larger than the socket
// buffers, to a server that starts reading late, makes the one-read path's
// write stop at EAGAIN; the rest goes through net.Conn and the exchange
// completes with every byte delivered.
func TestLargeBodyFallsBackToNetConnWrite(t *testing.T) {
	got := make(chan int64, 4)
	url := testsupport.RawServer(t, func(c net.Conn) {
		defer c.Close()
		time.Sleep(200 * time.Millisecond) // let the client fill the buffers
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			n, _ := io.Copy(io.Discard, req.Body)
			got <- n
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
				return
			}
		}
	})
	body := make([]byte, 32<<20)
	res := mustRun(t, []Target{{Method: "POST", URL: url + "/up", Body: body}}, opts(1, 2))
	if res.Transactions != 2 || res.Failed != 0 {
		t.Fatalf("%d transactions, %d failed: %v", res.Transactions, res.Failed, res.ErrorSamples)
	}
	for range 2 {
		if n := <-got; n != int64(len(body)) {
			t.Fatalf("server read %d body bytes, want %d", n, len(body))
		}
	}
}

// TestBothIOPathsAgree: the one-read path and net.Conn's path send the
// same requests and count the same bytes.
func TestBothIOPathsAgree(t *testing.T) {
	srv := newCountingServer(t, nil)
	var bytes [2]int64
	for i, netConn := range []bool{false, true} {
		o := opts(3, 50)
		o.netConnIO = netConn
		res := mustRun(t, []Target{get(srv.URL + "/x")}, o)
		if res.Transactions != 150 || res.Failed != 0 || res.Status[200] != 150 {
			t.Fatalf("netConnIO=%v: %d transactions, %d failed", netConn, res.Transactions, res.Failed)
		}
		bytes[i] = res.Bytes
	}
	if bytes[0] != bytes[1] || bytes[0] == 0 {
		t.Fatalf("bytes received: %d on the one-read path, %d through net.Conn", bytes[0], bytes[1])
	}
}

// TestResetMidResponseIsAnError: a server that closes in the middle of a
// response on the one-read path gives a classified error, not a hang.
func TestResetMidResponseIsAnError(t *testing.T) {
	url := testsupport.RawServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			c.Close()
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
		c.Close()
	})
	res := mustRun(t, []Target{get(url + "/")}, opts(1, 1))
	if res.Failed != 1 || res.Errors["reset"] != 1 {
		t.Fatalf("failed %d, errors %v", res.Failed, res.Errors)
	}
}
