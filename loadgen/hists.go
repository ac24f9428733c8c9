package loadgen

// This file: latency counters in HdrHistogram's layout, and turning their
// cumulative counts into per-interval histograms (see doc.go for the design).

import (
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

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

// counter is a histogram with HdrHistogram's buckets that any number of
// goroutines add to at once and a collector reads while they do. Counts
// are 64-bit: a shard's bucket takes every request of its P, and 32 bits
// would wrap after an hour at a million per second.
type counter struct {
	counts []atomic.Uint64
}

func newCounter(highest int64) *counter {
	return &counter{counts: make([]atomic.Uint64, ivIndex(highest)+1)}
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

// sumInto adds the counts to sums (len(sums) == len(c.counts)).
func (c *counter) sumInto(sums []uint64) {
	for i := range c.counts {
		if n := c.counts[i].Load(); n != 0 {
			sums[i] += n
		}
	}
}

// addTo adds the counts to dst.
func (c *counter) addTo(dst *hdrhistogram.Histogram) {
	for i := range c.counts {
		if n := c.counts[i].Load(); n != 0 {
			_ = dst.RecordValues(ivValue(i), int64(n))
		}
	}
}

// intervals turns cumulative counts into per-interval histograms: at each
// boundary it sums the shards' counters and records the difference from
// the previous boundary. Its cost is the shards' buckets, whatever the
// number of users. A value recorded while the sums are taken lands in this
// interval or the next, never in both or neither.
type intervals struct {
	prev, cur []uint64
}

func newIntervals(highest int64) *intervals {
	n := ivIndex(highest) + 1
	return &intervals{prev: make([]uint64, n), cur: make([]uint64, n)}
}

// next adds to dst what the counters gained since the last call.
func (iv *intervals) next(counters []*counter, dst *hdrhistogram.Histogram) {
	clear(iv.cur)
	for _, c := range counters {
		c.sumInto(iv.cur)
	}
	for i, n := range iv.cur {
		if d := n - iv.prev[i]; d != 0 {
			_ = dst.RecordValues(ivValue(i), int64(d))
		}
	}
	iv.prev, iv.cur = iv.cur, iv.prev
}

// quantileOf returns the value (µs, the highest equivalent of its bucket,
// as HdrHistogram reports it) at quantile q of bucket sums; 0 when empty.
func quantileOf(sums []uint64, q float64) time.Duration {
	var total uint64
	for _, n := range sums {
		total += n
	}
	if total == 0 {
		return 0
	}
	want := uint64(q*float64(total) + 0.5)
	want = max(min(want, total), 1)
	var seen uint64
	for i, n := range sums {
		seen += n
		if seen >= want {
			return time.Duration(ivValue(i+1)-1) * time.Microsecond
		}
	}
	return time.Duration(ivValue(len(sums))-1) * time.Microsecond
}
