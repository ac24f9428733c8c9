package awslocal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

func cTimeSec(sec float64) cbor.Value { return &cbor.Tag{ID: 1, Value: cbor.Float64(sec)} }

// fuzzOps are the operations FuzzCloudWatchRequest drives, in a fixed order.
var fuzzOps = func() []string {
	ops := make([]string, 0, len(cwOps)+1)
	for op := range cwOps {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return append(ops, "NoSuchOperation")
}()

func opIndex(op string) byte {
	for i, o := range fuzzOps {
		if o == op {
			return byte(i)
		}
	}
	return 0
}

func fuzzSeeds() map[string]cbor.Map {
	dims := cbor.List{cbor.Map{"Name": cStr("ClusterName"), "Value": cStr("container-demo")}}
	stat := func(id, name string) cbor.Map {
		return cbor.Map{"Id": cStr(id), "ReturnData": cbor.Bool(false), "MetricStat": cbor.Map{
			"Metric": cbor.Map{"Namespace": cStr("ECS/ContainerInsights"), "MetricName": cStr(name), "Dimensions": dims},
			"Period": cbor.Uint(10), "Stat": cStr("Average"),
		}}
	}
	t := float64(t0.Unix())
	return map[string]cbor.Map{
		"PutMetricAlarm": {
			"AlarmName": cStr("cpu"), "EvaluationPeriods": cbor.Uint(1), "Threshold": cbor.Float64(50),
			"ComparisonOperator": cStr("GreaterThanThreshold"), "TreatMissingData": cStr("breaching"),
			"Metrics": cbor.List{cbor.Map{"Id": cStr("e1"), "Expression": cStr("mm1m1 * 100 / mm0m1"), "ReturnData": cbor.Bool(true)},
				stat("mm1m1", "CpuUtilized"), stat("mm0m1", "CpuReserved")},
		},
		"PutMetricData": {
			"Namespace": cStr("ECS/ContainerInsights"),
			"MetricData": cbor.List{
				cbor.Map{"MetricName": cStr("CpuUtilized"), "Dimensions": dims, "Timestamp": cTimeSec(t + 1), "Value": cbor.Float64(700)},
				cbor.Map{"MetricName": cStr("CpuReserved"), "Dimensions": dims, "Values": cbor.List{cbor.Float64(1), cbor.Uint(2)}, "Counts": cbor.List{cbor.Float64(1), cbor.Float64(3)}},
				cbor.Map{"MetricName": cStr("X"), "StatisticValues": cbor.Map{"SampleCount": cbor.Uint(2), "Sum": cbor.Float64(3), "Minimum": cbor.NegInt(1), "Maximum": cbor.Float64(4)}},
			},
		},
		"GetMetricData": {
			"StartTime": cTimeSec(t - 600), "EndTime": cTimeSec(t + 600), "ScanBy": cStr("TimestampAscending"), "MaxDatapoints": cbor.Uint(3),
			"MetricDataQueries": cbor.List{cbor.Map{"Id": cStr("e1"), "Expression": cStr("(mm1m1 - 1) * 100 / -mm0m1")}, stat("mm1m1", "CpuUtilized"), stat("mm0m1", "CpuReserved")},
		},
		"DescribeAlarms":       {"AlarmNames": cbor.List{cStr("cpu")}, "StateValue": cStr("ALARM"), "MaxRecords": cbor.Uint(1), "AlarmTypes": cbor.List{cStr("MetricAlarm")}},
		"DescribeAlarmHistory": {"AlarmName": cStr("cpu"), "StartDate": cTimeSec(t - 1), "EndDate": cTimeSec(t + 1), "HistoryItemType": cStr("StateUpdate"), "NextToken": cStr("aGlzdG9yeToy")},
		"SetAlarmState":        {"AlarmName": cStr("cpu"), "StateValue": cStr("ALARM"), "StateReason": cStr("drill"), "StateReasonData": cStr(`{"a":1}`)},
		"DeleteAlarms":         {"AlarmNames": cbor.List{cStr("cpu"), cStr("other")}},
		"ListMetrics":          {"Namespace": cStr("ECS/ContainerInsights"), "Dimensions": dims},
	}
}

// FuzzCloudWatchRequest sends arbitrary CBOR bodies to every CloudWatch
// operation (on a server holding an alarm and some data): the handler must
// never panic, must answer 200 or a 4xx, and always with a CBOR map; error
// answers carry __type and message.
func FuzzCloudWatchRequest(f *testing.F) {
	for op, m := range fuzzSeeds() {
		f.Add(opIndex(op), cbor.Encode(m))
	}
	f.Add(opIndex("DescribeAlarms"), []byte{})
	f.Add(opIndex("DescribeAlarms"), []byte{0xbf, 0xff})                  // indefinite empty map
	f.Add(opIndex("PutMetricData"), []byte{0xa1, 0x61, 'N', 0xc1, 0xf6})  // {"N": 1(null)}
	f.Add(opIndex("GetMetricData"), []byte{0x9f, 0x9f, 0x9f, 0xff, 0xff}) // truncated nested lists
	f.Add(opIndex("NoSuchOperation"), []byte{0xa0})

	f.Fuzz(func(t *testing.T, opi byte, body []byte) {
		op := fuzzOps[int(opi)%len(fuzzOps)]
		clk := newFakeClock(t0)
		s := New(Options{Now: clk.Now})
		for _, seedOp := range []string{"PutMetricAlarm", "PutMetricData"} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodPost, cwPathPrefix+seedOp, bytes.NewReader(cbor.Encode(fuzzSeeds()[seedOp])))
			s.ServeHTTP(rec, req)
			if rec.Code != 200 {
				t.Fatalf("seeding %s: %d %x", seedOp, rec.Code, rec.Body.Bytes())
			}
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, cwPathPrefix+op, bytes.NewReader(body)))
		if rec.Code != 200 && (rec.Code < 400 || rec.Code > 499) {
			t.Fatalf("%s: status %d", op, rec.Code)
		}
		v, err := cbor.Decode(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("%s: answer is not CBOR: %v", op, err)
		}
		m, ok := v.(cbor.Map)
		if !ok {
			t.Fatalf("%s: answer is a %T", op, v)
		}
		if rec.Code != 200 {
			if _, ok := m["__type"].(cbor.String); !ok {
				t.Fatalf("%s: error without __type: %v", op, m)
			}
		}
		// The evaluator copes with whatever was stored.
		clk.Advance(10 * time.Minute)
		s.Evaluate()
	})
}

// FuzzParseExpr parses arbitrary expressions: no panics, and what parses
// evaluates to a finite number or reports failure.
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{
		"mm1m1 * 100 / mm0m1", "(a + b) * -c / 2.5e3", "a - - b", "((((x))))", "1/0", "a b", "SUM(METRICS())",
		"3.", ".5 + a_1", "1e", "(", ")", "", "a +", strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := parseExpr(src)
		if err != nil {
			if e != nil {
				t.Fatalf("%q: node and error", src)
			}
			return
		}
		vals := map[string]float64{}
		for _, id := range e.ids() {
			if !isIDStart(id[0]) {
				t.Fatalf("%q: bad id %q", src, id)
			}
			vals[id] = 3
		}
		v, ok := e.eval(vals)
		if ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("%q = %v reported ok", src, v)
		}
		if _, again := parseExpr(src); again != nil {
			t.Fatalf("%q: parse is not deterministic", src)
		}
	})
}

func TestParseExpr(t *testing.T) {
	for src, want := range map[string]float64{
		"mm1m1 * 100 / mm0m1": 75, // 3*100/4
		"a - b - 1":           -2,
		"-(a + b) * 2":        -14,
		"a / b / 2":           0.375,
		"2 + a * b":           14,
		" ( a ) ":             3,
		"1.5e1 + .5":          15.5,
	} {
		e, err := parseExpr(src)
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		v, ok := e.eval(map[string]float64{"mm1m1": 3, "mm0m1": 4, "a": 3, "b": 4})
		if !ok || v != want {
			t.Errorf("%q = %v, %v; want %v", src, v, ok, want)
		}
	}
	for _, bad := range []string{"", "a +", "(a", "a)", "1 2", "a # b", "f(x)", strings.Repeat("(", 70) + "a" + strings.Repeat(")", 70)} {
		if _, err := parseExpr(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	e, _ := parseExpr("a / (b - b)")
	if _, ok := e.eval(map[string]float64{"a": 1, "b": 2}); ok {
		t.Errorf("division by zero gave a value")
	}
	if _, ok := e.eval(map[string]float64{"a": 1}); ok {
		t.Errorf("missing id gave a value")
	}
}

// fuzzWorld is a server holding a little of everything, on a fake clock.
func fuzzWorld(t *testing.T) *Server {
	t.Helper()
	s := New(Options{Now: newFakeClock(t0).Now})
	s.PutStack("a", Output{Key: "K", Value: "V"})
	if _, err := s.PutCluster(Cluster{Name: "c", ContainerInstances: 1, Services: []Service{{Name: "svc", DesiredCount: 1}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLogGroup("g"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutLogEvents("g", "s", LogEvent{Time: t0, Message: `{"Type":"Task","TaskId":"t"}`}); err != nil {
		t.Fatal(err)
	}
	topic, _ := s.CreateTopic("t")
	if _, err := s.Subscribe(topic, "email", "a@b.c", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutServiceLinkedRole("ecs.amazonaws.com"); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, cwPathPrefix+"PutMetricAlarm", bytes.NewReader(cbor.Encode(fuzzSeeds()["PutMetricAlarm"]))))
	if rec.Code != 200 {
		t.Fatalf("seeding the alarm: %d", rec.Code)
	}
	return s
}

// fuzzSigningNames are the awsQuery services FuzzQueryServices signs for.
var fuzzSigningNames = []string{"cloudformation", "monitoring", "sns", "iam", "sts", ""}

// FuzzQueryServices sends arbitrary awsQuery forms to each service: the
// answer is always 200 or a 4xx, in XML, in that service's namespace.
func FuzzQueryServices(f *testing.F) {
	for i, body := range []string{
		"Action=DescribeStacks&StackName=a",
		"Action=PutMetricAlarm&AlarmName=x&EvaluationPeriods=1&Threshold=5&ComparisonOperator=GreaterThanThreshold&Namespace=N&MetricName=M&Statistic=Average&Period=60&Dimensions.member.1.Name=a&Dimensions.member.1.Value=b",
		"Action=Subscribe&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At&Protocol=email&Endpoint=x%40y.z",
		"Action=GetRole&RoleName=AWSServiceRoleForECS",
		"Action=GetCallerIdentity",
		"Action=DescribeAlarms&AlarmNames.member.1=cpu&MaxRecords=5",
	} {
		f.Add(byte(i), body)
	}
	f.Add(byte(1), "Action=GetMetricData&StartTime=2026-11-25T10%3A00%3A00Z&EndTime=2026-11-25T11%3A00%3A00Z&MetricDataQueries.member.1.Id=e1&MetricDataQueries.member.1.Expression=1%2B1")
	f.Add(byte(1), "Action=DescribeAlarms&A.member.1.B.member.2=x&A=")
	f.Fuzz(func(t *testing.T, svc byte, body string) {
		s := fuzzWorld(t)
		name := fuzzSigningNames[int(svc)%len(fuzzSigningNames)]
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if name != "" {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/"+name+"/aws4_request, SignedHeaders=host, Signature=00")
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 && (rec.Code < 400 || rec.Code > 499) {
			t.Fatalf("%s %q: status %d", name, body, rec.Code)
		}
		var doc struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatalf("%s %q: answer is not XML: %v\n%s", name, body, err, rec.Body.String())
		}
		if name != "" && !strings.Contains(doc.XMLName.Space, map[string]string{"cloudformation": "cloudformation", "monitoring": "monitoring", "sns": "sns", "iam": "iam", "sts": "sts"}[name]) {
			t.Fatalf("%s %q: answer in namespace %q", name, body, doc.XMLName.Space)
		}
	})
}

// fuzzTargets lists the awsJson operations FuzzJSONServices drives.
func fuzzTargets() []string {
	var out []string
	for _, svc := range jsonServices {
		ops := svc.ops
		if svc.target == cwTarget {
			ops = map[string]jsonHandler{}
			for op := range cwOps {
				ops[op] = nil
			}
		}
		for op := range ops {
			out = append(out, svc.target+"."+op)
		}
	}
	sort.Strings(out)
	return out
}

func targetIndex(target string) byte {
	for i, t := range fuzzTargets() {
		if t == target {
			return byte(i)
		}
	}
	return 0
}

// FuzzJSONServices sends arbitrary bodies to every awsJson operation (ECS,
// CloudWatch Logs, CloudWatch): the answer is 200 or a 4xx, always a JSON
// object, errors with a __type.
func FuzzJSONServices(f *testing.F) {
	for target, body := range map[string]string{
		"Logs_20140328.PutLogEvents":                               `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":1796042000000,"message":"m"}]}`,
		"Logs_20140328.GetLogEvents":                               `{"logGroupName":"g","logStreamName":"s","nextToken":"f/09223372036854775808000000000000000000001/s"}`,
		"Logs_20140328.StartQuery":                                 `{"logGroupName":"g","startTime":0,"endTime":1900000000,"queryString":"stats count(*) by bin(5m)"}`,
		"Logs_20140328.FilterLogEvents":                            `{"logGroupName":"g","filterPattern":"{ $.Type = \"Task\" }"}`,
		"AmazonEC2ContainerServiceV20141113.DescribeClusters":      `{"clusters":["c"],"include":["SETTINGS"]}`,
		"AmazonEC2ContainerServiceV20141113.UpdateClusterSettings": `{"cluster":"c","settings":[{"name":"containerInsights","value":"enabled"}]}`,
		"GraniteServiceVersion20100801.DescribeAlarms":             `{"AlarmNames":["cpu"]}`,
		"GraniteServiceVersion20100801.PutMetricData":              `{"Namespace":"N","MetricData":[{"MetricName":"M","Timestamp":1796042000,"Value":1}]}`,
	} {
		f.Add(targetIndex(target), body)
	}
	targets := fuzzTargets()
	f.Fuzz(func(t *testing.T, ti byte, body string) {
		s := fuzzWorld(t)
		target := targets[int(ti)%len(targets)]
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 && (rec.Code < 400 || rec.Code > 499) {
			t.Fatalf("%s %q: status %d", target, body, rec.Code)
		}
		var m map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
			t.Fatalf("%s %q: answer is not a JSON object: %v", target, body, err)
		}
		if _, ok := m["__type"].(string); rec.Code != 200 && !ok {
			t.Fatalf("%s %q: error without __type: %s", target, body, rec.Body.String())
		}
	})
}
