package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
	"github.com/loadgen/loadgen/report"
)

// localAWS starts awslocal on 127.0.0.1 and points the SDK at it through
// the environment, as a user would with AWS_ENDPOINT_URL.
func localAWS(t *testing.T) (*awslocal.Server, *cloudwatch.Client) {
	t.Helper()
	ep := awstest.StartLive(t, awslocal.New(awslocal.Options{}), 3)
	ep.SetEnv(t)
	return ep.Server, ep.CloudWatch()
}

// publishWhileLoaded plays Container Insights for the test site: every
// 200 ms it publishes CpuUtilized high while the site is being hit, low otherwise.
func publishWhileLoaded(t *testing.T, cw *cloudwatch.Client, hits *atomic.Int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		last := int64(0)
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n := hits.Load()
			used := 50.0
			if n > last {
				used = 900
			}
			last = n
			dims := []types.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("container-demo")}, {Name: aws.String("ServiceName"), Value: aws.String("ecsdemo-frontend")}}
			now := time.Now()
			_, _ = cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
				Namespace: aws.String("ECS/ContainerInsights"),
				MetricData: []types.MetricDatum{
					{MetricName: aws.String("CpuUtilized"), Dimensions: dims, Timestamp: &now, Value: aws.Float64(used), StorageResolution: aws.Int32(1)},
					{MetricName: aws.String("CpuReserved"), Dimensions: dims, Timestamp: &now, Value: aws.Float64(1024), StorageResolution: aws.Int32(1)},
				},
			})
		}
	}()
}

func TestURLCommandFollowsTheWorkshopChain(t *testing.T) {
	srv, _ := localAWS(t)
	// Neither stack: the error names both sources.
	r := runCLI(t, nil, "url")
	if r.code != 3 || !strings.Contains(r.stderr, "container-demo-alb") || !strings.Contains(r.stderr, "ecsworkshop-frontend") {
		t.Fatalf("no stacks: exit %d %s", r.code, r.stderr)
	}
	// container-demo-alb exists but lacks ExternalUrl: fall back to the CDK stack.
	srv.PutStack("container-demo-alb", awslocal.Output{Key: "Other", Value: "x"})
	srv.PutStack("ecsworkshop-frontend",
		awslocal.Output{Key: "FrontendFargateLBServiceLoadBalancerDNSAFFB8F0B", Value: "ecswor-front-1.us-east-1.elb.amazonaws.com"},
		awslocal.Output{Key: "FrontendFargateLBServiceServiceURL55F424CF", Value: "http://ecswor-front-1.us-east-1.elb.amazonaws.com"})
	r = runCLI(t, nil, "url")
	if r.code != 0 || r.stdout != "http://ecswor-front-1.us-east-1.elb.amazonaws.com/\n" {
		t.Fatalf("fallback: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	srv.PutStack("container-demo-alb", awslocal.Output{Key: "ExternalUrl", Value: "http://container-demo-alb-1.elb.amazonaws.com"})
	if r = runCLI(t, nil, "url"); r.stdout != "http://container-demo-alb-1.elb.amazonaws.com/\n" {
		t.Fatalf("first source: %q", r.stdout)
	}
	// --stack NAME:~SUB with a bare DNS name gets http://.
	if r = runCLI(t, nil, "url", "--stack", "ecsworkshop-frontend:~LoadBalancerDNS"); r.stdout != "http://ecswor-front-1.us-east-1.elb.amazonaws.com/\n" {
		t.Fatalf("--stack: %d %q %s", r.code, r.stdout, r.stderr)
	}
	if r = runCLI(t, nil, "url", "--stack", "nope"); r.code != 3 || !strings.Contains(r.stderr, "nope") {
		t.Fatalf("missing --stack: %d %s", r.code, r.stderr)
	}
}

func TestUntilAlarmStopsTheLoadWhenTheAlarmFires(t *testing.T) {
	_, ws := alarmingWorkshop(t)
	jf := filepath.Join(t.TempDir(), "r.json")
	r := runCLI(t, nil, "-c", "4", "--until-alarm", "--poll", "1s", "--alarm-timeout", "40s", "--json", jf)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"target " + ws.URL + "/ from stack ecsworkshop-frontend output FrontendFargateLBServiceServiceURL55F424CF",
		"watching alarm loadgen-ecsdemo-frontend-cpu-high", "crawled 2 URLs", "-> ALARM"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "Verdict:\t\tALARM reached") {
		t.Fatalf("report:\n%s", r.stdout)
	}
	rp, _ := readReport(t, jf)
	checkFiredByEvaluation(t, rp, time.Second)
	// A flat load: the capacity is its 4 users, whenever the breach began.
	if c := rp.Alarm.Capacity; c == nil || c.Target != 4 || c.Unit != "users" || c.Stages != 0 || c.Period != 10 {
		t.Errorf("capacity %+v", c)
	}
}

func TestUntilAlarmTimeoutExplainsWhy(t *testing.T) {
	srv, _ := localAWS(t)
	s := newSite(t)
	srv.PutStack("container-demo-alb", awslocal.Output{Key: "ExternalUrl", Value: s.URL})
	if r := runCLI(t, nil, "alarm", "create", "--period", "10", "--name", "cpu-high"); r.code != 0 {
		t.Fatalf("create: %s", r.stderr)
	}
	start := time.Now()
	r := runCLI(t, nil, "-c", "2", "-d", "0.05", "--until-alarm", "--alarm", "cpu-high", "--poll", "1s", "--alarm-timeout", "3s", "-j")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Fatalf("timeout path took %v", el)
	}
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatal(err)
	}
	if rp.Alarm == nil || rp.Alarm.Fired || rp.Alarm.Diagnosis == "" || !strings.Contains(rp.Alarm.Diagnosis, "50") || rp.Transactions == 0 || rp.EndedBy != "alarm-timeout" {
		t.Fatalf("verdict %+v", rp.Alarm)
	}
}

func TestAlarmErrorsStopBeforeAnyLoad(t *testing.T) {
	localAWS(t)
	s := newSite(t)
	r := runCLI(t, nil, "-c", "2", "--until-alarm", s.URL+"/")
	if r.code != 3 || !strings.Contains(r.stderr, "alarm create") {
		t.Fatalf("no alarm: exit %d %s", r.code, r.stderr)
	}
	r = runCLI(t, nil, "-c", "2", "--alarm", "missing", s.URL+"/")
	if r.code != 3 || !strings.Contains(r.stderr, "missing") {
		t.Fatalf("unknown alarm: exit %d %s", r.code, r.stderr)
	}
	if s.total.Load() != 0 {
		t.Fatalf("%d requests sent before the alarm was found", s.total.Load())
	}
}

func TestAlarmWatchCommand(t *testing.T) {
	_, cw := localAWS(t)
	var hits atomic.Int64
	if r := runCLI(t, nil, "alarm", "create", "--period", "10", "--name", "w"); r.code != 0 {
		t.Fatalf("create: %s", r.stderr)
	}
	r := runCLI(t, nil, "alarm", "watch", "w", "--poll", "1s", "--alarm-timeout", "2s")
	if r.code != 1 || !strings.Contains(r.stdout, "did not reach ALARM") {
		t.Fatalf("timeout: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
	hits.Store(1)
	go func() {
		for i := int64(2); ; i++ {
			hits.Store(i)
			time.Sleep(100 * time.Millisecond)
			if i > 400 {
				return
			}
		}
	}()
	publishWhileLoaded(t, cw, &hits)
	r = runCLI(t, nil, "alarm", "watch", "--poll", "1s", "--alarm-timeout", "30s", "-j")
	var a report.Alarm
	if err := json.Unmarshal([]byte(r.stdout), &a); r.code != 0 || err != nil || !a.Fired || a.Name != "w" {
		t.Fatalf("fires: exit %d %v %s %s", r.code, err, r.stdout, r.stderr)
	}
}
