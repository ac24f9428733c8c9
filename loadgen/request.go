package loadgen

// This file: serialising a request once, with the run's headers.

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"

	"github.com/valyala/fasthttp"
)

// buildRequest serialises one request with the run's headers into buf.
func (r *Runner) buildRequest(buf *bytes.Buffer, req *fasthttp.Request, method string, u *url.URL, body []byte) error {
	req.Reset()
	req.Header.DisableNormalizing()
	req.Header.SetMethod(method)
	req.Header.SetProtocol(r.opts.Protocol)
	req.SetRequestURI(u.String())
	// Parse the URI now, so that Write sends the origin form (GET /path)
	// even when -H Host overrides the Host header; the path goes as given.
	req.URI().DisablePathNormalizing = true
	if u.User != nil {
		pass, _ := u.User.Password()
		req.URI().SetUsername(u.User.Username())
		req.URI().SetPassword(pass)
	}
	if r.opts.UserAgent != "" {
		req.Header.SetUserAgent(r.opts.UserAgent)
	}
	if len(body) > 0 {
		ct := r.opts.ContentType
		if ct == "" {
			ct = DefaultContentType
		}
		req.Header.SetContentType(ct)
		req.SetBody(body)
	} else if method == "POST" || method == "PUT" || method == "PATCH" {
		req.Header.SetContentLength(0)
	}
	for _, h := range r.opts.Headers {
		if equalFold(h.Name, "Host") {
			req.UseHostHeader = true
			req.Header.SetHost(h.Value)
			continue
		}
		if equalFold(h.Name, "User-Agent") {
			req.Header.SetUserAgent(h.Value)
			continue
		}
		if equalFold(h.Name, "Content-Type") {
			req.Header.SetContentType(h.Value)
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	if r.opts.Close {
		req.SetConnectionClose()
	}
	bw := bufio.NewWriter(buf)
	if err := req.Write(bw); err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	return bw.Flush()
}

func equalFold(a, b string) bool { return len(a) == len(b) && bytes.EqualFold([]byte(a), []byte(b)) }
