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
// trying: the goroutine parks at once. When it wakes the response is there,
// and only then does the user take a read buffer from the pool (an idle or
// waiting connection holds none); the one read finds the response. No
// readiness event can be lost: RawConn.Read resets the poller's state before
// it calls the callback, and the write comes after.

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
	c.waitFn = c.writeWait
	c.readFn = c.readRaw
}

// send arranges for raw to be written by wait; it returns false when that
// path is not available and the caller must write itself.
func (c *conn) send(raw []byte, buffered int) bool {
	if c.rc == nil || buffered != 0 {
		return false
	}
	c.pending = raw
	return true
}

// wait writes the pending request and parks until the response starts to
// arrive (or the deadline passes). Without a pending request it returns at
// once and the reads wait.
func (c *conn) wait() error {
	if c.pending == nil {
		return nil
	}
	c.err = nil
	err := c.rc.Read(c.waitFn)
	if rest := c.pending; rest != nil {
		// The write met a full send buffer (or the poller failed before
		// it): finish it the ordinary way; the reads then wait.
		c.pending = nil
		if err != nil {
			return err
		}
		_, err = c.nc.Write(rest)
		return err
	}
	switch {
	case err != nil:
		return err
	case c.err != nil:
		return c.opError()
	}
	return nil
}

// writeWait is wait's RawConn.Read callback: the first call writes the
// pending request and parks; the next (the socket is readable) returns.
func (c *conn) writeWait(fd uintptr) bool {
	w := c.pending
	if w == nil {
		return true
	}
	for len(w) > 0 {
		n, err := rawSyscall(syscall.SYS_WRITE, fd, w)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			c.pending = w // finished by wait through net.Conn
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

// rawRead is conn.Read on the raw path: one read(2), parking while there
// is nothing to read.
func (c *conn) rawRead(p []byte) (int, error) {
	c.buf, c.n, c.err = p, 0, nil
	err := c.rc.Read(c.readFn)
	c.buf = nil
	switch {
	case err != nil:
		return 0, err
	case c.err != nil:
		return 0, c.opError()
	case c.n == 0:
		return 0, io.EOF
	}
	return c.n, nil
}

// readRaw is rawRead's RawConn.Read callback.
func (c *conn) readRaw(fd uintptr) bool {
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

func (c *conn) opError() error {
	return &net.OpError{Op: c.op, Net: "tcp", Source: c.nc.LocalAddr(), Addr: c.nc.RemoteAddr(), Err: os.NewSyscallError(c.op, c.err)}
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
