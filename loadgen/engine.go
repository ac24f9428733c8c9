package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
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
	highest int64 // µs, the histograms' upper bound

	// users has room for every user the run may have; the first nUsers
	// are running. Only Run's goroutine adds users.
	users  []*user
	nUsers atomic.Int32
	exited chan struct{} // a user's goroutine ended
	ivLat  *intervals    // with OnInterval: the previous interval boundary's totals
	ivRaw  *intervals

	start     time.Time    // Run's start; every time on the hot path is an offset from it
	started   atomic.Int64 // unix nanos of the start, 0 before Run
	stopped   atomic.Bool
	ctx       context.Context
	verboseMu sync.Mutex
	tlsConfig *tls.Config

	// The open model (Options.Rate): send time k is start + k*1e9/Rate ns.
	rate       bool
	slot       atomic.Int64  // the next send time's index
	schedEnd   time.Duration // no send at or after this offset; 0 = none
	schedTotal int64         // send times in all; 0 = unbounded
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
	if opts.Rate < 0 || math.IsNaN(opts.Rate) || math.IsInf(opts.Rate, 0) {
		return nil, fmt.Errorf("rate must be a positive number of requests per second, got %v", opts.Rate)
	}
	if opts.MaxUsers < opts.Users || opts.Rate == 0 {
		opts.MaxUsers = opts.Users
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	r := &Runner{opts: opts, hostIdx: map[string]int{}, highest: opts.Timeout.Microseconds() + 1, rate: opts.Rate > 0}
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
//
// In rate mode the duration ends the schedule instead: requests already
// sent may complete for up to min(Timeout, 2 s) more; what is still in
// flight then is cut and not counted.
func (r *Runner) Run(ctx context.Context) (*Result, error) {
	if !r.started.CompareAndSwap(0, 1) {
		return nil, errors.New("runner already used")
	}
	outer := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var drain <-chan time.Time
	if r.opts.Duration > 0 {
		if r.rate {
			r.schedEnd = r.opts.Duration
			t := time.NewTimer(r.opts.Duration + min(r.opts.Timeout, 2*time.Second))
			defer t.Stop()
			drain = t.C
		} else {
			var c2 context.CancelFunc
			ctx, c2 = context.WithTimeout(ctx, r.opts.Duration)
			defer c2()
		}
	}
	if r.rate {
		switch {
		case r.opts.Once:
			r.schedTotal = int64(len(r.targets))
		case r.opts.Reps > 0:
			r.schedTotal = int64(r.opts.Reps) * int64(r.opts.Users)
		}
	}
	r.prepare(ctx)
	for i := 0; i < r.opts.Users; i++ {
		r.users[i] = r.newUser(i)
	}
	r.nUsers.Store(int32(r.opts.Users))
	start := r.start
	r.started.Store(start.UnixNano())

	for _, u := range r.users[:r.opts.Users] {
		go r.runUser(u)
	}
	var grow, ivTick <-chan time.Time
	if r.rate && r.opts.MaxUsers > r.opts.Users {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		grow = t.C
	}
	ivStart := start
	if r.opts.OnInterval != nil {
		t := time.NewTicker(r.opts.Interval)
		defer t.Stop()
		ivTick = t.C
	}
	done := ctx.Done()
	for live := r.opts.Users; live > 0; {
		select {
		case <-r.exited:
			live--
		case <-done:
			done, drain, grow = nil, nil, nil
			r.stop()
		case <-drain:
			done, drain, grow = nil, nil, nil
			r.stop()
		case <-grow:
			live += r.grow()
		case now := <-ivTick:
			r.collect(ivStart, now)
			ivStart = now
		}
	}
	end := time.Now()
	r.stopped.Store(true)
	for _, u := range r.active() {
		u.closeAll()
	}
	if r.opts.OnInterval != nil {
		r.collect(ivStart, end)
	}
	return r.result(start, end, outer, ctx), nil
}

// prepare sets what users need before the first one starts.
func (r *Runner) prepare(ctx context.Context) {
	r.ctx = ctx
	r.users = make([]*user, r.opts.MaxUsers)
	r.exited = make(chan struct{}, r.opts.MaxUsers)
	if r.opts.OnInterval != nil {
		r.ivLat = newIntervals(r.highest)
		if r.rate {
			r.ivRaw = newIntervals(r.highest)
		}
	}
	r.start = time.Now()
}

// active returns the users started so far.
func (r *Runner) active() []*user { return r.users[:r.nUsers.Load()] }

func (r *Runner) runUser(u *user) {
	defer func() { r.exited <- struct{}{} }()
	if r.rate {
		u.runRate()
		return
	}
	u.run()
}

// plannedAt is the intended send time of schedule index k, from the start.
func (r *Runner) plannedAt(k int64) time.Duration {
	return time.Duration(float64(k) * 1e9 / r.opts.Rate)
}

// grow adds users when the schedule is more than 10 ms behind: half as
// many again as are running, at least one, up to MaxUsers. It returns how
// many started.
func (r *Runner) grow() int {
	if r.stopped.Load() {
		return 0
	}
	k := r.slot.Load()
	if r.schedTotal > 0 && k >= r.schedTotal {
		return 0
	}
	at := r.plannedAt(k)
	now := time.Since(r.start)
	if (r.schedEnd > 0 && (at >= r.schedEnd || now >= r.schedEnd)) || now-at <= 10*time.Millisecond {
		return 0
	}
	cur := int(r.nUsers.Load())
	add := min(max(1, cur/2), len(r.users)-cur)
	for i := cur; i < cur+add; i++ {
		r.users[i] = r.newUser(i)
	}
	r.nUsers.Store(int32(cur + add))
	for _, u := range r.users[cur : cur+add] {
		go r.runUser(u)
	}
	return add
}

// collect hands each user's interval histograms to OnInterval.
func (r *Runner) collect(from, to time.Time) {
	iv := Interval{Start: from, End: to, Latency: hdrhistogram.New(1, r.highest, 3)}
	if r.rate {
		iv.Uncorrected = hdrhistogram.New(1, r.highest, 3)
	}
	users := r.active()
	r.ivLat.next(users, func(u *user) *counter { return u.hist }, iv.Latency)
	if r.ivRaw != nil {
		r.ivRaw.next(users, func(u *user) *counter { return u.raw }, iv.Uncorrected)
	}
	iv.Latency.SetStartTimeMs(from.UnixMilli())
	iv.Latency.SetEndTimeMs(to.UnixMilli())
	if iv.Uncorrected != nil {
		iv.Uncorrected.SetStartTimeMs(from.UnixMilli())
		iv.Uncorrected.SetEndTimeMs(to.UnixMilli())
	}
	r.opts.OnInterval(iv)
}

// stop makes every user finish: in-flight requests fail at once and are
// not counted.
func (r *Runner) stop() {
	r.stopped.Store(true)
	past := time.Unix(1, 0)
	for _, u := range r.active() {
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
	users := r.active()
	hs := make([]*liveHist, 0, len(users))
	for _, u := range users {
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

	hist *counter // latency (in the open model, from the intended send time)
	raw  *counter // open model only: latency from the actual send
	live liveHist

	// Rate mode: planned is the current scheduled request's intended time,
	// -1 when none.
	planned  time.Duration
	sent     int64
	lastSend time.Duration
	maxLag   time.Duration

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
		hist:  newCounter(r.highest),

		planned: -1,
	}
	if r.rate {
		u.raw = newCounter(r.highest)
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

// runRate is the user's loop in the open model: take the next send time
// of the run's schedule, wait for it (or not, when it is past), send.
func (u *user) runRate() {
	r := u.r
	n := int64(len(r.targets))
	for !r.stopped.Load() {
		k := r.slot.Add(1) - 1
		if r.schedTotal > 0 && k >= r.schedTotal {
			return
		}
		at := r.plannedAt(k)
		now := time.Since(r.start)
		if r.schedEnd > 0 && (at >= r.schedEnd || now >= r.schedEnd) {
			return
		}
		if at > now && !u.sleep(at-now) {
			return
		}
		ti := k % n
		if r.opts.Internet {
			ti = u.rng.Int64N(n)
		}
		u.planned = at
		u.iterate(&r.targets[ti])
		u.planned = -1
		if u.aborted {
			return
		}
	}
}

// pause sleeps a random 0..Delay; false when the run ended meanwhile.
func (u *user) pause() bool {
	return u.sleep(time.Duration(u.rng.Int64N(int64(u.r.opts.Delay) + 1)))
}

// sleep waits for d; false when the run ended meanwhile.
func (u *user) sleep(d time.Duration) bool {
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
	start := time.Since(u.r.start)
	err := u.exchange(h, raw, head, start)
	end := time.Since(u.r.start)
	lat := end - start
	if err != nil {
		if u.r.stopped.Load() {
			u.aborted = true
			return 0, false
		}
		if u.planned >= 0 {
			u.scheduled(start)
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
	us := u.clamp(lat)
	if u.raw != nil {
		u.raw.add(us)
		if u.planned >= 0 {
			// The scheduled request: latency from its intended time. Redirects
			// and assets that follow it are sent when due and keep their own.
			us = u.clamp(end - u.planned)
			u.scheduled(start)
		}
	}
	u.hist.add(us)
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

func (u *user) clamp(d time.Duration) int64 {
	us := d.Microseconds()
	if us < 1 {
		return 1
	}
	if us > u.r.highest {
		return u.r.highest
	}
	return us
}

// scheduled accounts for the current scheduled request, sent at offset at.
func (u *user) scheduled(at time.Duration) {
	u.sent++
	if at > u.lastSend {
		u.lastSend = at
	}
	if lag := at - u.planned; lag > u.maxLag {
		u.maxLag = lag
	}
	u.planned = -1
}

// exchange writes raw on a connection to h and reads the response into
// u.resp. A reused keep-alive connection that the server closed while idle
// is redialled once, as browsers do; any other failure is returned.
func (u *user) exchange(h *hostInfo, raw []byte, head bool, now time.Duration) error {
	for attempt := 0; ; attempt++ {
		c := u.conns[h.id]
		if c == nil {
			var err error
			if c, err = u.dial(h); err != nil {
				return err
			}
		}
		if err := c.arm(u.r.start, now, u.r.opts.Timeout); err != nil {
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
		var err error
		if !c.send(raw, u.br.Buffered()) {
			_, err = c.nc.Write(raw)
		}
		if err == nil {
			err = u.resp.Read(u.br)
			if err == nil && c.pending != nil {
				c.pending, err = nil, errNotSent
			}
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
	if !u.r.opts.netConnIO {
		c.useRaw()
	}
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
	deadline time.Duration // offset from the run's start
	served   int
	readNow  int

	// The write-then-read path (rawio.go); rc is nil where it is not used.
	rc      syscall.RawConn
	rwFn    func(fd uintptr) bool
	pending []byte // a request to write before reading
	buf     []byte
	n       int
	err     error
	op      string
}

func (c *conn) Read(p []byte) (int, error) {
	var n int
	var err error
	if c.pending != nil {
		n, err = c.rawRead(p)
	} else {
		n, err = c.nc.Read(p)
	}
	if n > 0 {
		c.readNow += n
		c.u.bytes.Add(int64(n))
	}
	return n, err
}

// arm sets the connection's deadline for a request starting now. To save a
// timer update per request the deadline is only moved when less than 7/8 of
// the timeout remains, so a request times out between 7/8 and 8/8 of it.
func (c *conn) arm(start time.Time, now, timeout time.Duration) error {
	if c.deadline-now >= timeout-timeout/8 {
		return nil
	}
	c.deadline = now + timeout
	return c.nc.SetDeadline(start.Add(c.deadline))
}

var _ io.Reader = (*conn)(nil)
