// Package awscfg loads the AWS SDK configuration the way the AWS CLI does
// (default credential chain, AWS_REGION/AWS_PROFILE, AWS_ENDPOINT_URL and the
// per-service AWS_ENDPOINT_URL_<SERVICE> variables, plus an --endpoint-url
// override) and turns the SDK's errors into one clear sentence each.
package awscfg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/smithy-go/logging"

	"github.com/loadgen/loadgen/internal/awsdefaults"
)

// DefaultTimeout is Options.Timeout's default: a silent endpoint is an
// error after about this long, never a hang.
const DefaultTimeout = awsdefaults.Timeout

// maxConnectTimeout bounds connecting to an endpoint (TCP and TLS).
const maxConnectTimeout = 5 * time.Second

// DefaultCredentialsTimeout bounds the credentials check in Load. It is long
// enough for the EC2 instance metadata service on an instance (a few
// milliseconds there) and short enough not to stall a laptop without one.
const DefaultCredentialsTimeout = 5 * time.Second

// Options selects the region, profile and endpoint. Empty fields leave the
// SDK's defaults (environment, shared config files) in charge.
type Options struct {
	// Region overrides AWS_REGION / the profile's region.
	Region string
	// Profile overrides AWS_PROFILE.
	Profile string
	// EndpointURL, like the AWS CLI's --endpoint-url, sends every service to
	// this base URL. It wins over AWS_ENDPOINT_URL and, through NewCloudWatch
	// and NewCloudFormation, over AWS_ENDPOINT_URL_<SERVICE> as well.
	EndpointURL string
	// CredentialsTimeout bounds the credentials check; 0 means
	// DefaultCredentialsTimeout.
	CredentialsTimeout time.Duration
	// SkipCredentialsCheck leaves the credentials unchecked until the first
	// request.
	SkipCredentialsCheck bool
	// Timeout bounds every AWS call: each attempt may take a third of it
	// (connecting at most 5 s of that), so that the SDK's three attempts
	// fit in about Timeout; Within bounds a whole step with it. 0 means
	// DefaultTimeout.
	Timeout time.Duration
	// Log receives the SDK's log messages, such as its warning that it fell
	// back to IMDSv1; nil discards them.
	Log io.Writer
}

// timeout is o.Timeout or its default.
func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return DefaultTimeout
}

// httpClient is the SDK's client with a bound on connecting and on each
// attempt, so that an endpoint that accepts and never answers cannot hang
// a call. It stays a BuildableClient, so the IMDS client still applies
// its own shorter timeouts.
func (o Options) httpClient() *awshttp.BuildableClient {
	attempt := o.timeout() / 3
	connect := min(maxConnectTimeout, attempt)
	return awshttp.NewBuildableClient().
		WithTimeout(attempt).
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = connect }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = connect
			t.ResponseHeaderTimeout = attempt
		})
}

func (o Options) logger() logging.Logger {
	if o.Log == nil {
		return logging.Nop{}
	}
	return logging.NewStandardLogger(o.Log)
}

// Load returns the SDK configuration from the default chain, with the
// region, profile and endpoint of o applied. It fails with an error wrapping
// ErrSetup when no region is configured, the profile does not exist, or no
// credentials can be retrieved within o.CredentialsTimeout.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	loadOpts := []func(*config.LoadOptions) error{config.WithHTTPClient(o.httpClient()), config.WithLogger(o.logger())}
	if o.Region != "" {
		loadOpts = append(loadOpts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loadOpts = append(loadOpts, config.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		var noProfile config.SharedConfigProfileNotExistError
		if errors.As(err, &noProfile) {
			return aws.Config{}, &Error{Kind: KindProfile, Err: err,
				Msg: fmt.Sprintf("AWS profile %q not found: check AWS_PROFILE/--profile against ~/.aws/config and ~/.aws/credentials", noProfile.Profile)}
		}
		return aws.Config{}, &Error{Kind: KindConfig, Err: err,
			Msg: fmt.Sprintf("could not load the AWS configuration: %v", err)}
	}
	if cfg.Region == "" {
		return aws.Config{}, &Error{Kind: KindRegion, Err: &aws.MissingRegionError{},
			Msg: "no AWS region set: set AWS_REGION (or AWS_DEFAULT_REGION), pass --region, or set region in the profile with aws configure"}
	}
	if o.EndpointURL != "" {
		cfg.BaseEndpoint = aws.String(o.EndpointURL)
	}
	if o.SkipCredentialsCheck {
		return cfg, nil
	}
	if err := CheckCredentials(ctx, cfg, o.CredentialsTimeout); err != nil {
		return aws.Config{}, err
	}
	return cfg, nil
}

// CheckCredentials retrieves the credentials of cfg once, giving up after
// timeout (0 means DefaultCredentialsTimeout), and reports a failure as an
// error wrapping ErrSetup.
func CheckCredentials(ctx context.Context, cfg aws.Config, timeout time.Duration) error {
	if cfg.Credentials == nil {
		return noCredentials(errors.New("no credentials provider configured"))
	}
	if timeout <= 0 {
		timeout = DefaultCredentialsTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		if missingCredentials(err) || ctx.Err() != nil {
			return noCredentials(err)
		}
		return &Error{Kind: KindCredentials, Err: err,
			Msg: fmt.Sprintf("could not get AWS credentials: %v", err)}
	}
	if !creds.HasKeys() {
		return noCredentials(errors.New("empty credentials"))
	}
	return nil
}

// Within runs step, a start-up step made of AWS calls (finding the
// stack's URL, the alarm), with at most timeout for all of it (0 means
// DefaultTimeout). When that time passes first, the error is an *Error of
// KindUnreachable that names where the calls went (see Where). When ctx
// itself ends (Ctrl+C), its error comes back as it is, so that the caller
// can tell an interruption from a failure.
func Within(ctx context.Context, timeout time.Duration, where string, step func(context.Context) error) error {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := step(sctx)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case sctx.Err() != nil || isTimeout(err):
		// The step's bound passed, or the calls' own per-attempt bounds did.
		return &Error{Kind: KindUnreachable, Err: err,
			Msg: fmt.Sprintf("no answer from %s within %v: check the network, --endpoint-url and AWS_ENDPOINT_URL", where, timeout)}
	}
	return err
}

// isTimeout reports whether err is a call that timed out.
func isTimeout(err error) bool {
	var te interface{ Timeout() bool }
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &te) && te.Timeout())
}

// Where names a service's endpoint for messages: "CloudWatch at
// http://127.0.0.1:4566", or "CloudWatch in us-east-1" for AWS's own.
func Where(service string, baseEndpoint *string, region string) string {
	if baseEndpoint != nil && *baseEndpoint != "" {
		return service + " at " + *baseEndpoint
	}
	return service + " in " + region
}

// NewCloudWatch returns a CloudWatch client for cfg. A non-empty endpointURL
// (the --endpoint-url flag) wins over every environment variable.
func NewCloudWatch(cfg aws.Config, endpointURL string) *cloudwatch.Client {
	return cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) {
		if endpointURL != "" {
			o.BaseEndpoint = aws.String(endpointURL)
		}
	})
}

// NewCloudFormation returns a CloudFormation client for cfg. A non-empty
// endpointURL (the --endpoint-url flag) wins over every environment variable.
func NewCloudFormation(cfg aws.Config, endpointURL string) *cloudformation.Client {
	return cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) {
		if endpointURL != "" {
			o.BaseEndpoint = aws.String(endpointURL)
		}
	})
}
