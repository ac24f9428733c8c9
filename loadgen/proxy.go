package loadgen

// This file: a forward HTTP proxy (siege's proxy-host, proxy-port,
// proxy-login): plain http requests go to it in absolute form (request.go),
// https ones through a CONNECT tunnel opened here.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"
)

type proxyInfo struct {
	addr string // host:port
	auth *Credential
}

func newProxy(addr string, auth *Credential) (*proxyInfo, error) {
	if addr == "" {
		if auth != nil {
			return nil, errors.New("proxy credentials without a proxy")
		}
		return nil, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return nil, fmt.Errorf("proxy %q: want host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("proxy %q: bad port", addr)
	}
	return &proxyInfo{addr: addr, auth: auth}, nil
}

// dialAddr is where a connection for h is dialled: h itself, or the proxy.
func (r *Runner) dialAddr(h *hostInfo) string {
	if r.proxy != nil {
		return r.proxy.addr
	}
	return h.addr
}

// tunnelCtx is tunnel, cut short when the run ends.
func (r *Runner) tunnelCtx(nc net.Conn, h *hostInfo) error {
	if r.proxy == nil || !h.tls {
		return nil
	}
	stop := context.AfterFunc(r.ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	return r.tunnel(nc, h)
}

// tunnel opens a CONNECT tunnel to h through the proxy on nc, for https.
// The request is siege's, byte for byte (plus Proxy-Authorization when
// credentials are configured); any 2xx answer opens the tunnel.
func (r *Runner) tunnel(nc net.Conn, h *hostInfo) error {
	if r.proxy == nil || !h.tls {
		return nil
	}
	req := append([]byte("CONNECT "), h.addr...)
	req = append(req, " HTTP/1.0\r\nUser-agent: Proxy-User\r\n"...)
	if a := r.proxy.auth; a != nil {
		req = appendBasic(req, "Proxy-Authorization", a.User, a.Password)
	}
	req = append(req, "\r\n"...)
	if err := nc.SetDeadline(time.Now().Add(r.opts.Timeout)); err != nil {
		return err
	}
	if _, err := nc.Write(req); err != nil {
		return fmt.Errorf("proxy CONNECT %s: %w", h.addr, err)
	}
	// Read the answer's head byte by byte: the tunnel's first bytes belong to TLS.
	var head []byte
	one := make([]byte, 1)
	for !bytes.HasSuffix(head, []byte("\r\n\r\n")) && !bytes.HasSuffix(head, []byte("\n\n")) {
		if len(head) > 16<<10 {
			return fmt.Errorf("proxy CONNECT %s: answer head too long", h.addr)
		}
		if _, err := nc.Read(one); err != nil {
			return fmt.Errorf("proxy CONNECT %s: %w", h.addr, err)
		}
		head = append(head, one[0])
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 2 || !bytes.HasPrefix(f[0], []byte("HTTP/")) || len(f[1]) != 3 || f[1][0] != '2' {
		return fmt.Errorf("proxy CONNECT %s: %s", h.addr, bytes.TrimSpace(line))
	}
	return nc.SetDeadline(time.Time{})
}
