package loadgen

import (
	"math/bits"
	"sync/atomic"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency recording. Each user records into its own histograms: counters
// in HdrHistogram's buckets (lowest 1, 3 significant digits) that only that
// user adds to, merged once at the end. They are atomic only so that the
// interval collector (--hlog) can read them while the user runs: an
// uncontended add on the user's own memory. A user's counters are allocated
// and touched once, so memory does not grow as latencies reach new buckets;
// 32-bit counts keep them at 64 KB per user for a 30 s timeout (one bucket
// of one user would need 4.29e9 responses to wrap). Bucketing is exactly
// HdrHistogram's, so turning counts into an hdrhistogram.Histogram loses
// nothing.

// HdrHistogram's geometry for lowest 1 and 3 significant digits:
// 2048 sub-buckets (11 bits), of which the upper half is used above bucket 0.
const (
	ivSubBits  = 11
	ivHalfBits = ivSubBits - 1
	ivHalf     = 1 << ivHalfBits
	ivMask     = 1<<ivSubBits - 1
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

// counter is one user's histogram: the user adds, the collector reads.
type counter struct {
	counts []atomic.Uint32
}

func newCounter(highest int64) *counter {
	c := &counter{counts: make([]atomic.Uint32, ivIndex(highest)+1)}
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

// intervals turns the users' cumulative counts into per-interval
// histograms: at each boundary it sums every user's counts and records the
// difference from the previous boundary. A value recorded while the sums
// are taken lands in this interval or the next, never in both or neither.
type intervals struct {
	prev, cur []uint64
}

func newIntervals(highest int64) *intervals {
	n := ivIndex(highest) + 1
	return &intervals{prev: make([]uint64, n), cur: make([]uint64, n)}
}

// next adds to dst what the counters pick selects gained since the last call.
func (iv *intervals) next(users []*user, pick func(*user) *counter, dst *hdrhistogram.Histogram) {
	clear(iv.cur)
	for _, u := range users {
		c := pick(u)
		for i := range c.counts {
			if n := c.counts[i].Load(); n != 0 {
				iv.cur[i] += uint64(n)
			}
		}
	}
	for i, n := range iv.cur {
		if d := n - iv.prev[i]; d != 0 {
			_ = dst.RecordValues(ivValue(i), int64(d))
		}
	}
	iv.prev, iv.cur = iv.cur, iv.prev
}
