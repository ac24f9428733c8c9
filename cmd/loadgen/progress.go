package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/loadgen/loadgen/loadgen"
)

// progress shows a live line on stderr once a second: overwritten in place
// on a terminal, plain lines with -v elsewhere, nothing otherwise. extra
// adds to the line when it says something (the alarm's state). The returned
// func stops it.
func (a *app) progress(ctx context.Context, r *loadgen.Runner, s *settings, extra func() string) func() {
	if s.quiet || (!a.isTerminal && !s.verbose) {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var last loadgen.Snapshot
		for {
			select {
			case <-ctx.Done():
				if a.isTerminal {
					fmt.Fprint(a.stderr, "\r\033[K")
				}
				return
			case <-t.C:
			}
			snap := r.Snapshot()
			rate := float64(snap.Transactions-last.Transactions) / (snap.Elapsed - last.Elapsed).Seconds()
			last = snap
			line := fmt.Sprintf("%6.0fs  %9d reqs  %9.0f req/s  p99 %7.2f ms  errors %d",
				snap.Elapsed.Seconds(), snap.Transactions, rate, float64(snap.P99)/1e6, snap.Failed+snap.HTTPErrors)
			if snap.Stages > 0 {
				line += fmt.Sprintf("  stage %d/%d: target %.0f, %d users", snap.Stage, snap.Stages, snap.Target, snap.Users)
			}
			if x := extra(); x != "" {
				line += "  | " + x
			}
			if a.isTerminal {
				fmt.Fprintf(a.stderr, "\r\033[K%s", line)
			} else {
				fmt.Fprintln(a.stderr, line)
			}
		}
	}()
	return func() { cancel(); wg.Wait() }
}
