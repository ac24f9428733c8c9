package loadgen

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// liveHist is a coarse lock-free log-linear histogram of microseconds
// (about 6% precision) that the progress line reads while users write it.
type liveHist [liveBuckets]atomic.Uint32

const (
	liveSub     = 16
	liveBuckets = liveSub + 33*liveSub
)

func liveIndex(us int64) int {
	if us < liveSub {
		if us < 0 {
			return 0
		}
		return int(us)
	}
	e := bits.Len64(uint64(us)) - 5 // keep the top 5 bits: 16..31
	return liveSub + e*liveSub + int(uint64(us)>>uint(e)) - liveSub
}

func liveValue(idx int) int64 {
	if idx < liveSub {
		return int64(idx)
	}
	e := (idx - liveSub) / liveSub
	m := (idx-liveSub)%liveSub + liveSub
	return int64(m) << uint(e)
}

func (h *liveHist) record(us int64) { h[liveIndex(us)].Add(1) }

// quantile returns the value at q over several live histograms.
func quantile(hs []*liveHist, q float64) time.Duration {
	var counts [liveBuckets]uint64
	var total uint64
	for _, h := range hs {
		for i := range h {
			c := uint64(h[i].Load())
			counts[i] += c
			total += c
		}
	}
	if total == 0 {
		return 0
	}
	want := uint64(q*float64(total) + 0.5)
	if want < 1 {
		want = 1
	}
	var seen uint64
	for i, c := range counts {
		seen += c
		if seen >= want {
			return time.Duration(liveValue(i)) * time.Microsecond
		}
	}
	return time.Duration(liveValue(liveBuckets-1)) * time.Microsecond
}
