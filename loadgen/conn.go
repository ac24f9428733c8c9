package loadgen

// This file: a user's connections: dial, exchange, deadlines, byte counting.

import (
	"context"
	"crypto/tls"
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
	for attempt := 0; ; attempt++ {
		c := u.conns[h.id]
		if c == nil {
			var err error
			if c, err = u.dial(h); err != nil {
				return err
			}
		}
		if err := c.arm(u.r.start, now, u.r.opts.Timeout); err != nil {
			u.drop(h, c)
			return err
		}
		if u.r.ending() {
			return context.Canceled
		}
		if u.brOn != c {
			u.br.Reset(c)
			u.brOn = c
		}
		c.readNow = 0
		reused := c.served > 0
		var err error
		if !c.send(raw, u.br.Buffered()) {
			_, err = c.nc.Write(raw)
		}
		if err == nil {
			// The head only: SkipBody keeps fasthttp from sizing a buffer
			// from Content-Length; readBody reads the body, bounded.
			u.resp.SkipBody = true
			if err = u.resp.Read(u.br); err == nil {
				if c.pending != nil {
					c.pending, err = nil, errNotSent
				} else {
					err = u.readBody(head)
				}
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
		c.served++
		if u.r.opts.Close || u.resp.ConnectionClose() || u.resp.StatusCode() == 101 {
			u.drop(h, c)
		}
		return nil
	}
}

func (u *user) dial(h *hostInfo) (*conn, error) {
	d := net.Dialer{Timeout: u.r.opts.Timeout}
	nc, err := d.DialContext(u.r.ctx, "tcp", u.r.dialAddr(h))
	if err != nil {
		return nil, err
	}
	if err := u.r.tunnelCtx(nc, h); err != nil {
		_ = nc.Close()
		return nil, err
	}
	if h.tls {
		cfg := u.r.tlsConfig.Clone()
		cfg.ServerName = h.serverName
		tc := tls.Client(nc, cfg)
		ctx, cancel := context.WithTimeout(u.r.ctx, u.r.opts.Timeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			_ = nc.Close()
			return nil, err
		}
		nc = tc
	}
	c := &conn{nc: nc, u: u}
	if !u.r.opts.netConnIO {
		c.useRaw()
	}
	u.mu.Lock()
	u.conns[h.id] = c
	u.mu.Unlock()
	if u.r.stopped.Load() {
		_ = nc.SetDeadline(time.Unix(1, 0))
	}
	return c, nil
}

func (u *user) drop(h *hostInfo, c *conn) {
	u.mu.Lock()
	if u.conns[h.id] == c {
		u.conns[h.id] = nil
	}
	u.mu.Unlock()
	if u.brOn == c {
		u.brOn = nil
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
	deadline time.Duration // offset from the run's start
	served   int
	readNow  int

	// The write-then-read path (rawio.go); rc is nil where it is not used.
	rc      syscall.RawConn
	rwFn    func(fd uintptr) bool
	pending []byte // a request to write before reading
	buf     []byte
	n       int
	err     error
	op      string
}

func (c *conn) Read(p []byte) (int, error) {
	var n int
	var err error
	if c.pending != nil {
		n, err = c.rawRead(p)
	} else {
		n, err = c.nc.Read(p)
	}
	if n > 0 {
		c.readNow += n
		c.u.bytes.Add(int64(n))
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
