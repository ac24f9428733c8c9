package loadgen

import (
	"io"
	"net/url"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Header is one extra request header.
type Header struct{ Name, Value string }

// ParserFunc returns the URLs a browser-like visitor fetches after a page:
// siege's HTML parser. It appends to dst and must return only URLs on the
// page's origin. It is called only for 2xx text/html responses.
type ParserFunc func(dst []string, body []byte, page *url.URL) []string

// Options configure a run. The zero value is not useful; see DefaultOptions.
type Options struct {
	Users    int           // concurrent simulated users (-c); with Stages in the closed model, the starting level (0 allowed)
	Reps     int           // requests per user (-r N); 0 = unlimited
	Once     bool          // -r once: each user runs its slice of the targets once
	Duration time.Duration // -t; 0 = until cancelled or reps done
	Delay    time.Duration // -d: random 0..Delay pause between a user's iterations
	Internet bool          // -i: a uniformly random target per iteration

	Headers     []Header
	UserAgent   string
	ContentType string // for requests with a body (a target's own ContentType wins)
	// AcceptEncoding is sent with every request (siege's accept-encoding;
	// DefaultAcceptEncoding); "" sends none. Compressed responses are
	// counted as received and never decompressed, except for the Parser.
	AcceptEncoding string
	Timeout        time.Duration // per request (connect + write + response)
	Close          bool          // one connection per request (Connection: close)
	Protocol       string        // "HTTP/1.1" (default) or "HTTP/1.0"
	NoFollow       bool          // do not follow redirects
	MaxRedirect    int           // hops per iteration when following (default 10)
	Insecure       bool          // skip TLS certificate verification

	// NoCookies turns off the cookie jar each user keeps (siege's cookies =
	// false). With cookies on, a Set-Cookie goes back on that user's later
	// requests it matches (RFC 6265: domain, path, Secure, Expires, Max-Age).
	NoCookies bool
	// ExpireSession clears a user's cookies each time it starts over the
	// targets in sequential mode (siege's expire-session).
	ExpireSession bool
	// Logins are siege's login-url lines: user k requests Logins[k mod
	// len(Logins)] once, before its first transaction, with its cookie jar.
	Logins []Target
	// Credentials answer an HTTP Basic challenge (401) as siege's login =
	// user:pass[:realm] does: the request is sent again with Authorization,
	// and the user keeps sending it to that host.
	Credentials []Credential
	// Proxy is a forward HTTP proxy's host:port: http requests go to it in
	// absolute form, https through a CONNECT tunnel. ProxyAuth, when set, is
	// sent to it as Proxy-Authorization: Basic.
	Proxy     string
	ProxyAuth *Credential
	// MaxFailures stops the run after this many socket failures in all
	// (siege's failures); 0 never stops.
	MaxFailures int
	// ZeroDataFail counts a response with an empty body as a failure
	// (siege's zero-data-ok = false).
	ZeroDataFail bool

	// Parser, when set, is siege's HTML parser: each 2xx HTML response's
	// assets are fetched at once by the same user, each a transaction.
	Parser ParserFunc

	// MaxBody is the most of a response body kept in memory (for Parser);
	// 0 means DefaultMaxBody. Bodies are always read to their end, so the
	// connection can serve the next request, and every byte is counted in
	// Result.Bytes; what is past MaxBody is discarded as it arrives.
	// Without Parser no body is kept at all.
	MaxBody int

	// Verbose, when set, receives one line per request.
	Verbose io.Writer
	// Debug, when set, receives each request's head as sent and each
	// response's head (siege's -D); credentials are shown as xxxxx.
	Debug io.Writer

	// Seed makes internet mode's choices reproducible; 0 picks one at random.
	Seed uint64

	// Rate, when positive, is the open model (--rate): requests are
	// scheduled at Rate per second in total, whatever the responses do. The
	// schedule is one sequence of send times, start + k/Rate for k = 0, 1,
	// ...; a user that is free takes the next one, waits for its time (or
	// sends at once when it is already past), and its latency is recorded
	// from that intended time, so coordinated omission is corrected as wrk2
	// does; the time from the actual send goes to Result.LatencyUncorrected.
	// Delay is ignored. With Duration the schedule ends at the duration:
	// requests already sent complete, none is sent after it. With Reps the
	// schedule holds Reps*Users requests; with Once, one per target.
	Rate float64

	// MaxUsers lets users join when the schedule falls behind (rate mode
	// only): every 100 ms, when the next unsent request is more than 10 ms
	// late, half as many users again as are running (at least one) start,
	// up to MaxUsers in all. Each new user opens its own connections. Users
	// never leave before the end. 0, or a value at most Users, keeps Users.
	MaxUsers int

	// Stages, when set, shape the load over time (see Stage and
	// ParseStages): the level starts at Users in the closed model (0 is
	// allowed: no user yet) or at Rate in the open model, and follows the
	// stages; the run ends when they do, or at Duration if that is sooner.
	// Reps and Once do not combine with stages.
	//
	// Closed model: the user count follows the level, rounded, within one
	// user: a user slot exists for every user up to the highest target,
	// started the first time the level reaches it. When the level falls,
	// the users above it finish the request they are in (it is counted
	// like any other), close their connections and wait; they come back
	// when it rises again.
	//
	// Open model: send time k is where the rate's integral reaches k, so
	// the schedule follows a ramp exactly and latency is still measured
	// from each request's intended time. Users share the schedule as with
	// a flat Rate (MaxUsers lets more join when it falls behind).
	//
	// Result.Stages has each stage's figures and Result.Timeline the load
	// over time; intervals carry the level in force (Interval.Target).
	Stages []Stage

	// OnInterval, when set, receives the latencies recorded in each
	// interval of Interval (default 1 s), and the rest at the end, from the
	// run's goroutine. The intervals are differences of the shards'
	// cumulative counts (doc.go), so they add up exactly to Result.Latency
	// and cost the same whatever the number of users. This is what --hlog
	// writes.
	OnInterval func(Interval)
	// Interval is OnInterval's period; 0 means 1 s.
	Interval time.Duration

	// Resolver looks the targets' hosts up; nil means net.DefaultResolver.
	// Connections are spread over every address of a host, round-robin.
	Resolver Resolver
	// ResolveEvery is how often hosts are looked up again during the run
	// (default DefaultResolveEvery): new connections go to the addresses of
	// the latest answer; connections to addresses no longer listed finish
	// their current request, then close.
	ResolveEvery time.Duration
	// Pins send a host and port's connections to fixed addresses
	// (--resolve HOST:PORT:ADDR), without asking the Resolver.
	Pins []Pin

	// netConnIO makes plain TCP requests go through net.Conn's Write and
	// Read instead of the one-read path (tests and benchmarks compare them).
	netConnIO bool
}

// Interval is the latencies recorded between Start and End.
type Interval struct {
	Start, End time.Time
	// Latency is in microseconds, with Result.Latency's geometry; in rate
	// mode it is corrected (from the intended send time).
	Latency *hdrhistogram.Histogram
	// Uncorrected is the latency from the actual send; rate mode only.
	Uncorrected *hdrhistogram.Histogram
	// Transactions, Failed (socket failures) and HTTPErrors (4xx/5xx)
	// count what completed in the interval; over a run they add up to
	// Result's fields of the same names.
	Transactions, Failed, HTTPErrors int64
	// Target is the load's level over the interval (its mean, on a ramp):
	// users in the closed model, requests/s in the open model. Stage is the
	// stage in force at the interval's end (1-based into Options.Stages), 0
	// without stages.
	Target float64
	Stage  int
}

// The defaults, each written once: DefaultOptions returns them, New fills
// the zero fields it must have with them, and the command line's flags show them.
const (
	DefaultUsers       = 25                                  // siege's -c
	DefaultTimeout     = 30 * time.Second                    // per request
	DefaultProtocol    = "HTTP/1.1"                          // request protocol
	DefaultMaxRedirect = 10                                  // redirect hops per iteration
	DefaultContentType = "application/x-www-form-urlencoded" // for requests with a body, as siege
	// DefaultAcceptEncoding is what siege's generated configuration file sends.
	DefaultAcceptEncoding = "gzip, deflate"
	// DefaultMaxBody is Options.MaxBody's default: the bytes of a response
	// body kept for the parser.
	DefaultMaxBody = 4 << 20
	// DefaultVersion is the version DefaultOptions puts in the User-Agent.
	DefaultVersion = "1"
)

// DefaultOptions returns siege's defaults: 25 users, 30 s timeout,
// keep-alive, siege's User-Agent form and Accept-Encoding, cookies on.
func DefaultOptions() Options {
	return Options{Users: DefaultUsers, Timeout: DefaultTimeout, Protocol: DefaultProtocol, MaxRedirect: DefaultMaxRedirect,
		UserAgent: DefaultUserAgent(DefaultVersion), ContentType: DefaultContentType, AcceptEncoding: DefaultAcceptEncoding,
		MaxBody: DefaultMaxBody}
}

// Credential is a user name and password, for a realm when Realm is set.
// Its String never shows the password.
type Credential struct{ User, Password, Realm string }

// String shows the credential without its password.
func (c Credential) String() string {
	s := c.User + ":xxxxx"
	if c.Realm != "" {
		s += ":" + c.Realm
	}
	return s
}

// GoString is String, so that %#v does not show the password either.
func (c Credential) GoString() string { return c.String() }
