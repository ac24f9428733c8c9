//go:build !lean

package main

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
	"github.com/loadgen/loadgen/verify"
)

// busySite answers each request after 20 ms and plays Container Insights
// for itself: its CPU is 5 % per request in flight, so a closed-model user
// adds about 5 %.
type busySite struct {
	URL      string
	inFlight atomic.Int64
	mu       sync.Mutex
	arrivals []time.Time
}

func newBusySite(t *testing.T) *busySite {
	t.Helper()
	b := &busySite{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		b.inFlight.Add(1)
		defer b.inFlight.Add(-1)
		b.mu.Lock()
		b.arrivals = append(b.arrivals, time.Now())
		b.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	b.URL = srv.URL + "/"
	return b
}

// arrivedIn counts the requests that arrived in [from, to).
func (b *busySite) arrivedIn(from, to time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, at := range b.arrivals {
		if !at.Before(from) && at.Before(to) {
			n++
		}
	}
	return n
}

// cpuSample is the site's CPU at one moment.
type cpuSample struct {
	at  time.Time
	pct float64
}

// putCPU publishes the workshop's two metrics for container-demo /
// ecsdemo-frontend so that the alarm's expression gives pct.
func putCPU(ctx context.Context, cw *cloudwatch.Client, s cpuSample) error {
	dims := []types.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("container-demo")}, {Name: aws.String("ServiceName"), Value: aws.String("ecsdemo-frontend")}}
	_, err := cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(verify.NamespaceContainerInsights),
		MetricData: []types.MetricDatum{
			{MetricName: aws.String(verify.MetricCpuUtilized), Dimensions: dims, Timestamp: aws.Time(s.at), Value: aws.Float64(s.pct * 10), StorageResolution: aws.Int32(1)},
			{MetricName: aws.String(verify.MetricCpuReserved), Dimensions: dims, Timestamp: aws.Time(s.at), Value: aws.Float64(1000), StorageResolution: aws.Int32(1)},
		},
	})
	return err
}

// TestCapacityAtTheAlarmOnTheEvaluatorsClock: a real closed-model ramp
// (0 to 20 users over 4 s, then a hold) against a site whose CPU is 5 % per
// request in flight. The site's CPU samples go to the local evaluator on its
// own clock, which runs ten times slower than the load's so that each
// second of the load is one of CloudWatch's shortest alarm periods (10 s;
// threshold 50 %); the clock is moved over the period boundaries. The
// verdict dates the first breaching datapoint from the ALARM transition's
// data, and the capacity names the load in force when its period began:
// the ramp's level then, stage 1 of 2, and the rate the site saw in that
// period.
func TestCapacityAtTheAlarmOnTheEvaluatorsClock(t *testing.T) {
	site := newBusySite(t)
	stages, err := loadgen.ParseStages("4s:20,2s:+20")
	if err != nil {
		t.Fatal(err)
	}
	o := loadgen.DefaultOptions()
	o.Users, o.Stages = 0, stages
	runner, err := loadgen.New([]loadgen.Target{{URL: site.URL}}, o)
	if err != nil {
		t.Fatal(err)
	}
	var samples []cpuSample
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-tk.C:
				samples = append(samples, cpuSample{now, 5 * float64(site.inFlight.Load())})
			}
		}
	}()
	res, err := runner.Run(context.Background())
	close(stop)
	<-sampled
	if err != nil {
		t.Fatal(err)
	}

	// The evaluator's clock: second k of the load is [base+10k s, base+10k+10 s).
	base := res.Start.Add(time.Hour).Truncate(time.Minute)
	slow := func(r time.Time) time.Time { return base.Add(10 * r.Sub(res.Start)) }
	fast := func(f time.Time) time.Time { return res.Start.Add(f.Sub(base) / 10) }
	clk := testsupport.NewClock(base.Add(-20 * time.Second))
	ep := awstest.Start(t, awslocal.New(awslocal.Options{Now: clk.Now, Region: awstest.Region}), 3)
	cw := ep.CloudWatch()
	ctx := context.Background()
	alarm, err := verify.CreateAlarm(ctx, cw, verify.AlarmSpec{Name: "cpu-high", Cluster: "container-demo", Service: "ecsdemo-frontend", Threshold: 50, Period: 10})
	if err != nil {
		t.Fatal(err)
	}
	// Publish each sample at its time and evaluate each period as it ends.
	// Independently, find the first second of the load whose mean CPU is
	// over 50 %.
	firstBreach := -1
	sum, n, second := 0.0, 0, 0
	for _, s := range samples {
		if k := int(s.at.Sub(res.Start) / time.Second); k != second {
			if firstBreach < 0 && n > 0 && sum/float64(n) > 50 {
				firstBreach = second
			}
			clk.Set(base.Add(time.Duration(k)*10*time.Second + 10*time.Millisecond))
			ep.Server.Evaluate()
			sum, n, second = 0, 0, k
		}
		clk.Set(slow(s.at))
		if err := putCPU(ctx, cw, cpuSample{slow(s.at), s.pct}); err != nil {
			t.Fatal(err)
		}
		sum += s.pct
		n++
	}
	if firstBreach < 0 {
		t.Fatalf("the CPU never crossed 50 %% (samples %v)", samples)
	}
	clk.Set(base.Add(time.Duration(second+1)*10*time.Second + 10*time.Millisecond))
	ep.Server.Evaluate()

	v, err := verify.Watch(ctx, cw, alarm, verify.Options{UntilAlarm: true, Since: slow(res.Start), Now: clk.Now, Timeout: time.Minute})
	if err != nil || !v.Fired {
		t.Fatalf("verdict %+v, %v", v, err)
	}
	want := base.Add(time.Duration(firstBreach) * 10 * time.Second)
	if !v.Breach.Start.Equal(want) || v.Breach.Period != 10*time.Second {
		t.Fatalf("breach %+v, want the period starting %v", v.Breach, want)
	}
	// Back on the load's clock.
	v.FiredAt, v.Breach = fast(v.FiredAt), verify.Breach{Start: fast(v.Breach.Start), Period: time.Second}
	c := capacityReport(v, res)
	if c == nil {
		t.Fatal("no capacity")
	}
	t.Logf("ALARM at %v; capacity %+v", v.FiredAt, *c)
	// The ramp's level at the breach: 20 users × elapsed / 4 s.
	at := v.Breach.Start
	wantLevel := 20 * at.Sub(res.Start).Seconds() / 4
	seen := float64(site.arrivedIn(at, at.Add(time.Second)))
	if math.Abs(c.Target-wantLevel) > 1e-6 || c.Unit != "users" || c.Stage != 1 || c.Stages != 2 || c.Outside || c.Period != 1 ||
		math.Abs(float64(c.Users)-wantLevel) > 1.5 || math.Abs(c.Rate-seen) > 0.1*seen+5 {
		t.Errorf("capacity %+v; want %.2f users (stage 1 of 2) and the %v req/s the site saw", *c, wantLevel, seen)
	}
	// About 10 users make 50 % here: the ramp crossed it in its third second
	// (mean level 12.5 users; the fourth on a machine too busy to keep the
	// site's requests in flight).
	if firstBreach != 2 && firstBreach != 3 {
		t.Errorf("breach in second %d of the load: the CPU model (5 %% a user) says the third", firstBreach)
	}
	a := alarmReport(v)
	a.Capacity = c
	text := a.Text()
	if !strings.Contains(text, "Capacity:\t\tALARM at ") || !strings.Contains(text, "the breaching 1 s period began at "+at.Local().Format("15:04:05")) ||
		!strings.Contains(text, "(stage 1 of 2)") {
		t.Errorf("text:\n%s", text)
	}
	raw, _ := json.Marshal(a)
	var back report.Alarm
	if err := json.Unmarshal(raw, &back); err != nil || back.Capacity == nil || back.Capacity.BreachStart != at.UTC().Format(time.RFC3339Nano) {
		t.Errorf("JSON %s", raw)
	}
}

// TestStagesUntilAlarmNamesTheCapacity: the command line, end to end on
// real time: a ramp with --until-alarm against the busy site, whose CPU
// (10 % a request in flight) goes to the live local endpoint every 100 ms;
// the alarm has CloudWatch's shortest period, 10 s. It fires during the ramp
// and the report names the level at which the breaching period began.
func TestStagesUntilAlarmNamesTheCapacity(t *testing.T) {
	srv, cw := localAWS(t)
	site := newBusySite(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tk := time.NewTicker(100 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tk.C:
				_ = putCPU(ctx, cw, cpuSample{now, 10 * float64(site.inFlight.Load())})
			}
		}
	}()
	srv.PutStack("container-demo-alb", awslocal.Output{Key: "ExternalUrl", Value: site.URL})
	if r := runCLI(t, nil, "alarm", "create", "--period", "10", "--name", "cpu-high"); r.code != 0 {
		t.Fatalf("create: %s", r.stderr)
	}
	r := runCLI(t, nil, "--stages", "20s:20,30s:+20", "--until-alarm", "--alarm", "cpu-high", "--poll", "1s", "--alarm-timeout", "50s", "--no-crawl", "-j")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatal(err)
	}
	if rp.Alarm == nil || !rp.Alarm.Fired || rp.Alarm.Capacity == nil {
		t.Fatalf("alarm %+v", rp.Alarm)
	}
	c := rp.Alarm.Capacity
	t.Logf("ALARM at %s; capacity %+v", rp.Alarm.FiredAt, *c)
	// The level at the period's start (or, for a period that began before the
	// load, at its end): 1 user a second.
	at := c.Offset
	if c.Outside {
		at += c.Period
	}
	if c.Unit != "users" || c.Stage != 1 || c.Stages != 2 || c.Period != 10 || math.Abs(c.Target-at) > 1e-2 || c.Target > 20 ||
		(c.Outside && c.Offset >= 0) {
		t.Errorf("capacity %+v", *c)
	}
	if len(rp.Stages) == 0 || rp.Stages[0].Stage != 1 || rp.Stages[0].Unit != "users" {
		t.Errorf("stages %+v", rp.Stages)
	}
}
