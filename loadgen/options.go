package loadgen

import (
	"io"
	"net/url"
	"time"
)

// Header is one extra request header.
type Header struct{ Name, Value string }

// ParserFunc returns the URLs a browser-like visitor fetches after a page:
// siege's HTML parser. It appends to dst and must return only URLs on the
// page's origin. It is called only for 2xx text/html responses.
type ParserFunc func(dst []string, body []byte, page *url.URL) []string

// Options configure a run. The zero value is not useful; see DefaultOptions.
type Options struct {
	Users    int           // concurrent simulated users (-c)
	Reps     int           // requests per user (-r N); 0 = unlimited
	Once     bool          // -r once: each user runs its slice of the targets once
	Duration time.Duration // -t; 0 = until cancelled or reps done
	Delay    time.Duration // -d: random 0..Delay pause between a user's iterations
	Internet bool          // -i: a uniformly random target per iteration

	Headers     []Header
	UserAgent   string
	ContentType string        // for requests with a body
	Timeout     time.Duration // per request (connect + write + response)
	Close       bool          // one connection per request (Connection: close)
	Protocol    string        // "HTTP/1.1" (default) or "HTTP/1.0"
	NoFollow    bool          // do not follow redirects
	MaxRedirect int           // hops per iteration when following (default 10)
	Insecure    bool          // skip TLS certificate verification

	// Parser, when set, is siege's HTML parser: each 2xx HTML response's
	// assets are fetched at once by the same user, each a transaction.
	Parser ParserFunc

	// Verbose, when set, receives one line per request.
	Verbose io.Writer

	// Seed makes internet mode's choices reproducible; 0 picks one at random.
	Seed uint64
}

// DefaultOptions returns siege's defaults: 25 users, 30 s timeout, keep-alive.
func DefaultOptions() Options {
	return Options{Users: 25, Timeout: 30 * time.Second, Protocol: "HTTP/1.1", MaxRedirect: 10, UserAgent: DefaultUserAgent}
}

// DefaultUserAgent is sent when no user agent is configured.
const DefaultUserAgent = "loadgen/1 (siege-compatible)"
