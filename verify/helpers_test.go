package verify

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
)

// t0 is a minute-aligned start for fake clocks.
var t0 = testsupport.T0()

// fixture is awslocal on a fake clock behind a real HTTP server on
// 127.0.0.1, and a real SDK CloudWatch client pointed at it. The client
// keeps the SDK's standard retryer (3 attempts) but without backoff
// sleeps or a retry quota, so retried errors stay fast.
type fixture struct {
	clock *testsupport.Clock
	srv   *awslocal.Server
	cw    *cloudwatch.Client
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := testsupport.NewClock(t0)
	ep := awstest.Start(t, awslocal.New(awslocal.Options{Now: clk.Now, Region: awstest.Region}), 3)
	return &fixture{clock: clk, srv: ep.Server, cw: ep.CloudWatch()}
}

// putCPU publishes Container Insights CpuReserved=1000 and CpuUtilized=pct*10
// (so the workshop expression gives pct) and AWS/ECS CPUUtilization=pct for
// cluster c, service s, at the fake now.
func (f *fixture) putCPU(t *testing.T, pct float64) {
	t.Helper()
	now := f.clock.Now()
	dims := []types.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("c")}, {Name: aws.String("ServiceName"), Value: aws.String("s")}}
	datum := func(name string, v float64, unit types.StandardUnit) types.MetricDatum {
		return types.MetricDatum{MetricName: aws.String(name), Dimensions: dims, Timestamp: aws.Time(now), Value: aws.Float64(v), Unit: unit}
	}
	ctx := context.Background()
	if _, err := f.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace:  aws.String(NamespaceContainerInsights),
		MetricData: []types.MetricDatum{datum(MetricCpuReserved, 1000, types.StandardUnitNone), datum(MetricCpuUtilized, pct*10, types.StandardUnitNone)},
	}); err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	if _, err := f.cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace:  aws.String(NamespaceECS),
		MetricData: []types.MetricDatum{datum(MetricCPUUtilization, pct, types.StandardUnitPercent)},
	}); err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
}

// setState calls SetAlarmState through the SDK.
func (f *fixture) setState(t *testing.T, name string, state types.StateValue) {
	t.Helper()
	if _, err := f.cw.SetAlarmState(context.Background(), &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String(name), StateValue: state, StateReason: aws.String("test flip to " + string(state)),
	}); err != nil {
		t.Fatalf("SetAlarmState %s: %v", state, err)
	}
}

// recorder collects the watcher's events.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) add(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) kind(k EventKind) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, e := range r.events {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// fakeWait returns a wait hook that advances the fake clock by d instead of
// sleeping, records d, and then runs step (which may publish metrics,
// evaluate alarms or flip states). It fails the test after maxWaits calls,
// so every watch is bounded.
func (f *fixture) fakeWait(t *testing.T, maxWaits int, waits *[]time.Duration, step func(i int)) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		if len(*waits) >= maxWaits {
			t.Errorf("watch still running after %d polls", maxWaits)
			return context.Canceled
		}
		*waits = append(*waits, d)
		f.clock.Advance(d)
		if step != nil {
			step(len(*waits))
		}
		return ctx.Err()
	}
}
