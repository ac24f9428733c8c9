// Package loadgen is the load engine: targets, siege URL files, concurrent
// users on fasthttp, and latency recording in HdrHistogram.
package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/loadgen/loadgen/internal/weburl"
)

// Target is one request a user can send: method, absolute URL and body.
type Target struct {
	Method string
	URL    string
	Body   []byte
	// BodyFile is the file the body was read from ("URL POST </file"), for display.
	BodyFile string
	// ContentType, when set, is this request's Content-Type ("URL POST -T
	// type; data", siege 4.1's per-line -T); it wins over Options.ContentType.
	ContentType string
}

// String renders the target in siege's URL-file syntax.
func (t Target) String() string {
	if t.Method == "GET" && len(t.Body) == 0 && t.ContentType == "" {
		return t.URL
	}
	s := t.URL + " " + t.Method
	if t.ContentType != "" {
		s += " -T " + t.ContentType + ";"
	}
	switch {
	case t.BodyFile != "":
		return s + " <" + t.BodyFile
	case len(t.Body) > 0:
		return s + " " + string(t.Body)
	}
	return s
}

var methods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
}

// ParseTarget parses one target in siege's syntax:
//
//	[scheme://][user:pass@]host[:port][/path] [METHOD [-T type;] [data | </path/file]]
//
// A bare host means http://host/. "-T type;" (siege 4.1) sets this
// request's Content-Type; the type ends at the first ';'. Relative body
// files are read relative to dir.
func ParseTarget(line, dir string) (Target, error) {
	line = strings.TrimSpace(line)
	if line == "" {
		return Target{}, errors.New("empty URL")
	}
	rawURL, rest, _ := strings.Cut(line, " ")
	t := Target{Method: "GET"}
	u, err := NormalizeURL(rawURL)
	if err != nil {
		return Target{}, err
	}
	t.URL = u
	rest = strings.TrimLeft(rest, " \t")
	if rest == "" {
		return t, nil
	}
	method, data, _ := strings.Cut(rest, " ")
	method = strings.ToUpper(method)
	if !methods[method] {
		return Target{}, fmt.Errorf("unknown method %q (want GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS)", method)
	}
	t.Method = method
	data = strings.TrimLeft(data, " \t")
	if t.ContentType, data, err = cutContentType(data); err != nil {
		return Target{}, err
	}
	if strings.HasPrefix(data, "<") {
		name := strings.TrimSpace(data[1:])
		if name == "" {
			return Target{}, errors.New("missing file name after '<'")
		}
		path := name
		if dir != "" && !strings.HasPrefix(name, "/") {
			path = dir + string(os.PathSeparator) + name
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return Target{}, fmt.Errorf("read body file: %w", err)
		}
		t.Body, t.BodyFile = body, name
		return t, nil
	}
	if data != "" {
		t.Body = []byte(data)
	}
	return t, nil
}

// cutContentType reads siege 4.1's "-T type;" before a request's data.
func cutContentType(data string) (ctype, rest string, err error) {
	after, ok := strings.CutPrefix(data, "-T")
	if !ok || (after != "" && after[0] != ' ' && after[0] != '\t') {
		return "", data, nil
	}
	ctype, rest, _ = strings.Cut(after, ";")
	ctype = strings.TrimSpace(ctype)
	if ctype == "" {
		return "", "", errors.New("missing content type after -T (want -T type; data)")
	}
	if strings.ContainsAny(ctype, "\r\n\x00") {
		return "", "", fmt.Errorf("invalid content type %q", ctype)
	}
	return ctype, strings.TrimLeft(rest, " \t"), nil
}

// NormalizeURL turns siege's URL syntax into an absolute http(s) URL in
// the module's canonical form (internal/weburl): http:// added to a bare
// host, scheme and host lower-cased, no default port, / for an empty path.
func NormalizeURL(raw string) (string, error) {
	u, err := weburl.Parse(raw)
	if err != nil {
		return "", err
	}
	return u.String(), nil
}

// hostKey returns scheme://host:port for a parsed URL, the key of a connection.
func hostKey(u *url.URL) string {
	return u.Scheme + "://" + hostPort(u)
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// looksHTML reports whether a Content-Type is HTML.
func looksHTML(ct []byte) bool {
	ct = bytes.TrimLeft(ct, " \t")
	return len(ct) >= 9 && bytes.EqualFold(ct[:9], []byte("text/html"))
}
