package loadgen

// This file: a simulated user's loop: closed and open model, redirects and parsed assets.

import (
	"bufio"
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

	resp     *fasthttp.Response // the head of the last response, from the pool during an iteration (its body is read by readBody)
	body     []byte             // the start of the last body, when the parser wants it
	bodyLen  int64              // the last body's length
	parse    bool               // the last response is for the parser (2xx HTML)
	fetch    bool               // a single request (Do): keep any body, up to MaxBody
	more     *userMore          // for redirects and parsed assets, made when first needed
	sess     session
	onCookie func(key, value []byte) // onSetCookie, made once
	verbose  []byte
	timer    *time.Timer
	nread    int64 // bytes read since the last transaction was recorded

	// Rate mode: planned is the current scheduled request's intended time,
	// -1 when none.
	planned  time.Duration
	lastSend time.Duration
	maxLag   time.Duration

	aborted bool  // the end of the run cut the user's request short
	cut     int64 // requests the end of the run cut short (0 or 1)
}

// userMore is what a user needs only to follow redirects and fetch parsed
// assets: most runs never make it.
type userMore struct {
	extra   map[string]*hostInfo // hosts met during the run
	dyn     []byte               // a redirect's or parsed asset's request
	assets  []string
	inflate *inflater // decompresses pages for the parser, made on first use
}

func (r *Runner) newUser(id int) *user {
	u := &user{
		id:      id,
		r:       r,
		rng:     rand.New(rand.NewPCG(r.opts.Seed, uint64(id))),
		conns:   make([]*conn, len(r.hosts)),
		planned: -1,
	}
	u.onCookie = u.onSetCookie
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
		users := o.Users
		if u.r.shaped && !u.r.rate {
			users = o.MaxUsers // every slot of the shape
		}
		start := u.id * (n / users)
		if n/users == 0 {
			start = u.id % n
		}
		next = func(iter int) int { return (start + iter) % n }
	}
	if u.login(); u.aborted {
		return
	}
	expire := o.ExpireSession && !o.Internet && !o.Once
	for iter := 0; limit == 0 || iter < limit; iter++ {
		if u.r.ending() {
			return
		}
		if iter > 0 && o.Delay > 0 && !u.pause() {
			return
		}
		if u.r.shaped && int32(u.id) >= u.r.allowed.Load() && !u.park() {
			return
		}
		i := next(iter)
		if expire && iter > 0 && i == 0 {
			u.sess.jar.clear() // siege's expire-session: a new session each time round the list
		}
		u.iterate(&u.r.targets[i])
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
	if u.login(); u.aborted {
		return
	}
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

// iterate sends one target, its redirects and, with the parser, its
// assets, then gives the response back to the pool.
func (u *user) iterate(t *prepared) {
	u.visit(t)
	u.release()
}

// visit is iterate's work.
func (u *user) visit(t *prepared) {
	status, ok := u.send(u.r.hosts[t.host], t.raw, t.at, t.parsed, t, t.head, t.Method, t.display)
	if !ok {
		return
	}
	page := t.parsed
	o := &u.r.opts
	if !o.NoFollow {
		method, body, ctype := t.Method, t.Body, t.ContentType
		for hops := 0; isRedirect(status) && hops < o.MaxRedirect; hops++ {
			next := u.location(page)
			if next == nil {
				break
			}
			if status == 303 || ((status == 301 || status == 302) && method != "GET" && method != "HEAD") {
				method, body, ctype = "GET", nil, ""
			}
			page = next
			if status, ok = u.sendURL(method, next, body, ctype); !ok {
				return
			}
		}
	}
	if u.parse {
		m := u.extras()
		m.assets = o.Parser(m.assets[:0], u.pageHTML(), page)
		if cap(u.body) > keepBodyBuffer {
			u.body = nil // a large page's buffer is not kept between pages
		}
		for _, a := range m.assets {
			au, err := url.Parse(a)
			if err != nil || (au.Scheme != "http" && au.Scheme != "https") || au.Host == "" {
				continue
			}
			if _, ok := u.sendURL("GET", au, nil, ""); !ok {
				return
			}
		}
	}
}

// location is the response's redirect target, resolved against page; nil
// when there is none to follow.
func (u *user) location(page *url.URL) *url.URL {
	loc := u.resp.Header.Peek("Location")
	if len(loc) == 0 {
		return nil
	}
	next, err := page.Parse(string(loc))
	if err != nil || (next.Scheme != "http" && next.Scheme != "https") || next.Host == "" {
		return nil
	}
	next.Fragment = ""
	return next
}

// sendURL builds and sends a request met during the run (a redirect hop or
// a parsed asset).
func (u *user) sendURL(method string, x *url.URL, body []byte, ctype string) (int, bool) {
	h := u.hostFor(x)
	m := u.extras()
	var at int
	m.dyn, at = u.r.buildRequest(m.dyn[:0], method, x, body, ctype)
	return u.send(h, m.dyn, at, x, nil, method == "HEAD", method, x.Redacted())
}

// send sends one request with the user's session headers; a 401 that the
// run's credentials answer is sent once more with them, as siege does, and
// both count as transactions.
func (u *user) send(h *hostInfo, raw []byte, at int, x *url.URL, key *prepared, head bool, method, target string) (int, bool) {
	status, ok := u.transaction(h, u.withSession(raw, at, x, h, key), head, method, target, x)
	if ok && status == 401 && u.answerChallenge(h, x) {
		status, ok = u.transaction(h, u.withSession(raw, at, x, h, key), head, method, target, x)
	}
	return status, ok
}

// keepBodyBuffer is the largest body buffer a user keeps between pages
// (for the parser); larger pages get a buffer of their own, up to MaxBody.
const keepBodyBuffer = 256 << 10

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
		u.resp = u.r.responses.get()
	}
	return u.resp
}

// release gives the iteration's response back to the pool.
func (u *user) release() {
	if u.resp != nil {
		u.r.responses.put(u.resp)
		u.resp = nil
	}
}
