package loadgen

// This file: a simulated user's loop: closed and open model, redirects and parsed assets.

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net/url"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// user is one simulated user. Everything in it belongs to its goroutine
// except conns under mu (read by stop). It holds what a user needs between
// requests and nothing more: read buffers and responses come from the
// runner's pools while a response is read and handled, and everything the
// run counts goes into the shards (doc.go).
type user struct {
	id  int
	r   *Runner
	rng *rand.Rand

	mu    sync.Mutex    // guards conns against stop(); never taken per request
	conns []*conn       // by host id
	br    *bufio.Reader // from the pool while reading; kept only while it buffers bytes of brOn
	brOn  *conn
	addr  *address // the address of the current exchange's connection (or dial), nil before

	resp    *fasthttp.Response // from the pool during an iteration
	more    *userMore          // for redirects and parsed assets, made when first needed
	verbose []byte
	timer   *time.Timer
	nread   int64 // bytes read since the last transaction was recorded

	// Rate mode: planned is the current scheduled request's intended time,
	// -1 when none.
	planned  time.Duration
	sent     int64
	lastSend time.Duration
	maxLag   time.Duration
	aborted  bool
}

// userMore is what a user needs only to follow redirects and fetch parsed
// assets: most runs never make it.
type userMore struct {
	extra  map[string]*hostInfo // hosts met during the run
	req    fasthttp.Request
	dyn    bytes.Buffer
	assets []string
}

func (r *Runner) newUser(id int) *user {
	return &user{
		id:      id,
		r:       r,
		rng:     rand.New(rand.NewPCG(r.opts.Seed, uint64(id))),
		conns:   make([]*conn, len(r.hosts)),
		planned: -1,
	}
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
		u.release()
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
		u.release()
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
			m := u.extras()
			m.dyn.Reset()
			if err := u.r.buildRequest(&m.dyn, &m.req, method, next, body); err != nil {
				break
			}
			page = next
			if status, ok = u.transaction(h, m.dyn.Bytes(), method == "HEAD", method, next.String()); !ok {
				return
			}
		}
	}
	if o.Parser != nil && status >= 200 && status < 300 && looksHTML(u.resp.Header.ContentType()) {
		m := u.extras()
		m.assets = o.Parser(m.assets[:0], u.resp.Body(), page)
		for _, a := range m.assets {
			au, err := url.Parse(a)
			if err != nil || (au.Scheme != "http" && au.Scheme != "https") || au.Host == "" {
				continue
			}
			h := u.hostFor(au)
			m.dyn.Reset()
			if err := u.r.buildRequest(&m.dyn, &m.req, "GET", au, nil); err != nil {
				continue
			}
			if _, ok := u.transaction(h, m.dyn.Bytes(), false, "GET", a); !ok {
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
	m := u.extras()
	if h, ok := m.extra[key]; ok {
		return h
	}
	if m.extra == nil {
		m.extra = map[string]*hostInfo{}
	}
	u.mu.Lock()
	h := u.r.newHostInfo(len(u.conns), x)
	u.conns = append(u.conns, nil)
	u.mu.Unlock()
	m.extra[key] = h
	return h
}

// extras returns what the user needs for redirects and assets.
func (u *user) extras() *userMore {
	if u.more == nil {
		u.more = &userMore{}
	}
	return u.more
}

// response returns the response to read into, from the pool.
func (u *user) response() *fasthttp.Response {
	if u.resp == nil {
		u.resp = u.r.responses.Get().(*fasthttp.Response)
	}
	return u.resp
}

// release gives the iteration's response back to the pool.
func (u *user) release() {
	if u.resp != nil {
		u.r.responses.Put(u.resp)
		u.resp = nil
	}
}
