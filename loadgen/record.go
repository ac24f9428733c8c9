package loadgen

// This file: accounting: recording each transaction or failure into a shard.

import (
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// transaction performs one exchange and records it. ok is false when the
// exchange failed (counted) or the run is ending (not counted). x is the
// request's URL, for the cookies the response sets.
func (u *user) transaction(h *hostInfo, raw []byte, head bool, method, target string, x *url.URL) (status int, ok bool) {
	start := time.Since(u.r.start)
	err := u.exchange(h, raw, head, start)
	end := time.Since(u.r.start)
	lat := end - start
	o := &u.r.opts
	if o.Debug != nil {
		u.debug(raw, err, x)
	}
	if err == nil && o.ZeroDataFail && u.bodyLen == 0 {
		err = errZeroData
	}
	if err != nil {
		if err != errZeroData && u.r.endedAt(end) {
			// Cut short by the end of the run: not a transaction, not a
			// failure, and its bytes are not counted either.
			u.nread = 0
			u.aborted = true
			u.cut++
			return 0, false
		}
		u.failed(err, start, lat, method, target)
		return 0, false
	}
	if !o.NoCookies {
		u.sess.cur = x
		u.resp.Header.VisitAllCookie(u.onCookie)
	}
	status = u.resp.Header.StatusCode()
	s := u.r.shards.get()
	u.record(s, lat, end, start)
	code := status
	if code < 0 || code >= len(s.status) {
		code = 0 // fasthttp takes any three digits; anything else counts under 0
	}
	s.bytes.Add(u.nread)
	u.nread = 0
	if a := u.addr; a != nil {
		a.stats[s.idx].reqs.Add(1)
	}
	s.status[code].Add(1) // last: a response counts in the totals once all of it is recorded
	u.r.shards.put(s)
	if o.Verbose != nil {
		u.logLine(status, lat, u.bodyLen, method, target, "")
	}
	return status, true
}

// failed records a socket-level failure (or siege's zero-data failure), and
// ends the run when siege's failures limit is reached. A failure caused by
// the end of the run is not counted.
func (u *user) failed(err error, start, lat time.Duration, method, target string) {
	if u.r.ending() {
		u.nread = 0
		u.aborted = true
		return
	}
	c := Classify(err)
	s := u.r.shards.get()
	if u.planned >= 0 {
		u.scheduled(s, start)
	}
	s.bytes.Add(u.nread)
	u.nread = 0
	if a := u.addr; a != nil {
		a.stats[s.idx].errs.Add(1)
	}
	s.errs[c].Add(1)
	u.r.shards.put(s)
	if m := &u.r.errMsg[c]; m.Load() == nil {
		msg := fmt.Sprintf("%s %s: %v", method, target, err)
		m.CompareAndSwap(nil, &msg)
	}
	if u.r.opts.Verbose != nil {
		u.logLine(0, lat, 0, method, target, c.String())
	}
	if m := u.r.opts.MaxFailures; m > 0 && u.r.failures.Add(1) >= int64(m) {
		u.r.stopped.Store(true) // no user starts another request; Run stops the rest
		if u.r.maxFailed.CompareAndSwap(false, true) && u.r.cancel != nil {
			u.r.cancel()
		}
	}
}

// debug writes the request as sent and the response head (siege's -D).
func (u *user) debug(raw []byte, err error, x *url.URL) {
	b := redactHead(raw, u.r.isLogin(x))
	if err != nil {
		b = append(b, "(no response: "...)
		b = append(b, err.Error()...)
		b = append(b, ")\r\n"...)
	} else {
		b = append(b, redactHead(u.resp.Header.Header(), false)...)
	}
	b = append(b, "\r\n"...)
	u.r.verboseMu.Lock()
	_, _ = u.r.opts.Debug.Write(b)
	u.r.verboseMu.Unlock()
}

// record adds one response's latency to shard s: lat from the actual send
// at start; in the open model the scheduled request's latency from its
// intended time (ending at end) goes to the corrected histogram.
func (u *user) record(s *shard, lat, end, start time.Duration) {
	latency(&s.sumLat, &s.minLat, &s.maxLat, lat)
	if s.raw == nil {
		s.lat.add(u.clamp(lat))
		return
	}
	s.raw.add(u.clamp(lat))
	corr := lat
	if u.planned >= 0 {
		// The scheduled request: latency from its intended time. Redirects
		// and assets that follow it are sent when due and keep their own.
		corr = end - u.planned
		u.scheduled(s, start)
	}
	s.lat.add(u.clamp(corr))
	latency(&s.sumCorr, &s.minCorr, &s.maxCorr, corr)
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
func (u *user) scheduled(s *shard, at time.Duration) {
	s.sent.Add(1)
	if at > u.lastSend {
		u.lastSend = at
	}
	if lag := at - u.planned; lag > u.maxLag {
		u.maxLag = lag
	}
	u.planned = -1
}

// logLine writes siege's verbose line for one transaction or failure.
func (u *user) logLine(status int, lat time.Duration, size int64, method, target, errClass string) {
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
	sz := strconv.FormatInt(size, 10)
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
