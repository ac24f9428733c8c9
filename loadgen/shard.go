package loadgen

// This file: the shards every user records into (see doc.go), and reading
// them: totals, live snapshots, the end result.

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// maxShards bounds the shards on machines with many CPUs.
const maxShards = 64

// shard is one P's share of the run's accounting. Users take a shard from
// the runner's pool at the end of a transaction, add to it with atomic
// adds and give it back; the pool hands each P its own shard, so users
// running on different cores write different memory. Everything here is
// cumulative from the start of the run.
type shard struct {
	idx int
	lat *counter // latency, µs (in the open model from the intended send time)
	raw *counter // open model only: latency from the actual send

	status [1000]atomic.Int64 // by HTTP status code (fasthttp takes any three digits)
	errs   [numErrorClasses]atomic.Int64
	bytes  atomic.Int64
	sent   atomic.Int64 // the open model's scheduled requests sent (answered or failed)
	// Exact latency sums and extremes (ns) of what lat holds in the closed
	// model and raw in the open one (min 0: none yet).
	sumLat, minLat, maxLat atomic.Int64
	// The open model's corrected latency (ns): lat's exact sum and extremes.
	sumCorr, minCorr, maxCorr atomic.Int64
	_                         [64]byte // keep the next shard's hot words off this one's last line
}

// shards is the runner's fixed set of shards and the pool that gives each
// P one of them.
type shards struct {
	all  []*shard
	pool sync.Pool
	next atomic.Uint32
}

func newShards(highest int64, rate bool) *shards {
	n := min(max(runtime.GOMAXPROCS(0), 1), maxShards)
	ss := &shards{all: make([]*shard, n)}
	for i := range ss.all {
		s := &shard{idx: i, lat: newCounter(highest)}
		if rate {
			s.raw = newCounter(highest)
		}
		ss.all[i] = s
	}
	// The pool keeps one shard per P. When it has none for this P (at
	// start, or after a GC emptied it), it hands out the next shard in
	// turn: a pointer from a fixed set, so nothing is allocated.
	ss.pool.New = func() any { return ss.all[int(ss.next.Add(1)-1)%len(ss.all)] }
	return ss
}

// get returns this P's shard; put must give it back.
func (ss *shards) get() *shard  { return ss.pool.Get().(*shard) }
func (ss *shards) put(s *shard) { ss.pool.Put(s) }

// storeMin lowers a to v when v is smaller (or a is unset, 0).
func storeMin(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if (cur != 0 && cur <= v) || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// storeMax raises a to v when v is larger.
func storeMax(a *atomic.Int64, v int64) {
	for {
		cur := a.Load()
		if cur >= v || a.CompareAndSwap(cur, v) {
			return
		}
	}
}

// latency records one exact latency into sum, min and max.
func latency(sum, lo, hi *atomic.Int64, d time.Duration) {
	ns := max(int64(d), 1)
	sum.Add(ns)
	storeMin(lo, ns)
	storeMax(hi, ns)
}

// totals are the shards' counters added up.
type totals struct {
	status                    [1000]int64
	errs                      [numErrorClasses]int64
	bytes, sent               int64
	sumLat, minLat, maxLat    int64
	sumCorr, minCorr, maxCorr int64
}

// transactions is the number of responses: the sum of the status counts.
func (t *totals) transactions() int64 {
	var n int64
	for _, c := range t.status {
		n += c
	}
	return n
}

// failed is the number of socket-level failures.
func (t *totals) failed() int64 {
	var n int64
	for _, c := range t.errs {
		n += c
	}
	return n
}

// httpErrors counts responses with codes from 400 (4xx, 5xx and above).
func (t *totals) httpErrors() int64 {
	var n int64
	for _, c := range t.status[400:] {
		n += c
	}
	return n
}

// successful counts siege's successes: codes below 400, 401 and 407.
func (t *totals) successful() int64 {
	var n int64
	for _, c := range t.status[:400] {
		n += c
	}
	return n + t.status[401] + t.status[407]
}

// sum adds up every shard's counters (not the histograms).
func (ss *shards) sum() *totals {
	t := &totals{}
	for _, s := range ss.all {
		for i := range s.status {
			t.status[i] += s.status[i].Load()
		}
		for i := range s.errs {
			t.errs[i] += s.errs[i].Load()
		}
		t.bytes += s.bytes.Load()
		t.sent += s.sent.Load()
		t.sumLat += s.sumLat.Load()
		t.sumCorr += s.sumCorr.Load()
		t.minLat = minSet(t.minLat, s.minLat.Load())
		t.minCorr = minSet(t.minCorr, s.minCorr.Load())
		t.maxLat = max(t.maxLat, s.maxLat.Load())
		t.maxCorr = max(t.maxCorr, s.maxCorr.Load())
	}
	return t
}

// minSet is the smaller of a and b where 0 means unset.
func minSet(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// latencies returns the shards' latency counters (raw: the open model's
// uncorrected ones).
func (ss *shards) latencies(raw bool) []*counter {
	out := make([]*counter, len(ss.all))
	for i, s := range ss.all {
		out[i] = s.lat
		if raw {
			out[i] = s.raw
		}
	}
	return out
}
