package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awscfg"
)

// putOther creates n alarms that do not watch ECS CPU (memory, EC2 CPU).
func (f *fixture) putOther(t *testing.T, prefix string, n int) {
	t.Helper()
	for i := range n {
		ns, metric := NamespaceECS, "MemoryUtilization"
		if i%2 == 1 {
			ns, metric = "AWS/EC2", MetricCPUUtilization
		}
		_, err := f.cw.PutMetricAlarm(context.Background(), &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String(fmt.Sprintf("%s-%03d", prefix, i)), Namespace: aws.String(ns), MetricName: aws.String(metric),
			Statistic: types.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(80),
			ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		})
		if err != nil {
			t.Fatalf("PutMetricAlarm: %v", err)
		}
	}
}

func TestFindAlarm(t *testing.T) {
	ctx := context.Background()

	t.Run("none", func(t *testing.T) {
		f := newFixture(t)
		f.putOther(t, "other", 3)
		_, err := FindAlarm(ctx, f.cw, "")
		var nf *AlarmNotFoundError
		if !errors.As(err, &nf) || nf.Name != "" || nf.Scanned != 3 || !errors.Is(err, awscfg.ErrSetup) {
			t.Fatalf("FindAlarm = %v, want AlarmNotFoundError after scanning 3", err)
		}
		for _, want := range []string{"no CloudWatch alarm watches the CPU of an ECS service", "--alarm NAME", "loadgen alarm create"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
	})

	t.Run("one math alarm on the second page", func(t *testing.T) {
		f := newFixture(t)
		f.putOther(t, "aaa", 120) // 100 per page: the CPU alarm sorts after them
		if _, err := CreateAlarm(ctx, f.cw, AlarmSpec{Name: "zzz-cpu", Cluster: "c", Service: "s"}); err != nil {
			t.Fatal(err)
		}
		a, err := FindAlarm(ctx, f.cw, "")
		if err != nil {
			t.Fatalf("FindAlarm: %v", err)
		}
		if aws.ToString(a.AlarmName) != "zzz-cpu" || len(a.Metrics) != 3 || a.MetricName != nil {
			t.Errorf("found %s with %d metrics, MetricName %v", aws.ToString(a.AlarmName), len(a.Metrics), a.MetricName)
		}
		if n := f.srv.Calls("DescribeAlarms"); n < 3 {
			t.Errorf("DescribeAlarms calls = %d: FindAlarm did not read every page", n)
		}
	})

	t.Run("one plain alarm", func(t *testing.T) {
		f := newFixture(t)
		f.putOther(t, "other", 2)
		if _, err := CreateAlarm(ctx, f.cw, AlarmSpec{Name: "ecs-cpu", Cluster: "c", Service: "s", Metric: MetricAWSECS}); err != nil {
			t.Fatal(err)
		}
		a, err := FindAlarm(ctx, f.cw, "")
		if err != nil || aws.ToString(a.AlarmName) != "ecs-cpu" || aws.ToString(a.MetricName) != MetricCPUUtilization {
			t.Fatalf("FindAlarm = %s, %v", aws.ToString(a.AlarmName), err)
		}
	})

	t.Run("several", func(t *testing.T) {
		f := newFixture(t)
		f.putOther(t, "other", 2)
		for _, spec := range []AlarmSpec{{Name: "ci-cpu", Cluster: "c", Service: "s"}, {Name: "ecs-cpu", Cluster: "c2", Service: "s2", Metric: MetricAWSECS}} {
			if _, err := CreateAlarm(ctx, f.cw, spec); err != nil {
				t.Fatal(err)
			}
		}
		_, err := FindAlarm(ctx, f.cw, "")
		var amb *AmbiguousAlarmError
		if !errors.As(err, &amb) || !errors.Is(err, awscfg.ErrSetup) {
			t.Fatalf("FindAlarm = %v, want AmbiguousAlarmError", err)
		}
		want := []Candidate{
			{Name: "ci-cpu", Watches: "mm1m1 * 100 / mm0m1 over CpuReserved, CpuUtilized in ECS/ContainerInsights ClusterName=c ServiceName=s", Dimensions: "ClusterName=c ServiceName=s", State: "INSUFFICIENT_DATA"},
			{Name: "ecs-cpu", Watches: "CPUUtilization in AWS/ECS ClusterName=c2 ServiceName=s2 (Average)", Dimensions: "ClusterName=c2 ServiceName=s2", State: "INSUFFICIENT_DATA"},
		}
		if fmt.Sprint(amb.Candidates) != fmt.Sprint(want) {
			t.Errorf("candidates =\n%v\nwant\n%v", amb.Candidates, want)
		}
		for _, s := range []string{"2 alarms watch the CPU of an ECS service", "ci-cpu [mm1m1 * 100 / mm0m1", "ecs-cpu [CPUUtilization in AWS/ECS ClusterName=c2 ServiceName=s2 (Average), now INSUFFICIENT_DATA]", "--alarm NAME"} {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q lacks %q", err, s)
			}
		}
	})

	t.Run("by name", func(t *testing.T) {
		f := newFixture(t)
		f.putOther(t, "other", 2)
		a, err := FindAlarm(ctx, f.cw, "other-001")
		if err != nil || aws.ToString(a.AlarmName) != "other-001" {
			t.Fatalf("FindAlarm(other-001) = %s, %v", aws.ToString(a.AlarmName), err)
		}
		_, err = FindAlarm(ctx, f.cw, "cpu-high")
		var nf *AlarmNotFoundError
		if !errors.As(err, &nf) || nf.Name != "cpu-high" || !errors.Is(err, awscfg.ErrSetup) {
			t.Fatalf("FindAlarm(cpu-high) = %v, want AlarmNotFoundError naming it", err)
		}
		if !strings.Contains(err.Error(), `CloudWatch alarm "cpu-high" not found`) {
			t.Errorf("error %q", err)
		}
	})

	t.Run("access denied", func(t *testing.T) {
		f := newFixture(t)
		f.srv.InjectError("DescribeAlarms", "AccessDenied", 1)
		_, err := FindAlarm(ctx, f.cw, "")
		var se *awscfg.Error
		if !errors.As(err, &se) || se.Kind != awscfg.KindAccessDenied {
			t.Fatalf("FindAlarm = %v, want access denied", err)
		}
	})
}
