// Package testsupport holds the small pieces that the tests of several
// packages share: a settable clock and a goroutine-safe buffer. Only tests
// import it; awstest, beside it, adds the local AWS endpoint.
package testsupport

import (
	"bytes"
	"sync"
	"time"
)

// T0 returns a minute-aligned instant to start fake clocks at, so that
// CloudWatch periods (multiples of 10 s or 60 s) begin on it.
func T0() time.Time { return time.Date(2026, 11, 25, 10, 50, 0, 0, time.UTC) }

// Clock is a settable clock, safe for concurrent use. Pass its Now method
// where a package takes a clock (awslocal.Options.Now, verify.Options.Now).
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock forward by d and returns the new time.
func (c *Clock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// SyncBuffer is a bytes.Buffer that a child process's output and a test
// can write and read at the same time.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
