package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/loadgen"
)

// single runs siege's -g (HEAD, print headers) or -p (GET, print body).
func (a *app) single(ctx context.Context, s *settings, t loadgen.Target) error {
	c := &fasthttp.Client{
		MaxIdemponentCallAttempts: 1,
		NoDefaultUserAgentHeader:  true,
		TLSConfig:                 &tls.Config{InsecureSkipVerify: s.opts.Insecure}, //nolint:gosec // opt-in
		Dial:                      pinnedDial(s.opts.Pins),
	}
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	method := "HEAD"
	if s.print {
		method = "GET"
	}
	if t.Method != "GET" {
		method = t.Method
	}
	req.Header.DisableNormalizing()
	req.SetRequestURI(t.URL)
	req.Header.SetMethod(method)
	req.Header.SetUserAgent(s.opts.UserAgent)
	for _, h := range s.opts.Headers {
		req.Header.Add(h.Name, h.Value)
	}
	if len(t.Body) > 0 {
		req.SetBody(t.Body)
		if s.opts.ContentType != "" {
			req.Header.SetContentType(s.opts.ContentType)
		}
	}
	deadline := time.Now().Add(s.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := c.DoDeadline(req, resp, deadline); err != nil {
		return setupErr(fmt.Errorf("%s %s: %s: %w", method, t.URL, loadgen.Classify(err), err))
	}
	if s.print {
		_, err := a.stdout.Write(resp.Body())
		return err
	}
	fmt.Fprintf(a.stdout, "%s\n%s", req.Header.String(), resp.Header.String())
	return nil
}
