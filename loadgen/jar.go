package loadgen

// This file: a simulated user's cookie jar (RFC 6265 storage and matching),
// kept per user and touched only when a response sets a cookie or the jar
// holds one.

import (
	"bytes"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/loadgen/loadgen/internal/weburl"
)

// Bounds against a server that sets cookies without end.
const (
	maxCookies     = 64       // per user; the oldest goes first
	maxCookieBytes = 4096 + 1 // name, value and attributes of one Set-Cookie
)

// noExpiry is a session cookie's expiry: the end of the run.
const noExpiry = time.Duration(math.MaxInt64)

// cookie is one stored cookie. Times are offsets from the run's start.
type cookie struct {
	name, value string
	domain      string // lower case, no leading dot
	hostOnly    bool
	path        string
	pathSet     bool // the Set-Cookie had a Path attribute
	secure      bool
	expires     time.Duration
	maxAge      time.Duration // > 0 when Max-Age set the expiry
	created     int64
	raw         []byte // the Set-Cookie value as received
}

// jar is one user's cookies, kept in sending order (longer paths first,
// then older first, as RFC 6265 asks). version changes whenever the set of
// cookies or a value changes, so a user rebuilds its request bytes only then.
type jar struct {
	cookies []cookie
	version uint64
	next    time.Duration // the earliest expiry in the jar
	seq     int64
}

// set stores the cookie of one Set-Cookie header value received for a
// request to u at offset now from start (the run's start). A Set-Cookie that
// is byte for byte the one a stored cookie came from, for the same host and
// default path, only refreshes a Max-Age expiry: that costs no parsing, so
// a server that repeats its cookie on every response costs little.
func (j *jar) set(raw []byte, u *url.URL, now time.Duration, start time.Time) {
	host := hostOf(u)
	for i := range j.cookies {
		c := &j.cookies[i]
		if bytes.Equal(c.raw, raw) && (c.domain == host || !c.hostOnly) && (c.pathSet || c.path == defaultPath(u.Path)) {
			if c.maxAge > 0 {
				c.expires = now + c.maxAge
				j.next = min(j.next, c.expires)
			}
			return
		}
	}
	if len(raw) > maxCookieBytes {
		return
	}
	hc, err := http.ParseSetCookie(string(raw))
	if err != nil {
		return
	}
	c, ok := newCookie(hc, u, host, now, start.Add(now))
	if !ok {
		return
	}
	c.raw = bytes.Clone(raw)
	j.store(c, now)
}

// newCookie applies RFC 6265 section 5.3 to a parsed Set-Cookie.
func newCookie(hc *http.Cookie, u *url.URL, host string, now time.Duration, wall time.Time) (cookie, bool) {
	c := cookie{name: hc.Name, value: hc.Value, secure: hc.Secure, path: hc.Path, pathSet: strings.HasPrefix(hc.Path, "/")}
	if hc.Quoted {
		c.value = `"` + c.value + `"`
	}
	if !c.pathSet {
		c.path = defaultPath(u.Path)
	}
	domain := strings.ToLower(strings.TrimPrefix(hc.Domain, "."))
	switch {
	case domain == "" || domain == host:
		c.domain, c.hostOnly = host, domain == ""
	case strings.HasSuffix(host, "."+domain) && net.ParseIP(host) == nil && strings.Contains(domain, "."):
		c.domain = domain
	default:
		return c, false // a domain the request's host does not belong to
	}
	c.expires = noExpiry
	switch {
	case hc.MaxAge > 0:
		c.maxAge = time.Duration(hc.MaxAge) * time.Second
		c.expires = now + c.maxAge
	case hc.MaxAge < 0: // Max-Age=0 or negative: delete
		c.expires = now
	case !hc.Expires.IsZero():
		c.expires = now + hc.Expires.Sub(wall)
	}
	return c, true
}

// store adds or replaces c (same name, domain and path), or deletes the
// stored cookie when c has already expired.
func (j *jar) store(c cookie, now time.Duration) {
	i := slices.IndexFunc(j.cookies, func(x cookie) bool {
		return x.name == c.name && x.domain == c.domain && x.path == c.path
	})
	switch {
	case c.expires <= now && i >= 0:
		j.cookies = slices.Delete(j.cookies, i, i+1)
	case c.expires <= now:
		return
	case i >= 0:
		c.created = j.cookies[i].created
		j.cookies[i] = c
	default:
		if len(j.cookies) >= maxCookies {
			oldest := 0
			for k := range j.cookies {
				if j.cookies[k].created < j.cookies[oldest].created {
					oldest = k
				}
			}
			j.cookies = slices.Delete(j.cookies, oldest, oldest+1)
		}
		j.seq++
		c.created = j.seq
		j.cookies = append(j.cookies, c)
	}
	slices.SortStableFunc(j.cookies, func(a, b cookie) int {
		if len(a.path) != len(b.path) {
			return len(b.path) - len(a.path)
		}
		return int(a.created - b.created)
	})
	j.changed()
}

// changed records a change and recomputes the earliest expiry.
func (j *jar) changed() {
	j.version++
	j.next = noExpiry
	for i := range j.cookies {
		j.next = min(j.next, j.cookies[i].expires)
	}
}

// expire drops the cookies that expired by now.
func (j *jar) expire(now time.Duration) {
	if now < j.next {
		return
	}
	j.cookies = slices.DeleteFunc(j.cookies, func(c cookie) bool { return c.expires <= now })
	j.changed()
}

// clear drops every cookie (siege's expire-session).
func (j *jar) clear() {
	if len(j.cookies) > 0 {
		j.cookies = j.cookies[:0]
		j.changed()
	}
}

// header appends the Cookie header for a request to u (over TLS when
// secure), or nothing when no cookie matches. Cookies are joined by ";" as
// siege joins them.
func (j *jar) header(dst []byte, u *url.URL, secure bool) []byte {
	host, n := hostOf(u), 0
	for i := range j.cookies {
		c := &j.cookies[i]
		if (c.secure && !secure) || !domainMatch(host, c) || !pathMatch(u.Path, c.path) {
			continue
		}
		if n == 0 {
			dst = append(dst, "Cookie: "...)
		} else {
			dst = append(dst, ';')
		}
		dst = append(dst, c.name...)
		dst = append(dst, '=')
		dst = append(dst, c.value...)
		n++
	}
	if n > 0 {
		dst = append(dst, "\r\n"...)
	}
	return dst
}

// hostOf is the URL's host, lower case, without port or IPv6 brackets; it
// does not allocate for a host already in lower case (the engine's targets).
func hostOf(u *url.URL) string { return weburl.LowerASCII(u.Hostname()) }

func domainMatch(host string, c *cookie) bool {
	if c.hostOnly || host == c.domain {
		return host == c.domain
	}
	return strings.HasSuffix(host, c.domain) && host[len(host)-len(c.domain)-1] == '.'
}

// pathMatch is RFC 6265 section 5.1.4.
func pathMatch(reqPath, cookiePath string) bool {
	if reqPath == "" {
		reqPath = "/"
	}
	if !strings.HasPrefix(reqPath, cookiePath) {
		return false
	}
	return len(reqPath) == len(cookiePath) || strings.HasSuffix(cookiePath, "/") || reqPath[len(cookiePath)] == '/'
}

// defaultPath is RFC 6265 section 5.1.4's default-path of a request path.
func defaultPath(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}
