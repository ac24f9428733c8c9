package main

import (
	"context"
	"fmt"

	"github.com/loadgen/loadgen/loadgen"
)

// single runs siege's -g (HEAD, print headers) or -p (GET, print body)
// through the engine's own request builder (loadgen.Do), so every header,
// Host included, is sent as in a load run.
func (a *app) single(ctx context.Context, s *settings, t loadgen.Target) error {
	if t.Method == "GET" {
		t.Method = firstNonEmpty(s.getMeth, "HEAD") // siegerc gmethod
		if s.print {
			t.Method = "GET"
		}
	}
	ex, err := loadgen.Do(ctx, t, s.opts)
	if err != nil {
		if ctx.Err() != nil {
			return &quietExit{exitInterrupted}
		}
		return setupErr(fmt.Errorf("%s %s: %s: %w", t.Method, t.URL, loadgen.Classify(err), err))
	}
	if s.print {
		_, err := a.stdout.Write(ex.Body)
		return err
	}
	fmt.Fprintf(a.stdout, "%s\n%s", ex.RequestHeader(), ex.Header)
	return nil
}
