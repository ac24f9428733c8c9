//go:build race

package loadgen

import "sync"

// pool, in a race-detector build, is a locked free list: sync.Pool drops
// items at random there, and the engine would then allocate (and collect)
// a read buffer or a response every few requests, which slows -race test
// runs past their schedules and breaks the allocation tests. The lock is
// shared, which is fine for tests; the ordinary build uses sync.Pool
// (pool.go).
type pool[T any] struct {
	mu   sync.Mutex
	free []T
	make func() T
}

func newPool[T any](make func() T) *pool[T] { return &pool[T]{make: make} }

func (pl *pool[T]) get() T {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	if n := len(pl.free); n > 0 {
		x := pl.free[n-1]
		pl.free = pl.free[:n-1]
		return x
	}
	return pl.make()
}

func (pl *pool[T]) put(x T) {
	pl.mu.Lock()
	pl.free = append(pl.free, x)
	pl.mu.Unlock()
}
