package loadgen

import (
	"math"
	"math/bits"
	"runtime"
	"sync/atomic"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency recording. Users do not own histograms: they add to the
// histograms of a shard, one per P (GOMAXPROCS, at most maxShards), with
// atomic increments. A shard's counters are allocated and touched once, so
// the process's memory does not grow as latencies reach new buckets, and
// adding users (--max-users) costs no histogram memory. The buckets are
// exactly HdrHistogram's for lowest 1 and 3 significant digits, so turning
// a counter into an hdrhistogram.Histogram loses nothing.

// HdrHistogram's geometry for lowest 1 and 3 significant digits:
// 2048 sub-buckets (11 bits), of which the upper half is used above bucket 0.
const (
	ivSubBits  = 11
	ivHalfBits = ivSubBits - 1
	ivHalf     = 1 << ivHalfBits
	ivMask     = 1<<ivSubBits - 1

	maxShards = 8
)

// ivIndex is HdrHistogram's counts index of v (v >= 1).
func ivIndex(v int64) int {
	b := bits.Len64(uint64(v)|ivMask) - ivSubBits
	sub := int(v >> uint(b))
	return (b+1)<<ivHalfBits + sub - ivHalf
}

// ivValue is the lowest value that maps to index idx.
func ivValue(idx int) int64 {
	b := idx>>ivHalfBits - 1
	sub := idx&(ivHalf-1) + ivHalf
	if b < 0 {
		sub -= ivHalf
		b = 0
	}
	return int64(sub) << uint(b)
}

// counter is a histogram that any number of goroutines add to at once.
type counter struct {
	counts []atomic.Uint64
}

func newCounter(highest int64) *counter {
	c := &counter{counts: make([]atomic.Uint64, ivIndex(highest)+1)}
	for i := range c.counts {
		c.counts[i].Store(0) // touch every page now, not when a latency first lands there
	}
	return c
}

// add counts v; values past the range count in the last bucket (callers
// clamp to the timeout anyway).
func (c *counter) add(v int64) {
	i := ivIndex(v)
	if i >= len(c.counts) {
		i = len(c.counts) - 1
	}
	c.counts[i].Add(1)
}

// addTo adds the counts to dst.
func (c *counter) addTo(dst *hdrhistogram.Histogram) {
	for i := range c.counts {
		if n := c.counts[i].Load(); n != 0 {
			_ = dst.RecordValues(ivValue(i), int64(n))
		}
	}
}

// drainTo adds the counts to dst and clears them; only for a counter no one
// writes (a phased recorder's inactive side).
func (c *counter) drainTo(dst *hdrhistogram.Histogram) {
	for i := range c.counts {
		if n := c.counts[i].Load(); n != 0 {
			_ = dst.RecordValues(ivValue(i), int64(n))
			c.counts[i].Store(0)
		}
	}
}

// phased hands interval histograms from many writers to one reader
// without locks, with the writer-reader phaser of HdrHistogram's Recorder:
// a writer takes a ticket from start (its sign is the phase, and picks the
// buffer), records, and counts its exit in the phase's end counter. The
// reader flips start to the other phase, then waits until the old phase's
// exits equal its tickets: after that nobody writes the old buffer, and
// the reader drains it. The reader never reads a buffer being written.
type phased struct {
	start   atomic.Int64
	_       [56]byte
	evenEnd atomic.Int64
	_       [56]byte
	oddEnd  atomic.Int64
	_       [56]byte
	bufs    [2]*counter // [0] in the even phase (start >= 0), [1] in the odd
}

func newPhased(highest int64) *phased {
	p := &phased{bufs: [2]*counter{newCounter(highest), newCounter(highest)}}
	p.oddEnd.Store(math.MinInt64)
	return p
}

// record is the writers' side: lock-free and allocation-free.
func (p *phased) record(v int64) {
	if t := p.start.Add(1) - 1; t >= 0 {
		p.bufs[0].add(v)
		p.evenEnd.Add(1)
	} else {
		p.bufs[1].add(v)
		p.oddEnd.Add(1)
	}
}

// flip is the reader's side (one reader at a time): it moves writers to the
// other buffer and returns the one they used, once all have left it.
func (p *phased) flip() *counter {
	if p.start.Load() < 0 { // odd now: the next phase is even
		p.evenEnd.Store(0)
		tickets := p.start.Swap(0)
		for p.oddEnd.Load() != tickets {
			runtime.Gosched()
		}
		return p.bufs[1]
	}
	p.oddEnd.Store(math.MinInt64)
	tickets := p.start.Swap(math.MinInt64)
	for p.evenEnd.Load() != tickets {
		runtime.Gosched()
	}
	return p.bufs[0]
}

// shard is what a group of users record into. hist is the latency (from
// the intended send time in the open model); raw, in the open model, from
// the actual send. iv and ivRaw, with OnInterval, are the same per interval.
type shard struct {
	hist, raw *counter
	iv, ivRaw *phased
}

func newShard(highest int64, rate, intervals bool) *shard {
	s := &shard{hist: newCounter(highest)}
	if rate {
		s.raw = newCounter(highest)
	}
	if intervals {
		s.iv = newPhased(highest)
		if rate {
			s.ivRaw = newPhased(highest)
		}
	}
	return s
}

// shardCount is one shard per P, at most maxShards.
func shardCount() int { return max(1, min(runtime.GOMAXPROCS(0), maxShards)) }
