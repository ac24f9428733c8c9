package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"
)

// Runner runs one load test. Create it with New, start it with Run, and read
// live progress with Snapshot from any goroutine while it runs.
type Runner struct {
	opts    Options
	targets []prepared
	hosts   []*hostInfo
	hostIdx map[string]int
	users   []*user
	highest int64 // µs, the histograms' upper bound

	started   atomic.Int64 // unix nanos of the start, 0 before Run
	stopped   atomic.Bool
	ctx       context.Context
	verboseMu sync.Mutex
	tlsConfig *tls.Config
}

type prepared struct {
	Target
	parsed *url.URL
	host   int
	raw    []byte // the serialised request, built once
	head   bool
}

type hostInfo struct {
	id         int
	key        string // scheme://host:port
	addr       string // host:port
	tls        bool
	serverName string
}

// New validates the targets and options and prepares every request once.
func New(targets []Target, opts Options) (*Runner, error) {
	if len(targets) == 0 {
		return nil, errors.New("no targets")
	}
	if opts.Users <= 0 {
		return nil, fmt.Errorf("concurrent users must be at least 1, got %d", opts.Users)
	}
	if opts.Reps < 0 {
		return nil, fmt.Errorf("reps must not be negative, got %d", opts.Reps)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxRedirect <= 0 {
		opts.MaxRedirect = 10
	}
	if opts.Protocol == "" {
		opts.Protocol = "HTTP/1.1"
	}
	if opts.Protocol != "HTTP/1.1" && opts.Protocol != "HTTP/1.0" {
		return nil, fmt.Errorf("protocol must be HTTP/1.1 or HTTP/1.0, got %q", opts.Protocol)
	}
	if opts.Seed == 0 {
		opts.Seed = rand.Uint64()
	}
	r := &Runner{opts: opts, hostIdx: map[string]int{}, highest: opts.Timeout.Microseconds() + 1}
	if r.highest < 2 {
		r.highest = 2
	}
	r.tlsConfig = &tls.Config{InsecureSkipVerify: opts.Insecure, MinVersion: tls.VersionTLS12, ClientSessionCache: tls.NewLRUClientSessionCache(256)} //nolint:gosec // opt-in by --insecure
	req := &fasthttp.Request{}
	var buf bytes.Buffer
	for i, t := range targets {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("target %d: invalid URL %q", i+1, t.URL)
		}
		if t.Method == "" {
			t.Method = "GET"
		}
		p := prepared{Target: t, parsed: u, host: r.host(u).id, head: t.Method == "HEAD"}
		buf.Reset()
		if err := r.buildRequest(&buf, req, t.Method, u, t.Body); err != nil {
			return nil, fmt.Errorf("target %d (%s): %w", i+1, t.URL, err)
		}
		p.raw = bytes.Clone(buf.Bytes())
		r.targets = append(r.targets, p)
	}
	return r, nil
}

// host returns the shared hostInfo for a URL, adding it when new.
// It is used only while preparing, before users start.
func (r *Runner) host(u *url.URL) *hostInfo {
	key := hostKey(u)
	if i, ok := r.hostIdx[key]; ok {
		return r.hosts[i]
	}
	h := newHostInfo(len(r.hosts), u)
	r.hostIdx[key] = h.id
	r.hosts = append(r.hosts, h)
	return h
}

func newHostInfo(id int, u *url.URL) *hostInfo {
	return &hostInfo{id: id, key: hostKey(u), addr: hostPort(u), tls: u.Scheme == "https", serverName: u.Hostname()}
}

// buildRequest serialises one request with the run's headers into buf.
func (r *Runner) buildRequest(buf *bytes.Buffer, req *fasthttp.Request, method string, u *url.URL, body []byte) error {
	req.Reset()
	req.Header.DisableNormalizing()
	req.Header.SetMethod(method)
	req.Header.SetProtocol(r.opts.Protocol)
	req.SetRequestURI(u.String())
	if u.User != nil {
		pass, _ := u.User.Password()
		req.URI().SetUsername(u.User.Username())
		req.URI().SetPassword(pass)
	}
	if r.opts.UserAgent != "" {
		req.Header.SetUserAgent(r.opts.UserAgent)
	}
	if len(body) > 0 {
		ct := r.opts.ContentType
		if ct == "" {
			ct = "application/x-www-form-urlencoded"
		}
		req.Header.SetContentType(ct)
		req.SetBody(body)
	} else if method == "POST" || method == "PUT" || method == "PATCH" {
		req.Header.SetContentLength(0)
	}
	for _, h := range r.opts.Headers {
		if equalFold(h.Name, "Host") {
			req.UseHostHeader = true
			req.Header.SetHost(h.Value)
			continue
		}
		if equalFold(h.Name, "User-Agent") {
			req.Header.SetUserAgent(h.Value)
			continue
		}
		if equalFold(h.Name, "Content-Type") {
			req.Header.SetContentType(h.Value)
			continue
		}
		req.Header.Add(h.Name, h.Value)
	}
	if r.opts.Close {
		req.SetConnectionClose()
	}
	bw := bufio.NewWriter(buf)
	if err := req.Write(bw); err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	return bw.Flush()
}

func equalFold(a, b string) bool { return len(a) == len(b) && bytes.EqualFold([]byte(a), []byte(b)) }

// Run sends load until the duration passes, every user has done its reps,
// or ctx is cancelled. Cancellation is not an error: the result covers what
// completed. Requests cut short by the end of the run are not counted.
func (r *Runner) Run(ctx context.Context) (*Result, error) {
	if !r.started.CompareAndSwap(0, 1) {
		return nil, errors.New("runner already used")
	}
	outer := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if r.opts.Duration > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeout(ctx, r.opts.Duration)
		defer c2()
	}
	r.ctx = ctx
	r.users = make([]*user, r.opts.Users)
	for i := range r.users {
		r.users[i] = r.newUser(i)
	}
	start := time.Now()
	r.started.Store(start.UnixNano())

	var wg sync.WaitGroup
	for _, u := range r.users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.run()
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		r.stop()
		<-done
	}
	end := time.Now()
	r.stopped.Store(true)
	for _, u := range r.users {
		u.closeAll()
	}
	return r.result(start, end, outer, ctx), nil
}

// stop makes every user finish: in-flight requests fail at once and are
// not counted.
func (r *Runner) stop() {
	r.stopped.Store(true)
	past := time.Unix(1, 0)
	for _, u := range r.users {
		u.mu.Lock()
		for _, c := range u.conns {
			if c != nil {
				_ = c.nc.SetDeadline(past)
			}
		}
		u.mu.Unlock()
	}
}

// Snapshot is live progress, read from atomics only.
type Snapshot struct {
	Elapsed      time.Duration
	Transactions int64
	Failed       int64 // socket-level failures
	HTTPErrors   int64 // 4xx and 5xx responses
	Bytes        int64
	P50, P99     time.Duration // coarse (about 6%)
}

// Snapshot returns progress so far; it is safe to call while Run runs.
func (r *Runner) Snapshot() Snapshot {
	var s Snapshot
	ns := r.started.Load()
	if ns <= 1 {
		return s
	}
	s.Elapsed = time.Since(time.Unix(0, ns))
	hs := make([]*liveHist, 0, len(r.users))
	for _, u := range r.users {
		s.Transactions += u.txns.Load()
		s.Failed += u.fails.Load()
		s.HTTPErrors += u.httpErrs.Load()
		s.Bytes += u.bytes.Load()
		hs = append(hs, &u.live)
	}
	s.P50 = quantile(hs, 0.50)
	s.P99 = quantile(hs, 0.99)
	return s
}

// user is one simulated user. Everything in it belongs to its goroutine
// except the atomics (read by Snapshot) and conns under mu (read by stop).
type user struct {
	id  int
	r   *Runner
	rng *rand.Rand

	mu    sync.Mutex // guards conns against stop(); never taken per request
	conns []*conn    // by host id
	extra map[string]*hostInfo
	br    *bufio.Reader
	brOn  *conn

	resp    fasthttp.Response
	req     fasthttp.Request // for redirects and parsed assets
	dyn     bytes.Buffer
	assets  []string
	verbose []byte
	timer   *time.Timer

	hist *hdrhistogram.Histogram
	live liveHist

	_        [64]byte
	txns     atomic.Int64
	fails    atomic.Int64
	httpErrs atomic.Int64
	bytes    atomic.Int64
	_        [64]byte

	ok      int64
	sumLat  time.Duration
	minLat  time.Duration
	maxLat  time.Duration
	status  [600]int64
	errs    [numErrorClasses]int64
	errMsg  [numErrorClasses]string
	aborted bool
}

func (r *Runner) newUser(id int) *user {
	u := &user{
		id:    id,
		r:     r,
		rng:   rand.New(rand.NewPCG(r.opts.Seed, uint64(id))),
		conns: make([]*conn, len(r.hosts)),
		br:    bufio.NewReaderSize(nil, 16<<10),
		hist:  hdrhistogram.New(1, r.highest, 3),
	}
	u.resp.KeepBodyBuffer = true
	u.req.KeepBodyBuffer = true
	return u
}

// run is the user's loop: choose a target, send it (following redirects and
// fetching parsed assets), pause, repeat.
func (u *user) run() {
	o := &u.r.opts
	n := len(u.r.targets)
	var next func(iter int) int
	limit := o.Reps
	switch {
	case o.Once:
		lo := u.id * n / o.Users
		hi := (u.id + 1) * n / o.Users
		limit = hi - lo
		if limit == 0 {
			return
		}
		next = func(iter int) int { return lo + iter }
	case o.Internet:
		next = func(int) int { return u.rng.IntN(n) }
	default:
		start := u.id * (n / o.Users)
		if n/o.Users == 0 {
			start = u.id % n
		}
		next = func(iter int) int { return (start + iter) % n }
	}
	for iter := 0; limit == 0 || iter < limit; iter++ {
		if u.r.stopped.Load() {
			return
		}
		if iter > 0 && o.Delay > 0 && !u.pause() {
			return
		}
		u.iterate(&u.r.targets[next(iter)])
		if u.aborted {
			return
		}
	}
}

// pause sleeps a random 0..Delay; false when the run ended meanwhile.
func (u *user) pause() bool {
	d := time.Duration(u.rng.Int64N(int64(u.r.opts.Delay) + 1))
	if u.timer == nil {
		u.timer = time.NewTimer(d)
	} else {
		u.timer.Reset(d)
	}
	select {
	case <-u.timer.C:
		return true
	case <-u.r.ctx.Done():
		u.timer.Stop()
		return false
	}
}

// iterate sends one target, its redirects and, with the parser, its assets.
func (u *user) iterate(t *prepared) {
	status, ok := u.transaction(u.r.hosts[t.host], t.raw, t.head, t.Method, t.URL)
	if !ok {
		return
	}
	page := t.parsed
	o := &u.r.opts
	if !o.NoFollow {
		method, body := t.Method, t.Body
		for hops := 0; isRedirect(status) && hops < o.MaxRedirect; hops++ {
			loc := u.resp.Header.Peek("Location")
			if len(loc) == 0 {
				break
			}
			next, err := page.Parse(string(loc))
			if err != nil || (next.Scheme != "http" && next.Scheme != "https") {
				break
			}
			next.Fragment = ""
			if status == 303 || ((status == 301 || status == 302) && method != "GET" && method != "HEAD") {
				method, body = "GET", nil
			}
			h := u.hostFor(next)
			u.dyn.Reset()
			if err := u.r.buildRequest(&u.dyn, &u.req, method, next, body); err != nil {
				break
			}
			page = next
			if status, ok = u.transaction(h, u.dyn.Bytes(), method == "HEAD", method, next.String()); !ok {
				return
			}
		}
	}
	if o.Parser != nil && status >= 200 && status < 300 && looksHTML(u.resp.Header.ContentType()) {
		u.assets = o.Parser(u.assets[:0], u.resp.Body(), page)
		for _, a := range u.assets {
			au, err := url.Parse(a)
			if err != nil || (au.Scheme != "http" && au.Scheme != "https") || au.Host == "" {
				continue
			}
			h := u.hostFor(au)
			u.dyn.Reset()
			if err := u.r.buildRequest(&u.dyn, &u.req, "GET", au, nil); err != nil {
				continue
			}
			if _, ok := u.transaction(h, u.dyn.Bytes(), false, "GET", a); !ok {
				return
			}
		}
	}
}

func isRedirect(code int) bool {
	return code == 301 || code == 302 || code == 303 || code == 307 || code == 308
}

// hostFor finds the host of a URL met during the run (a redirect or asset).
func (u *user) hostFor(x *url.URL) *hostInfo {
	key := hostKey(x)
	if i, ok := u.r.hostIdx[key]; ok {
		return u.r.hosts[i]
	}
	if h, ok := u.extra[key]; ok {
		return h
	}
	if u.extra == nil {
		u.extra = map[string]*hostInfo{}
	}
	u.mu.Lock()
	h := newHostInfo(len(u.conns), x)
	u.conns = append(u.conns, nil)
	u.mu.Unlock()
	u.extra[key] = h
	return h
}

// transaction performs one exchange and records it. ok is false when the
// exchange failed (counted) or the run is ending (not counted).
func (u *user) transaction(h *hostInfo, raw []byte, head bool, method, target string) (status int, ok bool) {
	start := time.Now()
	err := u.exchange(h, raw, head, start)
	lat := time.Since(start)
	if err != nil {
		if u.r.stopped.Load() {
			u.aborted = true
			return 0, false
		}
		c := Classify(err)
		u.errs[c]++
		if u.errMsg[c] == "" {
			u.errMsg[c] = fmt.Sprintf("%s %s: %v", method, target, err)
		}
		u.fails.Add(1)
		if u.r.opts.Verbose != nil {
			u.logLine(0, lat, 0, method, target, c.String())
		}
		return 0, false
	}
	status = u.resp.Header.StatusCode()
	us := lat.Microseconds()
	if us < 1 {
		us = 1
	} else if us > u.r.highest {
		us = u.r.highest
	}
	_ = u.hist.RecordValue(us)
	u.live.record(us)
	u.sumLat += lat
	if u.minLat == 0 || lat < u.minLat {
		u.minLat = lat
	}
	if lat > u.maxLat {
		u.maxLat = lat
	}
	if status >= 100 && status < 600 {
		u.status[status]++
	} else {
		u.status[0]++
	}
	if status < 400 || status == 401 || status == 407 {
		u.ok++
	}
	if status >= 400 {
		u.httpErrs.Add(1)
	}
	u.txns.Add(1)
	if u.r.opts.Verbose != nil {
		u.logLine(status, lat, len(u.resp.Body()), method, target, "")
	}
	return status, true
}

// exchange writes raw on a connection to h and reads the response into
// u.resp. A reused keep-alive connection that the server closed while idle
// is redialled once, as browsers do; any other failure is returned.
func (u *user) exchange(h *hostInfo, raw []byte, head bool, now time.Time) error {
	for attempt := 0; ; attempt++ {
		c := u.conns[h.id]
		if c == nil {
			var err error
			if c, err = u.dial(h); err != nil {
				return err
			}
		}
		if err := c.arm(now, u.r.opts.Timeout); err != nil {
			u.drop(h, c)
			return err
		}
		if u.r.stopped.Load() {
			return context.Canceled
		}
		if u.brOn != c {
			u.br.Reset(c)
			u.brOn = c
		}
		c.readNow = 0
		reused := c.served > 0
		u.resp.SkipBody = head
		_, err := c.nc.Write(raw)
		if err == nil {
			err = u.resp.Read(u.br)
		}
		if err != nil {
			u.drop(h, c)
			if reused && attempt == 0 && c.readNow == 0 && Classify(err) == ErrReset && !u.r.stopped.Load() {
				continue
			}
			return err
		}
		c.served++
		if u.r.opts.Close || u.resp.ConnectionClose() {
			u.drop(h, c)
		}
		return nil
	}
}

func (u *user) dial(h *hostInfo) (*conn, error) {
	d := net.Dialer{Timeout: u.r.opts.Timeout}
	nc, err := d.DialContext(u.r.ctx, "tcp", h.addr)
	if err != nil {
		return nil, err
	}
	if h.tls {
		cfg := u.r.tlsConfig.Clone()
		cfg.ServerName = h.serverName
		tc := tls.Client(nc, cfg)
		ctx, cancel := context.WithTimeout(u.r.ctx, u.r.opts.Timeout)
		err := tc.HandshakeContext(ctx)
		cancel()
		if err != nil {
			_ = nc.Close()
			return nil, err
		}
		nc = tc
	}
	c := &conn{nc: nc, u: u}
	u.mu.Lock()
	u.conns[h.id] = c
	u.mu.Unlock()
	if u.r.stopped.Load() {
		_ = nc.SetDeadline(time.Unix(1, 0))
	}
	return c, nil
}

func (u *user) drop(h *hostInfo, c *conn) {
	u.mu.Lock()
	if u.conns[h.id] == c {
		u.conns[h.id] = nil
	}
	u.mu.Unlock()
	if u.brOn == c {
		u.brOn = nil
	}
	_ = c.nc.Close()
}

func (u *user) closeAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for i, c := range u.conns {
		if c != nil {
			_ = c.nc.Close()
			u.conns[i] = nil
		}
	}
}

func (u *user) logLine(status int, lat time.Duration, size int, method, target, errClass string) {
	b := u.verbose[:0]
	if errClass != "" {
		b = append(b, "ERROR "...)
		b = append(b, errClass...)
		for i := len(errClass); i < 8; i++ {
			b = append(b, ' ')
		}
	} else {
		b = append(b, u.r.opts.Protocol...)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(status), 10)
	}
	b = append(b, ' ')
	secs := strconv.FormatFloat(lat.Seconds(), 'f', 3, 64)
	for i := len(secs); i < 8; i++ {
		b = append(b, ' ')
	}
	b = append(b, secs...)
	b = append(b, " secs: "...)
	sz := strconv.Itoa(size)
	for i := len(sz); i < 8; i++ {
		b = append(b, ' ')
	}
	b = append(b, sz...)
	b = append(b, " bytes ==> "...)
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, target...)
	b = append(b, '\n')
	u.verbose = b
	u.r.verboseMu.Lock()
	_, _ = u.r.opts.Verbose.Write(b)
	u.r.verboseMu.Unlock()
}

// conn is one user's connection; it counts the bytes it reads.
type conn struct {
	nc       net.Conn
	u        *user
	deadline time.Time
	served   int
	readNow  int
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.nc.Read(p)
	if n > 0 {
		c.readNow += n
		c.u.bytes.Add(int64(n))
	}
	return n, err
}

// arm sets the connection's deadline for a request starting now. To save a
// timer update per request the deadline is only moved when less than 7/8 of
// the timeout remains, so a request times out between 7/8 and 8/8 of it.
func (c *conn) arm(now time.Time, timeout time.Duration) error {
	if c.deadline.Sub(now) >= timeout-timeout/8 {
		return nil
	}
	c.deadline = now.Add(timeout)
	return c.nc.SetDeadline(c.deadline)
}

var _ io.Reader = (*conn)(nil)
