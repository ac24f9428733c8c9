package verify

import (
	"context"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"golang.org/x/sync/errgroup"
)

// LoadFunc runs a load until it ends by itself or ctx is cancelled. It is
// whatever drives the target: loadgen's engine, or a Go program's own.
type LoadFunc func(ctx context.Context) error

// Outcome is what WhileLoading saw.
type Outcome struct {
	// Verdict is the watch's verdict (fired or not, changes, diagnosis).
	Verdict Verdict
	// EndedLoad is "alarm" when the watch stopped the load because the alarm
	// reached ALARM, "alarm-timeout" when it stopped it because the alarm did
	// not within the timeout, and "" when the load ended by itself or ctx ended.
	EndedLoad string
	// WatchErr is why the watch stopped early (the load went on without it);
	// the Verdict's Diagnosis says so too.
	WatchErr error
}

// WhileLoading runs load and watches alarm beside it, under one errgroup.
// With opts.UntilAlarm, ALARM or opts.Timeout stops the load (cancels its
// context); otherwise the watch only observes (opts.Timeout is ignored). When
// the load ends first, the watch stops too. opts.Since defaults to the start
// of the load. A watch error is returned in Outcome.WatchErr (and stops the
// load only with UntilAlarm, which nothing else would end). The error
// returned is the load's.
func WhileLoading(ctx context.Context, api API, alarm types.MetricAlarm, opts Options, load LoadFunc) (Outcome, error) {
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	if opts.Since.IsZero() {
		opts.Since = time.Now()
	}
	if !opts.UntilAlarm {
		opts.Timeout = -1
	}
	var out Outcome
	var g errgroup.Group
	g.Go(func() error {
		defer stopWatch()
		return load(loadCtx)
	})
	g.Go(func() error {
		v, err := Watch(watchCtx, api, alarm, opts)
		out.Verdict = v
		if err != nil && !errors.Is(err, context.Canceled) {
			out.WatchErr = err
			if out.Verdict.Diagnosis == "" {
				out.Verdict.Diagnosis = "the watch stopped: " + err.Error()
			}
		}
		// The watch ended on its own (ALARM, its timeout, or an error) while
		// the load still ran: with UntilAlarm that ends the load, which has
		// nothing else to stop it.
		if opts.UntilAlarm && watchCtx.Err() == nil {
			out.EndedLoad = "alarm-timeout"
			if v.Fired {
				out.EndedLoad = "alarm"
			}
			stopLoad()
		}
		return nil
	})
	err := g.Wait()
	return out, err
}
