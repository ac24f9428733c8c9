// Package crawl discovers a site's same-origin pages and assets before a load
// run, and emulates siege's HTML parser (Assets) during one.
//
// Site walks breadth-first from a start URL and never requests a host the
// user did not name: only the start URL's origin (scheme, host, port) and the
// hosts in Options.Allow are fetched. Every URL it returns was fetched and
// answered 2xx or 3xx, so it is a fair load target.
package crawl

import (
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/loadgen/loadgen/internal/weburl"
)

// Defaults for zero Options fields.
const (
	DefaultDepth          = 3
	DefaultMaxURLs        = 200
	DefaultMaxBodyBytes   = 2 << 20
	DefaultTimeout        = 10 * time.Second
	DefaultRequestTimeout = 5 * time.Second
	DefaultParallel       = 4
	DefaultUserAgent      = "loadgen-crawl/1"
	// MaxRedirects is the longest redirect chain followed from one URL.
	MaxRedirects = 10
	// MaxErrors bounds Result.Errors (one more line says how many were left out).
	MaxErrors = 20
)

// Options bound a crawl. Zero fields take the defaults above; a negative
// Depth means 0 (the start URL only).
type Options struct {
	Depth          int           // default 3 (start page is depth 0)
	MaxURLs        int           // default 200 (total discovered URLs incl. start)
	MaxBodyBytes   int64         // per response, default 2 MiB; bigger bodies are truncated (parse what was read) and the crawl goes on
	Timeout        time.Duration // whole crawl, default 10s
	RequestTimeout time.Duration // per request, default 5s
	Parallel       int           // requests in flight, default 4
	Allow          []string      // extra hosts (host or host:port) deliberately allowed (--crawl-allow)
	Header         http.Header   // sent with every request (the run's -H headers); a Host header sets the request's Host
	UserAgent      string        // default DefaultUserAgent unless Header has User-Agent
	Insecure       bool          // skip TLS verification
	Client         *http.Client  // optional; else built from the above. Its redirect policy is replaced: Site follows redirects itself.
}

// Result is what a crawl found.
type Result struct {
	Start     string         // normalised start URL
	URLs      []string       // discovered same-origin URLs that answered 2xx/3xx, start first, then breadth-first discovery order, deduplicated (fragment dropped)
	Depth     int            // deepest level reached (depth of the deepest URL in URLs)
	Fetched   int            // requests made
	Skipped   map[string]int // reason -> count of distinct URLs; see the reason constants
	Errors    []string       // human-readable problems, at most MaxErrors plus one "... more" line
	Truncated bool           // the time or count limit cut the crawl short
}

// Reasons used as keys of Result.Skipped. Each distinct URL is counted once.
const (
	SkipCrossOrigin   = "cross-origin"   // another origin, not in Allow: never requested
	SkipDepth         = "depth"          // beyond Options.Depth: not requested
	SkipLimit         = "limit"          // beyond Options.MaxURLs: not requested
	SkipNonHTML       = "non-html"       // 2xx but not HTML: kept in URLs, not parsed
	SkipTruncated     = "truncated"      // body over MaxBodyBytes: kept, only the first MaxBodyBytes parsed
	SkipError         = "error"          // transport or body error: not kept
	SkipTimeout       = "timeout"        // RequestTimeout expired: not kept
	SkipTimeLimit     = "time-limit"     // the crawl's Timeout (or ctx) ended before or during the request: not kept
	SkipRedirectLoop  = "redirect-loop"  // a redirect back into its own chain: not followed
	SkipRedirectLimit = "redirect-limit" // more than MaxRedirects hops: not followed
	// Statuses 4xx and 5xx count as "status-4xx" and "status-5xx" (others as "status-other"); such URLs are not kept.
)

// errTimeLimit is the cause attached to the crawl's own deadline.
var errTimeLimit = errors.New("crawl time limit reached")

// item is one discovered URL waiting to be fetched.
type item struct {
	u     *url.URL
	key   string
	depth int
	chain []string // redirect chain that led here (keys), empty for links
	done  bool     // fetched with a 2xx/3xx answer
}

// outcome is what fetching one item produced.
type outcome struct {
	started   bool
	status    int
	statusMsg string
	location  string
	html      bool
	links     []*url.URL
	truncated bool
	err       error // transport or body error
	ctxDone   bool  // the crawl's ctx had ended when err happened
}

// crawler holds one Site call's state. Only the merge step (one goroutine)
// touches it; fetches write to their own outcome slot.
type crawler struct {
	opts     Options
	client   *http.Client
	origin   *url.URL
	seen     map[string]bool
	order    []*item
	queued   int
	res      Result
	nErrors  int
	timedOut bool
}

// Site crawls breadth-first from start and returns the same-origin URLs it
// found. The error is non-nil only when start is not a valid http(s) URL or
// the start page cannot be fetched (transport error, or a 4xx/5xx answer);
// the Result then still carries what is known. Otherwise problems are
// reported in Result.Errors and Result.Skipped, and a crawl cut short by
// Options.Timeout, MaxURLs or ctx returns its partial result with Truncated.
func Site(ctx context.Context, start string, opts Options) (Result, error) {
	opts = withDefaults(opts)
	su, err := parseStart(start)
	if err != nil {
		return Result{Start: start}, err
	}
	c := &crawler{
		opts:   opts,
		origin: su,
		seen:   map[string]bool{},
		res:    Result{Start: su.String(), Skipped: map[string]int{}},
	}
	if opts.Client != nil {
		cl := *opts.Client
		cl.CheckRedirect = noRedirects
		c.client = &cl
	} else {
		tr := newTransport(opts)
		defer tr.CloseIdleConnections()
		c.client = &http.Client{Transport: tr, CheckRedirect: noRedirects}
	}
	ctx, cancel := context.WithTimeoutCause(ctx, opts.Timeout, errTimeLimit)
	defer cancel()

	first := &item{u: su, key: c.res.Start}
	c.seen[first.key] = true
	c.order = append(c.order, first)
	c.queued = 1
	startOut := c.run(ctx, first)

	for _, it := range c.order {
		if it.done {
			c.res.URLs = append(c.res.URLs, it.key)
			c.res.Depth = max(c.res.Depth, it.depth)
		}
	}
	if c.nErrors > MaxErrors {
		c.res.Errors = append(c.res.Errors, fmt.Sprintf("... %d more errors not shown", c.nErrors-MaxErrors))
	}
	if !first.done {
		return c.res, startError(c.res.Start, startOut, opts, context.Cause(ctx))
	}
	return c.res, nil
}

// run performs the breadth-first walk; it returns the start URL's outcome.
func (c *crawler) run(ctx context.Context, first *item) outcome {
	var startOut outcome
	level := []*item{first}
	for depth := 0; len(level) > 0; depth++ {
		var next []*item
		// A level is fetched in rounds: redirect targets stay at the
		// level's depth and are fetched in the following round.
		for round := level; len(round) > 0; {
			outs := c.fetchAll(ctx, round)
			if depth == 0 && round[0] == first {
				startOut = outs[0]
			}
			var more []*item
			for i, it := range round {
				c.merge(ctx, it, outs[i], &next, &more)
			}
			round = more
		}
		if ctx.Err() != nil {
			c.stopped(ctx)
			break
		}
		level = next
	}
	return startOut
}

// fetchAll fetches items with at most Options.Parallel requests in flight
// and returns their outcomes in the items' order.
func (c *crawler) fetchAll(ctx context.Context, items []*item) []outcome {
	outs := make([]outcome, len(items))
	var g errgroup.Group
	g.SetLimit(c.opts.Parallel)
	for i, it := range items {
		if ctx.Err() != nil {
			break
		}
		g.Go(func() error {
			outs[i] = c.fetch(ctx, it)
			return nil
		})
	}
	_ = g.Wait() // fetch reports problems in its outcome, never as an error
	return outs
}

// merge records one fetch outcome and queues what it discovered, in
// document order, so the result does not depend on completion order.
func (c *crawler) merge(ctx context.Context, it *item, o outcome, next, more *[]*item) {
	if !o.started {
		c.skip(SkipTimeLimit)
		c.stopped(ctx)
		return
	}
	c.res.Fetched++
	if o.err != nil {
		switch {
		case o.ctxDone:
			c.skip(SkipTimeLimit)
			c.stopped(ctx)
		case errors.Is(o.err, context.DeadlineExceeded) || isTimeout(o.err):
			c.skip(SkipTimeout)
			c.errorf("GET %s: timeout after %v", it.key, c.opts.RequestTimeout)
		default:
			c.skip(SkipError)
			c.errorf("GET %s: %v", it.key, unwrapURLError(o.err))
		}
		// A page whose body broke off still names real links.
		c.discover(it, o.links, next)
		return
	}
	switch {
	case o.status >= 200 && o.status < 300:
		it.done = true
		if !o.html {
			c.skip(SkipNonHTML)
		}
		if o.truncated {
			c.skip(SkipTruncated)
			c.errorf("GET %s: body larger than %d bytes, parsed only the first %d", it.key, c.opts.MaxBodyBytes, c.opts.MaxBodyBytes)
		}
		c.discover(it, o.links, next)
	case o.status >= 300 && o.status < 400:
		it.done = true
		c.redirect(it, o.location, more)
	case o.status >= 400 && o.status < 500:
		c.skip("status-4xx")
		c.errorf("GET %s: %s", it.key, o.statusMsg)
	case o.status >= 500 && o.status < 600:
		c.skip("status-5xx")
		c.errorf("GET %s: %s", it.key, o.statusMsg)
	default:
		c.skip("status-other")
		c.errorf("GET %s: %s", it.key, o.statusMsg)
	}
}

// discover queues the links found on it's page one level deeper.
func (c *crawler) discover(it *item, links []*url.URL, next *[]*item) {
	for _, u := range links {
		k := u.String()
		if c.seen[k] {
			continue
		}
		c.seen[k] = true
		switch {
		case !SameOrigin(u, c.origin, c.opts.Allow):
			c.skip(SkipCrossOrigin)
		case it.depth+1 > c.opts.Depth:
			c.skip(SkipDepth)
		case c.queued >= c.opts.MaxURLs:
			c.skip(SkipLimit)
			c.res.Truncated = true
		default:
			n := &item{u: u, key: k, depth: it.depth + 1}
			c.queued++
			c.order = append(c.order, n)
			*next = append(*next, n)
		}
	}
}

// redirect queues a same-origin redirect target at it's depth.
func (c *crawler) redirect(it *item, location string, more *[]*item) {
	if location == "" {
		return
	}
	ref, err := url.Parse(strings.TrimSpace(location))
	if err != nil {
		c.skip(SkipError)
		c.errorf("GET %s: bad redirect Location %q: %v", it.key, location, err)
		return
	}
	u := it.u.ResolveReference(ref)
	if !weburl.Normalize(u) {
		c.skip(SkipCrossOrigin)
		c.errorf("GET %s: redirect to %q not followed (not an http(s) URL)", it.key, location)
		return
	}
	k := u.String()
	chain := append(slices.Clip(it.chain), it.key)
	if slices.Contains(chain, k) {
		c.skip(SkipRedirectLoop)
		c.errorf("GET %s: redirect loop back to %s (chain of %d)", it.key, k, len(chain))
		return
	}
	if c.seen[k] {
		return
	}
	c.seen[k] = true
	switch {
	case !SameOrigin(u, c.origin, c.opts.Allow):
		c.skip(SkipCrossOrigin)
		c.errorf("GET %s: redirect to %s not followed (another origin; allow its host to follow it)", it.key, k)
	case len(chain) > MaxRedirects:
		c.skip(SkipRedirectLimit)
		c.errorf("GET %s: redirect to %s not followed (more than %d redirects)", it.key, k, MaxRedirects)
	case c.queued >= c.opts.MaxURLs:
		c.skip(SkipLimit)
		c.res.Truncated = true
	default:
		n := &item{u: u, key: k, depth: it.depth, chain: chain}
		c.queued++
		c.order = append(c.order, n)
		*more = append(*more, n)
	}
}

// stopped records, once, that the crawl's time ran out or ctx was cancelled.
func (c *crawler) stopped(ctx context.Context) {
	c.res.Truncated = true
	if c.timedOut {
		return
	}
	c.timedOut = true
	if errors.Is(context.Cause(ctx), errTimeLimit) {
		c.errorf("crawl stopped: time limit of %v reached", c.opts.Timeout)
	} else {
		c.errorf("crawl stopped: %v", ctx.Err())
	}
}

func (c *crawler) skip(reason string) { c.res.Skipped[reason]++ }

func (c *crawler) errorf(format string, args ...any) {
	c.nErrors++
	if len(c.res.Errors) < MaxErrors {
		c.res.Errors = append(c.res.Errors, weburl.RedactText(fmt.Sprintf(format, args...)))
	}
}

// fetch makes one GET and reads (a bounded part of) the body.
func (c *crawler) fetch(ctx context.Context, it *item) (o outcome) {
	if ctx.Err() != nil {
		return o
	}
	defer func() { o.ctxDone = o.err != nil && ctx.Err() != nil }()
	o.started = true
	rctx, cancel := context.WithTimeout(ctx, c.opts.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, it.key, nil)
	if err != nil {
		o.err = fmt.Errorf("build request: %w", err)
		return o
	}
	for k, vs := range c.opts.Header {
		if strings.EqualFold(k, "Host") {
			if len(vs) > 0 {
				req.Host = vs[0]
			}
			continue
		}
		req.Header[http.CanonicalHeaderKey(k)] = slices.Clone(vs)
	}
	if c.opts.UserAgent != "" || req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", orDefault(c.opts.UserAgent, DefaultUserAgent))
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		o.err = err
		return o
	}
	defer resp.Body.Close()
	o.status = resp.StatusCode
	o.statusMsg = resp.Status
	if o.status >= 300 && o.status < 400 {
		o.location = resp.Header.Get("Location")
	}
	body, err := decoded(resp)
	if err != nil {
		o.err = err
		return o
	}
	limit := c.opts.MaxBodyBytes
	lr := io.LimitReader(body, limit+1)
	ok2xx := o.status >= 200 && o.status < 300
	o.html = ok2xx && isHTML(resp.Header.Get("Content-Type"))
	if !o.html {
		// Confirm the asset exists; read a bounded part and drop it.
		if _, err := io.Copy(io.Discard, lr); err != nil && ok2xx {
			o.err = fmt.Errorf("read body: %w", err)
		}
		return o
	}
	buf, err := io.ReadAll(lr)
	if int64(len(buf)) > limit {
		buf = buf[:limit]
		o.truncated = true
	}
	if err != nil {
		o.err = fmt.Errorf("read body after %d bytes: %w", len(buf), err)
	}
	o.links = Links(buf, it.u)
	return o
}

// decoded returns resp's body, decompressed when the transport left a
// Content-Encoding in place (a caller-supplied Accept-Encoding header).
func decoded(resp *http.Response) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))) {
	case "gzip", "x-gzip":
		r, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("gzip body: %w", err)
		}
		return r, nil
	case "deflate":
		r, err := zlib.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("deflate body: %w", err)
		}
		return r, nil
	}
	return resp.Body, nil
}

// isHTML reports whether a Content-Type names an HTML document.
func isHTML(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	}
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// parseStart validates and normalises the start URL; a missing scheme means
// http.
func parseStart(start string) (*url.URL, error) {
	s := strings.TrimSpace(start)
	if s == "" {
		return nil, errors.New("crawl: empty start URL")
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("crawl: start URL %q: %s", weburl.RedactText(start), weburl.RedactText(unwrapURLError(err).Error()))
	}
	if !weburl.Normalize(u) {
		return nil, fmt.Errorf("crawl: start URL %q: want an http or https URL with a host", weburl.RedactText(start))
	}
	return u, nil
}

func startError(start string, o outcome, opts Options, cause error) error {
	start = weburl.RedactText(start)
	stoppedBy := func() error {
		if errors.Is(cause, errTimeLimit) {
			return fmt.Errorf("no answer within the crawl time limit of %v: %w", opts.Timeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("no answer before the crawl stopped: %w", cause)
	}
	switch {
	case !o.started || o.err != nil && o.ctxDone:
		return fmt.Errorf("crawl: start page %s: %w", start, stoppedBy())
	case o.err != nil:
		if errors.Is(o.err, context.DeadlineExceeded) || isTimeout(o.err) {
			return fmt.Errorf("crawl: start page %s: timeout after %v: %w", start, opts.RequestTimeout, unwrapURLError(o.err))
		}
		return fmt.Errorf("crawl: start page %s: %w", start, unwrapURLError(o.err))
	default:
		return fmt.Errorf("crawl: start page %s: answered %s", start, o.statusMsg)
	}
}

func withDefaults(o Options) Options {
	if o.Depth == 0 {
		o.Depth = DefaultDepth
	} else if o.Depth < 0 {
		o.Depth = 0
	}
	if o.MaxURLs <= 0 {
		o.MaxURLs = DefaultMaxURLs
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	return o
}

// newTransport builds a transport bounded like the crawl: no proxy (load
// goes only where the user pointed it), per-request timeouts, Parallel
// connections per host.
func newTransport(o Options) *http.Transport {
	d := &net.Dialer{Timeout: o.RequestTimeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            d.DialContext,
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: o.Insecure}, //nolint:gosec // user's explicit -k
		TLSHandshakeTimeout:    o.RequestTimeout,
		ResponseHeaderTimeout:  o.RequestTimeout,
		MaxIdleConns:           o.Parallel,
		MaxIdleConnsPerHost:    o.Parallel,
		MaxConnsPerHost:        o.Parallel,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		ForceAttemptHTTP2:      true,
	}
}

func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
