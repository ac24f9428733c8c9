//go:build linux

package loadgen

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// The request path on a plain TCP connection makes one write and one read
// per request, as wrk does. Through net.Conn it makes two reads: Go's Read
// tries read(2) first, which right after the write nearly always fails with
// EAGAIN, then parks until epoll reports data, then reads again. Here the
// write is done inside RawConn.Read's callback, after the poller has been
// armed for this read, and the callback then reports "not ready" without
// trying: the goroutine parks at once and the only read is the one that
// finds the response. No readiness event can be lost: RawConn.Read resets
// the poller's state before it calls the callback, and the write comes after.

// useRaw sets up the write-then-read path for a plain TCP connection.
func (c *conn) useRaw() {
	tc, ok := c.nc.(*net.TCPConn)
	if !ok {
		return
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return
	}
	c.rc = rc
	c.rwFn = c.writeRead
}

// send arranges for raw to be written by the next Read; it returns false
// when that path is not available and the caller must write itself.
func (c *conn) send(raw []byte, buffered int) bool {
	if c.rc == nil || buffered != 0 {
		return false
	}
	c.pending = raw
	return true
}

// rawRead is conn.Read while a request is pending.
func (c *conn) rawRead(p []byte) (int, error) {
	c.buf, c.n, c.err = p, 0, nil
	err := c.rc.Read(c.rwFn)
	c.buf = nil
	if c.pending != nil {
		// The write met a full send buffer (or the poller failed before
		// it): finish it the ordinary way, then read the ordinary way.
		rest := c.pending
		c.pending = nil
		if err != nil {
			return 0, err
		}
		if _, err := c.nc.Write(rest); err != nil {
			return 0, err
		}
		return c.nc.Read(p)
	}
	switch {
	case err != nil:
		return 0, err
	case c.err != nil:
		return 0, &net.OpError{Op: c.op, Net: "tcp", Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: os.NewSyscallError(c.op, c.err)}
	case c.n == 0:
		return 0, io.EOF
	}
	return c.n, nil
}

// writeRead is the RawConn.Read callback: first call writes the pending
// request and waits; later calls read.
func (c *conn) writeRead(fd uintptr) bool {
	if w := c.pending; w != nil {
		for len(w) > 0 {
			n, err := rawSyscall(syscall.SYS_WRITE, fd, w)
			if err == syscall.EINTR {
				continue
			}
			if err == syscall.EAGAIN {
				c.pending = w // finished by rawRead through net.Conn
				return true
			}
			if err != 0 {
				c.pending, c.err, c.op = nil, err, "write"
				return true
			}
			w = w[n:]
		}
		c.pending = nil
		return false // park until the response arrives
	}
	for {
		n, err := rawSyscall(syscall.SYS_READ, fd, c.buf)
		switch err {
		case 0:
			c.n = n
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		}
		c.err, c.op = err, "read"
		return true
	}
}

// rawSyscall is read(2) or write(2) on a non-blocking socket without the
// scheduler's syscall bookkeeping: such calls never block, so the P need
// not be handed off, and sysmon never sees it "in a syscall" and starts
// another thread for it (which costs context switches on a busy CPU).
func rawSyscall(trap, fd uintptr, b []byte) (int, syscall.Errno) {
	if len(b) == 0 {
		return 0, 0
	}
	n, _, e := syscall.RawSyscall(trap, fd, uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), e
}
