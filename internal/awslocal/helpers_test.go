package awslocal

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/encoding/cbor"
	"github.com/loadgen/loadgen/internal/testsupport"
)

// fakeClock is the shared settable clock (internal/testsupport).
type fakeClock = testsupport.Clock

func newFakeClock(t time.Time) *fakeClock { return testsupport.NewClock(t) }

// t0 is an epoch-aligned instant (a multiple of 60 s) for fake clocks.
var t0 = testsupport.T0()

func sdkConfig(maxAttempts int) aws.Config {
	return aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: maxAttempts,
	}
}

// fixture is a Server on a fake clock behind a real HTTP server on
// 127.0.0.1, with SDK clients pointed at it.
type fixture struct {
	clock *fakeClock
	srv   *Server
	url   string
	cw    *cloudwatch.Client
	cfn   *cloudformation.Client
	sts   *sts.Client
	iam   *iam.Client
	ecs   *ecs.Client
	logs  *cloudwatchlogs.Client
	sns   *sns.Client
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	clk := newFakeClock(t0)
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	s := New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	f := &fixture{clock: clk, srv: s, url: hs.URL}
	f.cw = cloudwatch.NewFromConfig(sdkConfig(1), func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	f.cfn = cloudformation.NewFromConfig(sdkConfig(1), func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	f.sts = sts.NewFromConfig(sdkConfig(1), func(o *sts.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	f.iam = iam.NewFromConfig(sdkConfig(1), func(o *iam.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	f.ecs = ecs.NewFromConfig(sdkConfig(1), func(o *ecs.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	f.sns = sns.NewFromConfig(sdkConfig(1), func(o *sns.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	f.logs = cloudwatchlogs.NewFromConfig(sdkConfig(1), func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	return f
}

// retryingCW is a CloudWatch client with the SDK's standard retryer (3
// attempts) and no backoff delay.
func (f *fixture) retryingCW() *cloudwatch.Client {
	return cloudwatch.NewFromConfig(sdkConfig(3), func(o *cloudwatch.Options) {
		o.BaseEndpoint = aws.String(f.url)
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	})
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// serviceDims are the workshop's Container Insights dimensions.
var serviceDims = []types.Dimension{
	{Name: aws.String("ClusterName"), Value: aws.String("container-demo")},
	{Name: aws.String("ServiceName"), Value: aws.String("ecsdemo-frontend")},
}

// workshopAlarm is the workshop's metric-math alarm with the given period.
func workshopAlarm(name string, period int32) *cloudwatch.PutMetricAlarmInput {
	stat := func(id, metric string) types.MetricDataQuery {
		return types.MetricDataQuery{
			Id: aws.String(id),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String("ECS/ContainerInsights"), MetricName: aws.String(metric), Dimensions: serviceDims},
				Period: aws.Int32(period),
				Stat:   aws.String("Average"),
			},
			ReturnData: aws.Bool(false),
		}
	}
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(name),
		AlarmDescription:   aws.String("ecsdemo-frontend CPU"),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		EvaluationPeriods:  aws.Int32(1),
		DatapointsToAlarm:  aws.Int32(1),
		Threshold:          aws.Float64(50),
		Metrics: []types.MetricDataQuery{
			{Id: aws.String("e1"), Expression: aws.String("mm1m1 * 100 / mm0m1"), Label: aws.String("ecsdemo-frontend"), ReturnData: aws.Bool(true)},
			stat("mm1m1", "CpuUtilized"),
			stat("mm0m1", "CpuReserved"),
		},
	}
}

// putCPU publishes CpuUtilized and CpuReserved at time at.
func putCPU(t *testing.T, cw *cloudwatch.Client, at time.Time, utilized, reserved float64) {
	t.Helper()
	_, err := cw.PutMetricData(ctxT(t), &cloudwatch.PutMetricDataInput{
		Namespace: aws.String("ECS/ContainerInsights"),
		MetricData: []types.MetricDatum{
			{MetricName: aws.String("CpuUtilized"), Dimensions: serviceDims, Timestamp: aws.Time(at), Value: aws.Float64(utilized), Unit: types.StandardUnitNone},
			{MetricName: aws.String("CpuReserved"), Dimensions: serviceDims, Timestamp: aws.Time(at), Value: aws.Float64(reserved), Unit: types.StandardUnitNone},
		},
	})
	if err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
}

func describeOne(t *testing.T, cw *cloudwatch.Client, name string) types.MetricAlarm {
	t.Helper()
	out, err := cw.DescribeAlarms(ctxT(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms(%s): got %d alarms", name, len(out.MetricAlarms))
	}
	return out.MetricAlarms[0]
}

// postRaw posts a raw body to a CloudWatch operation and decodes the CBOR
// answer, checking the RPCv2 response headers.
func postRaw(t *testing.T, baseURL, op string, body []byte) (int, cbor.Map) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+cwPathPrefix+op, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	req.Header.Set("Content-Type", "application/cbor")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Header.Get("Smithy-Protocol") != "rpc-v2-cbor" || resp.Header.Get("Content-Type") != "application/cbor" {
		t.Errorf("response headers = %v", resp.Header)
	}
	v, err := cbor.Decode(b)
	if err != nil {
		t.Fatalf("answer is not CBOR: %v", err)
	}
	m, _ := v.(cbor.Map)
	return resp.StatusCode, m
}

// postCBOR posts a CBOR map to a CloudWatch operation.
func postCBOR(t *testing.T, baseURL, op string, in cbor.Map) (int, cbor.Map) {
	t.Helper()
	return postRaw(t, baseURL, op, cbor.Encode(in))
}
