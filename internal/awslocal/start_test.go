package awslocal

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func TestStartRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:80", "[::]:0", "nonsense"} {
		ctx, cancel := context.WithCancel(context.Background())
		u, err := Start(ctx, addr, New(Options{}))
		cancel()
		if err == nil {
			t.Errorf("Start(%q) = %q, want an error", addr, u)
		}
	}
}

// TestStartRealClock runs the workshop flow on a running clock: Start, a
// 10 s metric-math alarm, CPU published every 200 ms, and the evaluator
// loop moving the alarm to ALARM; then the context ends and the server
// stops. The clock runs ten times faster than real time, so a 10 s period
// (the shortest AWS accepts) passes in a second.
func TestStartRealClock(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	begin := time.Now()
	fast := func() time.Time { return begin.Add(10 * time.Since(begin)) }
	s := New(Options{Now: fast})
	s.PutStack("container-demo-alb", Output{Key: "ExternalUrl", Value: "http://127.0.0.1:1"})
	base, err := Start(ctx, "127.0.0.1:0", s)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base URL %q", base)
	}
	cfn := cloudformation.NewFromConfig(sdkConfig(1), func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(base) })
	if out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("container-demo-alb")}); err != nil || len(out.Stacks) != 1 {
		t.Fatalf("DescribeStacks: %v", err)
	}
	cw := cloudwatch.NewFromConfig(sdkConfig(1), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(base) })
	if _, err := cw.PutMetricAlarm(ctx, workshopAlarm("cpu", 10)); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}

	// Publish 80% CPU until the alarm fires or 15 s pass.
	deadline := time.Now().Add(15 * time.Second)
	var state types.StateValue
	for time.Now().Before(deadline) {
		putCPU(t, cw, fast(), 800, 1000)
		out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu"}})
		if err != nil {
			t.Fatalf("DescribeAlarms: %v", err)
		}
		state = out.MetricAlarms[0].StateValue
		if state == types.StateValueAlarm {
			if r := aws.ToString(out.MetricAlarms[0].StateReason); !strings.Contains(r, "[80.0 (") {
				t.Errorf("reason = %q", r)
			}
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if state != types.StateValueAlarm {
		t.Fatalf("alarm state after 15 s of 80%% CPU: %s", state)
	}

	cancel()
	// The server goes away (bounded wait).
	stopBy := time.Now().Add(5 * time.Second)
	for {
		_, err := http.Get(base + "/")
		if err != nil {
			break
		}
		if time.Now().After(stopBy) {
			t.Fatal("server still answering 5 s after the context ended")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestConcurrentUse hammers one server from several goroutines (run with
// -race): publishers, readers, SetAlarmState and the evaluator.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t, Options{})
	if _, err := f.cw.PutMetricAlarm(ctxT(t), workshopAlarm("cpu", 10)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 15 {
				at := t0.Add(time.Duration(i) * time.Second)
				var err error
				switch g {
				case 0:
					_, err = f.cw.PutMetricData(ctxT(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("ECS/ContainerInsights"), MetricData: []types.MetricDatum{
						{MetricName: aws.String("CpuUtilized"), Dimensions: serviceDims, Timestamp: aws.Time(at), Value: aws.Float64(900)},
						{MetricName: aws.String("CpuReserved"), Dimensions: serviceDims, Timestamp: aws.Time(at), Value: aws.Float64(1000)},
					}})
				case 1:
					_, err = f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{})
				case 2:
					_, err = f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("cpu"), StateValue: types.StateValueOk, StateReason: aws.String(fmt.Sprint(i))})
				case 3:
					f.clock.Advance(time.Second)
					f.srv.Evaluate()
					_, err = f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{})
				}
				if err != nil {
					errs <- fmt.Errorf("goroutine %d: %w", g, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := f.srv.Calls("PutMetricData"); n != 15 {
		t.Errorf("Calls(PutMetricData) = %d", n)
	}
	if n := f.srv.Calls("SetAlarmState"); n != 15 {
		t.Errorf("Calls(SetAlarmState) = %d", n)
	}
}
