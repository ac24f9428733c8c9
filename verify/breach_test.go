package verify

import (
	"context"
	"testing"
	"time"
)

func TestParseBreach(t *testing.T) {
	// CloudWatch's own example shape: newest first, a 2-of-3 alarm.
	data := `{"version":"1.0","queryDate":"2026-11-25T14:03:10.123+0000","startDate":"2026-11-25T14:00:00.000+0000","statistic":"Average","period":60,` +
		`"recentDatapoints":[40.0,70.0,80.0],"threshold":50.0,"evaluatedDatapoints":[` +
		`{"timestamp":"2026-11-25T14:02:00.000+0000","sampleCount":5.0,"value":80.0},` +
		`{"timestamp":"2026-11-25T14:01:00.000+0000","sampleCount":5.0,"value":70.0},` +
		`{"timestamp":"2026-11-25T14:00:00.000+0000","sampleCount":5.0,"value":40.0}]}`
	b, ok := ParseBreach(data, "GreaterThanThreshold", 99, "missing", time.Second)
	want := time.Date(2026, 11, 25, 14, 1, 0, 0, time.UTC)
	if !ok || !b.Start.Equal(want) || b.Period != time.Minute {
		t.Errorf("ParseBreach = %+v, %v; want %v, 1m (the data's threshold 50 wins)", b, ok, want)
	}
	// Missing data treated as breaching counts; otherwise it does not.
	filled := `{"period":10,"evaluatedDatapoints":[{"timestamp":"2026-11-25T14:00:20.000+0000","value":70.0},{"timestamp":"2026-11-25T14:00:10.000+0000"}]}`
	if b, ok := ParseBreach(filled, "GreaterThanThreshold", 50, "breaching", 0); !ok || !b.Start.Equal(want.Add(-50*time.Second)) || b.Period != 10*time.Second {
		t.Errorf("filled breaching: %+v %v", b, ok)
	}
	if b, ok := ParseBreach(filled, "GreaterThanThreshold", 50, "missing", 0); !ok || !b.Start.Equal(want.Add(-40*time.Second)) {
		t.Errorf("filled missing: %+v %v", b, ok)
	}
	// No period in the data: the alarm's.
	if b, ok := ParseBreach(`{"evaluatedDatapoints":[{"timestamp":"2026-11-25T14:00:20Z","value":1}]}`, "LessThanThreshold", 5, "", 5*time.Minute); !ok || b.Period != 5*time.Minute {
		t.Errorf("no period: %+v %v", b, ok)
	}
	for _, bad := range []string{"", "{", `{"why":"drill"}`, `{"evaluatedDatapoints":[{"timestamp":"yesterday","value":99}]}`,
		`{"threshold":50,"evaluatedDatapoints":[{"timestamp":"2026-11-25T14:00:20.000+0000","value":10}]}`} {
		if b, ok := ParseBreach(bad, "GreaterThanThreshold", 50, "missing", time.Minute); ok {
			t.Errorf("ParseBreach(%q) = %+v, want none", bad, b)
		}
	}
}

func FuzzParseBreach(f *testing.F) {
	f.Add(`{"period":60,"threshold":50.0,"evaluatedDatapoints":[{"timestamp":"2026-11-25T14:02:00.000+0000","value":80.0}]}`, "GreaterThanThreshold", "missing")
	f.Add(`{"evaluatedDatapoints":[{"timestamp":"2026-11-25T14:02:00Z"}]}`, "LessThanLowerOrGreaterThanUpperThreshold", "breaching")
	f.Add(`{"period":-1e308}`, "", "")
	f.Fuzz(func(t *testing.T, data, cmp, treat string) {
		b, ok := ParseBreach(data, cmp, 50, treat, time.Minute)
		if !ok && (!b.Start.IsZero() || b.Period != 0) {
			t.Fatalf("no breach but %+v", b)
		}
		if ok && b.Period <= 0 {
			t.Fatalf("breach with period %v", b.Period)
		}
	})
}

// TestVerdictDatesTheBreach: the local evaluator, on a fake clock, fires a
// 10 s alarm on a known CPU ramp; the verdict dates the first breaching
// datapoint from the ALARM transition's StateReasonData (start of its
// period), not from when the watcher noticed.
func TestVerdictDatesTheBreach(t *testing.T) {
	f := newFixture(t)
	alarm, err := CreateAlarm(context.Background(), f.cw, AlarmSpec{Name: "cpu-high", Cluster: "c", Service: "s", Period: 10})
	if err != nil {
		t.Fatal(err)
	}
	// CPU rises 10 points every 10 s period: 10, 20, ... The 60 % datapoint
	// is the first over 50, measured in the period starting at t0+50s.
	var waits []time.Duration
	opts := Options{Poll: 10 * time.Second, UntilAlarm: true, Now: f.clock.Now, Since: t0}
	step := func(int) {
		now := f.clock.Now()
		for s := now.Add(-10 * time.Second); s.Before(now); s = s.Add(2 * time.Second) {
			pct := 10 * float64(s.Sub(t0)/(10*time.Second)+1)
			f.clock.Set(s)
			f.putCPU(t, pct)
		}
		f.clock.Set(now.Add(7 * time.Second)) // evaluated late: the watcher notices later still
		f.srv.Evaluate()
	}
	opts.wait = func(ctx context.Context, _ time.Duration) error {
		if len(waits) >= 30 {
			t.Fatal("no ALARM")
		}
		waits = append(waits, 0)
		f.clock.Set(t0.Add(time.Duration(len(waits)) * 10 * time.Second))
		step(len(waits))
		return ctx.Err()
	}
	v, err := Watch(context.Background(), f.cw, alarm, opts)
	if err != nil || !v.Fired {
		t.Fatalf("verdict %+v, %v", v, err)
	}
	if want := t0.Add(50 * time.Second); !v.Breach.Start.Equal(want) || v.Breach.Period != 10*time.Second {
		t.Errorf("breach %+v, want the period starting %v (fired at %v)", v.Breach, want, v.FiredAt)
	}
	if !v.FiredAt.After(v.Breach.Start.Add(v.Breach.Period)) {
		t.Errorf("fired at %v, before its datapoint's period ended", v.FiredAt)
	}
}

// TestVerdictDatesABriefAlarmFromHistory: the alarm goes to ALARM and back
// to OK between two polls; the breach is dated from the history item's
// stateReasonData.
func TestVerdictDatesABriefAlarmFromHistory(t *testing.T) {
	f := newFixture(t)
	alarm, err := CreateAlarm(context.Background(), f.cw, AlarmSpec{Name: "cpu-high", Cluster: "c", Service: "s", Period: 10})
	if err != nil {
		t.Fatal(err)
	}
	// 20 % in each period but [t0+30s, t0+40s), which has 90 %.
	publish := func(from, to time.Time) {
		for s := from; s.Before(to); s = s.Add(2 * time.Second) {
			pct := 20.0
			if s.Sub(t0) >= 30*time.Second && s.Sub(t0) < 40*time.Second {
				pct = 90
			}
			f.clock.Set(s)
			f.putCPU(t, pct)
		}
	}
	var waits []time.Duration
	opts := Options{Poll: 30 * time.Second, Timeout: 2 * time.Minute, Now: f.clock.Now, Since: t0}
	opts.wait = func(ctx context.Context, _ time.Duration) error {
		if len(waits) >= 10 {
			return context.Canceled
		}
		waits = append(waits, 0)
		from := t0.Add(time.Duration(len(waits)-1) * 30 * time.Second)
		for p := from; p.Before(from.Add(30 * time.Second)); p = p.Add(10 * time.Second) {
			publish(p, p.Add(10*time.Second))
			f.clock.Set(p.Add(10*time.Second + time.Second))
			f.srv.Evaluate()
		}
		return ctx.Err()
	}
	v, err := Watch(context.Background(), f.cw, alarm, opts)
	if err != nil || !v.Fired {
		t.Fatalf("verdict %+v, %v", v, err)
	}
	if v.FinalState == StateAlarm {
		t.Fatalf("the alarm should be back to OK at the last poll: %+v", v)
	}
	if want := t0.Add(30 * time.Second); !v.Breach.Start.Equal(want) || v.Breach.Period != 10*time.Second {
		t.Errorf("breach %+v, want the period starting %v", v.Breach, want)
	}
}
