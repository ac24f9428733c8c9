package awslocal

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// slotsOf turns a user-guide row such as "0 - X - X" (oldest first; 0 =
// not breaching, X = breaching, - = missing) into slots, newest first,
// for threshold 50 with GreaterThanThreshold.
func slotsOf(row string) []slot {
	f := strings.Fields(row)
	out := make([]slot, len(f))
	for i, c := range f {
		s := slot{t: int64(1000 - 60*(len(f)-i))}
		switch c {
		case "0":
			s.real, s.v, s.n = true, 10, 1
		case "X":
			s.real, s.v, s.n = true, 90, 1
		}
		out[len(f)-1-i] = s
	}
	return out
}

// userGuideTables are the two tables of the CloudWatch user guide's
// "Configuring how CloudWatch alarms treat missing data" (evaluation range
// 5, rows oldest first: 0 not breaching, X breaching, - missing), with the
// state for each treatment; "keep" is the guide's "Retain current state".
var userGuideTables = []struct {
	m    int // DatapointsToAlarm, of EvaluationPeriods 3
	row  string
	want [4]string // missing, ignore, breaching, notBreaching
}{
	{3, "0 - X - X", [4]string{"OK", "OK", "OK", "OK"}},
	{3, "0 - - - -", [4]string{"OK", "OK", "OK", "OK"}},
	{3, "- - - - -", [4]string{"INSUFFICIENT_DATA", "keep", "ALARM", "OK"}},
	{3, "0 X X - X", [4]string{"ALARM", "ALARM", "ALARM", "ALARM"}},
	{3, "- - X - -", [4]string{"ALARM", "keep", "ALARM", "OK"}},
	{2, "0 - X - X", [4]string{"ALARM", "ALARM", "ALARM", "ALARM"}},
	{2, "0 0 X 0 X", [4]string{"ALARM", "ALARM", "ALARM", "ALARM"}},
	{2, "0 - X - -", [4]string{"OK", "OK", "ALARM", "OK"}},
	{2, "- - - - 0", [4]string{"OK", "OK", "ALARM", "OK"}},
	{2, "- - - X -", [4]string{"ALARM", "keep", "ALARM", "OK"}},
}

var treatmentsInOrder = [4]string{"missing", "ignore", "breaching", "notBreaching"}

// TestDecideUserGuideTables checks decide against every cell of the two
// tables, and the premature-ALARM examples of "Avoiding premature
// transitions to alarm state".
func TestDecideUserGuideTables(t *testing.T) {
	for _, tc := range userGuideTables {
		for i, treat := range treatmentsInOrder {
			d := decide(slotsOf(tc.row), 3, tc.m, "GreaterThanThreshold", 50, treat)
			got := d.state
			if d.keep {
				got = "keep"
			}
			if got != tc.want[i] {
				t.Errorf("%d of 3, %q, %s: got %s, want %s", tc.m, tc.row, treat, got, tc.want[i])
			}
			if !d.keep && d.state != stateInsufficient && len(d.points) > 3 {
				t.Errorf("%d of 3, %q, %s: evaluated %d datapoints", tc.m, tc.row, treat, len(d.points))
			}
		}
	}
	// The guide's text: with 3 of 3, "- - - - X" and "- - - X -" do not go
	// to ALARM (the next datapoint may be good), "- - X - -" does; a
	// breaching datapoint older than the evaluation periods does not count.
	for row, want := range map[string]string{
		"- - - - X": stateInsufficient, "- - - X -": stateInsufficient, "- - X - -": stateAlarm,
		"- - X X -": stateAlarm, "X - - - -": stateInsufficient, "- X - - -": stateInsufficient,
	} {
		if d := decide(slotsOf(row), 3, 3, "GreaterThanThreshold", 50, "missing"); d.state != want {
			t.Errorf("3 of 3, %q: %s, want %s", row, d.state, want)
		}
	}
}

func TestDecideOperators(t *testing.T) {
	cases := []struct {
		cmp     string
		v       float64
		breach  bool
		wording string
	}{
		{"GreaterThanThreshold", 50, false, "greater than"},
		{"GreaterThanThreshold", 50.1, true, "greater than"},
		{"GreaterThanOrEqualToThreshold", 50, true, "greater than or equal to"},
		{"GreaterThanOrEqualToThreshold", 49.9, false, "greater than or equal to"},
		{"LessThanThreshold", 50, false, "less than"},
		{"LessThanThreshold", 49.9, true, "less than"},
		{"LessThanOrEqualToThreshold", 50, true, "less than or equal to"},
		{"LessThanOrEqualToThreshold", 50.1, false, "less than or equal to"},
	}
	for _, tc := range cases {
		if got := breaches(tc.cmp, tc.v, 50); got != tc.breach {
			t.Errorf("breaches(%s, %v, 50) = %v", tc.cmp, tc.v, got)
		}
		if staticOperators[tc.cmp] != tc.wording {
			t.Errorf("wording of %s = %q", tc.cmp, staticOperators[tc.cmp])
		}
	}
}

// plainAlarm is an alarm on App/Load (no dimensions), Average, period 10 s.
func plainAlarm(name, cmp string, n, m int32, treat string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String("App"), MetricName: aws.String("Load"),
		Statistic: types.StatisticAverage, Period: aws.Int32(10),
		EvaluationPeriods: aws.Int32(n), DatapointsToAlarm: aws.Int32(m),
		Threshold: aws.Float64(50), ComparisonOperator: types.ComparisonOperator(cmp), TreatMissingData: aws.String(treat),
	}
}

func putLoad(t *testing.T, cw *cloudwatch.Client, at time.Time, v float64) {
	t.Helper()
	_, err := cw.PutMetricData(ctxT(t), &cloudwatch.PutMetricDataInput{
		Namespace:  aws.String("App"),
		MetricData: []types.MetricDatum{{MetricName: aws.String("Load"), Timestamp: aws.Time(at), Value: aws.Float64(v)}},
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
}

// run drives a 10 s-period alarm through periods: values[i] (nil =
// missing) is published in period i, then the clock moves to the end of
// that period and the evaluator runs; it returns the state after each.
func run(t *testing.T, f *fixture, name string, values []*float64) []string {
	t.Helper()
	var states []string
	for i, v := range values {
		start := t0.Add(time.Duration(i) * 10 * time.Second)
		if v != nil {
			putLoad(t, f.cw, start.Add(2*time.Second), *v)
			putLoad(t, f.cw, start.Add(7*time.Second), *v)
		}
		f.clock.Set(start.Add(10 * time.Second))
		f.srv.Evaluate()
		states = append(states, string(describeOne(t, f.cw, name).StateValue))
	}
	return states
}

func vals(xs ...float64) []*float64 {
	out := make([]*float64, len(xs))
	for i, x := range xs {
		if !(x < 0) { // negative means missing
			out[i] = aws.Float64(x)
		}
	}
	return out
}

const miss = -1

func TestEvaluatorMofN(t *testing.T) {
	cases := []struct {
		name   string
		n, m   int32
		values []*float64
		want   string
	}{
		{"3 of 3", 3, 3, vals(90, 90, 10, 90, 90, 90, 10), "OK,OK,OK,OK,OK,ALARM,OK"},
		{"2 of 3", 3, 2, vals(90, 10, 90, 10, 10, 90, 90), "OK,OK,ALARM,OK,OK,OK,ALARM"},
		{"1 of 1", 1, 1, vals(10, 90, 10), "OK,ALARM,OK"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, Options{})
			if _, err := f.cw.PutMetricAlarm(ctxT(t), plainAlarm("a", "GreaterThanThreshold", tc.n, tc.m, "notBreaching")); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(run(t, f, "a", tc.values), ","); got != tc.want {
				t.Errorf("states = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestEvaluatorTreatMissingData(t *testing.T) {
	// Two periods at 90 (ALARM for a 1-of-1 alarm), then silence. The last
	// real datapoint stays in the evaluation range (N+2 = 3 periods) for two
	// more evaluations, so TreatMissingData matters from the fifth on.
	cases := []struct {
		treat string
		want  string
		last  string
	}{
		{"missing", "ALARM,ALARM,ALARM,ALARM,INSUFFICIENT_DATA,INSUFFICIENT_DATA", "Insufficient Data: 1 datapoint was unknown."},
		{"breaching", "ALARM,ALARM,ALARM,ALARM,ALARM,ALARM", ""},
		{"notBreaching", "ALARM,ALARM,ALARM,ALARM,OK,OK", "Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching]."},
		{"ignore", "ALARM,ALARM,ALARM,ALARM,ALARM,ALARM", ""},
	}
	for _, tc := range cases {
		t.Run(tc.treat, func(t *testing.T) {
			f := newFixture(t, Options{})
			if _, err := f.cw.PutMetricAlarm(ctxT(t), plainAlarm("a", "GreaterThanThreshold", 1, 1, tc.treat)); err != nil {
				t.Fatal(err)
			}
			got := strings.Join(run(t, f, "a", vals(90, 90, miss, miss, miss, miss)), ",")
			if got != tc.want {
				t.Errorf("states = %s, want %s", got, tc.want)
			}
			if tc.last != "" {
				if r := aws.ToString(describeOne(t, f.cw, "a").StateReason); r != tc.last {
					t.Errorf("reason = %q, want %q", r, tc.last)
				}
			}
		})
	}

	// An alarm with no data at all: breaching goes to ALARM with AWS's wording.
	f := newFixture(t, Options{})
	if _, err := f.cw.PutMetricAlarm(ctxT(t), plainAlarm("b", "GreaterThanThreshold", 3, 2, "breaching")); err != nil {
		t.Fatal(err)
	}
	run(t, f, "b", vals(miss))
	a := describeOne(t, f.cw, "b")
	want := "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching]."
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != want {
		t.Errorf("no data, breaching: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
}

func TestEvaluatorOperators(t *testing.T) {
	for _, tc := range []struct {
		cmp  string
		v    float64
		want string
	}{
		{"GreaterThanThreshold", 50, "OK"},
		{"GreaterThanThreshold", 51, "ALARM"},
		{"GreaterThanOrEqualToThreshold", 50, "ALARM"},
		{"GreaterThanOrEqualToThreshold", 49, "OK"},
		{"LessThanThreshold", 50, "OK"},
		{"LessThanThreshold", 49, "ALARM"},
		{"LessThanOrEqualToThreshold", 50, "ALARM"},
		{"LessThanOrEqualToThreshold", 51, "OK"},
	} {
		t.Run(fmt.Sprintf("%s/%v", tc.cmp, tc.v), func(t *testing.T) {
			f := newFixture(t, Options{})
			if _, err := f.cw.PutMetricAlarm(ctxT(t), plainAlarm("a", tc.cmp, 1, 1, "missing")); err != nil {
				t.Fatal(err)
			}
			if got := run(t, f, "a", vals(tc.v))[0]; got != tc.want {
				t.Errorf("state = %s, want %s", got, tc.want)
			}
			r := aws.ToString(describeOne(t, f.cw, "a").StateReason)
			verb := "was " + staticOperators[tc.cmp]
			if tc.want == "OK" {
				verb = "was not " + staticOperators[tc.cmp]
			}
			if !strings.Contains(r, verb+" the threshold (50.0)") {
				t.Errorf("reason %q lacks %q", r, verb)
			}
		})
	}
}

func TestEvaluatorWorkshopMathAlarm(t *testing.T) {
	f := newFixture(t, Options{})
	if _, err := f.cw.PutMetricAlarm(ctxT(t), workshopAlarm("ecsdemo-frontend-cpu", 10)); err != nil {
		t.Fatal(err)
	}
	// Before the first boundary nothing is evaluated.
	f.clock.Set(t0.Add(9 * time.Second))
	f.srv.Evaluate()
	if a := describeOne(t, f.cw, "ecsdemo-frontend-cpu"); aws.ToString(a.StateReason) != "Unchecked: Initial alarm creation" {
		t.Errorf("evaluated before the boundary: %q", aws.ToString(a.StateReason))
	}
	// Quiet period: 25% of the reserved CPU. The alarm leaves INSUFFICIENT_DATA for OK.
	putCPU(t, f.cw, t0.Add(2*time.Second), 256, 1024)
	putCPU(t, f.cw, t0.Add(4*time.Second), 256, 1024)
	f.clock.Set(t0.Add(10*time.Second + 150*time.Millisecond))
	f.srv.Evaluate()
	a := describeOne(t, f.cw, "ecsdemo-frontend-cpu")
	wantOK := "Threshold Crossed: 1 out of the last 1 datapoints [25.0 (25/11/26 10:50:00)] was not greater than the threshold (50.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> OK transition)."
	if a.StateValue != types.StateValueOk || aws.ToString(a.StateReason) != wantOK {
		t.Fatalf("quiet: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	// Load: 70.9% in the next period, then ALARM.
	putCPU(t, f.cw, t0.Add(12*time.Second), 709, 1000)
	f.clock.Set(t0.Add(20 * time.Second))
	f.srv.Evaluate()
	f.srv.Evaluate() // a second pass at the same instant does nothing
	a = describeOne(t, f.cw, "ecsdemo-frontend-cpu")
	wantAlarm := "Threshold Crossed: 1 out of the last 1 datapoints [70.9 (25/11/26 10:50:10)] was greater than the threshold (50.0) (minimum 1 datapoint for OK -> ALARM transition)."
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != wantAlarm {
		t.Fatalf("loaded: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	at := t0.Add(20 * time.Second)
	if !a.StateUpdatedTimestamp.Equal(at) || !a.StateTransitionedTimestamp.Equal(at) {
		t.Errorf("timestamps %v %v, want %v", a.StateUpdatedTimestamp, a.StateTransitionedTimestamp, at)
	}
	var rd struct {
		Version             string    `json:"version"`
		QueryDate           string    `json:"queryDate"`
		StartDate           string    `json:"startDate"`
		Statistic           *string   `json:"statistic"`
		Period              int       `json:"period"`
		RecentDatapoints    []float64 `json:"recentDatapoints"`
		Threshold           float64   `json:"threshold"`
		EvaluatedDatapoints []struct {
			Timestamp   string   `json:"timestamp"`
			SampleCount *float64 `json:"sampleCount"`
			Value       *float64 `json:"value"`
		} `json:"evaluatedDatapoints"`
	}
	raw := aws.ToString(a.StateReasonData)
	if err := json.Unmarshal([]byte(raw), &rd); err != nil {
		t.Fatalf("StateReasonData %q: %v", raw, err)
	}
	if rd.Version != "1.0" || rd.QueryDate != "2026-11-25T10:50:20.000+0000" || rd.StartDate != "2026-11-25T10:50:10.000+0000" ||
		rd.Statistic != nil || rd.Period != 10 || fmt.Sprint(rd.RecentDatapoints) != "[70.9]" || rd.Threshold != 50 ||
		len(rd.EvaluatedDatapoints) != 1 || rd.EvaluatedDatapoints[0].Timestamp != "2026-11-25T10:50:10.000+0000" ||
		rd.EvaluatedDatapoints[0].Value == nil || *rd.EvaluatedDatapoints[0].Value != 70.9 || rd.EvaluatedDatapoints[0].SampleCount != nil {
		t.Errorf("StateReasonData = %s", raw)
	}
	if !strings.Contains(raw, `"threshold":50.0`) {
		t.Errorf("threshold not rendered as 50.0: %s", raw)
	}

	// History: the two transitions, newest first, with HistoryData.
	h, err := f.cw.DescribeAlarmHistory(ctxT(t), &cloudwatch.DescribeAlarmHistoryInput{AlarmName: aws.String("ecsdemo-frontend-cpu"), HistoryItemType: types.HistoryItemTypeStateUpdate})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.AlarmHistoryItems) != 2 || aws.ToString(h.AlarmHistoryItems[0].HistorySummary) != "Alarm updated from OK to ALARM" ||
		aws.ToString(h.AlarmHistoryItems[1].HistorySummary) != "Alarm updated from INSUFFICIENT_DATA to OK" || !h.AlarmHistoryItems[0].Timestamp.Equal(at) {
		t.Fatalf("history = %+v", h.AlarmHistoryItems)
	}
	var hd struct {
		NewState struct {
			StateValue      string `json:"stateValue"`
			StateReason     string `json:"stateReason"`
			StateReasonData struct {
				RecentDatapoints []float64 `json:"recentDatapoints"`
			} `json:"stateReasonData"`
		} `json:"newState"`
		OldState struct {
			StateValue string `json:"stateValue"`
		} `json:"oldState"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(h.AlarmHistoryItems[0].HistoryData)), &hd); err != nil {
		t.Fatal(err)
	}
	if hd.OldState.StateValue != "OK" || hd.NewState.StateValue != "ALARM" || hd.NewState.StateReason != wantAlarm || fmt.Sprint(hd.NewState.StateReasonData.RecentDatapoints) != "[70.9]" {
		t.Errorf("HistoryData = %+v", hd)
	}

	// Load stops: back to OK at the next boundary; StateUpdated moves, the
	// alarm is evaluated once per period even if Evaluate runs late.
	putCPU(t, f.cw, t0.Add(21*time.Second), 100, 1024)
	f.clock.Set(t0.Add(35 * time.Second)) // boundary t0+30 has passed
	f.srv.Evaluate()
	a = describeOne(t, f.cw, "ecsdemo-frontend-cpu")
	if a.StateValue != types.StateValueOk || !a.StateTransitionedTimestamp.Equal(t0.Add(35*time.Second)) {
		t.Errorf("after the load: %s at %v", a.StateValue, a.StateTransitionedTimestamp)
	}
	// The [t0+20, t0+30) bucket was evaluated; its datum is the only one.
	if !strings.Contains(aws.ToString(a.StateReason), "[9.765625 (25/11/26 10:50:20)]") {
		t.Errorf("reason = %q", aws.ToString(a.StateReason))
	}
}

func TestEvaluatorPlainReasonData(t *testing.T) {
	f := newFixture(t, Options{})
	in := plainAlarm("p", "GreaterThanOrEqualToThreshold", 3, 2, "missing")
	in.Unit = types.StandardUnitNone
	if _, err := f.cw.PutMetricAlarm(ctxT(t), in); err != nil {
		t.Fatal(err)
	}
	// Values: 60, 40, 70 in three periods (the helper publishes each
	// twice). 60 alone: INSUFFICIENT_DATA; 60, 40: OK ("0 - X - -" of the
	// user guide); 60, 40, 70: ALARM.
	if got := strings.Join(run(t, f, "p", vals(60, 40, 70)), ","); got != "INSUFFICIENT_DATA,OK,ALARM" {
		t.Errorf("states = %s", got)
	}
	a := describeOne(t, f.cw, "p")
	want := "Threshold Crossed: 2 out of the last 3 datapoints [70.0 (25/11/26 10:50:20), 60.0 (25/11/26 10:50:00)] were greater than or equal to the threshold (50.0) (minimum 2 datapoints for OK -> ALARM transition)."
	if a.StateValue != types.StateValueAlarm || aws.ToString(a.StateReason) != want {
		t.Fatalf("%s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	var rd struct {
		Statistic           string    `json:"statistic"`
		Unit                string    `json:"unit"`
		RecentDatapoints    []float64 `json:"recentDatapoints"`
		StartDate           string    `json:"startDate"`
		EvaluatedDatapoints []struct {
			Timestamp   string  `json:"timestamp"`
			SampleCount float64 `json:"sampleCount"`
			Value       float64 `json:"value"`
		} `json:"evaluatedDatapoints"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(a.StateReasonData)), &rd); err != nil {
		t.Fatal(err)
	}
	if rd.Statistic != "Average" || rd.Unit != "None" || fmt.Sprint(rd.RecentDatapoints) != "[60 40 70]" || rd.StartDate != "2026-11-25T10:50:00.000+0000" ||
		len(rd.EvaluatedDatapoints) != 3 || rd.EvaluatedDatapoints[0].Value != 70 || rd.EvaluatedDatapoints[0].SampleCount != 2 {
		t.Errorf("StateReasonData = %s", aws.ToString(a.StateReasonData))
	}
}

func TestEvaluatorAlarmNotAligned(t *testing.T) {
	f := newFixture(t, Options{})
	f.clock.Set(t0.Add(3 * time.Second))
	if _, err := f.cw.PutMetricAlarm(ctxT(t), plainAlarm("a", "GreaterThanThreshold", 1, 1, "missing")); err != nil {
		t.Fatal(err)
	}
	putLoad(t, f.cw, t0.Add(4*time.Second), 99)
	f.clock.Set(t0.Add(9 * time.Second))
	f.srv.Evaluate()
	if s := describeOne(t, f.cw, "a").StateValue; s != types.StateValueInsufficientData {
		t.Errorf("evaluated before the first boundary: %s", s)
	}
	f.clock.Set(t0.Add(10 * time.Second))
	f.srv.Evaluate()
	if s := describeOne(t, f.cw, "a").StateValue; s != types.StateValueAlarm {
		t.Errorf("at the first boundary: %s", s)
	}
}

// TestEvaluatorUserGuideTables runs every cell of the user guide's two
// missing-data tables through the real evaluator and the SDK: each row's
// five periods of data (period 60 s, on the fake clock), an alarm per
// treatment and starting state, one evaluation at the end of the fifth
// period. Where the guide says "Retain current state", the state must be
// kept from each of OK, ALARM and INSUFFICIENT_DATA; elsewhere the state
// is the table's whatever the alarm started from.
func TestEvaluatorUserGuideTables(t *testing.T) {
	f := newFixture(t, Options{})
	starts := []types.StateValue{types.StateValueOk, types.StateValueAlarm, types.StateValueInsufficientData}
	type cell struct {
		row, treat, want string
		start            types.StateValue
	}
	cells := map[string]cell{}
	for r, tc := range userGuideTables {
		metric := fmt.Sprintf("row%d", r)
		var data []types.MetricDatum
		for i, c := range strings.Fields(tc.row) {
			v := map[string]float64{"0": 10, "X": 90}[c]
			if c != "-" {
				data = append(data, types.MetricDatum{MetricName: aws.String(metric), Timestamp: aws.Time(t0.Add(time.Duration(60*i+30) * time.Second)), Value: aws.Float64(v)})
			}
		}
		if len(data) > 0 {
			if _, err := f.cw.PutMetricData(ctxT(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("Tables"), MetricData: data}); err != nil {
				t.Fatal(err)
			}
		}
		f.clock.Set(t0.Add(299 * time.Second)) // the alarms' first evaluation is at t0+300 s
		for i, treat := range treatmentsInOrder {
			for _, start := range starts {
				name := fmt.Sprintf("%d-of-3 %s %s from %s", tc.m, tc.row, treat, start)
				in := &cloudwatch.PutMetricAlarmInput{
					AlarmName: aws.String(name), Namespace: aws.String("Tables"), MetricName: aws.String(metric),
					Statistic: types.StatisticAverage, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(3), DatapointsToAlarm: aws.Int32(int32(tc.m)),
					Threshold: aws.Float64(50), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold, TreatMissingData: aws.String(treat),
				}
				if _, err := f.cw.PutMetricAlarm(ctxT(t), in); err != nil {
					t.Fatal(err)
				}
				if _, err := f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(name), StateValue: start, StateReason: aws.String("start")}); err != nil {
					t.Fatal(err)
				}
				cells[name] = cell{row: tc.row, treat: treat, want: tc.want[i], start: start}
			}
		}
	}
	if len(cells) != 2*5*4*3 {
		t.Fatalf("%d cells, want 120", len(cells))
	}
	f.clock.Set(t0.Add(300 * time.Second))
	f.srv.Evaluate()
	seen := 0
	// The pages are large (100 alarms): read them with the SDK's standard
	// retryer. On a loaded machine the Go SDK sometimes loses a large answer
	// from a loopback server that answers at once ("read tcp ...: use of
	// closed network connection"): net/http's persistConn.writeLoop reports
	// a write error on the request after the answer has arrived and closes
	// the connection under it (seen with the SDK's request body, a smithy-go
	// safeWriteToReadCloser, never with a plain http.Request). The standard
	// retryer retries it, as it would on AWS.
	p := cloudwatch.NewDescribeAlarmsPaginator(f.retryingCW(), &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(100)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.MetricAlarms {
			c, ok := cells[aws.ToString(a.AlarmName)]
			if !ok {
				continue
			}
			seen++
			want := c.want
			if want == "keep" {
				want = string(c.start)
				if aws.ToString(a.StateReason) != "start" {
					t.Errorf("%s: the evaluator touched a retained state: %q", aws.ToString(a.AlarmName), aws.ToString(a.StateReason))
				}
			}
			if string(a.StateValue) != want {
				t.Errorf("%s: %s (%s), want %s", aws.ToString(a.AlarmName), a.StateValue, aws.ToString(a.StateReason), want)
			}
		}
	}
	if seen != len(cells) {
		t.Errorf("read back %d alarms, want %d", seen, len(cells))
	}
}
