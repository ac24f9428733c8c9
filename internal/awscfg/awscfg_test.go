package awscfg

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
)

// isolateEnv unsets every AWS_* variable for the test, points the shared
// config and credentials files at empty files, and disables IMDS.
func isolateEnv(t *testing.T) (configFile, credsFile string) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "") // restores the old value after the test
			os.Unsetenv(k)
		}
	}
	dir := t.TempDir()
	configFile, credsFile = filepath.Join(dir, "config"), filepath.Join(dir, "credentials")
	for _, f := range []string{configFile, credsFile} {
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("AWS_CONFIG_FILE", configFile)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", credsFile)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return configFile, credsFile
}

func asError(t *testing.T, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *awscfg.Error", err, err)
	}
	if !errors.Is(err, ErrSetup) {
		t.Fatalf("error %v does not match ErrSetup", err)
	}
	return e
}

func TestLoadMissingRegion(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	_, err := Load(context.Background(), Options{})
	e := asError(t, err)
	if e.Kind != KindRegion {
		t.Errorf("kind = %v, want region", e.Kind)
	}
	want := "no AWS region set: set AWS_REGION (or AWS_DEFAULT_REGION), pass --region, or set region in the profile with aws configure"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestLoadMissingCredentials(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_REGION", "us-east-1")
	// A long timeout: the check must fail because IMDS is disabled, not
	// because it waited.
	_, err := Load(context.Background(), Options{CredentialsTimeout: 60e9})
	e := asError(t, err)
	if e.Kind != KindCredentials {
		t.Errorf("kind = %v, want credentials", e.Kind)
	}
	if err.Error() != NoCredentialsMessage {
		t.Errorf("error = %q, want %q", err, NoCredentialsMessage)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("the credentials check timed out instead of failing at once: %v", e.Err)
	}
	if e.Err == nil || !strings.Contains(e.Err.Error(), "IMDS") {
		t.Errorf("cause = %v, want the SDK's IMDS error kept for errors.As", e.Err)
	}
}

func TestLoadProfile(t *testing.T) {
	configFile, credsFile := isolateEnv(t)
	if err := os.WriteFile(configFile, []byte("[profile demo]\nregion = eu-west-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(credsFile, []byte("[demo]\naws_access_key_id = AKIDDEMO\naws_secret_access_key = SECRETDEMO\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(context.Background(), Options{Profile: "demo"})
	if err != nil {
		t.Fatalf("Load(profile demo): %v", err)
	}
	if cfg.Region != "eu-west-1" {
		t.Errorf("region = %q, want eu-west-1 from the profile", cfg.Region)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || creds.AccessKeyID != "AKIDDEMO" {
		t.Errorf("credentials = %+v, %v; want the profile's", creds, err)
	}

	_, err = Load(context.Background(), Options{Profile: "nope"})
	e := asError(t, err)
	if e.Kind != KindProfile || !strings.Contains(err.Error(), `AWS profile "nope" not found`) {
		t.Errorf("unknown profile: kind %v, error %q", e.Kind, err)
	}
}

func TestEndpointPrecedence(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1001")
	t.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", "http://127.0.0.1:1002")
	ctx := context.Background()

	// Environment only: the service-specific variable wins for CloudWatch,
	// the global one serves CloudFormation.
	cfg, err := Load(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(NewCloudWatch(cfg, "").Options().BaseEndpoint); got != "http://127.0.0.1:1002" {
		t.Errorf("CloudWatch endpoint from env = %q", got)
	}
	if got := aws.ToString(NewCloudFormation(cfg, "").Options().BaseEndpoint); got != "http://127.0.0.1:1001" {
		t.Errorf("CloudFormation endpoint from env = %q", got)
	}

	// --endpoint-url wins over both.
	flag := "http://127.0.0.1:1003"
	cfg, err = Load(ctx, Options{EndpointURL: flag, Region: "us-west-2"})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(cfg.BaseEndpoint) != flag || cfg.Region != "us-west-2" {
		t.Errorf("cfg endpoint %q region %q", aws.ToString(cfg.BaseEndpoint), cfg.Region)
	}
	if got := aws.ToString(NewCloudWatch(cfg, flag).Options().BaseEndpoint); got != flag {
		t.Errorf("CloudWatch endpoint with flag = %q, want %q", got, flag)
	}
	if got := aws.ToString(NewCloudFormation(cfg, flag).Options().BaseEndpoint); got != flag {
		t.Errorf("CloudFormation endpoint with flag = %q, want %q", got, flag)
	}
}

// closedAddr returns a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestClassifyUnreachable(t *testing.T) {
	isolateEnv(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	addr := closedAddr(t)
	cfg, err := Load(context.Background(), Options{Region: "us-east-1", EndpointURL: "http://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 })
	_, err = cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{})
	if err == nil {
		t.Fatal("DescribeAlarms against a closed port succeeded")
	}
	got := Classify(err)
	e := asError(t, got)
	if e.Kind != KindUnreachable {
		t.Fatalf("kind = %v, want unreachable (%v)", e.Kind, got)
	}
	for _, want := range []string{"cannot reach CloudWatch DescribeAlarms at http://" + addr, "connection refused", "--endpoint-url"} {
		if !strings.Contains(got.Error(), want) {
			t.Errorf("message %q lacks %q", got, want)
		}
	}
	if strings.Contains(got.Error(), "\n") {
		t.Errorf("message spans lines: %q", got)
	}
}

func TestClassifyNoCredentialsOnRequest(t *testing.T) {
	isolateEnv(t)
	cfg, err := Load(context.Background(), Options{Region: "us-east-1", EndpointURL: "http://" + closedAddr(t), SkipCredentialsCheck: true})
	if err != nil {
		t.Fatalf("Load without the check: %v", err)
	}
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.RetryMaxAttempts = 1 })
	_, err = cw.DescribeAlarms(context.Background(), &cloudwatch.DescribeAlarmsInput{})
	got := Classify(err)
	if e := asError(t, got); e.Kind != KindCredentials || got.Error() != NoCredentialsMessage {
		t.Errorf("Classify = %v (kind %v), want %q", got, e.Kind, NoCredentialsMessage)
	}
}

func TestClassifyPassesOthersThrough(t *testing.T) {
	if Classify(nil) != nil {
		t.Error("Classify(nil) != nil")
	}
	plain := errors.New("boom")
	if got := Classify(plain); got != plain {
		t.Errorf("Classify(plain) = %v", got)
	}
	if got := Classify(context.Canceled); got != context.Canceled {
		t.Errorf("Classify(Canceled) = %v", got)
	}
	already := &Error{Kind: KindRegion, Msg: "x"}
	if got := Classify(already); got != already {
		t.Errorf("Classify(*Error) = %v", got)
	}
}
