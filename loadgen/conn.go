package loadgen

// This file: a user's connections: dial, exchange, deadlines, byte counting.

import (
	"bufio"
	"context"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// exchange writes raw on a connection to h and reads the response into
// u.resp. A reused keep-alive connection that the server closed while idle
// is redialled once, as browsers do; any other failure is returned.
func (u *user) exchange(h *hostInfo, raw []byte, head bool, now time.Duration) error {
	u.addr = nil
	for attempt := 0; ; attempt++ {
		c := u.conns[h.id]
		if c == nil {
			var err error
			if c, err = u.dial(h); err != nil {
				return err
			}
		}
		u.addr = c.addr
		if err := c.arm(u.r.start, now, u.r.opts.Timeout); err != nil {
			u.drop(h, c)
			return err
		}
		if u.r.ending() {
			return context.Canceled
		}
		c.readNow = 0
		reused := c.served > 0
		var err error
		if !c.send(raw, u.buffered(c)) {
			_, err = c.nc.Write(raw)
		}
		if err == nil {
			err = c.wait() // no buffer or response is held while the response is on its way
		}
		resp := u.response()
		if err == nil {
			// The head only: SkipBody keeps fasthttp from sizing a buffer
			// from Content-Length; readBody reads the body, bounded.
			resp.SkipBody = true
			if err = resp.Read(u.reader(c)); err == nil {
				err = u.readBody(head)
			} else if _, ok := err.(*fasthttp.ErrSmallBuffer); ok {
				err = ErrHeaderTooLarge
			}
		}
		if err != nil {
			u.drop(h, c)
			if reused && attempt == 0 && c.readNow == 0 && Classify(err) == ErrReset && !u.r.ending() {
				continue
			}
			return err
		}
		u.unread()
		c.served++
		if u.r.opts.Close || resp.ConnectionClose() || resp.StatusCode() == 101 || c.addr.gone.Load() {
			u.drop(h, c)
		}
		return nil
	}
}

// buffered is how many bytes of c's stream the user's reader holds.
func (u *user) buffered(c *conn) int {
	if u.br == nil || u.brOn != c {
		return 0
	}
	return u.br.Buffered()
}

// reader returns a read buffer on c, from the pool unless the user still
// holds one.
func (u *user) reader(c *conn) *bufio.Reader {
	if u.br == nil {
		u.br = u.r.readers.get()
	}
	if u.brOn != c {
		u.br.Reset(c)
		u.brOn = c
	}
	return u.br
}

// unread gives the read buffer back once it holds nothing of the stream.
func (u *user) unread() {
	if u.br != nil && u.br.Buffered() == 0 {
		u.putReader()
	}
}

// putReader gives the read buffer (if any) back to the pool.
func (u *user) putReader() {
	if u.br != nil {
		u.br.Reset(nil)
		u.r.readers.put(u.br)
	}
	u.br, u.brOn = nil, nil
}

func (u *user) drop(h *hostInfo, c *conn) {
	u.mu.Lock()
	if u.conns[h.id] == c {
		u.conns[h.id] = nil
	}
	u.mu.Unlock()
	if u.brOn == c {
		u.putReader()
	}
	_ = c.nc.Close()
}

func (u *user) closeAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for i, c := range u.conns {
		if c != nil {
			_ = c.nc.Close()
			u.conns[i] = nil
		}
	}
}

// conn is one user's connection; it counts the bytes it reads.
type conn struct {
	nc       net.Conn
	u        *user
	addr     *address
	deadline time.Duration // offset from the run's start
	served   int
	readNow  int

	// The write-then-read path (rawio_linux.go); rc is nil where it is not used.
	rc      syscall.RawConn
	waitFn  func(fd uintptr) bool
	readFn  func(fd uintptr) bool
	pending []byte // a request to write before waiting
	buf     []byte
	n       int
	err     error
	op      string
}

func (c *conn) Read(p []byte) (int, error) {
	var n int
	var err error
	if c.rc != nil {
		n, err = c.rawRead(p)
	} else {
		n, err = c.nc.Read(p)
	}
	if n > 0 {
		c.readNow += n
		c.u.nread += int64(n)
	}
	return n, err
}

// arm sets the connection's deadline for a request starting now. To save a
// timer update per request the deadline is only moved when less than 7/8 of
// the timeout remains, so a request times out between 7/8 and 8/8 of it.
func (c *conn) arm(start time.Time, now, timeout time.Duration) error {
	if c.deadline-now >= timeout-timeout/8 {
		return nil
	}
	c.deadline = now + timeout
	return c.nc.SetDeadline(start.Add(c.deadline))
}

var _ io.Reader = (*conn)(nil)
