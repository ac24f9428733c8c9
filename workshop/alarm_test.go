package workshop

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/demoapp"
	"github.com/loadgen/loadgen/verify"
)

// publishCPU publishes the demo site's metrics (the real publisher's
// request) for container-demo/ecsdemo-frontend at the fake now.
func (f *fixture) publishCPU(t *testing.T, units float64) {
	t.Helper()
	in := demoapp.MetricInput(demoapp.Config{Cluster: "container-demo", Service: DefaultService, PublishEvery: 10 * time.Second}, units, f.clock.Now())
	if _, err := f.clients.CloudWatch.(*cloudwatch.Client).PutMetricData(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	mustCluster(t, f.srv, awslocal.Cluster{Name: "container-demo", ContainerInsights: "disabled"})
	r := f.step(t, "metrics", Options{})
	wantStatus(t, r, Fail, "no CpuUtilized or CpuReserved datapoints for ECS/ContainerInsights ClusterName=container-demo ServiceName=ecsdemo-frontend in the last 15 minutes")
	wantFix(t, r, "aws ecs update-cluster-settings --cluster container-demo --settings name=containerInsights,value=enabled")

	f.publishCPU(t, 512)
	f.clock.Advance(30 * time.Second)
	wantStatus(t, f.step(t, "metrics", Options{}), Pass, "CpuUtilized 512.0, CpuReserved 1024 (50.0 % of the reservation)")

	// Sixteen minutes later the datapoints are no longer recent; with
	// Container Insights on, the fix is to look at the service.
	if err := f.srv.SetContainerInsights("container-demo", "enabled"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(16 * time.Minute)
	r = f.step(t, "metrics", Options{})
	wantStatus(t, r, Fail, "in the last 15 minutes")
	wantFix(t, r, "aws ecs describe-services --cluster container-demo --services ecsdemo-frontend")

	f.srv.InjectError("GetMetricData", "AccessDenied", 1)
	r = f.step(t, "metrics", Options{})
	wantStatus(t, r, Fail, "denied")
	wantFix(t, r, "grant cloudwatch:GetMetricData")
}

// createAlarm creates the workshop's alarm with loadgen's own request.
func (f *fixture) createAlarm(t *testing.T, spec verify.AlarmSpec) {
	t.Helper()
	if spec.Cluster == "" {
		spec.Cluster = "container-demo"
	}
	if _, err := verify.CreateAlarm(context.Background(), f.clients.CloudWatch, spec); err != nil {
		t.Fatal(err)
	}
}

func TestAlarmShape(t *testing.T) {
	f := newFixture(t)
	mustCluster(t, f.srv, awslocal.Cluster{Name: "container-demo", ContainerInsights: "enabled"})
	r := f.step(t, "alarm", Options{})
	wantStatus(t, r, Fail, "no CloudWatch alarm watches the CPU of an ECS service")
	wantFix(t, r, "aws sns create-topic --name ecsworkshop-cpu-alarm")
	wantFix(t, r, "loadgen alarm create --cluster container-demo --service ecsdemo-frontend --threshold 50 --action-arn $topic")
	// Step 10 cannot be checked without the alarm.
	r = f.step(t, "fired", Options{})
	wantStatus(t, r, Fail, "not checked without the alarm (see step 9)")

	topic := "arn:aws:sns:us-west-2:000000000000:ecsworkshop-cpu-alarm"
	cases := []struct {
		spec verify.AlarmSpec
		want string
	}{
		{verify.AlarmSpec{Name: "cpu", Threshold: 80, ActionARN: topic}, "cpu: mm1m1 * 100 / mm0m1 > 80: the chapter's alarm is > 50"},
		{verify.AlarmSpec{Name: "cpu", Service: "ecsdemo-nodejs", ActionARN: topic}, `it watches ServiceName="ecsdemo-nodejs", not ecsdemo-frontend`},
		{verify.AlarmSpec{Name: "cpu", Cluster: "other", ActionARN: topic}, `it watches ClusterName="other", not container-demo`},
		{verify.AlarmSpec{Name: "cpu"}, "no SNS topic among its alarm actions"},
	}
	for _, c := range cases {
		f.createAlarm(t, c.spec)
		r := f.step(t, "alarm", Options{})
		wantStatus(t, r, Fail, c.want)
		if c.spec.ActionARN != "" {
			wantFix(t, r, "loadgen alarm create --name cpu --cluster container-demo --service ecsdemo-frontend --threshold 50 --action-arn "+topic)
		}
	}
	// A plain AWS/ECS CPUUtilization alarm is the CPU in percent too.
	f.createAlarm(t, verify.AlarmSpec{Name: "cpu", Metric: verify.MetricAWSECS})
	wantStatus(t, f.step(t, "alarm", Options{}), Fail, "cpu: AWS/ECS CPUUtilization > 50: no SNS topic")

	// Two alarms on an ECS service's CPU: name one, as with --until-alarm.
	f.createAlarm(t, verify.AlarmSpec{Name: "cpu2"})
	r = f.step(t, "alarm", Options{})
	wantStatus(t, r, Fail, "2 alarms watch the CPU")
	wantFix(t, r, "loadgen check --alarm NAME")
	wantStatus(t, f.step(t, "alarm", Options{Alarm: "cpu2"}), Fail, "cpu2: mm1m1 * 100 / mm0m1 > 50: no SNS topic")
}

func TestFired(t *testing.T) {
	f := newFixture(t)
	mustCluster(t, f.srv, awslocal.Cluster{Name: "container-demo", ContainerInsights: "enabled"})
	f.createAlarm(t, verify.AlarmSpec{Name: "cpu", Period: 60})
	r := f.step(t, "fired", Options{})
	wantStatus(t, r, Fail, "cpu has not been in ALARM in the last two weeks (now INSUFFICIENT_DATA)")
	if len(r.Fix) != 1 || r.Fix[0] != "loadgen -c 200 --until-alarm" {
		t.Errorf("fix %q", r.Fix)
	}
	r = f.step(t, "fired", Options{Alarm: "cpu"})
	wantFix(t, r, "loadgen -c 200 --until-alarm --alarm cpu")

	// Load: CPU at 70 % of the reservation for a period; the evaluator
	// moves the alarm to ALARM.
	for range 6 {
		f.publishCPU(t, 717)
		f.clock.Advance(10 * time.Second)
	}
	f.clock.Advance(time.Minute)
	f.srv.Evaluate()
	wantStatus(t, f.step(t, "fired", Options{}), Pass, "cpu is in ALARM now")

	// Back to OK: the history still has the transition.
	cw := f.clients.CloudWatch.(*cloudwatch.Client)
	if _, err := cw.SetAlarmState(context.Background(), &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String("cpu"), StateValue: cwtypes.StateValueOk, StateReason: aws.String("test"),
	}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Minute)
	wantStatus(t, f.step(t, "fired", Options{}), Pass, "cpu reached ALARM at ", "now OK")

	f.srv.InjectError("DescribeAlarmHistory", "AccessDenied", 1)
	r = f.step(t, "fired", Options{})
	wantStatus(t, r, Fail, "denied")
	wantFix(t, r, "grant cloudwatch:DescribeAlarmHistory")
}
