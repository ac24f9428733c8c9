//go:build !race

package loadgen

import "sync"

// pool keeps spare objects for users to borrow: a sync.Pool, which keeps
// them per P, so borrowing takes no shared lock. (Under the race detector
// sync.Pool drops items at random on purpose; pool_race.go keeps them.)
type pool[T any] struct {
	p sync.Pool
}

func newPool[T any](make func() T) *pool[T] {
	pl := &pool[T]{}
	pl.p.New = func() any { return make() }
	return pl
}

func (pl *pool[T]) get() T  { return pl.p.Get().(T) }
func (pl *pool[T]) put(x T) { pl.p.Put(x) }
