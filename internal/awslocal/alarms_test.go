package awslocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/encoding/cbor"
)

func TestPutMetricAlarmMathRoundTrip(t *testing.T) {
	f := newFixture(t, Options{Region: "us-west-2"})
	in := workshopAlarm("ecsdemo-frontend-cpu", 60)
	in.TreatMissingData = aws.String("notBreaching")
	in.AlarmActions = []string{"arn:aws:sns:us-west-2:000000000000:ops"}
	in.OKActions = []string{"arn:aws:sns:us-west-2:000000000000:ok"}
	in.ActionsEnabled = aws.Bool(false)
	if _, err := f.cw.PutMetricAlarm(ctxT(t), in); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	a := describeOne(t, f.cw, "ecsdemo-frontend-cpu")
	if got := aws.ToString(a.AlarmArn); got != "arn:aws:cloudwatch:us-west-2:000000000000:alarm:ecsdemo-frontend-cpu" {
		t.Errorf("AlarmArn = %q", got)
	}
	if aws.ToString(a.AlarmDescription) != "ecsdemo-frontend CPU" {
		t.Errorf("AlarmDescription = %q", aws.ToString(a.AlarmDescription))
	}
	if a.MetricName != nil || a.Namespace != nil || a.Period != nil || a.Statistic != "" {
		t.Errorf("math alarm has plain fields: %v %v %v %q", a.MetricName, a.Namespace, a.Period, a.Statistic)
	}
	if a.StateValue != types.StateValueInsufficientData || aws.ToString(a.StateReason) != "Unchecked: Initial alarm creation" {
		t.Errorf("state = %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	for name, ts := range map[string]*time.Time{"StateUpdatedTimestamp": a.StateUpdatedTimestamp, "StateTransitionedTimestamp": a.StateTransitionedTimestamp, "AlarmConfigurationUpdatedTimestamp": a.AlarmConfigurationUpdatedTimestamp} {
		if ts == nil || !ts.Equal(t0) {
			t.Errorf("%s = %v, want %v", name, ts, t0)
		}
	}
	if aws.ToInt32(a.EvaluationPeriods) != 1 || aws.ToInt32(a.DatapointsToAlarm) != 1 || aws.ToFloat64(a.Threshold) != 50 ||
		a.ComparisonOperator != types.ComparisonOperatorGreaterThanThreshold || aws.ToString(a.TreatMissingData) != "notBreaching" {
		t.Errorf("evaluation settings = %d/%d %v %s %q", aws.ToInt32(a.DatapointsToAlarm), aws.ToInt32(a.EvaluationPeriods), aws.ToFloat64(a.Threshold), a.ComparisonOperator, aws.ToString(a.TreatMissingData))
	}
	if aws.ToBool(a.ActionsEnabled) || len(a.AlarmActions) != 1 || a.AlarmActions[0] != "arn:aws:sns:us-west-2:000000000000:ops" || len(a.OKActions) != 1 {
		t.Errorf("actions = %v %v %v", aws.ToBool(a.ActionsEnabled), a.AlarmActions, a.OKActions)
	}
	if len(a.Metrics) != 3 {
		t.Fatalf("Metrics = %+v", a.Metrics)
	}
	e := a.Metrics[0]
	if aws.ToString(e.Id) != "e1" || aws.ToString(e.Expression) != "mm1m1 * 100 / mm0m1" || aws.ToString(e.Label) != "ecsdemo-frontend" || !aws.ToBool(e.ReturnData) || e.MetricStat != nil {
		t.Errorf("expression query = %+v", e)
	}
	for i, name := range []string{"CpuUtilized", "CpuReserved"} {
		q := a.Metrics[i+1]
		if q.MetricStat == nil || q.MetricStat.Metric == nil {
			t.Fatalf("query %d has no MetricStat: %+v", i+1, q)
		}
		ms := q.MetricStat
		if aws.ToBool(q.ReturnData) || aws.ToString(ms.Metric.Namespace) != "ECS/ContainerInsights" || aws.ToString(ms.Metric.MetricName) != name ||
			aws.ToInt32(ms.Period) != 60 || aws.ToString(ms.Stat) != "Average" || len(ms.Metric.Dimensions) != 2 ||
			aws.ToString(ms.Metric.Dimensions[0].Name) != "ClusterName" || aws.ToString(ms.Metric.Dimensions[1].Value) != "ecsdemo-frontend" {
			t.Errorf("query %d = %+v / %+v", i+1, q, ms)
		}
	}

	// Re-putting updates the configuration and keeps the state.
	f.clock.Advance(30 * time.Second)
	in.Threshold = aws.Float64(75)
	if _, err := f.cw.PutMetricAlarm(ctxT(t), in); err != nil {
		t.Fatal(err)
	}
	b := describeOne(t, f.cw, "ecsdemo-frontend-cpu")
	if aws.ToFloat64(b.Threshold) != 75 || b.StateValue != types.StateValueInsufficientData || !b.StateTransitionedTimestamp.Equal(t0) ||
		!b.AlarmConfigurationUpdatedTimestamp.Equal(t0.Add(30*time.Second)) {
		t.Errorf("after update: threshold %v state %s transitioned %v configured %v", aws.ToFloat64(b.Threshold), b.StateValue, b.StateTransitionedTimestamp, b.AlarmConfigurationUpdatedTimestamp)
	}
	h, err := f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("ecsdemo-frontend-cpu")})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.AlarmHistoryItems) != 2 {
		t.Fatalf("history = %+v", h.AlarmHistoryItems)
	}
	upd, created := h.AlarmHistoryItems[0], h.AlarmHistoryItems[1]
	if created.HistoryItemType != types.HistoryItemTypeConfigurationUpdate || aws.ToString(created.HistorySummary) != `Alarm "ecsdemo-frontend-cpu" created` ||
		created.AlarmType != types.AlarmTypeMetricAlarm || !created.Timestamp.Equal(t0) {
		t.Errorf("created item = %+v", created)
	}
	if aws.ToString(upd.HistorySummary) != `Alarm "ecsdemo-frontend-cpu" updated` {
		t.Errorf("update item = %+v", upd)
	}
	var hd struct {
		Type         string         `json:"type"`
		UpdatedAlarm map[string]any `json:"updatedAlarm"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(upd.HistoryData)), &hd); err != nil || hd.Type != "Update" || hd.UpdatedAlarm["threshold"] != 75.0 {
		t.Errorf("update HistoryData = %s (%v)", aws.ToString(upd.HistoryData), err)
	}
}

func TestPutMetricAlarmPlainRoundTrip(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.cw.PutMetricAlarm(ctxT(t), &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String("cpu-high"),
		Namespace:          aws.String("AWS/ECS"),
		MetricName:         aws.String("CPUUtilization"),
		Dimensions:         serviceDims,
		Statistic:          types.StatisticMaximum,
		Period:             aws.Int32(60),
		Unit:               types.StandardUnitPercent,
		EvaluationPeriods:  aws.Int32(3),
		DatapointsToAlarm:  aws.Int32(2),
		Threshold:          aws.Float64(80.5),
		ComparisonOperator: types.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData:   aws.String("breaching"),
	})
	if err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	a := describeOne(t, f.cw, "cpu-high")
	if aws.ToString(a.Namespace) != "AWS/ECS" || aws.ToString(a.MetricName) != "CPUUtilization" || a.Statistic != types.StatisticMaximum ||
		aws.ToInt32(a.Period) != 60 || a.Unit != types.StandardUnitPercent || len(a.Dimensions) != 2 || len(a.Metrics) != 0 {
		t.Errorf("plain fields = %+v", a)
	}
	if aws.ToInt32(a.EvaluationPeriods) != 3 || aws.ToInt32(a.DatapointsToAlarm) != 2 || aws.ToFloat64(a.Threshold) != 80.5 ||
		a.ComparisonOperator != types.ComparisonOperatorGreaterThanOrEqualToThreshold || aws.ToString(a.TreatMissingData) != "breaching" || !aws.ToBool(a.ActionsEnabled) {
		t.Errorf("evaluation fields = %+v", a)
	}

	// Defaults: DatapointsToAlarm = EvaluationPeriods, TreatMissingData = missing; percentiles as ExtendedStatistic.
	_, err = f.cw.PutMetricAlarm(ctxT(t), &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("p99"), Namespace: aws.String("App"), MetricName: aws.String("Latency"),
		ExtendedStatistic: aws.String("p99"), Period: aws.Int32(10), EvaluationPeriods: aws.Int32(4),
		Threshold: aws.Float64(0.25), ComparisonOperator: types.ComparisonOperatorLessThanThreshold,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := describeOne(t, f.cw, "p99")
	if aws.ToString(p.ExtendedStatistic) != "p99" || p.Statistic != "" || aws.ToInt32(p.DatapointsToAlarm) != 4 || aws.ToString(p.TreatMissingData) != "missing" {
		t.Errorf("defaults = ext %q stat %q dta %d tmd %q", aws.ToString(p.ExtendedStatistic), p.Statistic, aws.ToInt32(p.DatapointsToAlarm), aws.ToString(p.TreatMissingData))
	}
}

func TestPutMetricAlarmValidation(t *testing.T) {
	f := newFixture(t, Options{})
	base := func() *cloudwatch.PutMetricAlarmInput {
		return &cloudwatch.PutMetricAlarmInput{
			AlarmName: aws.String("a"), Namespace: aws.String("N"), MetricName: aws.String("M"),
			Statistic: types.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(1), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		}
	}
	cases := []struct {
		name   string
		mutate func(*cloudwatch.PutMetricAlarmInput)
		code   string
		check  func(error) bool
		substr string
	}{
		{"no evaluation periods", func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = nil }, "MissingParameter",
			func(err error) bool { var e *types.MissingRequiredParameterException; return errors.As(err, &e) }, "EvaluationPeriods"},
		{"no metric name", func(in *cloudwatch.PutMetricAlarmInput) { in.MetricName = nil }, "MissingParameter",
			func(err error) bool { var e *types.MissingRequiredParameterException; return errors.As(err, &e) }, "MetricName"},
		{"bad statistic", func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic = "Median" }, "InvalidParameterValue",
			func(err error) bool { var e *types.InvalidParameterValueException; return errors.As(err, &e) }, "Median"},
		{"both statistics", func(in *cloudwatch.PutMetricAlarmInput) { in.ExtendedStatistic = aws.String("p90") }, "InvalidParameterCombination",
			func(err error) bool { var e *types.InvalidParameterCombinationException; return errors.As(err, &e) }, "mutually exclusive"},
		{"period 45", func(in *cloudwatch.PutMetricAlarmInput) { in.Period = aws.Int32(45) }, "ValidationError",
			func(err error) bool { var e *types.ValidationException; return errors.As(err, &e) }, "Period must be 10, 20, 30 or a multiple of 60"},
		{"more than a day", func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(1441) }, "ValidationError",
			func(err error) bool { var e *types.ValidationException; return errors.As(err, &e) }, "one day"},
		{"datapoints over periods", func(in *cloudwatch.PutMetricAlarmInput) { in.DatapointsToAlarm = aws.Int32(2) }, "ValidationError",
			func(err error) bool { var e *types.ValidationException; return errors.As(err, &e) }, "DatapointsToAlarm"},
		{"bad treat missing", func(in *cloudwatch.PutMetricAlarmInput) { in.TreatMissingData = aws.String("zero") }, "ValidationError",
			func(err error) bool { var e *types.ValidationException; return errors.As(err, &e) }, "TreatMissingData"},
		{"bad operator", func(in *cloudwatch.PutMetricAlarmInput) { in.ComparisonOperator = "Bigger" }, "ValidationError",
			func(err error) bool { var e *types.ValidationException; return errors.As(err, &e) }, "comparisonOperator"},
		{"no threshold", func(in *cloudwatch.PutMetricAlarmInput) { in.Threshold = nil }, "ValidationError",
			func(err error) bool { var e *types.ValidationException; return errors.As(err, &e) }, "Threshold"},
		{"metrics and metric name", func(in *cloudwatch.PutMetricAlarmInput) { in.Metrics = workshopAlarm("x", 60).Metrics }, "InvalidParameterCombination",
			func(err error) bool { var e *types.InvalidParameterCombinationException; return errors.As(err, &e) }, "Metrics"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := base()
			tc.mutate(in)
			_, err := f.cw.PutMetricAlarm(ctxT(t), in)
			if err == nil {
				t.Fatal("no error")
			}
			if !tc.check(err) {
				t.Errorf("err = %v (%T): not the expected typed error", err, errors.Unwrap(err))
			}
			var apiErr smithy.APIError
			if !errors.As(err, &apiErr) || apiErr.ErrorCode() != tc.code || !strings.Contains(apiErr.ErrorMessage(), tc.substr) {
				t.Errorf("err = %v, want code %s with %q", err, tc.code, tc.substr)
			}
		})
	}

	mathCases := []struct {
		name   string
		mutate func([]types.MetricDataQuery) []types.MetricDataQuery
		substr string
	}{
		{"two returned", func(q []types.MetricDataQuery) []types.MetricDataQuery { q[1].ReturnData = aws.Bool(true); return q }, "Exactly one"},
		{"unknown id", func(q []types.MetricDataQuery) []types.MetricDataQuery {
			q[0].Expression = aws.String("mm1m1 / nope")
			return q
		}, "nope"},
		{"bad expression", func(q []types.MetricDataQuery) []types.MetricDataQuery {
			q[0].Expression = aws.String("mm1m1 * (100")
			return q
		}, "missing )"},
		{"function", func(q []types.MetricDataQuery) []types.MetricDataQuery {
			q[0].Expression = aws.String("SUM(METRICS())")
			return q
		}, "not supported"},
		{"mixed periods", func(q []types.MetricDataQuery) []types.MetricDataQuery {
			q[2].MetricStat.Period = aws.Int32(120)
			return q
		}, "same period"},
		{"bad id", func(q []types.MetricDataQuery) []types.MetricDataQuery { q[0].Id = aws.String("E1"); return q }, "E1"},
		{"duplicate id", func(q []types.MetricDataQuery) []types.MetricDataQuery { q[2].Id = aws.String("mm1m1"); return q }, "not unique"},
		{"cycle", func(q []types.MetricDataQuery) []types.MetricDataQuery {
			return append(q, types.MetricDataQuery{Id: aws.String("c1"), Expression: aws.String("c2"), ReturnData: aws.Bool(false)},
				types.MetricDataQuery{Id: aws.String("c2"), Expression: aws.String("c1 + 1"), ReturnData: aws.Bool(false)})
		}, "references itself"},
	}
	for _, tc := range mathCases {
		t.Run(tc.name, func(t *testing.T) {
			in := workshopAlarm("m", 60)
			in.Metrics = tc.mutate(in.Metrics)
			_, err := f.cw.PutMetricAlarm(ctxT(t), in)
			var ve *types.ValidationException
			if !errors.As(err, &ve) || ve.ErrorCode() != "ValidationError" || !strings.Contains(ve.ErrorMessage(), tc.substr) {
				t.Errorf("err = %v, want ValidationError with %q", err, tc.substr)
			}
		})
	}
	// Nothing invalid was stored.
	out, err := f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{})
	if err != nil || len(out.MetricAlarms) != 0 {
		t.Errorf("alarms after invalid puts: %v, %v", out, err)
	}
}

func TestDescribeAlarmsFiltersAndPaging(t *testing.T) {
	f := newFixture(t, Options{})
	for i := range 7 {
		in := workshopAlarm(fmt.Sprintf("svc-%d", i), 60)
		if i%2 == 0 {
			in.AlarmActions = []string{"arn:aws:sns:us-east-1:000000000000:pager"}
		}
		if _, err := f.cw.PutMetricAlarm(ctxT(t), in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.cw.PutMetricAlarm(ctxT(t), workshopAlarm("other", 60)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("svc-3"), StateValue: types.StateValueAlarm, StateReason: aws.String("test")}); err != nil {
		t.Fatal(err)
	}

	names := func(as []types.MetricAlarm) []string {
		var out []string
		for _, a := range as {
			out = append(out, aws.ToString(a.AlarmName))
		}
		return out
	}
	check := func(in *cloudwatch.DescribeAlarmsInput, want string) {
		t.Helper()
		out, err := f.cw.DescribeAlarms(ctxT(t), in)
		if err != nil {
			t.Fatalf("DescribeAlarms: %v", err)
		}
		if got := strings.Join(names(out.MetricAlarms), ","); got != want {
			t.Errorf("got %s, want %s", got, want)
		}
	}
	check(&cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"svc-2", "other", "missing"}}, "other,svc-2")
	check(&cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("svc-"), StateValue: types.StateValueAlarm}, "svc-3")
	check(&cloudwatch.DescribeAlarmsInput{StateValue: types.StateValueInsufficientData, AlarmNamePrefix: aws.String("o")}, "other")
	check(&cloudwatch.DescribeAlarmsInput{ActionPrefix: aws.String("arn:aws:sns:us-east-1:000000000000:pag")}, "svc-0,svc-2,svc-4,svc-6")
	check(&cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}}, "")
	check(&cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm, types.AlarmTypeMetricAlarm}, AlarmNames: []string{"other"}}, "other")

	// Paging with the SDK paginator, 3 per page.
	p := cloudwatch.NewDescribeAlarmsPaginator(f.cw, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(3)})
	var all []string
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.MetricAlarms) > 3 {
			t.Errorf("page of %d", len(out.MetricAlarms))
		}
		all = append(all, names(out.MetricAlarms)...)
	}
	if pages != 3 || strings.Join(all, ",") != "other,svc-0,svc-1,svc-2,svc-3,svc-4,svc-5,svc-6" {
		t.Errorf("paged %d pages: %v", pages, all)
	}

	_, err := f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{NextToken: aws.String("bogus")})
	var bad *types.InvalidNextToken
	if !errors.As(err, &bad) {
		t.Errorf("bad token: %v", err)
	}
	_, err = f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: aws.String("a")})
	var combo *types.InvalidParameterCombinationException
	if !errors.As(err, &combo) {
		t.Errorf("names+prefix: %v", err)
	}
	_, err = f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(101)})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("MaxRecords 101: %v", err)
	}
}

func TestDeleteAlarms(t *testing.T) {
	f := newFixture(t, Options{})
	for _, n := range []string{"a", "b"} {
		if _, err := f.cw.PutMetricAlarm(ctxT(t), workshopAlarm(n, 60)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.cw.DeleteAlarms(ctxT(t), &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"a", "zzz"}})
	var nf *types.ResourceNotFound
	if !errors.As(err, &nf) || nf.ErrorCode() != "ResourceNotFound" || !strings.Contains(nf.ErrorMessage(), "zzz") {
		t.Fatalf("delete with a missing name: %v", err)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 404 {
		t.Errorf("ResourceNotFound status: %v", err)
	}
	if out, _ := f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{}); len(out.MetricAlarms) != 2 {
		t.Errorf("a failed delete deleted something: %d left", len(out.MetricAlarms))
	}
	if _, err := f.cw.DeleteAlarms(ctxT(t), &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	out, err := f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{})
	if err != nil || len(out.MetricAlarms) != 1 || aws.ToString(out.MetricAlarms[0].AlarmName) != "b" {
		t.Errorf("after delete: %+v %v", out, err)
	}
	// History survives the deletion, with a ConfigurationUpdate for it.
	h, err := f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("a")})
	if err != nil || len(h.AlarmHistoryItems) != 2 || aws.ToString(h.AlarmHistoryItems[0].HistorySummary) != `Alarm "a" deleted` {
		t.Errorf("history after delete: %+v %v", h, err)
	}
	// The SDK checks required members itself, so send these raw.
	code, m := postCBOR(t, f.url, "DeleteAlarms", cbor.Map{})
	if code != 400 || m["__type"] != cbor.String("com.amazonaws.cloudwatch#MissingRequiredParameterException") {
		t.Errorf("empty delete: %d %v", code, m)
	}
	code, m = postCBOR(t, f.url, "PutMetricAlarm", cbor.Map{"EvaluationPeriods": cbor.Uint(1)})
	if code != 400 || m["message"] != cbor.String("The parameter AlarmName is required.") {
		t.Errorf("alarm without a name: %d %v", code, m)
	}
}

func TestSetAlarmStateAndHistory(t *testing.T) {
	f := newFixture(t, Options{})
	if _, err := f.cw.PutMetricAlarm(ctxT(t), workshopAlarm("cpu", 10)); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(3 * time.Second)
	_, err := f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{
		AlarmName: aws.String("cpu"), StateValue: types.StateValueAlarm,
		StateReason: aws.String("testing the pager"), StateReasonData: aws.String(`{"why":"drill"}`),
	})
	if err != nil {
		t.Fatalf("SetAlarmState: %v", err)
	}
	a := describeOne(t, f.cw, "cpu")
	set := t0.Add(3 * time.Second)
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != "testing the pager" || aws.ToString(a.StateReasonData) != `{"why":"drill"}` ||
		!a.StateUpdatedTimestamp.Equal(set) || !a.StateTransitionedTimestamp.Equal(set) {
		t.Errorf("after SetAlarmState: %s %q %q %v %v", a.StateValue, aws.ToString(a.StateReason), aws.ToString(a.StateReasonData), a.StateUpdatedTimestamp, a.StateTransitionedTimestamp)
	}

	h, err := f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("cpu"), HistoryItemType: types.HistoryItemTypeStateUpdate})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.AlarmHistoryItems) != 1 {
		t.Fatalf("StateUpdate items = %+v", h.AlarmHistoryItems)
	}
	it := h.AlarmHistoryItems[0]
	if aws.ToString(it.AlarmName) != "cpu" || it.AlarmType != types.AlarmTypeMetricAlarm || it.HistoryItemType != types.HistoryItemTypeStateUpdate ||
		!it.Timestamp.Equal(set) || aws.ToString(it.HistorySummary) != "Alarm updated from INSUFFICIENT_DATA to ALARM" {
		t.Errorf("item = %+v", it)
	}
	var hd struct {
		Version  string `json:"version"`
		OldState struct {
			StateValue  string `json:"stateValue"`
			StateReason string `json:"stateReason"`
		} `json:"oldState"`
		NewState struct {
			StateValue      string          `json:"stateValue"`
			StateReason     string          `json:"stateReason"`
			StateReasonData json.RawMessage `json:"stateReasonData"`
		} `json:"newState"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(it.HistoryData)), &hd); err != nil {
		t.Fatalf("HistoryData %q: %v", aws.ToString(it.HistoryData), err)
	}
	if hd.Version != "1.0" || hd.OldState.StateValue != "INSUFFICIENT_DATA" || hd.OldState.StateReason != "Unchecked: Initial alarm creation" ||
		hd.NewState.StateValue != "ALARM" || hd.NewState.StateReason != "testing the pager" || string(hd.NewState.StateReasonData) != `{"why":"drill"}` {
		t.Errorf("HistoryData = %+v", hd)
	}

	// The next evaluation (no data: INSUFFICIENT_DATA) moves it back, as on AWS.
	f.clock.Set(t0.Add(10 * time.Second))
	f.srv.Evaluate()
	b := describeOne(t, f.cw, "cpu")
	if b.StateValue != types.StateValueInsufficientData || aws.ToString(b.StateReason) != "Insufficient Data: 1 datapoint was unknown." {
		t.Errorf("after evaluation: %s %q", b.StateValue, aws.ToString(b.StateReason))
	}
	h2, err := f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("cpu"), HistoryItemType: types.HistoryItemTypeStateUpdate, ScanBy: types.ScanByTimestampAscending})
	if err != nil || len(h2.AlarmHistoryItems) != 2 || aws.ToString(h2.AlarmHistoryItems[1].HistorySummary) != "Alarm updated from ALARM to INSUFFICIENT_DATA" {
		t.Errorf("history after reversion: %+v %v", h2, err)
	}

	// Errors.
	_, err = f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"), StateValue: types.StateValueOk, StateReason: aws.String("x")})
	var nf *types.ResourceNotFound
	if !errors.As(err, &nf) {
		t.Errorf("missing alarm: %v", err)
	}
	_, err = f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("cpu"), StateValue: types.StateValueOk, StateReason: aws.String("x"), StateReasonData: aws.String("{not json")})
	var inf *types.InvalidFormatFault
	if !errors.As(err, &inf) || inf.ErrorCode() != "InvalidFormat" {
		t.Errorf("bad JSON: %v", err)
	}
	_, err = f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("cpu"), StateValue: "MAYBE", StateReason: aws.String("x")})
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("bad state: %v", err)
	}
}

func TestDescribeAlarmHistoryFilters(t *testing.T) {
	f := newFixture(t, Options{})
	for _, n := range []string{"a", "b"} {
		if _, err := f.cw.PutMetricAlarm(ctxT(t), workshopAlarm(n, 60)); err != nil {
			t.Fatal(err)
		}
	}
	states := []types.StateValue{types.StateValueAlarm, types.StateValueOk, types.StateValueAlarm, types.StateValueOk, types.StateValueAlarm}
	for i, st := range states {
		f.clock.Set(t0.Add(time.Duration(i+1) * time.Second))
		if _, err := f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("a"), StateValue: st, StateReason: aws.String(fmt.Sprint("step ", i))}); err != nil {
			t.Fatal(err)
		}
	}
	// All items of all alarms: 2 creations + 5 state updates.
	all, err := f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{})
	if err != nil || len(all.AlarmHistoryItems) != 7 {
		t.Fatalf("all history: %d items, %v", len(all.AlarmHistoryItems), err)
	}
	for i := 1; i < len(all.AlarmHistoryItems); i++ {
		if all.AlarmHistoryItems[i].Timestamp.After(*all.AlarmHistoryItems[i-1].Timestamp) {
			t.Errorf("default order is not newest first at %d", i)
		}
	}
	// Date range: steps 1..3 (timestamps t0+2s..t0+4s).
	r, err := f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{
		AlarmName: aws.String("a"), StartDate: aws.Time(t0.Add(2 * time.Second)), EndDate: aws.Time(t0.Add(4 * time.Second)),
		ScanBy: types.ScanByTimestampAscending,
	})
	if err != nil || len(r.AlarmHistoryItems) != 3 || aws.ToString(r.AlarmHistoryItems[0].HistorySummary) != "Alarm updated from ALARM to OK" {
		t.Errorf("range: %+v %v", r, err)
	}
	// Paging, two per page, with the SDK paginator.
	p := cloudwatch.NewDescribeAlarmHistoryPaginator(f.cw, &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("a"), HistoryItemType: types.HistoryItemTypeStateUpdate, MaxRecords: aws.Int32(2)})
	n, pages := 0, 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.AlarmHistoryItems)
		pages++
	}
	if n != 5 || pages != 3 {
		t.Errorf("paged history: %d items in %d pages", n, pages)
	}
	// Unknown alarm: empty, not an error.
	none, err := f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("zzz")})
	if err != nil || len(none.AlarmHistoryItems) != 0 {
		t.Errorf("unknown alarm: %+v %v", none, err)
	}
}

func TestInjectedThrottling(t *testing.T) {
	f := newFixture(t, Options{})
	if _, err := f.cw.PutMetricAlarm(ctxT(t), workshopAlarm("cpu", 60)); err != nil {
		t.Fatal(err)
	}
	// Without retries the caller sees Throttling, HTTP 400.
	f.srv.InjectError("DescribeAlarms", "Throttling", 1)
	_, err := f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "Throttling" || apiErr.ErrorMessage() != "Rate exceeded" {
		t.Fatalf("injected throttling: %v", err)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 400 {
		t.Errorf("status: %v", err)
	}
	if _, err := f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{}); err != nil {
		t.Errorf("only one call should fail: %v", err)
	}

	// The standard retryer retries a single Throttling transparently.
	retrying := f.retryingCW()
	before := f.srv.Calls("DescribeAlarms")
	f.srv.InjectError("DescribeAlarms", "Throttling", 1)
	out, err := retrying.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{})
	if err != nil || len(out.MetricAlarms) != 1 {
		t.Fatalf("retried call: %+v %v", out, err)
	}
	if got := f.srv.Calls("DescribeAlarms") - before; got != 2 {
		t.Errorf("calls for one retried request = %d, want 2", got)
	}
	// Three in a row exhaust three attempts.
	f.srv.InjectError("DescribeAlarms", "Throttling", 3)
	if _, err := retrying.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{}); !errors.As(err, &apiErr) || apiErr.ErrorCode() != "Throttling" {
		t.Errorf("after 3 throttles: %v", err)
	}

	// Other injected codes: status and typed mapping.
	f.srv.InjectError("DescribeAlarmHistory", "AccessDenied", 1)
	_, err = f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{})
	if !errors.As(err, &re) || re.HTTPStatusCode() != 403 || !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Errorf("AccessDenied: %v", err)
	}
	f.srv.InjectError("SetAlarmState", "ResourceNotFound", 1)
	_, err = f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("cpu"), StateValue: types.StateValueOk, StateReason: aws.String("x")})
	var nf *types.ResourceNotFound
	if !errors.As(err, &nf) {
		t.Errorf("injected ResourceNotFound: %v", err)
	}
	if describeOne(t, f.cw, "cpu").StateValue != types.StateValueInsufficientData {
		t.Errorf("a call failed by injection changed the alarm")
	}
}

func TestUnknownOperationAndBadBodies(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.cw.ListDashboards(ctxT(t), &cloudwatch.ListDashboardsInput{})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnknownOperationException" || !strings.Contains(apiErr.ErrorMessage(), "ListDashboards") {
		t.Errorf("unknown op: %v", err)
	}
	post := func(op string, body []byte) (int, cbor.Map) { return postRaw(t, f.url, op, body) }
	code, m := post("DescribeAlarms", []byte{0xff, 0x00})
	if code != 400 || m["__type"] != cbor.String("SerializationException") {
		t.Errorf("garbage body: %d %v", code, m)
	}
	code, m = post("DescribeAlarms", cbor.Encode(cbor.Map{"AlarmNames": cbor.String("not-a-list")}))
	if code != 400 || !strings.Contains(fmt.Sprint(m["message"]), "AlarmNames") {
		t.Errorf("wrong member type: %d %v", code, m)
	}
	code, m = post("DescribeAlarms", nil)
	if code != 200 || m["MetricAlarms"] == nil {
		t.Errorf("empty body: %d %v", code, m)
	}
}

func TestHistoryBounds(t *testing.T) {
	s := New(Options{Now: newFakeClock(t0).Now})
	s.mu.Lock()
	defer s.mu.Unlock()
	// Per alarm: the newest maxHistory items stay.
	for i := range maxHistory + 5 {
		s.addHistoryLocked("live", t0.Add(time.Duration(i)*time.Second), "StateUpdate", fmt.Sprint(i), "{}")
	}
	h := s.history["live"]
	if len(h) != maxHistory || h[0].summary != "5" || h[len(h)-1].summary != fmt.Sprint(maxHistory+4) {
		t.Errorf("per-alarm history: %d items, %s..%s", len(h), h[0].summary, h[len(h)-1].summary)
	}
	s.alarms["live"] = &alarm{name: "live"}
	// Across names: the deleted alarm with the oldest latest item goes first;
	// a live alarm's history is never evicted.
	for i := range maxHistoryNames - 1 {
		s.addHistoryLocked(fmt.Sprint("gone-", i), t0, "ConfigurationUpdate", "x", "{}")
	}
	if len(s.history) != maxHistoryNames {
		t.Fatalf("%d names", len(s.history))
	}
	s.addHistoryLocked("new", t0, "ConfigurationUpdate", "x", "{}")
	if len(s.history) != maxHistoryNames || s.history["gone-0"] != nil || s.history["new"] == nil || s.history["live"] == nil {
		t.Errorf("eviction: %d names, gone-0 kept %v, new %v, live %v", len(s.history), s.history["gone-0"] != nil, s.history["new"] != nil, s.history["live"] != nil)
	}
}

// TestAlarmPeriods: PutMetricAlarm accepts 10, 20, 30 and multiples of 60,
// for a plain alarm and for the metrics of a math alarm, and rejects any
// other period with AWS's ValidationError; GetMetricData also takes 1 and 5.
func TestAlarmPeriods(t *testing.T) {
	f := newFixture(t, Options{})
	for _, p := range []int32{1, 2, 5, 10, 15, 20, 30, 45, 59, 60, 90, 120, 300, 3600, 86400} {
		valid := p == 10 || p == 20 || p == 30 || p%60 == 0
		plain := plainAlarm(fmt.Sprint("plain-", p), "GreaterThanThreshold", 1, 1, "missing")
		plain.Period = aws.Int32(p)
		for name, in := range map[string]*cloudwatch.PutMetricAlarmInput{"plain": plain, "math": workshopAlarm(fmt.Sprint("math-", p), p)} {
			_, err := f.cw.PutMetricAlarm(ctxT(t), in)
			var ve *types.ValidationException
			switch {
			case valid && err != nil:
				t.Errorf("%s, period %d: %v", name, p, err)
			case !valid && (!errors.As(err, &ve) || ve.ErrorCode() != "ValidationError" || ve.ErrorMessage() != "Period must be 10, 20, 30 or a multiple of 60"):
				t.Errorf("%s, period %d: err = %v, want AWS's ValidationError", name, p, err)
			}
		}
		_, err := f.cw.GetMetricData(ctxT(t), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(t0.Add(-time.Hour)), EndTime: aws.Time(t0),
			MetricDataQueries: []types.MetricDataQuery{metricQuery("m", "CpuUtilized", "Average", p, true)}})
		if gmdValid := valid || p == 1 || p == 5; gmdValid != (err == nil) {
			t.Errorf("GetMetricData, period %d: err = %v", p, err)
		}
	}
}
