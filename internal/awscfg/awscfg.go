// Package awscfg loads the AWS SDK configuration the way the AWS CLI does
// (default credential chain, AWS_REGION/AWS_PROFILE, AWS_ENDPOINT_URL and the
// per-service AWS_ENDPOINT_URL_<SERVICE> variables, plus an --endpoint-url
// override) and turns the SDK's errors into one clear sentence each.
package awscfg

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
)

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
}

// Load returns the SDK configuration from the default chain, with the
// region, profile and endpoint of o applied. It fails with an error wrapping
// ErrSetup when no region is configured, the profile does not exist, or no
// credentials can be retrieved within o.CredentialsTimeout.
func Load(ctx context.Context, o Options) (aws.Config, error) {
	var loadOpts []func(*config.LoadOptions) error
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
