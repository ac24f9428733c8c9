package crawl

import (
	"net"
	"net/url"
	"strings"
)

// defaultPort returns the port a scheme implies ("80" for http, "443" for
// https, "" otherwise).
func defaultPort(scheme string) string {
	switch lowerASCII(scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// hostPort returns u's lower-cased host name and its port, with the
// scheme's default port filled in when none is given.
func hostPort(u *url.URL) (host, port string) {
	host = lowerASCII(u.Hostname())
	port = u.Port()
	if port == "" {
		port = defaultPort(u.Scheme)
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
	scheme := lowerASCII(u.Scheme)
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
		return lowerASCII(strings.Trim(h, "[]")), p, h != ""
	}
	return lowerASCII(strings.Trim(a, "[]")), "", true
}

// normalize puts an absolute http(s) URL into the canonical form the crawler
// uses for de-duplication: lower-case scheme and host, no default port, "/"
// for an empty path, no fragment. It reports false for anything that is not
// an absolute http or https URL with a host.
func normalize(u *url.URL) bool {
	u.Scheme = lowerASCII(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" || u.Host == "" {
		return false
	}
	host := lowerASCII(u.Host)
	if p := u.Port(); p != "" && p == defaultPort(u.Scheme) {
		host = host[:len(host)-len(p)-1]
	} else {
		host = strings.TrimSuffix(host, ":")
	}
	if host == "" || host == "[]" {
		return false
	}
	u.Host = host
	if u.Path == "" && u.RawPath == "" {
		u.Path = "/"
	}
	u.Fragment, u.RawFragment = "", ""
	return true
}

// lowerASCII lower-cases ASCII letters only (strings.ToLower would also
// rewrite invalid UTF-8 and non-ASCII letters, changing the host net/url
// escapes); it does not allocate when s has no upper-case letter.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; 'A' <= c && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
