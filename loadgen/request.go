package loadgen

// This file: serialising a request once, with the run's headers, in siege's order.

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
)

// headerPlan is the run's header settings, classified once by New: the
// headers siege generates itself (Host, Accept, Accept-Encoding, User-Agent,
// Connection, Content-Type) are replaced by an -H header of the same name,
// every other -H header is sent as given, in order, where siege sends its
// extra headers.
type headerPlan struct {
	extra          []Header // sent as given, after User-Agent
	userAgent      string
	contentType    string // -H Content-Type, for requests with a body
	connection     string
	accept         bool // send siege's Accept: */*
	acceptEncoding string
	host           bool // send Host (no -H Host)
	authorization  bool // an -H Authorization: no other Authorization is sent
}

// headersSetByEngine are refused in -H: the engine computes them.
var headersSetByEngine = []string{"Content-Length", "Transfer-Encoding"}

func newHeaderPlan(o *Options) (headerPlan, error) {
	p := headerPlan{userAgent: o.UserAgent, accept: true, acceptEncoding: o.AcceptEncoding, host: true, connection: "keep-alive"}
	if o.Close {
		p.connection = "close"
	}
	for _, h := range o.Headers {
		if err := checkHeader(h.Name, h.Value); err != nil {
			return p, err
		}
		for _, name := range headersSetByEngine {
			if equalFold(h.Name, name) {
				return p, fmt.Errorf("header %q is computed by loadgen and cannot be set", h.Name)
			}
		}
		switch {
		case equalFold(h.Name, "User-Agent"):
			p.userAgent = h.Value
		case equalFold(h.Name, "Content-Type"):
			p.contentType = h.Value
		case equalFold(h.Name, "Connection"):
			p.connection = h.Value
		default:
			p.accept = p.accept && !equalFold(h.Name, "Accept")
			p.host = p.host && !equalFold(h.Name, "Host")
			p.authorization = p.authorization || equalFold(h.Name, "Authorization")
			if equalFold(h.Name, "Accept-Encoding") {
				p.acceptEncoding = ""
			}
			p.extra = append(p.extra, h)
		}
	}
	for _, v := range []string{o.UserAgent, o.ContentType, o.AcceptEncoding} {
		if err := checkHeader("X", v); err != nil {
			return p, err
		}
	}
	return p, nil
}

// checkHeader refuses what would break the request's framing.
func checkHeader(name, value string) error {
	if name == "" || strings.ContainsAny(name, " \t\r\n:\x00") {
		return fmt.Errorf("invalid header name %q", name)
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("header %s: value contains a line break or NUL", name)
	}
	return nil
}

// hasBody reports whether siege sends Content-Type and Content-Length for a
// request: the methods that carry data, or any request with a body.
func hasBody(method string, body []byte) bool {
	switch method {
	case "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
		return true
	}
	return len(body) > 0
}

// buildRequest appends one request to dst in siege's header order:
//
//	request line, Host, [Authorization], [Proxy-Authorization], <session>,
//	Accept, Accept-Encoding, User-Agent, -H headers, Connection,
//	[Content-Type, Content-Length], body
//
// and returns the offset in the result where a user's session headers
// (a challenge's Authorization, Cookie) go. contentType overrides the run's
// for this request (a URL file's -T). Through a proxy the request line has
// the absolute URL, as siege sends it.
func (r *Runner) buildRequest(dst []byte, method string, u *url.URL, body []byte, contentType string) ([]byte, int) {
	p := &r.plan
	dst = append(dst, method...)
	dst = append(dst, ' ')
	if r.proxy != nil && u.Scheme == "http" {
		dst = append(dst, "http://"...)
		dst = append(dst, hostPort(u)...)
	}
	dst = append(dst, u.RequestURI()...)
	dst = append(dst, ' ')
	dst = append(dst, r.opts.Protocol...)
	dst = append(dst, "\r\n"...)
	if p.host {
		dst = appendHeader(dst, "Host", u.Host)
	}
	if u.User != nil && !p.authorization {
		pass, _ := u.User.Password()
		dst = appendBasic(dst, "Authorization", u.User.Username(), pass)
	}
	if r.proxy != nil && r.proxy.auth != nil && u.Scheme == "http" {
		dst = appendBasic(dst, "Proxy-Authorization", r.proxy.auth.User, r.proxy.auth.Password)
	}
	at := len(dst)
	if p.accept {
		dst = append(dst, "Accept: */*\r\n"...)
	}
	if p.acceptEncoding != "" {
		dst = appendHeader(dst, "Accept-Encoding", p.acceptEncoding)
	}
	if p.userAgent != "" {
		dst = appendHeader(dst, "User-Agent", p.userAgent)
	}
	for _, h := range p.extra {
		dst = appendHeader(dst, h.Name, h.Value)
	}
	dst = appendHeader(dst, "Connection", p.connection)
	if hasBody(method, body) {
		dst = appendHeader(dst, "Content-Type", firstNonEmpty(contentType, p.contentType, r.opts.ContentType, DefaultContentType))
		dst = append(dst, "Content-Length: "...)
		dst = strconv.AppendInt(dst, int64(len(body)), 10)
		dst = append(dst, "\r\n"...)
	} else if p.contentType != "" {
		dst = appendHeader(dst, "Content-Type", p.contentType)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, body...), at
}

func appendHeader(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}

// appendBasic appends an HTTP Basic credentials header.
func appendBasic(dst []byte, name, user, pass string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": Basic "...)
	n := len(dst)
	dst = append(dst, make([]byte, base64.StdEncoding.EncodedLen(len(user)+1+len(pass)))...)
	base64.StdEncoding.Encode(dst[n:], []byte(user+":"+pass))
	return append(dst, "\r\n"...)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }

// DefaultUserAgent is siege's default User-Agent form with loadgen's name
// and the given version: siege 4 sends "Mozilla/5.0 (pc-x86_64-linux-gnu)
// Siege/4.0.7"; loadgen sends "Mozilla/5.0 (pc-x86_64-linux-gnu) loadgen/VERSION".
func DefaultUserAgent(version string) string {
	return "Mozilla/5.0 (" + platform() + ") loadgen/" + version
}

// platform is the build triplet siege's configure puts in its User-Agent.
func platform() string {
	cpu := runtime.GOARCH
	switch cpu {
	case "amd64":
		cpu = "x86_64"
	case "386":
		cpu = "i686"
	case "arm64":
		cpu = "aarch64"
	}
	switch runtime.GOOS {
	case "linux":
		return "pc-" + cpu + "-linux-gnu"
	case "darwin":
		return "apple-" + cpu + "-darwin"
	default:
		return "pc-" + cpu + "-" + runtime.GOOS
	}
}
