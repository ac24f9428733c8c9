package verify

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func TestParseHistoryItem(t *testing.T) {
	data := `{"version":"1.0","oldState":{"stateValue":"OK","stateReason":"Threshold Crossed: no datapoints were received"},` +
		`"newState":{"stateValue":"ALARM","stateReason":"Threshold Crossed: 1 out of the last 1 datapoints [70.9] was greater than the threshold (50.0)","stateReasonData":{"threshold":50.0}}}`
	got, ok := ParseHistoryItem(data, "Alarm updated from OK to ALARM")
	want := StateChange{From: "OK", To: "ALARM", Reason: "Threshold Crossed: 1 out of the last 1 datapoints [70.9] was greater than the threshold (50.0)",
		ReasonData: `{"threshold":50.0}`}
	if !ok || got != want {
		t.Fatalf("ParseHistoryItem(json) = %+v, %v; want %+v", got, ok, want)
	}
	// Broken or empty JSON falls back to the summary.
	for _, d := range []string{"", "{", `{"newState":{}}`, "null"} {
		got, ok = ParseHistoryItem(d, "Alarm updated from INSUFFICIENT_DATA to OK")
		if !ok || got.From != "INSUFFICIENT_DATA" || got.To != "OK" {
			t.Errorf("ParseHistoryItem(%q, summary) = %+v, %v; want INSUFFICIENT_DATA -> OK", d, got, ok)
		}
	}
	if got, ok := ParseHistoryItem("", "Alarm \"x\" created"); ok {
		t.Errorf("ParseHistoryItem of a config summary = %+v, want not ok", got)
	}
}

func FuzzParseHistoryItem(f *testing.F) {
	f.Add(`{"oldState":{"stateValue":"OK"},"newState":{"stateValue":"ALARM","stateReason":"r"}}`, "Alarm updated from OK to ALARM")
	f.Add("", "Alarm updated from ALARM to OK")
	f.Add(`{"newState":{"stateValue":""}}`, "from to")
	f.Add(`[1,2]`, "")
	f.Fuzz(func(t *testing.T, data, summary string) {
		ch, ok := ParseHistoryItem(data, summary)
		if ok && ch.To == "" {
			t.Fatalf("ParseHistoryItem(%q, %q) ok with an empty new state", data, summary)
		}
		if !ok && ch != (StateChange{}) {
			t.Fatalf("ParseHistoryItem(%q, %q) not ok but returned %+v", data, summary, ch)
		}
		// Whatever we read back from JSON we wrote must match.
		if ok {
			var hd historyData
			hd.OldState.StateValue, hd.NewState.StateValue, hd.NewState.StateReason = ch.From, ch.To, ch.Reason
			b, err := json.Marshal(hd)
			if err != nil {
				t.Fatal(err)
			}
			if back, ok := ParseHistoryItem(string(b), ""); !ok || back != ch {
				t.Fatalf("round trip %+v -> %s -> %+v, %v", ch, b, back, ok)
			}
		}
	})
}

func TestEventString(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 51, 19, 0, time.UTC)
	tests := []struct {
		e    Event
		want string
	}{
		{Event{Kind: EventSample, Alarm: "cpu-high", To: "OK", Value: 37.24, HasValue: true, Threshold: 50, Comparison: "GreaterThanThreshold"}, "alarm cpu-high: OK, 37.2 > 50?"},
		{Event{Kind: EventSample, Alarm: "cpu-high", To: "INSUFFICIENT_DATA", Threshold: 50, Comparison: "GreaterThanOrEqualToThreshold"}, "alarm cpu-high: INSUFFICIENT_DATA, no data yet (>= 50?)"},
		{Event{Kind: EventStateChange, Alarm: "cpu-high", Time: at, From: "OK", To: "ALARM", Reason: "Threshold Crossed"}, "alarm cpu-high: OK -> ALARM at 10:51:19: Threshold Crossed"},
		{Event{Kind: EventNotice, Alarm: "cpu-high", Text: "history unavailable"}, "alarm cpu-high: history unavailable"},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestWatchesECSCPU(t *testing.T) {
	dims := []types.Dimension{{Name: aws.String("ClusterName"), Value: aws.String("c")}, {Name: aws.String("ServiceName"), Value: aws.String("s")}}
	q := func(id, ns, name string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String(ns), MetricName: aws.String(name), Dimensions: dims}, Period: aws.Int32(60), Stat: aws.String("Average")}, ReturnData: aws.Bool(false)}
	}
	expr := types.MetricDataQuery{Id: aws.String("e1"), Expression: aws.String("mm1m1 * 100 / mm0m1"), ReturnData: aws.Bool(true)}
	tests := []struct {
		name string
		a    types.MetricAlarm
		want bool
	}{
		{"math CI", types.MetricAlarm{Metrics: []types.MetricDataQuery{q("mm0m1", NamespaceContainerInsights, MetricCpuReserved), q("mm1m1", NamespaceContainerInsights, MetricCpuUtilized), expr}}, true},
		{"math reserved only", types.MetricAlarm{Metrics: []types.MetricDataQuery{q("m", NamespaceContainerInsights, MetricCpuReserved), expr}}, false},
		{"plain AWS/ECS", types.MetricAlarm{Namespace: aws.String(NamespaceECS), MetricName: aws.String(MetricCPUUtilization), Dimensions: dims}, true},
		{"plain CI", types.MetricAlarm{Namespace: aws.String(NamespaceContainerInsights), MetricName: aws.String(MetricCpuUtilized)}, true},
		{"plain memory", types.MetricAlarm{Namespace: aws.String(NamespaceECS), MetricName: aws.String("MemoryUtilization")}, false},
		{"EC2 CPU", types.MetricAlarm{Namespace: aws.String("AWS/EC2"), MetricName: aws.String(MetricCPUUtilization)}, false},
		{"nothing set", types.MetricAlarm{}, false},
		{"nil metric stat", types.MetricAlarm{Metrics: []types.MetricDataQuery{{Id: aws.String("x")}, {MetricStat: &types.MetricStat{}}}}, false},
	}
	for _, tt := range tests {
		if got := watchesECSCPU(tt.a); got != tt.want {
			t.Errorf("%s: watchesECSCPU = %v, want %v", tt.name, got, tt.want)
		}
	}
	c := candidateOf(types.MetricAlarm{AlarmName: aws.String("a"), StateValue: types.StateValueOk, Metrics: tests[0].a.Metrics})
	want := Candidate{Name: "a", Watches: "mm1m1 * 100 / mm0m1 over CpuReserved, CpuUtilized in ECS/ContainerInsights ClusterName=c ServiceName=s", Dimensions: "ClusterName=c ServiceName=s", State: "OK"}
	if c != want {
		t.Errorf("candidateOf = %+v, want %+v", c, want)
	}
}

func TestValidPeriod(t *testing.T) {
	for p, want := range map[int32]bool{10: true, 20: true, 30: true, 60: true, 120: true, 86400: true,
		0: false, 1: false, 2: false, 5: false, 15: false, 40: false, 45: false, 90: false, -60: false} {
		if ValidPeriod(p) != want {
			t.Errorf("ValidPeriod(%d) = %v", p, !want)
		}
	}
}

func TestPutMetricAlarmInputValidation(t *testing.T) {
	for _, spec := range []AlarmSpec{
		{Metric: "memory"},
		{EvaluationPeriods: 1, DatapointsToAlarm: 2},
		{Period: -60},
		{Period: 45},
		{Period: 1},
		{Period: 3600, EvaluationPeriods: 25},
	} {
		if _, err := PutMetricAlarmInput(spec); err == nil {
			t.Errorf("PutMetricAlarmInput(%+v): want an error", spec)
		}
	}
	in, err := PutMetricAlarmInput(AlarmSpec{Metric: MetricAWSECS, Cluster: "c", Service: "s", Threshold: 70, Period: 300, EvaluationPeriods: 3})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(in.Namespace) != NamespaceECS || aws.ToString(in.MetricName) != MetricCPUUtilization || in.Statistic != types.StatisticAverage ||
		aws.ToInt32(in.Period) != 300 || aws.ToInt32(in.EvaluationPeriods) != 3 || aws.ToInt32(in.DatapointsToAlarm) != 3 ||
		aws.ToFloat64(in.Threshold) != 70 || len(in.Metrics) != 0 || aws.ToString(in.AlarmName) != "loadgen-s-cpu-high" ||
		dimsString(in.Dimensions) != "ClusterName=c ServiceName=s" || len(in.AlarmActions) != 0 {
		t.Errorf("aws-ecs alarm input = %+v", in)
	}
	if !strings.Contains(aws.ToString(in.AlarmDescription), "AWS/ECS CPUUtilization") {
		t.Errorf("description %q", aws.ToString(in.AlarmDescription))
	}
}
