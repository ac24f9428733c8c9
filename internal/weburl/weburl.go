// Package weburl is the module's one URL normalizer: the engine's targets,
// the crawler's de-duplication and the stack outputs' check all put an
// http(s) URL into the same canonical form, so a trailing slash, an upper-case
// host or a default port mean the same everywhere.
package weburl

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Parse reads a URL as a user or a stack output writes it: spaces trimmed,
// http:// added when there is no scheme (a bare DNS name), then Normalize.
// It rejects other schemes, a missing host and a bad port. Errors name the
// URL as Redact shows it (without a password).
func Parse(raw string) (*url.URL, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, errors.New("empty URL")
	}
	if strings.ContainsAny(raw, " \t\r\n") {
		return nil, fmt.Errorf("invalid URL %q: contains white space (escape it as %%20)", Redact(raw))
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if shown := Redact(raw); shown != raw {
			// The parser's detail quotes pieces of the URL, the password's perhaps.
			return nil, fmt.Errorf("invalid URL %q", shown)
		}
		return nil, fmt.Errorf("invalid URL %q: %w", raw, err)
	}
	scheme := LowerASCII(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return nil, fmt.Errorf("invalid URL %q: scheme %q is not http or https", u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" || strings.ContainsAny(u.Host, " \t") {
		return nil, fmt.Errorf("invalid URL %q: no host", u.Redacted())
	}
	if err := CheckPort(u); err != nil {
		return nil, fmt.Errorf("invalid URL %q: %w", u.Redacted(), err)
	}
	if !Normalize(u) {
		return nil, fmt.Errorf("invalid URL %q", u.Redacted())
	}
	return u, nil
}

// Normalize puts an absolute http(s) URL into canonical form in place:
// scheme and host lower-cased, no default port, "/" for an empty path
// (RFC 3986 §6.2.3: http://h and http://h/ are the same resource), no
// fragment. It reports false for anything that is not an absolute http or
// https URL with a host.
func Normalize(u *url.URL) bool {
	u.Scheme = LowerASCII(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" || u.Host == "" {
		return false
	}
	host := LowerASCII(u.Host)
	if p := u.Port(); p != "" && p == DefaultPort(u.Scheme) {
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

// DefaultPort is the port a scheme implies: 80 for http, 443 for https.
func DefaultPort(scheme string) string {
	switch LowerASCII(scheme) {
	case "http":
		return "80"
	case "https":
		return "443"
	}
	return ""
}

// CheckPort accepts an empty port (the scheme's) or a number from 1 to 65535.
func CheckPort(u *url.URL) error {
	p := u.Port()
	if p == "" {
		return nil
	}
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad port %q (want 1 to 65535)", p)
	}
	return nil
}

// Redact returns raw with the password of its user info replaced by
// "xxxxx", as url.URL.Redacted does, also when raw does not parse as a URL;
// raw is returned as it is when it has no password.
func Redact(raw string) string { return RedactText(raw) }

// LowerASCII lower-cases ASCII letters only (strings.ToLower would also
// rewrite invalid UTF-8 and non-ASCII letters, changing the host net/url
// escapes); it does not allocate when s has no upper-case letter.
func LowerASCII(s string) string {
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
