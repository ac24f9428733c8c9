package verify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// hammer is a load function: GET a local server until ctx ends or n
// requests are done (n = 0: until ctx ends).
func hammer(t *testing.T, n int64) (LoadFunc, *atomic.Int64) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	return func(ctx context.Context) error {
		for i := int64(0); n == 0 || i < n; i++ {
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
			resp, err := srv.Client().Do(req)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				return err
			}
			resp.Body.Close()
		}
		return nil
	}, &hits
}

// TestWhileLoadingStopsTheLoadOnAlarm: with UntilAlarm, ALARM ends a load
// that would otherwise run forever, and the outcome says the alarm did it.
func TestWhileLoadingStopsTheLoadOnAlarm(t *testing.T) {
	f := newFixture(t)
	alarm, err := CreateAlarm(context.Background(), f.cw, AlarmSpec{Name: "cpu-high", Cluster: "c", Service: "s"})
	if err != nil {
		t.Fatal(err)
	}
	load, hits := hammer(t, 0)
	var waits []time.Duration
	opts := Options{Poll: 10 * time.Second, UntilAlarm: true, Now: f.clock.Now}
	opts.wait = f.fakeWait(t, 20, &waits, func(i int) {
		for hits.Load() < 10 { // the load is running
			time.Sleep(time.Millisecond)
		}
		if i == 2 {
			f.setState(t, "cpu-high", types.StateValueAlarm)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := WhileLoading(ctx, f.cw, alarm, opts, load)
	if err != nil || out.WatchErr != nil {
		t.Fatalf("WhileLoading: %v, %v", err, out.WatchErr)
	}
	if out.EndedLoad != "alarm" || !out.Verdict.Fired {
		t.Fatalf("outcome %+v", out)
	}
	if ctx.Err() != nil {
		t.Fatal("the load was not stopped by the alarm")
	}
}

// TestWhileLoadingLoadEndsFirst: a load that ends by itself stops the watch;
// nothing says the alarm ended it.
func TestWhileLoadingLoadEndsFirst(t *testing.T) {
	f := newFixture(t)
	alarm, err := CreateAlarm(context.Background(), f.cw, AlarmSpec{Name: "cpu-high", Cluster: "c", Service: "s"})
	if err != nil {
		t.Fatal(err)
	}
	load, hits := hammer(t, 50)
	opts := Options{Poll: time.Hour, UntilAlarm: true, Timeout: 2 * time.Hour}
	out, err := WhileLoading(context.Background(), f.cw, alarm, opts, load)
	if err != nil || out.EndedLoad != "" || out.Verdict.Fired || hits.Load() != 50 {
		t.Fatalf("outcome %+v, %v, hits %d", out, err, hits.Load())
	}
	if !strings.HasPrefix(out.Verdict.Diagnosis, "stopped before the alarm fired") {
		t.Errorf("diagnosis %q", out.Verdict.Diagnosis)
	}
}

// TestWhileLoadingWatchOnly: without UntilAlarm an ALARM is reported but
// does not stop the load.
func TestWhileLoadingWatchOnly(t *testing.T) {
	f := newFixture(t)
	alarm, err := CreateAlarm(context.Background(), f.cw, AlarmSpec{Name: "cpu-high", Cluster: "c", Service: "s"})
	if err != nil {
		t.Fatal(err)
	}
	f.setState(t, "cpu-high", types.StateValueAlarm)
	load, hits := hammer(t, 200)
	var waits []time.Duration
	opts := Options{Poll: 10 * time.Second, Now: f.clock.Now}
	opts.wait = f.fakeWait(t, 1000, &waits, func(int) { time.Sleep(time.Millisecond) })
	out, err := WhileLoading(context.Background(), f.cw, alarm, opts, load)
	if err != nil || out.EndedLoad != "" || hits.Load() != 200 {
		t.Fatalf("outcome %+v, %v, hits %d", out, err, hits.Load())
	}
	if !out.Verdict.Fired {
		t.Errorf("the ALARM state was not reported: %+v", out.Verdict)
	}
}

func TestDescribe(t *testing.T) {
	spec := AlarmSpec{Name: "cpu-high", Cluster: "c", Service: "s"}
	in, err := PutMetricAlarmInput(spec)
	if err != nil {
		t.Fatal(err)
	}
	a := types.MetricAlarm{Metrics: in.Metrics, Threshold: in.Threshold, ComparisonOperator: in.ComparisonOperator,
		EvaluationPeriods: in.EvaluationPeriods, DatapointsToAlarm: in.DatapointsToAlarm, StateValue: types.StateValueOk}
	if got, want := Describe(a), "mm1m1 * 100 / mm0m1 > 50, 1 of 1 datapoints of 60s, now OK"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}
