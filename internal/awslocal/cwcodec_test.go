package awslocal

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go/encoding/cbor"
)

// cwQuery posts an awsQuery CloudWatch request, signed for "monitoring" as
// the AWS CLI v2 does.
func cwQuery(t *testing.T, base string, form url.Values) (int, string) {
	t.Helper()
	form.Set("Version", "2010-08-01")
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// cwJSON posts an awsJson1_0 CloudWatch request, as current botocore does.
func cwJSON(t *testing.T, base, op, body string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801."+op)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestCloudWatchThreeProtocols writes an alarm in each protocol and reads
// every one back in each: one model behind three codecs.
func TestCloudWatchThreeProtocols(t *testing.T) {
	f := newFixture(t, Options{})
	// awsQuery: the workshop's metric-math alarm, as CLI v2 serializes --metrics.
	form := url.Values{"Action": {"PutMetricAlarm"}, "AlarmName": {"q"}, "ComparisonOperator": {"GreaterThanThreshold"},
		"EvaluationPeriods": {"1"}, "Threshold": {"50"}, "AlarmActions.member.1": {"arn:aws:sns:us-east-1:000000000000:t"},
		"Metrics.member.1.Id": {"e1"}, "Metrics.member.1.Expression": {"mm1m1 * 100 / mm0m1"}, "Metrics.member.1.ReturnData": {"true"}}
	for i, m := range []string{"CpuUtilized", "CpuReserved"} {
		p := "Metrics.member." + string(rune('2'+i)) + "."
		form.Set(p+"Id", []string{"mm1m1", "mm0m1"}[i])
		form.Set(p+"ReturnData", "false")
		form.Set(p+"MetricStat.Metric.Namespace", "ECS/ContainerInsights")
		form.Set(p+"MetricStat.Metric.MetricName", m)
		form.Set(p+"MetricStat.Metric.Dimensions.member.1.Name", "ClusterName")
		form.Set(p+"MetricStat.Metric.Dimensions.member.1.Value", "container-demo")
		form.Set(p+"MetricStat.Period", "60")
		form.Set(p+"MetricStat.Stat", "Average")
	}
	if code, body := cwQuery(t, f.url, form); code != 200 || !strings.Contains(body, "<PutMetricAlarmResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><PutMetricAlarmResult></PutMetricAlarmResult>") {
		t.Fatalf("query PutMetricAlarm: %d %s", code, body)
	}
	// awsJson1_0: a plain alarm.
	if code, _, body := cwJSON(t, f.url, "PutMetricAlarm", `{"AlarmName":"j","Namespace":"AWS/ECS","MetricName":"CPUUtilization","Statistic":"Average","Period":60,"EvaluationPeriods":2,"Threshold":70.5,"ComparisonOperator":"GreaterThanOrEqualToThreshold","Dimensions":[{"Name":"ServiceName","Value":"ecsdemo-frontend"}]}`); code != 200 || body != "{}" {
		t.Fatalf("json PutMetricAlarm: %d %s", code, body)
	}
	// RPCv2 CBOR through the SDK.
	if _, err := f.cw.PutMetricAlarm(ctxT(t), workshopAlarm("c", 60)); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(t0.Add(90 * time.Second))
	if _, err := f.cw.SetAlarmState(ctxT(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("q"), StateValue: "ALARM", StateReason: aws.String("drill")}); err != nil {
		t.Fatal(err)
	}

	// Read back: CBOR.
	out, err := f.cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{})
	if err != nil || len(out.MetricAlarms) != 3 {
		t.Fatalf("CBOR DescribeAlarms: %+v %v", out, err)
	}
	if q := out.MetricAlarms[2]; aws.ToString(q.AlarmName) != "q" || q.StateValue != "ALARM" || len(q.Metrics) != 3 ||
		aws.ToString(q.Metrics[1].MetricStat.Metric.MetricName) != "CpuUtilized" || aws.ToInt32(q.Metrics[2].MetricStat.Period) != 60 ||
		aws.ToBool(q.Metrics[2].ReturnData) || len(q.AlarmActions) != 1 {
		t.Errorf("the query-made alarm read over CBOR: %+v", q)
	}
	// Read back: JSON.
	code, h, body := cwJSON(t, f.url, "DescribeAlarms", `{"AlarmNames":["j","q"]}`)
	var js struct {
		MetricAlarms []struct {
			AlarmName             string
			Threshold             float64
			StateUpdatedTimestamp float64
			Dimensions            []struct{ Name, Value string }
			Metrics               []map[string]any
		}
	}
	if code != 200 || h.Get("Content-Type") != "application/x-amz-json-1.0" || json.Unmarshal([]byte(body), &js) != nil || len(js.MetricAlarms) != 2 {
		t.Fatalf("JSON DescribeAlarms: %d %v %s", code, h, body)
	}
	if j := js.MetricAlarms[0]; j.AlarmName != "j" || j.Threshold != 70.5 || j.StateUpdatedTimestamp != float64(t0.Unix()) || len(j.Dimensions) != 1 {
		t.Errorf("JSON alarm j: %+v", j)
	}
	if len(js.MetricAlarms[1].Metrics) != 3 {
		t.Errorf("JSON alarm q: %+v", js.MetricAlarms[1])
	}
	// Read back: XML.
	code, body = cwQuery(t, f.url, url.Values{"Action": {"DescribeAlarms"}, "AlarmNamePrefix": {"c"}})
	var x struct {
		Result struct {
			Alarms []struct {
				AlarmName             string
				StateUpdatedTimestamp string
				Threshold             float64
				ActionsEnabled        bool
				Metrics               []struct {
					ID         string `xml:"Id"`
					Expression string
					MetricStat struct {
						Metric struct {
							MetricName string
							Dimensions []struct{ Name, Value string } `xml:"Dimensions>member"`
						}
						Period int
					}
				} `xml:"Metrics>member"`
			} `xml:"MetricAlarms>member"`
		} `xml:"DescribeAlarmsResult"`
	}
	if code != 200 || xml.Unmarshal([]byte(body), &x) != nil || len(x.Result.Alarms) != 1 {
		t.Fatalf("XML DescribeAlarms: %d %s", code, body)
	}
	if c := x.Result.Alarms[0]; c.AlarmName != "c" || c.StateUpdatedTimestamp != "2026-11-25T10:50:00.000Z" || c.Threshold != 50 || !c.ActionsEnabled ||
		len(c.Metrics) != 3 || c.Metrics[0].Expression != "mm1m1 * 100 / mm0m1" || c.Metrics[1].MetricStat.Metric.MetricName != "CpuUtilized" ||
		len(c.Metrics[1].MetricStat.Metric.Dimensions) != 2 || c.Metrics[1].MetricStat.Period != 60 {
		t.Errorf("XML alarm c: %+v", c)
	}
	// Timestamps in: JSON epoch seconds, query ISO 8601.
	hist := fmt.Sprintf(`{"AlarmName":"q","StartDate":%d.5,"HistoryItemType":"StateUpdate"}`, t0.Add(time.Minute).Unix())
	if code, _, body := cwJSON(t, f.url, "DescribeAlarmHistory", hist); code != 200 || !strings.Contains(body, "Alarm updated from INSUFFICIENT_DATA to ALARM") {
		t.Errorf("JSON DescribeAlarmHistory: %d %s", code, body)
	}
	if code, body := cwQuery(t, f.url, url.Values{"Action": {"DescribeAlarmHistory"}, "AlarmName": {"q"}, "StartDate": {"2026-11-25T10:51:00Z"}}); code != 200 || !strings.Contains(body, "<AlarmHistoryItems><member>") {
		t.Errorf("query DescribeAlarmHistory: %d %s", code, body)
	}
}

func TestCloudWatchCodecErrors(t *testing.T) {
	f := newFixture(t, Options{})
	// Query errors: CloudWatch's namespace and codes.
	for _, tc := range []struct {
		form url.Values
		code int
		want string
	}{
		{url.Values{"Action": {"SetAlarmState"}, "AlarmName": {"nope"}, "StateValue": {"OK"}, "StateReason": {"x"}}, 404, "<Code>ResourceNotFound</Code>"},
		{url.Values{"Action": {"DescribeAlarms"}, "MaxRecords": {"many"}}, 400, "<Code>SerializationException</Code>"},
		{url.Values{"Action": {"DescribeAlarmHistory"}, "StartDate": {"yesterday"}}, 400, "timestamp (ISO 8601)"},
		{url.Values{"Action": {"DescribeAlarms"}, "AlarmNames.member.x": {"a"}}, 400, "<Code>MalformedQueryString</Code>"},
		{url.Values{"Action": {"PutDashboard"}}, 400, "<Code>InvalidAction</Code>"},
		{url.Values{"Action": {"DescribeAlarms"}, "AlarmNames": {"a"}, "AlarmNames.member.1": {"b"}}, 400, "both a value and a structure"},
	} {
		code, body := cwQuery(t, f.url, tc.form)
		if code != tc.code || !strings.Contains(body, tc.want) || !strings.Contains(body, "monitoring.amazonaws.com") {
			t.Errorf("%v: %d %s", tc.form, code, body)
		}
	}
	// An empty list is an empty string in awsQuery.
	if code, body := cwQuery(t, f.url, url.Values{"Action": {"DescribeAlarms"}, "AlarmNames": {""}}); code != 200 || !strings.Contains(body, "<MetricAlarms></MetricAlarms>") {
		t.Errorf("empty list: %d %s", code, body)
	}
	// JSON errors: __type with the shape, X-Amzn-Query-Error with the code.
	code, h, body := cwJSON(t, f.url, "DeleteAlarms", `{"AlarmNames":["nope"]}`)
	if code != 404 || h.Get("X-Amzn-Query-Error") != "ResourceNotFound;Sender" || !strings.Contains(body, `"__type":"com.amazonaws.cloudwatch#ResourceNotFound"`) {
		t.Errorf("JSON error: %d %v %s", code, h, body)
	}
	for _, body := range []string{`[1]`, `{"a":`, `{} {}`, `{"AlarmNames":"x"}`} {
		if code, _, out := cwJSON(t, f.url, "DescribeAlarms", body); code != 400 || !strings.Contains(out, "SerializationException") {
			t.Errorf("JSON body %s: %d %s", body, code, out)
		}
	}
	if code, _, out := cwJSON(t, f.url, "NoSuchOp", `{}`); code != 400 || !strings.Contains(out, "UnknownOperationException") {
		t.Errorf("JSON unknown op: %d %s", code, out)
	}
}

func TestFormToCBOR(t *testing.T) {
	form, _ := url.ParseQuery("A=1&L.member.2=b&L.member.1=a&S.X=x&S.Y.member.1.Z=z&E=")
	m, err := formToCBOR(form)
	if err != nil {
		t.Fatal(err)
	}
	want := cbor.Map{"A": cStr("1"), "L": cbor.List{cStr("a"), cStr("b")}, "S": cbor.Map{"X": cStr("x"), "Y": cbor.List{cbor.Map{"Z": cStr("z")}}}, "E": cStr("")}
	got, _ := json.Marshal(cborToJSON(m))
	exp, _ := json.Marshal(cborToJSON(want))
	if string(got) != string(exp) {
		t.Errorf("formToCBOR = %v", m)
	}
	for _, bad := range []string{"L.member.0=a", "L.member.01=a&L.member.1=b", "A..B=1", "L.member.99999=a", strings.Repeat("a.", 20) + "b=1"} {
		form, _ := url.ParseQuery(bad)
		if _, err := formToCBOR(form); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
