package loadgen

// This file: opening connections on a few dialling goroutines, so that the
// users' goroutines keep small stacks.

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"syscall"
	"time"
)

// maxDialers bounds the goroutines that dial at once. A connect and a TLS
// handshake need deep call stacks; made on the users' goroutines those
// stacks would stay with every user for the whole run (8 KB per user
// instead of 4 KB), and made on a goroutine per dial, 10,000 users
// starting at once would hold 10,000 of them at the peak.
const maxDialers = 512

// dialJob asks a dialler to open a connection to address a of h and hand
// it over on done.
type dialJob struct {
	h    *hostInfo
	a    *address
	done chan<- dialResult
}

// dialResult is what the dialler hands back to the user: the connection
// and the address it went to.
type dialResult struct {
	nc  net.Conn
	a   *address
	err error
}

// dial opens a connection to the next address of h and makes it the
// user's connection to h.
func (u *user) dial(h *hostInfo) (*conn, error) {
	a, err := u.r.pick(h)
	if err != nil {
		return nil, err
	}
	u.addr = a
	done := make(chan dialResult, 1) // per dial: a waiting user holds nothing of it
	u.r.submitDial(dialJob{h, a, done})
	d := <-done
	if d.err != nil {
		return nil, d.err
	}
	u.addr = d.a
	c := &conn{nc: d.nc, u: u, addr: d.a}
	if !u.r.opts.netConnIO {
		c.useRaw()
	}
	u.mu.Lock()
	u.conns[h.id] = c
	u.mu.Unlock()
	if u.r.stopped.Load() {
		_ = d.nc.SetDeadline(time.Unix(1, 0))
	}
	return c, nil
}

// submitDial queues a job and starts a dialler when fewer than maxDialers
// run. The queue has room for every user (a user waits for its one dial),
// so queueing never blocks.
func (r *Runner) submitDial(j dialJob) {
	r.dialQ <- j
	if r.dialers.Load() < maxDialers {
		if r.dialers.Add(1) <= maxDialers {
			go r.dialLoop()
			return
		}
		r.dialers.Add(-1)
	}
}

// dialLoop serves queued dials until the queue is empty. Before it leaves
// it looks at the queue once more after giving up its place: a job queued
// in between either sees the freed place and starts a dialler, or is seen
// here.
func (r *Runner) dialLoop() {
	for {
		select {
		case j := <-r.dialQ:
			nc, a, err := r.connect(j.h, j.a)
			j.done <- dialResult{nc, a, err}
			continue
		default:
		}
		r.dialers.Add(-1)
		if len(r.dialQ) == 0 {
			return
		}
		if r.dialers.Add(1) > maxDialers {
			r.dialers.Add(-1)
			return
		}
	}
}

// connect dials a (an address of h's host, or of the proxy) and, for https,
// makes the TLS handshake with the host's name (SNI and certificate checks
// use the name, not the address). When a refuses or cannot be reached, the
// host's other addresses are tried in turn, as Go's dialler does with a
// name's addresses (say localhost's ::1 and 127.0.0.1, with a server on
// only one of them); it returns the address connected to.
func (r *Runner) connect(h *hostInfo, a *address) (net.Conn, *address, error) {
	d := net.Dialer{Timeout: r.opts.Timeout}
	nc, err := d.DialContext(r.ctx, "tcp", a.hostPort)
	if err != nil && unreachable(err) {
		if list := h.ep.set.Load(); list != nil {
			for _, b := range *list {
				if b == a {
					continue
				}
				if c, err2 := d.DialContext(r.ctx, "tcp", b.hostPort); err2 == nil {
					nc, a, err = c, b, nil
					break
				}
			}
		}
	}
	if err != nil {
		return nil, a, err
	}
	nc, err = r.secure(nc, h)
	return nc, a, err
}

// unreachable reports whether a connect failed for want of a listener or a
// route, which another address of the host may have.
func unreachable(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) ||
		errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EADDRNOTAVAIL)
}

// secure opens the proxy's tunnel and the TLS session for https.
func (r *Runner) secure(nc net.Conn, h *hostInfo) (net.Conn, error) {
	if err := r.tunnelCtx(nc, h); err != nil { // through a proxy, for https
		_ = nc.Close()
		return nil, err
	}
	if !h.tls {
		return nc, nil
	}
	cfg := r.tlsConfig.Clone()
	cfg.ServerName = h.serverName
	tc := tls.Client(nc, cfg)
	ctx, cancel := context.WithTimeout(r.ctx, r.opts.Timeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		_ = nc.Close()
		return nil, err
	}
	return tc, nil
}
