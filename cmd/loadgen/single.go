package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"slices"

	"github.com/loadgen/loadgen/internal/weburl"
	"github.com/loadgen/loadgen/loadgen"
)

// single runs siege's -g (HEAD, print headers) or -p (GET, print body)
// through the engine's own request builder (loadgen.Do), so every header,
// Host included, is sent as in a load run.
func (a *app) single(ctx context.Context, s *settings, t loadgen.Target) error {
	if t.Method == "GET" {
		t.Method = firstNonEmpty(s.getMeth, "HEAD") // siegerc gmethod
		if s.print {
			t.Method = "GET"
		}
	}
	ex, err := loadgen.Do(ctx, t, s.opts)
	if err != nil {
		if ctx.Err() != nil {
			return &quietExit{exitInterrupted}
		}
		return setupErr(fmt.Errorf("%s %s: %s: %w", t.Method, weburl.RedactText(t.URL), loadgen.Classify(err), err))
	}
	if s.print {
		if _, err := a.stdout.Write(ex.Body); err != nil {
			return err
		}
		if ex.Truncated {
			fmt.Fprintf(a.stderr, "\nloadgen: printed the first %s of the body, which is longer (--max-body)\n", formatSize(int64(len(ex.Body))))
		}
		return nil
	}
	fmt.Fprintf(a.stdout, "%s\n%s", hidePassword(ex.RequestHeader(), t.URL), ex.Header)
	return nil
}

// hidePassword hides the Authorization header that a URL's password
// (http://user:password@host/) became; a header the user gave is shown.
func hidePassword(head []byte, rawURL string) []byte {
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return head
	}
	if _, has := u.User.Password(); !has {
		return head
	}
	i := bytes.Index(head, []byte("\r\nAuthorization: Basic "))
	if i < 0 {
		return head
	}
	start := i + len("\r\nAuthorization: Basic ")
	end := bytes.Index(head[start:], []byte("\r\n"))
	if end < 0 {
		return head
	}
	return slices.Concat(head[:start], []byte(weburl.Mask), head[start+end:])
}
