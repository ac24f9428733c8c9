package awscfg

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// The clients of the services `loadgen check` reads besides CloudWatch and
// CloudFormation. As with NewCloudWatch, a non-empty endpointURL (the
// --endpoint-url flag) wins over every environment variable; otherwise the
// SDK applies AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL.

// NewECS returns an ECS client for cfg.
func NewECS(cfg aws.Config, endpointURL string) *ecs.Client {
	return ecs.NewFromConfig(cfg, func(o *ecs.Options) { setEndpoint(&o.BaseEndpoint, endpointURL) })
}

// NewLogs returns a CloudWatch Logs client for cfg.
func NewLogs(cfg aws.Config, endpointURL string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { setEndpoint(&o.BaseEndpoint, endpointURL) })
}

// NewSNS returns an SNS client for cfg.
func NewSNS(cfg aws.Config, endpointURL string) *sns.Client {
	return sns.NewFromConfig(cfg, func(o *sns.Options) { setEndpoint(&o.BaseEndpoint, endpointURL) })
}

// NewIAM returns an IAM client for cfg.
func NewIAM(cfg aws.Config, endpointURL string) *iam.Client {
	return iam.NewFromConfig(cfg, func(o *iam.Options) { setEndpoint(&o.BaseEndpoint, endpointURL) })
}

// NewSTS returns an STS client for cfg.
func NewSTS(cfg aws.Config, endpointURL string) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) { setEndpoint(&o.BaseEndpoint, endpointURL) })
}

func setEndpoint(base **string, endpointURL string) {
	if endpointURL != "" {
		*base = aws.String(endpointURL)
	}
}
