package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/internal/redact"
	"github.com/loadgen/loadgen/loadgen"
)

// single runs siege's -g (HEAD, print headers) or -p (GET, print body).
// The body is streamed: -p prints at most --max-body of it and says so
// when there was more, so a server cannot make loadgen buffer without end.
// Ctrl+C stops it at once (exit 130).
func (a *app) single(ctx context.Context, s *settings, t loadgen.Target) error {
	c := &fasthttp.Client{
		MaxIdemponentCallAttempts: 1,
		NoDefaultUserAgentHeader:  true,
		ReadBufferSize:            loadgen.MaxHeaderBytes,
		StreamResponseBody:        true,
		TLSConfig:                 &tls.Config{InsecureSkipVerify: s.opts.Insecure}, //nolint:gosec // opt-in
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
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
	done := make(chan error, 1)
	go func() {
		done <- c.DoDeadline(req, resp, deadline)
	}()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// fasthttp's client cannot be cancelled: leave the request behind
		// (the process is about to exit) rather than wait for its timeout.
		return &quietExit{exitInterrupted}
	}
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	if err != nil {
		if _, ok := err.(*fasthttp.ErrSmallBuffer); ok {
			err = loadgen.ErrHeaderTooLarge
		}
		return setupErr(fmt.Errorf("%s %s: %s: %w", method, redact.Text(t.URL), loadgen.Classify(err), err))
	}
	if s.print {
		return a.printBody(ctx, resp, s.opts.MaxBody)
	}
	fmt.Fprintf(a.stdout, "%s\n%s", requestHead(req, t.URL), resp.Header.String())
	return nil
}

// printBody copies at most maxBody bytes of the body to stdout.
func (a *app) printBody(ctx context.Context, resp *fasthttp.Response, maxBody int) error {
	if maxBody <= 0 {
		maxBody = loadgen.DefaultMaxBody
	}
	body := resp.BodyStream()
	if body == nil {
		_, err := a.stdout.Write(resp.Body())
		return err
	}
	closed := make(chan struct{})
	stop := context.AfterFunc(ctx, func() { _ = resp.CloseBodyStream(); close(closed) })
	_, err := io.Copy(a.stdout, io.LimitReader(body, int64(maxBody)))
	more := false
	if err == nil {
		var one [1]byte
		n, _ := io.ReadFull(body, one[:])
		more = n == 1
	}
	if !stop() {
		<-closed
	}
	switch {
	case ctx.Err() != nil:
		return &quietExit{exitInterrupted}
	case err != nil && !errors.Is(err, io.EOF):
		return setupErr(fmt.Errorf("read body: %s: %w", loadgen.Classify(err), err))
	case more:
		fmt.Fprintf(a.stderr, "\nloadgen: printed the first %s of the body, which is longer (--max-body)\n", formatSize(int64(maxBody)))
	}
	return nil
}

// requestHead is the request's head as sent, with the password of a URL
// (sent as an Authorization header) hidden.
func requestHead(req *fasthttp.Request, rawURL string) string {
	head := req.Header.String()
	if u, err := url.Parse(rawURL); err == nil && u.User != nil {
		if auth := req.Header.Peek("Authorization"); len(auth) > 0 {
			head = strings.Replace(head, "Authorization: "+string(auth), "Authorization: Basic "+redact.Mask, 1)
		}
	}
	return head
}
