package loadgen

// This file: the Runner: preparing a run, its lifecycle (start, grow, stop), intervals and live snapshots.

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/internal/weburl"
)

// Runner runs one load test. Create it with New, start it with Run, and read
// live progress with Snapshot from any goroutine while it runs.
type Runner struct {
	opts    Options
	plan    headerPlan
	proxy   *proxyInfo
	targets []prepared
	logins  []prepared
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
	ivCnt  ivCounts // with OnInterval: the previous boundary's counters

	// What users record into and borrow (doc.go).
	shards    *shards
	errMsg    [numErrorClasses]atomic.Pointer[string] // the first message of each error class
	readers   *pool[*bufio.Reader]
	responses *pool[*fasthttp.Response]
	snapMu    sync.Mutex
	snapSums  []uint64 // Snapshot's scratch

	// Dialling (dial.go): the queue of dials and how many diallers run.
	dialQ   chan dialJob
	dialers atomic.Int32

	// Hosts' addresses (resolve.go).
	resolver  Resolver
	addrMu    sync.Mutex
	endpoints map[string]*endpoint // by host:port
	addrs     map[string]*address  // by host and ip:port
	addrList  []*address           // in order of first use

	start     time.Time     // Run's start; every time on the hot path is an offset from it
	deadline  time.Duration // the run context's deadline as an offset from start; 0 = none
	started   atomic.Int64  // unix nanos of the start, 0 before Run
	stopped   atomic.Bool
	failures  atomic.Int64       // socket failures, counted only with MaxFailures
	maxFailed atomic.Bool        // MaxFailures was reached (it cancels the run once)
	cancel    context.CancelFunc // Run's; set before users start
	ctx       context.Context
	verboseMu sync.Mutex
	tlsConfig *tls.Config

	// The open model (Options.Rate): send time k is start + k*1e9/Rate ns,
	// or with stages where the rate's integral reaches k.
	rate       bool
	slot       atomic.Int64  // the next send time's index
	schedEnd   time.Duration // no send at or after this offset; 0 = none
	schedTotal int64         // send times in all; 0 = unbounded

	// The load's shape (stages.go): flat at Users or Rate without stages.
	shape   *shape
	shaped  bool          // Options.Stages is set
	runFor  time.Duration // the run's length: Duration, capped by the stages; 0 = open-ended
	allowed atomic.Int32  // closed model with stages: users with a lower id run, the rest wait
	gate    atomic.Pointer[chan struct{}]
	running atomic.Int32 // users started and not waiting
	pace    pacer
}

type prepared struct {
	Target
	parsed  *url.URL
	host    int
	raw     []byte // the serialised request, built once
	at      int    // where a user's session headers go in raw
	head    bool
	display string // the URL as shown (a login's query hidden)
}

type hostInfo struct {
	id         int
	addr       string // host:port (a proxy's CONNECT names it)
	tls        bool
	serverName string
	ep         *endpoint
}

// New validates the targets and options and prepares every request once.
func New(targets []Target, opts Options) (*Runner, error) {
	if len(targets) == 0 {
		return nil, errors.New("no targets")
	}
	if err := checkStages(&opts); err != nil {
		return nil, err
	}
	if err := checkOptions(&opts); err != nil {
		return nil, err
	}
	shaped := len(opts.Stages) > 0
	level := float64(opts.Users)
	if opts.Rate > 0 {
		level = opts.Rate
	}
	sh := newShape(level, opts.Stages)
	runFor := opts.Duration
	if shaped {
		if runFor <= 0 || runFor > sh.total {
			runFor = sh.total
		}
		if opts.Rate == 0 {
			opts.MaxUsers = max(opts.Users, int(sh.peak()))
		}
	}
	r := &Runner{opts: opts, hostIdx: map[string]int{}, highest: opts.Timeout.Microseconds() + 1, rate: opts.Rate > 0,
		shape: sh, shaped: shaped, runFor: runFor,
		resolver: opts.Resolver, endpoints: map[string]*endpoint{}, addrs: map[string]*address{}}
	if r.highest < 2 {
		r.highest = 2
	}
	r.engine()
	var err error
	if r.plan, err = newHeaderPlan(&r.opts); err != nil {
		return nil, err
	}
	if r.proxy, err = newProxy(opts.Proxy, opts.ProxyAuth); err != nil {
		return nil, err
	}
	r.tlsConfig = &tls.Config{InsecureSkipVerify: opts.Insecure, MinVersion: tls.VersionTLS12, ClientSessionCache: tls.NewLRUClientSessionCache(256)} //nolint:gosec // opt-in by --insecure
	if r.targets, err = r.prepareAll(targets, "target"); err != nil {
		return nil, err
	}
	if r.logins, err = r.prepareAll(opts.Logins, "login"); err != nil {
		return nil, err
	}
	for i := range r.logins {
		r.logins[i].display = loginDisplay(r.logins[i].parsed)
	}
	if err := checkDescriptors(r.opts.MaxUsers, len(r.hosts)); err != nil {
		return nil, err
	}
	return r, nil
}

// checkOptions checks opts and fills in the defaults, but for the load
// shape's (checkStages).
func checkOptions(opts *Options) error {
	shaped := len(opts.Stages) > 0
	if opts.Users <= 0 && (!shaped || opts.Rate > 0 || opts.Users < 0) {
		return fmt.Errorf("concurrent users must be at least 1, got %d", opts.Users)
	}
	if opts.Reps < 0 {
		return fmt.Errorf("reps must not be negative, got %d", opts.Reps)
	}
	if opts.MaxFailures < 0 {
		return fmt.Errorf("failures must not be negative, got %d", opts.MaxFailures)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxRedirect <= 0 {
		opts.MaxRedirect = DefaultMaxRedirect
	}
	if opts.Protocol == "" {
		opts.Protocol = DefaultProtocol
	}
	if opts.Protocol != "HTTP/1.1" && opts.Protocol != "HTTP/1.0" {
		return fmt.Errorf("protocol must be HTTP/1.1 or HTTP/1.0, got %q", opts.Protocol)
	}
	if opts.Seed == 0 {
		opts.Seed = rand.Uint64()
	}
	if opts.Rate < 0 || math.IsNaN(opts.Rate) || math.IsInf(opts.Rate, 0) {
		return fmt.Errorf("rate must be a positive number of requests per second, got %v", opts.Rate)
	}
	if opts.MaxUsers < opts.Users || opts.Rate == 0 {
		opts.MaxUsers = opts.Users
	}
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.MaxBody < 0 {
		return fmt.Errorf("max body must not be negative, got %d", opts.MaxBody)
	}
	if opts.MaxBody == 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.ResolveEvery <= 0 {
		opts.ResolveEvery = DefaultResolveEvery
	}
	return nil
}

// engine makes what the users record into and borrow, and the resolver.
func (r *Runner) engine() {
	if r.resolver == nil {
		r.resolver = net.DefaultResolver
	}
	r.shards = newShards(r.highest, r.rate)
	r.readers = newPool(func() *bufio.Reader { return bufio.NewReaderSize(nil, MaxHeaderBytes) })
	r.responses = newPool(func() *fasthttp.Response { return &fasthttp.Response{} })
}

// prepareAll checks targets and serialises each request once.
func (r *Runner) prepareAll(targets []Target, what string) ([]prepared, error) {
	out := make([]prepared, 0, len(targets))
	for i, t := range targets {
		display := weburl.RedactText(t.URL)
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%s %d: invalid URL %q", what, i+1, display)
		}
		if err := weburl.CheckPort(u); err != nil {
			return nil, fmt.Errorf("%s %d: invalid URL %q: %w", what, i+1, display, err)
		}
		if t.Method == "" {
			t.Method = "GET"
		}
		if err := checkHeader("Content-Type", t.ContentType); err != nil {
			return nil, fmt.Errorf("%s %d: %w", what, i+1, err)
		}
		p := prepared{Target: t, parsed: u, host: r.host(u).id, head: t.Method == "HEAD", display: display}
		p.raw, p.at = r.buildRequest(nil, t.Method, u, t.Body, t.ContentType)
		out = append(out, p)
	}
	return out, nil
}

// isLogin reports whether x is one of the run's login URLs.
func (r *Runner) isLogin(x *url.URL) bool {
	for i := range r.logins {
		if r.logins[i].parsed == x {
			return true
		}
	}
	return false
}

// host returns the shared hostInfo for a URL, adding it when new.
// It is used only while preparing, before users start.
func (r *Runner) host(u *url.URL) *hostInfo {
	key := hostKey(u)
	if i, ok := r.hostIdx[key]; ok {
		return r.hosts[i]
	}
	h := r.newHostInfo(len(r.hosts), u)
	r.hostIdx[key] = h.id
	r.hosts = append(r.hosts, h)
	return h
}

// newHostInfo describes the host of u for connection slot id.
// Connections go to the host's addresses, or through the proxy's.
func (r *Runner) newHostInfo(id int, u *url.URL) *hostInfo {
	addr := hostPort(u)
	dial := addr
	if r.proxy != nil {
		dial = r.proxy.addr
	}
	host, port, _ := net.SplitHostPort(dial)
	return &hostInfo{id: id, addr: addr, tls: u.Scheme == "https", serverName: u.Hostname(), ep: r.endpoint(host, port)}
}

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
	r.cancel = cancel // MaxFailures ends the run through it
	var drain <-chan time.Time
	if d := r.runFor; d > 0 {
		if r.rate {
			r.schedEnd = d
			t := time.NewTimer(d + min(r.opts.Timeout, 2*time.Second))
			defer t.Stop()
			drain = t.C
		} else {
			var c2 context.CancelFunc
			ctx, c2 = context.WithTimeout(ctx, d)
			defer c2()
		}
	}
	r.resolveAll(ctx)
	r.prepare(ctx)
	defer r.resolving(ctx)()
	live := r.startUsers()
	start := r.start
	r.started.Store(start.UnixNano())

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
	started, next := r.step(0)
	live += started
	pace := time.NewTimer(next)
	defer pace.Stop()
	done := ctx.Done()
	// A closed-model shape may have no user running yet, or none for a
	// while: only the end of the run ends the wait.
	for live > 0 || (r.shaped && !r.rate && done != nil) {
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
		case <-pace.C:
			started, next := r.step(time.Since(start))
			live += started
			pace.Reset(next - time.Since(start))
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
	r.finishPace(end.Sub(start))
	return r.result(start, end, outer, ctx), nil
}

// resolving looks the hosts up again every ResolveEvery until the
// returned func is called.
func (r *Runner) resolving(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.reresolve(ctx) })
	return func() { cancel(); wg.Wait() }
}

// startUsers starts the run's first users: Users, or in the closed model
// with stages as many as the shape's level at the start. It returns how
// many started.
func (r *Runner) startUsers() int {
	n := r.opts.Users
	if r.shaped && !r.rate {
		n = min(max(r.shape.users(0), 0), len(r.users))
		r.allowed.Store(int32(n))
	}
	r.startPace() // before the users run: its first sample sees none
	return r.spawn(0, n)
}

// spawn creates users [from, to), counts them in nUsers and starts their
// goroutines; it returns how many started.
func (r *Runner) spawn(from, to int) int {
	for i := from; i < to; i++ {
		r.users[i] = r.newUser(i)
	}
	r.nUsers.Store(int32(to))
	for _, u := range r.users[from:to] {
		go r.runUser(u)
	}
	return to - from
}

// prepare sets what users need before the first one starts.
func (r *Runner) prepare(ctx context.Context) {
	r.ctx = ctx
	if r.rate {
		switch {
		case r.opts.Once:
			r.schedTotal = int64(len(r.targets))
		case r.opts.Reps > 0:
			r.schedTotal = int64(r.opts.Reps) * int64(r.opts.Users)
		}
	}
	r.users = make([]*user, r.opts.MaxUsers)
	r.exited = make(chan struct{}, r.opts.MaxUsers)
	r.dialQ = make(chan dialJob, r.opts.MaxUsers)
	gate := make(chan struct{})
	r.gate.Store(&gate)
	if r.opts.OnInterval != nil {
		r.ivLat = newIntervals(r.highest)
		if r.rate {
			r.ivRaw = newIntervals(r.highest)
		}
	}
	r.start = time.Now()
	if dl, ok := ctx.Deadline(); ok {
		r.deadline = max(dl.Sub(r.start), 1)
	}
}

// active returns the users started so far.
func (r *Runner) active() []*user { return r.users[:r.nUsers.Load()] }

func (r *Runner) runUser(u *user) {
	r.running.Add(1)
	defer func() {
		r.running.Add(-1)
		r.exited <- struct{}{}
	}()
	if r.rate {
		u.runRate()
		return
	}
	u.run()
}

// plannedAt is the intended send time of schedule index k, from the start.
func (r *Runner) plannedAt(k int64) time.Duration {
	if r.shaped {
		return r.shape.sendTime(k)
	}
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
	return r.spawn(cur, cur+min(max(1, cur/2), len(r.users)-cur))
}

// collect hands the interval's histograms to OnInterval. Its cost is the
// shards' counters, whatever the number of users.
func (r *Runner) collect(from, to time.Time) {
	iv := Interval{Start: from, End: to, Latency: hdrhistogram.New(1, r.highest, 3)}
	r.ivLat.next(r.shards.latencies(false), iv.Latency)
	d := r.ivCnt.next(r.shards.sum())
	iv.Transactions, iv.Failed, iv.HTTPErrors = d.txns, d.fails, d.httpErrs
	iv.Target = r.shape.mean(from.Sub(r.start), to.Sub(r.start))
	if _, i := r.shape.at(to.Sub(r.start)); r.shaped {
		iv.Stage = i + 1
	}
	iv.Latency.SetStartTimeMs(from.UnixMilli())
	iv.Latency.SetEndTimeMs(to.UnixMilli())
	if r.ivRaw != nil {
		iv.Uncorrected = hdrhistogram.New(1, r.highest, 3)
		r.ivRaw.next(r.shards.latencies(true), iv.Uncorrected)
		iv.Uncorrected.SetStartTimeMs(from.UnixMilli())
		iv.Uncorrected.SetEndTimeMs(to.UnixMilli())
	}
	r.opts.OnInterval(iv)
}

// ending reports whether the run is ending: its context is done (time up,
// cancelled) or stop was called. A request that fails then was cut short by
// the end and is not counted. The context is checked as well as stopped
// because Run's goroutine calls stop only after it sees the context done:
// in between, a dial under the expired context fails at once, and so does
// every later one.
func (r *Runner) ending() bool { return r.stopped.Load() || r.ctx.Err() != nil }

// endedAt is ending for a request that failed at offset now: it also says
// yes once the context's deadline has passed, as a dial sees it before the
// context's timer has fired and cancelled it.
func (r *Runner) endedAt(now time.Duration) bool {
	return r.ending() || (r.deadline > 0 && now >= r.deadline)
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
	P50, P99     time.Duration // HdrHistogram's precision (0.1%)
	// Target is the load's level now (users, or requests/s in the open
	// model); Users the users running (not waiting); Stage the stage in
	// force (1-based, 0 without stages) of Stages.
	Target        float64
	Users         int
	Stage, Stages int
}

// Snapshot returns progress so far; it is safe to call while Run runs.
// Its cost is the shards' counters, whatever the number of users.
func (r *Runner) Snapshot() Snapshot {
	var s Snapshot
	ns := r.started.Load()
	if ns <= 1 {
		return s
	}
	s.Elapsed = time.Since(time.Unix(0, ns))
	var i int
	s.Target, i = r.shape.at(s.Elapsed)
	if r.shaped {
		s.Stage, s.Stages = i+1, len(r.opts.Stages)
	}
	s.Users = int(r.running.Load())
	t := r.shards.sum()
	s.Transactions = t.transactions()
	s.Failed = t.failed()
	s.HTTPErrors = t.httpErrors()
	s.Bytes = t.bytes
	r.snapMu.Lock()
	defer r.snapMu.Unlock()
	if r.snapSums == nil {
		r.snapSums = make([]uint64, ivIndex(r.highest)+1)
	}
	clear(r.snapSums)
	for _, c := range r.shards.latencies(false) {
		c.sumInto(r.snapSums)
	}
	s.P50 = quantileOf(r.snapSums, 0.50)
	s.P99 = quantileOf(r.snapSums, 0.99)
	return s
}
