package verify

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func TestCreateAlarmWorkshop(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const topic = "arn:aws:sns:us-east-1:000000000000:cpu-alerts"
	created, err := CreateAlarm(ctx, f.cw, AlarmSpec{Cluster: "container-demo", Service: "ecsdemo-frontend", ActionARN: topic})
	if err != nil {
		t.Fatalf("CreateAlarm: %v", err)
	}
	name := DefaultAlarmName("ecsdemo-frontend")
	if name != "loadgen-ecsdemo-frontend-cpu-high" || aws.ToString(created.AlarmName) != name {
		t.Fatalf("created %q, default name %q", aws.ToString(created.AlarmName), name)
	}

	// Read it back on our own and check every field.
	out, err := f.cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms: %d alarms, %v", len(out.MetricAlarms), err)
	}
	a := out.MetricAlarms[0]
	check := func(field string, got, want any) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", field, got, want)
		}
	}
	check("ComparisonOperator", a.ComparisonOperator, types.ComparisonOperatorGreaterThanThreshold)
	check("Threshold", aws.ToFloat64(a.Threshold), 50.0)
	check("EvaluationPeriods", aws.ToInt32(a.EvaluationPeriods), int32(1))
	check("DatapointsToAlarm", aws.ToInt32(a.DatapointsToAlarm), int32(1))
	check("TreatMissingData", aws.ToString(a.TreatMissingData), "missing")
	check("ActionsEnabled", aws.ToBool(a.ActionsEnabled), true)
	check("AlarmActions", len(a.AlarmActions) == 1 && a.AlarmActions[0] == topic, true)
	check("OKActions", len(a.OKActions), 0)
	check("MetricName", a.MetricName == nil, true)
	check("Namespace", a.Namespace == nil, true)
	check("Period (alarm level)", a.Period == nil, true)
	check("StateValue", a.StateValue, types.StateValueInsufficientData)
	if len(a.Metrics) != 3 {
		t.Fatalf("Metrics = %d queries, want 3", len(a.Metrics))
	}
	for i, want := range []struct{ id, metric string }{{"mm0m1", MetricCpuReserved}, {"mm1m1", MetricCpuUtilized}} {
		q := a.Metrics[i]
		check("Metrics[].Id", aws.ToString(q.Id), want.id)
		check(want.id+".ReturnData", aws.ToBool(q.ReturnData), false)
		check(want.id+".Expression", q.Expression == nil, true)
		if q.MetricStat == nil || q.MetricStat.Metric == nil {
			t.Fatalf("%s has no MetricStat", want.id)
		}
		check(want.id+".Namespace", aws.ToString(q.MetricStat.Metric.Namespace), NamespaceContainerInsights)
		check(want.id+".MetricName", aws.ToString(q.MetricStat.Metric.MetricName), want.metric)
		check(want.id+".Dimensions", dimsString(q.MetricStat.Metric.Dimensions), "ClusterName=container-demo ServiceName=ecsdemo-frontend")
		check(want.id+".Period", aws.ToInt32(q.MetricStat.Period), int32(60))
		check(want.id+".Stat", aws.ToString(q.MetricStat.Stat), "Average")
	}
	e := a.Metrics[2]
	check("e1.Id", aws.ToString(e.Id), "e1")
	check("e1.Expression", aws.ToString(e.Expression), "mm1m1 * 100 / mm0m1")
	check("e1.Label", aws.ToString(e.Label), "ecsdemo-frontend")
	check("e1.ReturnData", aws.ToBool(e.ReturnData), true)
	check("e1.MetricStat", e.MetricStat == nil, true)
	check("alarmPeriod", alarmPeriod(a), int32(60))

	// FindAlarm without a name finds it.
	found, err := FindAlarm(ctx, f.cw, "")
	if err != nil || aws.ToString(found.AlarmName) != name {
		t.Fatalf("FindAlarm(\"\") = %s, %v", aws.ToString(found.AlarmName), err)
	}

	// Creating it again overwrites it (PutMetricAlarm semantics).
	again, err := CreateAlarm(ctx, f.cw, AlarmSpec{Cluster: "container-demo", Service: "ecsdemo-frontend", Threshold: 75})
	if err != nil || aws.ToFloat64(again.Threshold) != 75 || len(again.AlarmActions) != 0 {
		t.Errorf("re-create: threshold %v actions %v err %v", aws.ToFloat64(again.Threshold), again.AlarmActions, err)
	}
}
