package awscfg

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/loadgen/loadgen/internal/testsupport"
)

func describeAlarms(cw *cloudwatch.Client) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
		return err
	}
}

func TestSilentEndpointIsAnErrorNotAHang(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	ep := testsupport.SilentServer(t)
	o := Options{Region: "us-east-1", EndpointURL: ep, Timeout: 900 * time.Millisecond}
	cfg, err := Load(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	cw := NewCloudWatch(cfg, ep)
	where := Where("CloudWatch", cw.Options().BaseEndpoint, cfg.Region)
	if where != "CloudWatch at "+ep {
		t.Fatalf("Where = %q", where)
	}

	// The whole step is bounded, and the error is one sentence naming the endpoint.
	start := time.Now()
	err = Within(context.Background(), o.Timeout, where, describeAlarms(cw))
	el := time.Since(start)
	e := asError(t, err)
	if e.Kind != KindUnreachable || err.Error() != "no answer from CloudWatch at "+ep+" within 900ms: check the network, --endpoint-url and AWS_ENDPOINT_URL" {
		t.Fatalf("kind %v, error %q", e.Kind, err)
	}
	if el > 2*time.Second {
		t.Fatalf("took %v for a 900ms bound", el)
	}

	// Each call is bounded too, with no step around it: a third of the
	// timeout per attempt, three attempts.
	start = time.Now()
	_, err = cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{})
	if el := time.Since(start); err == nil || el > 3*time.Second {
		t.Fatalf("a bare call: %v after %v", err, el)
	}
	if c := Classify(err); !strings.Contains(c.Error(), "cannot reach CloudWatch DescribeAlarms at "+ep) {
		t.Fatalf("a bare call: %v", c)
	}

	// Cancellation (Ctrl+C) is not a failure: its error comes back as it is.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err = Within(ctx, time.Minute, where, describeAlarms(cw))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if Where("CloudWatch", nil, "eu-west-1") != "CloudWatch in eu-west-1" {
		t.Fatal(Where("CloudWatch", nil, "eu-west-1"))
	}
}

// The SDK's warnings (here, falling back to IMDSv1) reach Options.Log, and
// nowhere when it is nil.
func TestSDKWarningsGoToLogOnly(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", testsupport.IMDSv1Only(t))
	var log bytes.Buffer
	_, err := Load(context.Background(), Options{Region: "us-east-1", Log: &log})
	if e := asError(t, err); e.Kind != KindCredentials {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(log.String(), "falling back to IMDSv1") {
		t.Fatalf("log: %q", log.String())
	}
}
