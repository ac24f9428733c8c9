// Package awstest starts the local AWS endpoint (internal/awslocal) on
// 127.0.0.1 for a test and returns real SDK clients pointed at it, so every
// package tests its AWS side through the real SDK over HTTP. Only tests
// import it.
package awstest

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/loadgen/loadgen/internal/awslocal"
)

// Region is the region of every endpoint and client here.
const Region = "us-east-1"

// Endpoint is a local AWS endpoint serving over HTTP on 127.0.0.1 until the
// test ends, and the SDK configuration to reach it.
type Endpoint struct {
	Server *awslocal.Server
	URL    string
	// Config has the region, static credentials and a standard retryer
	// (Attempts tries, no back-off sleeps, no retry quota: retried errors
	// stay fast). Clients built from it need BaseEndpoint = URL.
	Config aws.Config
}

// Start serves srv (awslocal.New(opts) when nil) on 127.0.0.1 for the test.
// attempts is the SDK's attempts per call (1: no retries).
func Start(t testing.TB, srv *awslocal.Server, attempts int) *Endpoint {
	t.Helper()
	if srv == nil {
		srv = awslocal.New(awslocal.Options{Region: Region})
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &Endpoint{Server: srv, URL: hs.URL, Config: Config(attempts)}
}

// StartLive serves srv with awslocal.Start until the test ends: alarms are
// evaluated on srv's own clock as time passes, as in the demo. Start, by
// contrast, leaves evaluation to the test (fake clocks drive it).
func StartLive(t testing.TB, srv *awslocal.Server, attempts int) *Endpoint {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	base, err := awslocal.Start(ctx, "127.0.0.1:0", srv)
	if err != nil {
		t.Fatal(err)
	}
	return &Endpoint{Server: srv, URL: base, Config: Config(attempts)}
}

// Config returns an SDK configuration with static credentials, Region, and
// a fast standard retryer making attempts tries per call.
func Config(attempts int) aws.Config {
	return aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

// CloudWatch returns a CloudWatch client for the endpoint.
func (e *Endpoint) CloudWatch() *cloudwatch.Client {
	return cloudwatch.NewFromConfig(e.Config, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(e.URL) })
}

// CloudFormation returns a CloudFormation client for the endpoint.
func (e *Endpoint) CloudFormation() *cloudformation.Client {
	return cloudformation.NewFromConfig(e.Config, func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(e.URL) })
}

// SetEnv points the SDK's default configuration at the endpoint through the
// environment, as a user does with AWS_ENDPOINT_URL, and isolates it from
// the machine's own AWS files, profiles and instance metadata.
func (e *Endpoint) SetEnv(t *testing.T) {
	t.Helper()
	Isolate(t)
	t.Setenv("AWS_ENDPOINT_URL", e.URL)
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
}

// Isolate keeps the SDK from the machine's AWS configuration, so no test
// can reach a real account: no shared files, profile, region, credentials,
// endpoint, role or container credentials, and no instance metadata.
func Isolate(t *testing.T) {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
		"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_ENDPOINT_URL_CLOUDFORMATION",
		"AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "AWS_ENDPOINT_URL_SNS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_STS",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
