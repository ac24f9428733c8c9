package loadgen

import (
	"math"
	"math/bits"
	"runtime"
	"sync/atomic"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// ivHist is a user's histogram for one interval. It buckets values exactly
// as hdrhistogram.New(1, highest, 3) does, so draining it into such a
// histogram is lossless, but it can be cleared cheaply: only the index range
// written since the last drain is zeroed, so memory pages no latency fell in
// are never touched and the process's RSS stays flat.
type ivHist struct {
	counts []uint32
	lo, hi int // written index range; lo > hi when empty
	total  int64
}

// HdrHistogram's geometry for lowest 1 and 3 significant digits:
// 2048 sub-buckets (11 bits), of which the upper half is used above bucket 0.
const (
	ivSubBits  = 11
	ivHalfBits = ivSubBits - 1
	ivHalf     = 1 << ivHalfBits
	ivMask     = 1<<ivSubBits - 1
)

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

func newIvHist(highest int64) ivHist {
	return ivHist{counts: make([]uint32, ivIndex(highest)+1), lo: math.MaxInt, hi: -1}
}

// record counts v, clamped to the histogram's range by the caller.
func (h *ivHist) record(v int64) {
	i := ivIndex(v)
	if i >= len(h.counts) {
		i = len(h.counts) - 1
	}
	h.counts[i]++
	h.total++
	if i < h.lo {
		h.lo = i
	}
	if i > h.hi {
		h.hi = i
	}
}

// drainInto adds the counts to dst and clears them.
func (h *ivHist) drainInto(dst *hdrhistogram.Histogram) {
	for i := h.lo; i <= h.hi; i++ {
		if c := h.counts[i]; c != 0 {
			_ = dst.RecordValues(ivValue(i), int64(c))
			h.counts[i] = 0
		}
	}
	h.lo, h.hi, h.total = math.MaxInt, -1, 0
}

// recorder hands interval histograms from one writer (a user) to one
// reader (the collector) without locks, as HdrHistogram's Recorder does with
// its writer-reader phaser, simplified for a single writer: the writer
// brackets each record with two increments of epoch (odd while inside) and
// records into the buffer active names; the reader switches active, then
// waits until the writer is outside the section it may have entered before
// the switch. The reader never touches a buffer the writer may be writing.
type recorder struct {
	epoch  atomic.Uint64
	active atomic.Uint32
	_      [48]byte // keep the writer's hot words off the buffers' line
	bufs   [2]ivHist
}

func newRecorder(highest int64) *recorder {
	return &recorder{bufs: [2]ivHist{newIvHist(highest), newIvHist(highest)}}
}

// record is the writer's side: lock-free and allocation-free.
func (r *recorder) record(v int64) {
	r.epoch.Add(1)
	r.bufs[r.active.Load()].record(v)
	r.epoch.Add(1)
}

// swap is the reader's side: it makes the writer use the other buffer and
// returns the one it was using, once the writer has left it.
func (r *recorder) swap() *ivHist {
	old := r.active.Load()
	r.active.Store(1 - old)
	if e := r.epoch.Load(); e&1 == 1 {
		for r.epoch.Load() == e {
			runtime.Gosched()
		}
	}
	return &r.bufs[old]
}
