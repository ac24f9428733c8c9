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
	"strconv"
	"strings"

	"github.com/loadgen/loadgen/internal/redact"
)

// Target is one request a user can send: method, absolute URL and body.
type Target struct {
	Method string
	URL    string
	Body   []byte
	// BodyFile is the file the body was read from ("URL POST </file"), for display.
	BodyFile string
}

// String renders the target in siege's URL-file syntax.
func (t Target) String() string {
	switch {
	case t.Method == "GET" && len(t.Body) == 0:
		return t.URL
	case t.BodyFile != "":
		return t.URL + " " + t.Method + " <" + t.BodyFile
	case len(t.Body) > 0:
		return t.URL + " " + t.Method + " " + string(t.Body)
	default:
		return t.URL + " " + t.Method
	}
}

var methods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
}

// ParseTarget parses one target in siege's syntax:
//
//	[scheme://][user:pass@]host[:port][/path] [METHOD [data | </path/file]]
//
// A bare host means http://host/. Relative body files are read relative to dir.
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

// NormalizeURL turns siege's URL syntax into an absolute http(s) URL:
// it adds http:// to a bare host and / to an empty path.
func NormalizeURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("empty URL")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	shown := redact.Text(raw) // error messages never quote a password
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("invalid URL %q: %s", shown, redact.Text(unwrapURLError(err).Error()))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("invalid URL %q: scheme %q is not http or https", shown, u.Scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", fmt.Errorf("invalid URL %q: no host", shown)
	}
	if err := checkPort(u); err != nil {
		return "", fmt.Errorf("invalid URL %q: %w", shown, err)
	}
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	u.Fragment = ""
	return u.String(), nil
}

// checkPort accepts an empty port (the scheme's) or a number from 1 to 65535.
func checkPort(u *url.URL) error {
	p := u.Port()
	if p == "" {
		return nil
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad port %q (want 1 to 65535)", p)
	}
	return nil
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
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
