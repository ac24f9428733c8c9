package demoapp

import (
	"context"
	"io"
	"net/http"
	"os"
	"strings"
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

// childAWSEnv is the parent's environment without AWS_* variables, plus the
// offline SDK settings that point a child at the local endpoint.
func childAWSEnv(endpoint string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=AKID",
		"AWS_SECRET_ACCESS_KEY=SECRET",
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
}

// load sends GET / (and its image) from n clients until ctx ends, and
// returns how many pages were served.
func load(ctx context.Context, t *testing.T, url string, n int) int {
	var mu sync.Mutex
	pages := 0
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c := &http.Client{Timeout: 5 * time.Second}
			defer c.CloseIdleConnections()
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
				resp, err := c.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("GET /: %v", err)
					}
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					pages++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return pages
}

// TestChildPublishesToAWSLocal runs the demo as `loadgen demo` will: a local
// CloudWatch endpoint, the site as a child process publishing through the
// real SDK every 200 ms, load on the site, and the workshop's metric-math
// alarm, at a 10 s period (the shortest AWS accepts besides 20 and 30) and
// a 10 % threshold (a 10 s average over 50 % of a vCPU is not certain on a
// busy test machine), that must reach ALARM. Then it reads both metrics
// back with GetMetricData at a 1 s period.
func TestChildPublishesToAWSLocal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	ep := awstest.StartLive(t, awslocal.New(awslocal.Options{}), 1)
	local, base, cw := ep.Server, ep.URL, ep.CloudWatch()

	dims := []types.Dimension{
		{Name: aws.String("ClusterName"), Value: aws.String("container-demo")},
		{Name: aws.String("ServiceName"), Value: aws.String("ecsdemo-frontend")},
	}
	stat := func(id, metric string, period int32) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String(Namespace), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(period), Stat: aws.String("Average"),
		}}
	}
	const alarmName = "ecsdemo-frontend-cpu"
	_, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(alarmName),
		Metrics: []types.MetricDataQuery{
			{Id: aws.String("expr1m0"), Expression: aws.String("mm1m1 * 100 / mm0m1"), Label: aws.String("ecsdemo-frontend"), ReturnData: aws.Bool(true)},
			noReturn(stat("mm0m1", MetricCPUReserved, 10)),
			noReturn(stat("mm1m1", MetricCPUUtilized, 10)),
		},
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		Threshold:          aws.Float64(10),
		EvaluationPeriods:  aws.Int32(1),
		DatapointsToAlarm:  aws.Int32(1),
	})
	if err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}

	var stderr testsupport.SyncBuffer
	env := childAWSEnv(base)
	if os.Getenv("GORACE") == "" {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	env = append(env, childEnv+"=site")
	start := time.Now()
	// 1 ms per page keeps the site, not the race-instrumented test clients,
	// the bottleneck on a busy machine.
	c, err := Spawn(ctx, os.Args[0], []string{"-test.run=^$"}, env, Config{PublishEvery: 200 * time.Millisecond, WorkPerPage: time.Millisecond}, &stderr)
	if err != nil {
		t.Fatalf("Spawn: %v (stderr %q)", err, stderr.String())
	}
	defer c.Stop()

	// Load for 2 s and until the alarm fires (at most 40 s: a 10 s period
	// needs up to two).
	lctx, lcancel := context.WithTimeout(ctx, 40*time.Second)
	defer lcancel()
	pagesc := make(chan int, 1)
	go func() { pagesc <- load(lctx, t, c.URL, 4) }()
	var state types.StateValue
	reached := false
	for lctx.Err() == nil && (!reached || time.Since(start) < 2*time.Second) {
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{alarmName}})
		if err != nil {
			t.Fatalf("DescribeAlarms: %v", err)
		}
		if len(out.MetricAlarms) == 1 {
			state = out.MetricAlarms[0].StateValue
			if state == types.StateValueAlarm && !reached {
				reached = true
				t.Logf("ALARM after %v: %s", time.Since(start).Round(time.Millisecond), aws.ToString(out.MetricAlarms[0].StateReason))
			}
		}
		select {
		case <-lctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
	lcancel()
	pages := <-pagesc
	if err := c.Stop(); err != nil {
		t.Errorf("Stop: %v (stderr %q)", err, stderr.String())
	}
	end := time.Now()
	puts := local.Calls("PutMetricData")
	t.Logf("served %d pages; %d PutMetricData calls; child stderr %q", pages, puts, stderr.String())
	if puts < 5 {
		t.Errorf("%d PutMetricData calls in over 2 s at a 200 ms interval, want at least 5", puts)
	}
	if !reached {
		t.Errorf("alarm state %q after 40 s of load, never ALARM", state)
	}

	out, err := cw.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		StartTime:         aws.Time(start.Add(-2 * time.Second)),
		EndTime:           aws.Time(end.Add(2 * time.Second)),
		MetricDataQueries: []types.MetricDataQuery{stat("util", MetricCPUUtilized, 1), stat("res", MetricCPUReserved, 1)},
	})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	got := map[string]types.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		got[aws.ToString(r.Id)] = r
	}
	util, res := got["util"], got["res"]
	if len(util.Values) < 2 || len(res.Values) < 2 {
		t.Fatalf("too few datapoints: CpuUtilized %v, CpuReserved %v", util.Values, res.Values)
	}
	peak := 0.0
	for _, v := range util.Values {
		if v < 0 || v > 4*1024 {
			t.Errorf("CpuUtilized %v out of range", v)
		}
		peak = max(peak, v)
	}
	if peak <= 0 {
		t.Errorf("CpuUtilized never above 0: %v", util.Values)
	}
	for _, v := range res.Values {
		if v != 1024 {
			t.Errorf("CpuReserved = %v, want 1024", v)
		}
	}
	t.Logf("CpuUtilized per second (units): %v; peak %.0f = %.0f%% of a vCPU", util.Values, peak, peak*100/1024)
}

func noReturn(q types.MetricDataQuery) types.MetricDataQuery {
	q.ReturnData = aws.Bool(false)
	return q
}
