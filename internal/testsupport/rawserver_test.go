package testsupport

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// When the test ends, RawServer closes the connections its serve calls
// still hold and waits for them: nothing outlives the test.
func TestRawServerEndsItsConnectionsWithTheTest(t *testing.T) {
	var served, returned atomic.Int64
	var client net.Conn
	t.Run("server", func(t *testing.T) {
		u := RawServer(t, func(c net.Conn) {
			served.Add(1)
			defer returned.Add(1)
			br := bufio.NewReader(c)
			for ReadHead(br) {
				if _, err := io.WriteString(c, "HTTP/1.1 204 No Content\r\n\r\n"); err != nil {
					return
				}
			}
		})
		if !strings.HasPrefix(u, "http://127.0.0.1:") {
			t.Fatalf("URL %q", u)
		}
		var err error
		client, err = net.Dial("tcp", strings.TrimPrefix(u, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		// Two heads in one write: each is answered.
		if _, err := io.WriteString(client, "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		want := "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
		got := make([]byte, len(want))
		_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(client, got); err != nil || string(got) != want {
			t.Fatalf("%q, %v", got, err)
		}
	})
	defer client.Close()
	if served.Load() != 1 || returned.Load() != 1 {
		t.Fatalf("served %d, returned %d after the test: want 1, 1", served.Load(), returned.Load())
	}
	_ = client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the client read %d bytes, %v: want io.EOF", n, err)
	}
}

// SilentServer accepts and never answers.
func TestSilentServerNeverAnswers(t *testing.T) {
	u := SilentServer(t)
	c, err := net.Dial("tcp", strings.TrimPrefix(u, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	n, err := c.Read(make([]byte, 1))
	if ne, ok := err.(net.Error); n != 0 || !ok || !ne.Timeout() {
		t.Fatalf("read %d bytes, %v: want a timeout", n, err)
	}
}

func TestReadHead(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody" + "GET /x HTTP/1.1\n\nGET /cut HTTP/1.1\r\n"))
	if !ReadHead(br) {
		t.Fatal("first head not read")
	}
	if rest, _ := br.Peek(4); string(rest) != "body" {
		t.Fatalf("after the first head: %q", rest)
	}
	_, _ = br.Discard(4)
	if !ReadHead(br) {
		t.Fatal("a head with bare newlines not read")
	}
	if ReadHead(br) {
		t.Fatal("a head cut short was read")
	}
}
