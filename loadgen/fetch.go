package loadgen

// This file: one request outside a load run (siege's -g and -p), through
// the same request builder and connection code as the run.

import (
	"bytes"
	"context"
)

// Exchange is one request as sent and its response as received.
type Exchange struct {
	Request []byte // the request as written: request line, headers and body
	Status  int
	Header  []byte // the response's status line and headers
	Body    []byte // the response body (none for HEAD), at most Options.MaxBody of it
	// Truncated is true when the body was longer than Options.MaxBody: Body
	// holds its start, and the rest was not read.
	Truncated bool
}

// RequestHeader returns the request line and headers, without the body.
func (e *Exchange) RequestHeader() []byte {
	if i := bytes.Index(e.Request, []byte("\r\n\r\n")); i >= 0 {
		return e.Request[:i+4]
	}
	return e.Request
}

// Do sends one request for t with opts (headers, Host, user agent, content
// type, protocol, TLS, timeout), built and sent exactly as a load run sends
// it, and returns the exchange. Redirects are not followed. Opts.Timeout
// bounds the exchange; cancelling ctx ends it at once.
func Do(ctx context.Context, t Target, opts Options) (*Exchange, error) {
	opts.Users, opts.Reps, opts.Once, opts.Rate = 1, 1, false, 0
	r, err := New([]Target{t}, opts)
	if err != nil {
		return nil, err
	}
	r.prepare(ctx)
	u := r.newUser(0)
	r.users[0] = u
	r.nUsers.Store(1)
	defer u.closeAll()
	p := &r.targets[0]
	stop := context.AfterFunc(ctx, r.stop)
	defer stop()
	u.fetch = true
	err = u.exchange(r.hosts[p.host], p.raw, p.head, 0)
	if err != nil && err != errBodyTruncated {
		if ctx.Err() != nil {
			return nil, ctx.Err() // cancelled: the connection's error is only the stop's echo
		}
		return nil, err
	}
	return &Exchange{
		Request:   bytes.Clone(p.raw),
		Status:    u.resp.Header.StatusCode(),
		Header:    bytes.Clone(u.resp.Header.Header()),
		Body:      bytes.Clone(u.body),
		Truncated: err == errBodyTruncated,
	}, nil
}
