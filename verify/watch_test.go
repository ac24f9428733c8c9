package verify

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awslocal"
)

// createCPUAlarm creates "cpu-high" on cluster c / service s with a 10 s
// period, the shortest that PutMetricAlarm accepts besides 20 and 30; the
// tests move the fake clock 5 s per poll, two polls a period.
func (f *fixture) createCPUAlarm(t *testing.T, metric string) types.MetricAlarm {
	t.Helper()
	a, err := CreateAlarm(context.Background(), f.cw, AlarmSpec{Name: "cpu-high", Cluster: "c", Service: "s", Period: 10, Metric: metric})
	if err != nil {
		t.Fatalf("CreateAlarm: %v", err)
	}
	return a
}

// settle publishes pct for a few periods and evaluates, so the alarm
// starts the watch in a real OK state, as an alarm that existed before the
// load would.
func (f *fixture) settle(t *testing.T, pct float64) {
	t.Helper()
	for range 6 {
		f.putCPU(t, pct)
		f.clock.Advance(5 * time.Second)
		f.srv.Evaluate()
	}
	out, err := f.cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu-high"}})
	if err != nil || len(out.MetricAlarms) != 1 || out.MetricAlarms[0].StateValue != types.StateValueOk {
		t.Fatalf("alarm did not settle in OK: %+v, %v", out, err)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestWatchUntilAlarmFromMetrics(t *testing.T) {
	for _, metric := range []string{MetricContainerInsights, MetricAWSECS} {
		t.Run(metric, func(t *testing.T) {
			f := newFixture(t)
			alarm := f.createCPUAlarm(t, metric)
			f.settle(t, 30)
			since := f.clock.Now()
			var waits []time.Duration
			rec := &recorder{}
			// CPU stays at 30% for four polls, then the load pushes it to 80%.
			step := func(i int) {
				pct := 30.0
				if i > 4 {
					pct = 80
				}
				f.putCPU(t, pct)
				f.srv.Evaluate()
			}
			v, err := Watch(context.Background(), f.cw, alarm, Options{
				Poll: 5 * time.Second, Since: since, UntilAlarm: true, Timeout: 25 * time.Minute,
				OnEvent: rec.add, Now: f.clock.Now, wait: f.fakeWait(t, 60, &waits, step),
			})
			if err != nil {
				t.Fatalf("Watch: %v", err)
			}
			if !v.Fired || v.FinalState != StateAlarm || v.Diagnosis != "" {
				t.Fatalf("verdict: fired %v, state %s, diagnosis %q", v.Fired, v.FinalState, v.Diagnosis)
			}
			loadAt := since
			for _, d := range waits[:4] {
				loadAt = loadAt.Add(d)
			}
			if v.FiredAt.Before(loadAt) || v.FiredAt.After(f.clock.Now()) || v.TimeToAlarm != v.FiredAt.Sub(since) {
				t.Errorf("FiredAt %s (TimeToAlarm %s): want between the load's rise at %s and now %s", v.FiredAt, v.TimeToAlarm, loadAt, f.clock.Now())
			}
			if len(v.Changes) != 1 || v.Changes[0].From != StateOK || v.Changes[0].To != StateAlarm ||
				!v.Changes[0].Time.Equal(v.FiredAt) || !strings.Contains(v.Changes[0].Reason, "Threshold Crossed") {
				t.Errorf("changes = %+v, want one OK -> ALARM with the evaluator's reason", v.Changes)
			}
			if v.Threshold != 50 || v.Comparison != "GreaterThanThreshold" || v.Period != 10 || v.EvaluationPeriods != 1 || v.DatapointsToAlarm != 1 || v.TreatMissingData != "missing" {
				t.Errorf("verdict config: %+v", v)
			}
			// The newest period may mix 30% and 80% samples: above 50 either way.
			if len(v.LastValues) == 0 || v.LastValues[len(v.LastValues)-1] <= 50 || !near(v.LastValues[0], 30) {
				t.Errorf("LastValues = %v, want 30 first and newest above 50", v.LastValues)
			}
			samples := rec.kind(EventSample)
			if len(samples) < 5 || !samples[0].HasValue || !near(samples[0].Value, 30) || samples[0].To != StateOK {
				t.Fatalf("samples = %+v, want the first at OK, 30", samples)
			}
			for _, e := range samples {
				// The datapoint's period starts at most one period (and a
				// sample window) before the poll, never after it.
				if e.ValueTime.IsZero() || e.ValueTime.After(e.Time) || e.Time.Sub(e.ValueTime) > 10*time.Second {
					t.Errorf("sample polled at %s has its datapoint at %s", e.Time, e.ValueTime)
				}
			}
			if got := samples[0].String(); got != "alarm cpu-high: OK, 30.0 > 50?" {
				t.Errorf("sample renders as %q", got)
			}
			changes := rec.kind(EventStateChange)
			if len(changes) != 1 || changes[0].To != StateAlarm {
				t.Errorf("state-change events = %+v", changes)
			}
			if n := len(rec.kind(EventNotice)); n != 0 {
				t.Errorf("%d notices, want none", n)
			}
		})
	}
}

func TestWatchBriefAlarmBetweenPolls(t *testing.T) {
	f := newFixture(t)
	alarm := f.createCPUAlarm(t, MetricContainerInsights)
	f.setState(t, "cpu-high", types.StateValueOk)
	f.clock.Advance(5 * time.Second) // that change is before the load
	since := f.clock.Now()
	var waits []time.Duration
	var flipAt time.Time
	step := func(i int) {
		if i == 2 { // ALARM and back to OK before the next poll
			flipAt = f.clock.Now().Truncate(time.Millisecond) // CloudWatch timestamps carry milliseconds
			f.setState(t, "cpu-high", types.StateValueAlarm)
			f.setState(t, "cpu-high", types.StateValueOk)
		}
	}
	rec := &recorder{}
	v, err := Watch(context.Background(), f.cw, alarm, Options{
		Poll: 50 * time.Second, Since: since, UntilAlarm: true, Timeout: 5 * time.Minute,
		OnEvent: rec.add, Now: f.clock.Now, wait: f.fakeWait(t, 20, &waits, step),
	})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if !v.Fired || !v.FiredAt.Equal(flipAt) || v.TimeToAlarm != flipAt.Sub(since) {
		t.Fatalf("fired %v at %s (TimeToAlarm %s), want at the flip %s", v.Fired, v.FiredAt, v.TimeToAlarm, flipAt)
	}
	if v.FinalState != StateOK {
		t.Errorf("final state %s, want OK (the ALARM was brief)", v.FinalState)
	}
	want := []StateChange{
		{Time: flipAt, From: StateOK, To: StateAlarm, Reason: "test flip to ALARM"},
		{Time: flipAt, From: StateAlarm, To: StateOK, Reason: "test flip to OK"},
	}
	same := func(a, b StateChange) bool {
		return a.Time.Equal(b.Time) && a.From == b.From && a.To == b.To && a.Reason == b.Reason
	}
	if len(v.Changes) != 2 || !same(v.Changes[0], want[0]) || !same(v.Changes[1], want[1]) {
		t.Errorf("changes =\n%+v\nwant\n%+v", v.Changes, want)
	}
	if len(waits) != 2 || f.srv.Calls("DescribeAlarms") != 3+1 { // +1: CreateAlarm's read-back
		t.Errorf("waits %v, DescribeAlarms calls %d: want the first poll after the flip to end the watch", waits, f.srv.Calls("DescribeAlarms"))
	}
	if got := len(rec.kind(EventStateChange)); got != 2 {
		t.Errorf("%d state-change events, want 2", got)
	}
}

func TestWatchWithoutHistory(t *testing.T) {
	f := newFixture(t)
	alarm := f.createCPUAlarm(t, MetricContainerInsights)
	f.setState(t, "cpu-high", types.StateValueOk)
	f.srv.InjectError("DescribeAlarmHistory", "AccessDenied", 1000)
	var waits []time.Duration
	step := func(i int) {
		if i == 2 {
			f.setState(t, "cpu-high", types.StateValueAlarm)
			f.setState(t, "cpu-high", types.StateValueOk)
		}
	}
	rec := &recorder{}
	v, err := Watch(context.Background(), f.cw, alarm, Options{
		Poll: 50 * time.Second, UntilAlarm: true, Timeout: 5 * time.Minute,
		OnEvent: rec.add, Now: f.clock.Now, wait: f.fakeWait(t, 20, &waits, step),
	})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	// Without history the brief ALARM is invisible: the verdict must not
	// invent it, and the user must have been told once.
	if v.Fired || len(v.Changes) != 0 {
		t.Errorf("fired %v, changes %+v: want neither without history", v.Fired, v.Changes)
	}
	notices := rec.kind(EventNotice)
	if len(notices) != 1 || !strings.Contains(notices[0].Text, "alarm history unavailable") || !strings.Contains(notices[0].Text, "AWS denied access to CloudWatch DescribeAlarmHistory") {
		t.Errorf("notices = %+v, want one about the history", notices)
	}
	if n := f.srv.Calls("DescribeAlarmHistory"); n != 1 {
		t.Errorf("DescribeAlarmHistory calls = %d, want 1 (given up after the first denial)", n)
	}
	if !strings.HasPrefix(v.Diagnosis, "alarm cpu-high stayed OK: no datapoints for CpuReserved, CpuUtilized in ECS/ContainerInsights ClusterName=c ServiceName=s") {
		t.Errorf("diagnosis %q", v.Diagnosis)
	}
}

func TestWatchTimeout(t *testing.T) {
	f := newFixture(t)
	alarm := f.createCPUAlarm(t, MetricContainerInsights)
	f.settle(t, 31.2)
	// The load keeps the CPU at 31.2% or 35.0%, by period.
	step := func(int) {
		pct := 31.2
		if f.clock.Now().Unix()/10%2 == 1 {
			pct = 35.0
		}
		f.putCPU(t, pct)
		f.srv.Evaluate()
	}
	var waits []time.Duration
	start := f.clock.Now()
	v, err := Watch(context.Background(), f.cw, alarm, Options{
		Poll: 5 * time.Second, UntilAlarm: true, Timeout: 100 * time.Second,
		Now: f.clock.Now, wait: f.fakeWait(t, 60, &waits, step),
	})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if v.Fired {
		t.Fatalf("fired at %s", v.FiredAt)
	}
	if end := f.clock.Now(); !end.Equal(start.Add(100 * time.Second)) {
		t.Errorf("watch ended at +%s, want exactly at the 100s timeout", end.Sub(start))
	}
	if len(v.LastValues) < 2 {
		t.Fatalf("LastValues = %v, want several", v.LastValues)
	}
	var vals []string
	for _, x := range v.LastValues {
		if !near(x, 31.2) && !near(x, 35.0) {
			t.Errorf("LastValues has %v, not a published value", x)
		}
		vals = append(vals, formatValue(x))
	}
	want := "alarm cpu-high stayed OK: latest values " + strings.Join(vals, ", ") + " never exceeded 50 (needs 1 of 1 datapoints over 10s > 50)"
	if v.Diagnosis != want {
		t.Errorf("diagnosis =\n%s\nwant\n%s", v.Diagnosis, want)
	}
}

func TestWatchTimeoutNoData(t *testing.T) {
	f := newFixture(t)
	alarm := f.createCPUAlarm(t, MetricContainerInsights)
	var waits []time.Duration
	v, err := Watch(context.Background(), f.cw, alarm, Options{
		Poll: 25 * time.Second, UntilAlarm: true, Timeout: 150 * time.Second,
		Now: f.clock.Now, wait: f.fakeWait(t, 30, &waits, func(int) { f.srv.Evaluate() }),
	})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	want := "alarm cpu-high stayed INSUFFICIENT_DATA: no datapoints for CpuReserved, CpuUtilized in ECS/ContainerInsights ClusterName=c ServiceName=s: is Container Insights enabled on the cluster, and is the service running? (needs 1 of 1 datapoints over 10s > 50)"
	if v.Fired || v.Diagnosis != want {
		t.Errorf("fired %v, diagnosis =\n%s\nwant\n%s", v.Fired, v.Diagnosis, want)
	}
}

func TestWatchThrottlingBacksOff(t *testing.T) {
	f := newFixture(t)
	alarm := f.createCPUAlarm(t, MetricContainerInsights)
	f.setState(t, "cpu-high", types.StateValueOk)
	// Two polls' worth of throttling: 3 SDK attempts each.
	f.srv.InjectError("DescribeAlarms", "Throttling", 6)
	var waits []time.Duration
	step := func(i int) {
		if i == 2 {
			f.setState(t, "cpu-high", types.StateValueAlarm)
		}
	}
	rec := &recorder{}
	v, err := Watch(context.Background(), f.cw, alarm, Options{
		Poll: 5 * time.Second, Timeout: 60 * time.Second,
		OnEvent: rec.add, Now: f.clock.Now, wait: f.fakeWait(t, 40, &waits, step),
	})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if !v.Fired || v.FinalState != StateAlarm || v.Diagnosis != "" {
		t.Errorf("fired %v, state %s, diagnosis %q", v.Fired, v.FinalState, v.Diagnosis)
	}
	if got := f.srv.Calls("DescribeAlarms"); got < 1+6+1 {
		t.Errorf("DescribeAlarms calls = %d, want the 6 throttled attempts and more", got)
	}
	// Jittered ±20%: 10 s, then 20 s, then back to 5 s once a poll succeeds.
	within := func(d, base time.Duration) bool { return d >= base*8/10 && d <= base*12/10 }
	if len(waits) < 3 || !within(waits[0], 10*time.Second) || !within(waits[1], 20*time.Second) || !within(waits[2], 5*time.Second) {
		t.Errorf("waits = %v, want ~10s, ~20s, then ~5s", waits)
	}
	var throttleNotices int
	for _, n := range rec.kind(EventNotice) {
		if strings.Contains(n.Text, "throttled the watcher") {
			throttleNotices++
		}
	}
	if throttleNotices != 1 {
		t.Errorf("%d throttling notices, want exactly 1", throttleNotices)
	}
}

func TestWatchErrors(t *testing.T) {
	t.Run("access denied ends the watch", func(t *testing.T) {
		f := newFixture(t)
		alarm := f.createCPUAlarm(t, MetricContainerInsights)
		f.setState(t, "cpu-high", types.StateValueOk)
		var waits []time.Duration
		v, err := Watch(context.Background(), f.cw, alarm, Options{
			Poll: 5 * time.Second, UntilAlarm: true, Now: f.clock.Now,
			wait: f.fakeWait(t, 20, &waits, func(i int) {
				if i == 1 {
					f.srv.InjectError("DescribeAlarms", "AccessDenied", 1)
				}
			}),
		})
		var se *awscfg.Error
		if !errors.As(err, &se) || se.Kind != awscfg.KindAccessDenied || !strings.HasPrefix(err.Error(), "watch alarm cpu-high: AWS denied access") {
			t.Fatalf("Watch error = %v, want access denied", err)
		}
		if v.FinalState != StateOK || v.Fired || len(waits) != 1 {
			t.Errorf("verdict so far: state %q fired %v after %d waits", v.FinalState, v.Fired, len(waits))
		}
	})
	t.Run("alarm deleted", func(t *testing.T) {
		f := newFixture(t)
		alarm := f.createCPUAlarm(t, MetricContainerInsights)
		var waits []time.Duration
		_, err := Watch(context.Background(), f.cw, alarm, Options{
			Poll: 5 * time.Second, Now: f.clock.Now,
			wait: f.fakeWait(t, 20, &waits, func(i int) {
				if _, err := f.cw.DeleteAlarms(context.Background(), &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"cpu-high"}}); err != nil {
					t.Fatal(err)
				}
			}),
		})
		var nf *AlarmNotFoundError
		if !errors.As(err, &nf) || nf.Name != "cpu-high" {
			t.Fatalf("Watch error = %v, want the alarm not found", err)
		}
	})
	t.Run("metric unreadable", func(t *testing.T) {
		f := newFixture(t)
		alarm := f.createCPUAlarm(t, MetricContainerInsights)
		f.srv.InjectError("GetMetricData", "AccessDenied", 1000)
		var waits []time.Duration
		rec := &recorder{}
		v, err := Watch(context.Background(), f.cw, alarm, Options{
			Poll: 5 * time.Second, UntilAlarm: true, Timeout: 15 * time.Second, OnEvent: rec.add, Now: f.clock.Now,
			wait: f.fakeWait(t, 20, &waits, nil),
		})
		if err != nil {
			t.Fatalf("Watch: %v", err)
		}
		if n := f.srv.Calls("GetMetricData"); n != 1 {
			t.Errorf("GetMetricData calls = %d, want 1", n)
		}
		if len(rec.kind(EventNotice)) != 1 || !strings.Contains(v.Diagnosis, "its metric could not be read (AWS denied access to CloudWatch GetMetricData") {
			t.Errorf("notices %+v, diagnosis %q", rec.kind(EventNotice), v.Diagnosis)
		}
	})
}

func TestWatchCancel(t *testing.T) {
	f := newFixture(t)
	alarm := f.createCPUAlarm(t, MetricContainerInsights)
	f.settle(t, 20)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var waits []time.Duration
	v, err := Watch(ctx, f.cw, alarm, Options{
		Poll: 5 * time.Second, UntilAlarm: true, Now: f.clock.Now,
		wait: f.fakeWait(t, 20, &waits, func(i int) {
			f.putCPU(t, 20)
			if i == 2 {
				cancel()
			}
		}),
	})
	if err != nil {
		t.Fatalf("Watch after cancel: error %v, want nil", err)
	}
	if v.Fired || !strings.HasPrefix(v.Diagnosis, "stopped before the alarm fired: alarm cpu-high stayed OK: latest values 20.0") {
		t.Errorf("fired %v, diagnosis %q", v.Fired, v.Diagnosis)
	}
}

// TestWatchRealClock runs Watch with its real timer and a real-clock
// awslocal: the context is cancelled from OnEvent at the first sample, and
// the pending poll wait must end at once.
func TestWatchRealClock(t *testing.T) {
	srv := awslocal.New(awslocal.Options{Region: "us-east-1"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, err := awslocal.Start(ctx, "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	cw := cloudwatch.New(f.cw.Options(), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(base) })
	alarm, err := CreateAlarm(ctx, cw, AlarmSpec{Name: "cpu-high", Cluster: "c", Service: "s"})
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	v, err := Watch(ctx, cw, alarm, Options{
		Poll: time.Hour, UntilAlarm: true, Timeout: 2 * time.Hour,
		OnEvent: func(e Event) {
			if e.Kind == EventSample {
				cancel()
			}
		},
	})
	if err != nil || v.Fired || !strings.HasPrefix(v.Diagnosis, "stopped before the alarm fired") {
		t.Fatalf("Watch = %+v, %v", v, err)
	}
	if el := time.Since(begin); el > time.Minute {
		t.Errorf("Watch took %s after cancellation", el)
	}
}

// TestWatchHistoryThrottled: when only the history call is throttled, the
// state read in the same poll still counts.
func TestWatchHistoryThrottled(t *testing.T) {
	f := newFixture(t)
	alarm := f.createCPUAlarm(t, MetricContainerInsights)
	f.setState(t, "cpu-high", types.StateValueOk)
	f.clock.Advance(5 * time.Second) // that change is before the load
	var waits []time.Duration
	step := func(i int) {
		if i == 1 {
			f.setState(t, "cpu-high", types.StateValueAlarm)
			f.srv.InjectError("DescribeAlarmHistory", "Throttling", 3)
		}
	}
	rec := &recorder{}
	v, err := Watch(context.Background(), f.cw, alarm, Options{
		Poll: 5 * time.Second, UntilAlarm: true, Timeout: 5 * time.Minute,
		OnEvent: rec.add, Now: f.clock.Now, wait: f.fakeWait(t, 20, &waits, step),
	})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	if !v.Fired || len(waits) != 1 || len(v.Changes) != 1 || v.Changes[0].To != StateAlarm {
		t.Errorf("fired %v after %d waits, changes %+v: want ALARM from the state poll at once", v.Fired, len(waits), v.Changes)
	}
	if n := len(rec.kind(EventNotice)); n != 1 {
		t.Errorf("%d notices, want the throttling one", n)
	}
}
