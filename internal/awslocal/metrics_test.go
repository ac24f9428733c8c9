package awslocal

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/encoding/cbor"
)

func metricQuery(id, name, stat string, period int32, returnData bool) types.MetricDataQuery {
	return types.MetricDataQuery{
		Id: aws.String(id),
		MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("ECS/ContainerInsights"), MetricName: aws.String(name), Dimensions: serviceDims},
			Period: aws.Int32(period),
			Stat:   aws.String(stat),
		},
		ReturnData: aws.Bool(returnData),
	}
}

func getData(t *testing.T, cw *cloudwatch.Client, in *cloudwatch.GetMetricDataInput) map[string]types.MetricDataResult {
	t.Helper()
	out, err := cw.GetMetricData(ctxT(t), in)
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	res := map[string]types.MetricDataResult{}
	for _, r := range out.MetricDataResults {
		res[aws.ToString(r.Id)] = r
	}
	return res
}

func TestMetricStatistics(t *testing.T) {
	f := newFixture(t, Options{})
	// One 60 s bucket [t0, t0+60) with a single value, a Values/Counts
	// datum and a statistic set; the next bucket with one value.
	_, err := f.cw.PutMetricData(ctxT(t), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("ECS/ContainerInsights"),
		MetricData: []types.MetricDatum{
			{MetricName: aws.String("CpuUtilized"), Dimensions: serviceDims, Timestamp: aws.Time(t0.Add(5 * time.Second)), Value: aws.Float64(10)},
			{MetricName: aws.String("CpuUtilized"), Dimensions: serviceDims, Timestamp: aws.Time(t0.Add(15 * time.Second)), Values: []float64{20, 40}, Counts: []float64{1, 2}},
			{MetricName: aws.String("CpuUtilized"), Dimensions: serviceDims, Timestamp: aws.Time(t0.Add(59 * time.Second)),
				StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(100), Minimum: aws.Float64(30), Maximum: aws.Float64(70)}},
			{MetricName: aws.String("CpuUtilized"), Dimensions: serviceDims, Timestamp: aws.Time(t0.Add(61 * time.Second)), Value: aws.Float64(5)},
		},
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	var qs []types.MetricDataQuery
	for _, st := range []string{"Average", "Sum", "Minimum", "Maximum", "SampleCount"} {
		qs = append(qs, metricQuery(strings.ToLower(st[:1])+st[1:], "CpuUtilized", st, 60, true))
	}
	res := getData(t, f.cw, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: qs, StartTime: aws.Time(t0.Add(-time.Minute)), EndTime: aws.Time(t0.Add(2 * time.Minute)),
		ScanBy: types.ScanByTimestampAscending,
	})
	// Bucket 1: values 10, 20, 40, 40 and the set (n=2, sum=100): n=6, sum=210.
	want := map[string][2]float64{
		"average": {35, 5}, "sum": {210, 5}, "minimum": {10, 5}, "maximum": {70, 5}, "sampleCount": {6, 1},
	}
	for id, w := range want {
		r, ok := res[id]
		if !ok {
			t.Fatalf("no result for %s", id)
		}
		if r.StatusCode != types.StatusCodeComplete || aws.ToString(r.Label) != "CpuUtilized" {
			t.Errorf("%s: status %s label %q", id, r.StatusCode, aws.ToString(r.Label))
		}
		if len(r.Values) != 2 || len(r.Timestamps) != 2 {
			t.Fatalf("%s: %v at %v", id, r.Values, r.Timestamps)
		}
		if r.Values[0] != w[0] || r.Values[1] != w[1] {
			t.Errorf("%s = %v, want %v", id, r.Values, w)
		}
		if !r.Timestamps[0].Equal(t0) || !r.Timestamps[1].Equal(t0.Add(time.Minute)) {
			t.Errorf("%s timestamps = %v", id, r.Timestamps)
		}
	}

	// Percentiles need raw values: the bucket with a statistic set has none.
	p := getData(t, f.cw, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{metricQuery("p", "CpuUtilized", "p50", 60, true)},
		StartTime:         aws.Time(t0), EndTime: aws.Time(t0.Add(2 * time.Minute)),
	})["p"]
	if len(p.Values) != 1 || p.Values[0] != 5 || !p.Timestamps[0].Equal(t0.Add(time.Minute)) {
		t.Errorf("p50 = %v at %v", p.Values, p.Timestamps)
	}

	// Dimensions must match exactly: the metric without dimensions is another series.
	none := getData(t, f.cw, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("x"), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("ECS/ContainerInsights"), MetricName: aws.String("CpuUtilized")},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}},
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(2 * time.Minute)),
	})["x"]
	if len(none.Values) != 0 {
		t.Errorf("dimensionless query matched: %v", none.Values)
	}
}

func TestGetMetricDataExpression(t *testing.T) {
	f := newFixture(t, Options{})
	// 10 s buckets: utilized/reserved per bucket; the third bucket lacks
	// CpuReserved, the fourth has reserved 0 (division by zero).
	type pt struct {
		at       time.Duration
		u, r     float64
		noReserv bool
	}
	for _, p := range []pt{{1 * time.Second, 256, 1024, false}, {4 * time.Second, 768, 1024, false}, {12 * time.Second, 900, 1000, false}, {25 * time.Second, 10, 0, true}, {33 * time.Second, 5, 0, false}} {
		data := []types.MetricDatum{{MetricName: aws.String("CpuUtilized"), Dimensions: serviceDims, Timestamp: aws.Time(t0.Add(p.at)), Value: aws.Float64(p.u)}}
		if !p.noReserv {
			data = append(data, types.MetricDatum{MetricName: aws.String("CpuReserved"), Dimensions: serviceDims, Timestamp: aws.Time(t0.Add(p.at)), Value: aws.Float64(p.r)})
		}
		if _, err := f.cw.PutMetricData(ctxT(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("ECS/ContainerInsights"), MetricData: data}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := f.cw.GetMetricData(ctxT(t), &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{
			{Id: aws.String("e1"), Expression: aws.String("mm1m1 * 100 / mm0m1"), Label: aws.String("ecsdemo-frontend")},
			{Id: aws.String("e2"), Expression: aws.String("-(e1 - 100) / 2")},
			metricQuery("mm1m1", "CpuUtilized", "Average", 10, false),
			metricQuery("mm0m1", "CpuReserved", "Average", 10, false),
		},
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Minute)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricDataResults) != 2 {
		t.Fatalf("ReturnData=false queries were returned: %+v", out.MetricDataResults)
	}
	e1, e2 := out.MetricDataResults[0], out.MetricDataResults[1]
	if aws.ToString(e1.Id) != "e1" || aws.ToString(e1.Label) != "ecsdemo-frontend" || aws.ToString(e2.Label) != "e2" {
		t.Errorf("ids/labels: %q %q / %q %q", aws.ToString(e1.Id), aws.ToString(e1.Label), aws.ToString(e2.Id), aws.ToString(e2.Label))
	}
	// Newest first (default ScanBy): bucket t0+10 (90%), bucket t0 (50%).
	if len(e1.Values) != 2 || e1.Values[0] != 90 || e1.Values[1] != 50 || !e1.Timestamps[0].Equal(t0.Add(10*time.Second)) || !e1.Timestamps[1].Equal(t0) {
		t.Errorf("e1 = %v at %v", e1.Values, e1.Timestamps)
	}
	if len(e2.Values) != 2 || e2.Values[0] != 5 || e2.Values[1] != 25 {
		t.Errorf("e2 = %v", e2.Values)
	}
}

func TestGetMetricDataPaging(t *testing.T) {
	f := newFixture(t, Options{})
	var data []types.MetricDatum
	for i := range 10 {
		data = append(data, types.MetricDatum{MetricName: aws.String("CpuUtilized"), Dimensions: serviceDims, Timestamp: aws.Time(t0.Add(time.Duration(i) * time.Second)), Value: aws.Float64(float64(i))})
	}
	if _, err := f.cw.PutMetricData(ctxT(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("ECS/ContainerInsights"), MetricData: data}); err != nil {
		t.Fatal(err)
	}
	in := &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{metricQuery("m", "CpuUtilized", "Maximum", 1, true)},
		StartTime:         aws.Time(t0), EndTime: aws.Time(t0.Add(time.Minute)), MaxDatapoints: aws.Int32(4),
		ScanBy: types.ScanByTimestampAscending,
	}
	p := cloudwatch.NewGetMetricDataPaginator(f.cw, in)
	var got []float64
	var statuses []types.StatusCode
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out.MetricDataResults {
			got = append(got, r.Values...)
			statuses = append(statuses, r.StatusCode)
		}
	}
	if fmt.Sprint(got) != "[0 1 2 3 4 5 6 7 8 9]" {
		t.Errorf("paged values = %v", got)
	}
	if fmt.Sprint(statuses) != "[PartialData PartialData Complete]" {
		t.Errorf("statuses = %v", statuses)
	}
}

func TestPutMetricDataGzip(t *testing.T) {
	clk := newFakeClock(t0)
	s := New(Options{Now: clk.Now})
	var mu sync.Mutex
	var encodings []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		encodings = append(encodings, r.Header.Get("Content-Encoding"))
		mu.Unlock()
		s.ServeHTTP(w, r)
	}))
	defer hs.Close()
	cw := cloudwatch.NewFromConfig(sdkConfig(1), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(hs.URL) })

	// 150 values per datum, 20 datums: well over the SDK's 10 KB threshold.
	var data []types.MetricDatum
	var total, n float64
	for d := range 20 {
		vals := make([]float64, 150)
		for i := range vals {
			vals[i] = float64(d*1000+i) + 0.123456789
			total += vals[i]
			n++
		}
		data = append(data, types.MetricDatum{MetricName: aws.String("Latency"), Timestamp: aws.Time(t0.Add(time.Duration(d) * time.Second)), Values: vals, Unit: types.StandardUnitMilliseconds})
	}
	if _, err := cw.PutMetricData(ctxT(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: data}); err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
	mu.Lock()
	if len(encodings) != 1 || encodings[0] != "gzip" {
		t.Errorf("Content-Encoding of the request = %v, want gzip", encodings)
	}
	mu.Unlock()
	out, err := cw.GetMetricData(ctxT(t), &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{
			{Id: aws.String("n"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Latency")}, Period: aws.Int32(60), Stat: aws.String("SampleCount")}},
			{Id: aws.String("s"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Latency")}, Period: aws.Int32(60), Stat: aws.String("Sum"), Unit: types.StandardUnitMilliseconds}},
			{Id: aws.String("wrongunit"), MetricStat: &types.MetricStat{Metric: &types.Metric{Namespace: aws.String("App"), MetricName: aws.String("Latency")}, Period: aws.Int32(60), Stat: aws.String("Sum"), Unit: types.StandardUnitSeconds}},
		},
		StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Minute)),
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.MetricDataResults
	if len(r[0].Values) != 1 || r[0].Values[0] != n {
		t.Errorf("SampleCount = %v, want %v", r[0].Values, n)
	}
	if len(r[1].Values) != 1 || math.Abs(r[1].Values[0]-total) > 1e-6 {
		t.Errorf("Sum = %v, want %v", r[1].Values, total)
	}
	if len(r[2].Values) != 0 {
		t.Errorf("a query for another unit matched: %v", r[2].Values)
	}
}

func TestPutMetricDataValidation(t *testing.T) {
	f := newFixture(t, Options{})
	put := func(d types.MetricDatum) error {
		_, err := f.cw.PutMetricData(ctxT(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String("App"), MetricData: []types.MetricDatum{d}})
		return err
	}
	var combo *types.InvalidParameterCombinationException
	if err := put(types.MetricDatum{MetricName: aws.String("m"), Value: aws.Float64(1), StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1), Minimum: aws.Float64(1), Maximum: aws.Float64(1)}}); !errors.As(err, &combo) || combo.ErrorCode() != "InvalidParameterCombination" {
		t.Errorf("Value+StatisticValues: %v", err)
	}
	if err := put(types.MetricDatum{MetricName: aws.String("m")}); !errors.As(err, &combo) {
		t.Errorf("no value: %v", err)
	}
	var bad *types.InvalidParameterValueException
	if err := put(types.MetricDatum{MetricName: aws.String("m"), Values: []float64{1, 2}, Counts: []float64{1}}); !errors.As(err, &bad) || bad.ErrorCode() != "InvalidParameterValue" || !strings.Contains(bad.ErrorMessage(), "MetricData.member.1.Counts") {
		t.Errorf("Values/Counts size: %v", err)
	}
	if err := put(types.MetricDatum{MetricName: aws.String("m"), Value: aws.Float64(1), Timestamp: aws.Time(t0.Add(3 * time.Hour))}); !errors.As(err, &bad) || !strings.Contains(bad.ErrorMessage(), "two hours") {
		t.Errorf("future timestamp: %v", err)
	}
	if err := put(types.MetricDatum{MetricName: aws.String("m"), Value: aws.Float64(1), Unit: "Furlongs"}); !errors.As(err, &bad) {
		t.Errorf("bad unit: %v", err)
	}
	var mp *types.MissingRequiredParameterException
	if err := put(types.MetricDatum{MetricName: aws.String("m"), StatisticValues: &types.StatisticSet{SampleCount: aws.Float64(1), Sum: aws.Float64(1), Minimum: aws.Float64(1)}}); err == nil {
		t.Errorf("incomplete statistic set accepted")
	} else if !errors.As(err, &mp) {
		// The SDK itself may reject the missing required Maximum.
		if !strings.Contains(err.Error(), "Maximum") {
			t.Errorf("incomplete statistic set: %v", err)
		}
	}
	code, m := postCBOR(t, f.url, "PutMetricData", cbor.Map{"Namespace": cStr("App"), "MetricData": cbor.List{cbor.Map{"MetricName": cStr("m"), "Value": cbor.Float64(math.NaN())}}})
	if code != 400 || m["__type"] != cbor.String("com.amazonaws.cloudwatch#InvalidParameterValueException") {
		t.Errorf("NaN value: %d %v", code, m)
	}
	code, m = postCBOR(t, f.url, "PutMetricData", cbor.Map{"MetricData": cbor.List{cbor.Map{"MetricName": cStr("m"), "Value": cbor.Float64(1)}}})
	if code != 400 || m["message"] != cbor.String("The parameter Namespace is required.") {
		t.Errorf("no namespace: %d %v", code, m)
	}
	// Nothing of the rejected requests was stored.
	lm, err := f.cw.ListMetrics(ctxT(t), &cloudwatch.ListMetricsInput{})
	if err != nil || len(lm.Metrics) != 0 {
		t.Errorf("metrics after rejected puts: %+v %v", lm, err)
	}

	// GetMetricData validation.
	q := []types.MetricDataQuery{metricQuery("m", "CpuUtilized", "Average", 60, true)}
	var ve *types.ValidationException
	if _, err := f.cw.GetMetricData(ctxT(t), &cloudwatch.GetMetricDataInput{MetricDataQueries: q, StartTime: aws.Time(t0), EndTime: aws.Time(t0)}); !errors.As(err, &ve) {
		t.Errorf("empty range: %v", err)
	}
	q[0].MetricStat.Stat = aws.String("tm99")
	if _, err := f.cw.GetMetricData(ctxT(t), &cloudwatch.GetMetricDataInput{MetricDataQueries: q, StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour))}); !errors.As(err, &bad) {
		t.Errorf("unsupported stat: %v", err)
	}
	q[0].MetricStat.Stat = aws.String("Average")
	q[0].ReturnData = aws.Bool(false)
	if _, err := f.cw.GetMetricData(ctxT(t), &cloudwatch.GetMetricDataInput{MetricDataQueries: q, StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(time.Hour))}); !errors.As(err, &ve) {
		t.Errorf("nothing returned: %v", err)
	}
}

func TestMetricRetentionAndListMetrics(t *testing.T) {
	f := newFixture(t, Options{})
	putCPU(t, f.cw, t0, 1, 2)
	putCPU(t, f.cw, t0.Add(-4*time.Hour), 1, 2) // beyond the retention: dropped
	lm, err := f.cw.ListMetrics(ctxT(t), &cloudwatch.ListMetricsInput{Namespace: aws.String("ECS/ContainerInsights"), MetricName: aws.String("CpuReserved")})
	if err != nil || len(lm.Metrics) != 1 || aws.ToString(lm.Metrics[0].MetricName) != "CpuReserved" || len(lm.Metrics[0].Dimensions) != 2 {
		t.Fatalf("ListMetrics = %+v %v", lm, err)
	}
	res := getData(t, f.cw, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []types.MetricDataQuery{metricQuery("m", "CpuReserved", "SampleCount", 60, true)},
		StartTime:         aws.Time(t0.Add(-5 * time.Hour)), EndTime: aws.Time(t0.Add(time.Hour)),
	})["m"]
	if fmt.Sprint(res.Values) != "[1]" {
		t.Errorf("SampleCount over 6 h = %v, want [1]", res.Values)
	}
	f.clock.Advance(4 * time.Hour)
	f.srv.Evaluate() // prunes
	f.srv.mu.Lock()
	n := len(f.srv.series)
	f.srv.mu.Unlock()
	if n != 0 {
		t.Errorf("%d series left after the retention", n)
	}
}

// TestGetMetricDataPartialPeriod: a bucket that starts before EndTime, even
// by a fraction of a second, is answered (the current period so far).
func TestGetMetricDataPartialPeriod(t *testing.T) {
	f := newFixture(t, Options{})
	f.clock.Set(t0.Add(11 * time.Second))
	putCPU(t, f.cw, t0.Add(3*time.Second), 100, 1000)
	putCPU(t, f.cw, t0.Add(10*time.Second+100*time.Millisecond), 300, 1000)
	for _, tc := range []struct {
		end  time.Duration
		want int
	}{{10 * time.Second, 1}, {10*time.Second + 200*time.Millisecond, 2}, {11 * time.Second, 2}} {
		out, err := f.cw.GetMetricData(ctxT(t), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(tc.end)),
			MetricDataQueries: []types.MetricDataQuery{metricQuery("m", "CpuUtilized", "Average", 10, true)}})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(out.MetricDataResults[0].Values); got != tc.want {
			t.Errorf("EndTime t0+%v: %d datapoints %v, want %d", tc.end, got, out.MetricDataResults[0].Values, tc.want)
		}
	}
}
