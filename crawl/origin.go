package crawl

import (
	"net"
	"net/url"
	"strings"

	"github.com/loadgen/loadgen/internal/weburl"
)

// hostPort returns u's lower-cased host name and its port, with the
// scheme's default port filled in when none is given.
func hostPort(u *url.URL) (host, port string) {
	host = weburl.LowerASCII(u.Hostname())
	port = u.Port()
	if port == "" {
		port = weburl.DefaultPort(u.Scheme)
	}
	return host, port
}

// SameOrigin reports whether u has the scheme, host and port of origin
// (default ports normalised: http 80, https 443), or a host in allow.
//
// An allow entry is a host ("api.example.com") that admits that host on any
// port over http or https, or a host:port ("127.0.0.1:8080") that admits only
// that port. Entries written as URLs ("http://host:port/") are accepted too.
// Only http and https URLs are ever same-origin.
func SameOrigin(u, origin *url.URL, allow []string) bool {
	if u == nil || origin == nil {
		return false
	}
	scheme := weburl.LowerASCII(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return false
	}
	host, port := hostPort(u)
	if host == "" {
		return false
	}
	if strings.EqualFold(scheme, origin.Scheme) {
		oh, op := hostPort(origin)
		if host == oh && port == op {
			return true
		}
	}
	for _, a := range allow {
		ah, ap, ok := parseAllow(a)
		if !ok || ah != host {
			continue
		}
		if ap == "" || ap == port {
			return true
		}
	}
	return false
}

// parseAllow splits an allow entry into lower-cased host and optional port.
func parseAllow(a string) (host, port string, ok bool) {
	a = strings.TrimSpace(a)
	if i := strings.Index(a, "://"); i >= 0 {
		a = a[i+3:]
	}
	if i := strings.IndexAny(a, "/?#"); i >= 0 {
		a = a[:i]
	}
	if a == "" {
		return "", "", false
	}
	if h, p, err := net.SplitHostPort(a); err == nil {
		return weburl.LowerASCII(strings.Trim(h, "[]")), p, h != ""
	}
	return weburl.LowerASCII(strings.Trim(a, "[]")), "", true
}
