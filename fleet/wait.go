package fleet

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// watch polls the tasks until every one has stopped. When ctx ends, or the
// deadline passes, it stops them all; a task that has not started soon
// enough after T is stopped alone. Once stopping, it waits at most
// StopTimeout for them to stop.
func (r *run) watch(ctx context.Context) {
	o := r.o
	tick := time.NewTicker(o.Poll)
	defer tick.Stop()
	done := ctx.Done()
	var stopBy time.Time
	notStartedBy := r.out.StartAt.Add(o.MaxLate + 2*o.Poll)
	var deadline time.Time
	if o.RunFor > 0 {
		deadline = r.out.StartAt.Add(o.RunFor + o.Grace)
	}
	for {
		r.describe(ctx)
		live := r.live()
		if len(live) == 0 {
			return
		}
		now := o.Now()
		switch {
		case !stopBy.IsZero() && now.After(stopBy):
			for _, i := range live {
				r.stuck[i] = true
			}
			o.Say("%d tasks had not stopped %s after being stopped: check them (run %s)", len(live), o.StopTimeout, o.RunID)
			return
		case !stopBy.IsZero():
		case ctx.Err() != nil:
			r.out.StoppedBy, stopBy, done = "interrupted", now.Add(o.StopTimeout), nil
			o.Say("stopping all %d running tasks", len(live))
			r.stop(ctx, live, "loadgen fleet: interrupted")
		case !deadline.IsZero() && now.After(deadline):
			r.out.StoppedBy, stopBy, done = "deadline", now.Add(o.StopTimeout), nil
			for _, i := range live {
				r.overran[i] = true
			}
			o.Say("%d tasks still running %s after the load should have ended: stopping them", len(live), o.Grace)
			r.stop(ctx, live, "loadgen fleet: past the run's deadline")
		case now.After(notStartedBy):
			r.stopUnstarted(ctx, live)
			r.checkHeaders(ctx, live, now)
		}
		select {
		case <-done:
		case <-tick.C:
		}
	}
}

// describe refreshes the states of the live tasks. An error is said and
// the poll goes on (the SDK has already retried).
func (r *run) describe(ctx context.Context) {
	live := r.live()
	if len(live) == 0 {
		return
	}
	ts := make([]Task, len(live))
	for k, i := range live {
		ts[k] = r.tasks[i]
	}
	dctx, cancel := detached(ctx)
	defer cancel()
	states, err := r.b.Describe(dctx, ts)
	if err != nil {
		r.o.Say("describing tasks: %v", err)
		return
	}
	for k, i := range live {
		if k < len(states) {
			if states[k].Started && !r.states[i].Started {
				r.o.Say("shard %s started (%s)", r.tasks[i].Shard, r.tasks[i].ID)
			}
			r.states[i] = states[k]
		}
	}
}

// stopUnstarted stops the live tasks that have not started by now.
func (r *run) stopUnstarted(ctx context.Context, live []int) {
	var late []int
	for _, i := range live {
		if !r.states[i].Started && !r.notStarted[i] {
			r.notStarted[i] = true
			late = append(late, i)
			r.o.Say("shard %s (%s) has not started %s after T: stopping it", r.tasks[i].Shard, r.tasks[i].ID, r.o.MaxLate+2*r.o.Poll)
		}
	}
	if len(late) > 0 {
		r.stop(ctx, late, "loadgen fleet: not started in time")
	}
}

// checkHeaders reads the log of each live shard whose header has not come
// yet; one with none LogTimeout after the start time never began its load
// (a task that runs but logs nothing, an image that is not loadgen) and is
// stopped, so such a fleet ends instead of waiting for ever.
func (r *run) checkHeaders(ctx context.Context, live []int, now time.Time) {
	headerBy := r.out.StartAt.Add(r.o.MaxLate + r.o.LogTimeout)
	var silent []int
	for _, i := range live {
		st := r.streams[i]
		if st.header != nil || !r.states[i].Started || r.notStarted[i] || r.noHeader[i] {
			continue
		}
		_, _ = r.readPage(ctx, i)
		if st.header == nil && now.After(headerBy) {
			r.noHeader[i] = true
			silent = append(silent, i)
			r.o.Say("shard %s (%s) wrote no header %s after the start time: stopping it", r.tasks[i].Shard, r.tasks[i].ID, r.o.MaxLate+r.o.LogTimeout)
		}
	}
	if len(silent) > 0 {
		r.stop(ctx, silent, "loadgen fleet: no log from the shard")
	}
}

// collect reads every launched task's log stream until its end line, the
// stream's end (Final), or LogTimeout from now, a few streams at a time.
func (r *run) collect(ctx context.Context) {
	until := r.o.Now().Add(r.o.LogTimeout)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, t := range r.tasks {
		if t.Err != nil || (!r.states[i].Started && r.states[i].Stopped) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r.readErrs[i] = r.read(ctx, i, until)
		}()
	}
	wg.Wait()
}

// readPage reads the next page of task i's stream into its stream and
// moves its cursor (only one goroutine reads a given task). It goes on
// after ctx is cancelled: after Ctrl+C the logs are still read.
func (r *run) readPage(ctx context.Context, i int) (LogPage, error) {
	pctx, cancel := detached(ctx)
	defer cancel()
	page, err := r.b.ReadLog(pctx, r.tasks[i], r.cursors[i])
	if err == nil {
		r.streams[i].add(page.Lines)
		r.cursors[i] = page.Next
	}
	return page, err
}

// detached is ctx's values without its cancellation, for at most a minute:
// what a fleet must still do after Ctrl+C (describe, stop, read logs).
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
}

// read reads task i's stream; it retries every Poll until the end line.
func (r *run) read(ctx context.Context, i int, until time.Time) error {
	st := r.streams[i]
	var lastErr error
	for {
		page, err := r.readPage(ctx, i)
		if err == nil {
			lastErr = nil
			if st.ended || page.Final {
				return nil
			}
			if len(page.Lines) > 0 {
				continue // more may be there at once
			}
		} else {
			lastErr = err
		}
		if r.o.Now().After(until) {
			if lastErr != nil {
				return fmt.Errorf("reading its log: %w", lastErr)
			}
			return nil
		}
		time.Sleep(r.o.Poll)
	}
}
