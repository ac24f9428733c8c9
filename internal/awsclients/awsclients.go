// Package awsclients builds the clients of the AWS services that only
// `loadgen check`, `loadgen fleet` and the demo read: ECS, IAM, CloudWatch
// Logs and SNS.
//
// Why a package of its own: each of these SDK clients links a few hundred
// KB of code and allocates up to 1 MB in its package initialisers (its
// serialisation schemas), whether or not it is called. Kept out of
// internal/awscfg, they stay out of verify, stackurl and every Go program
// that imports them.
package awsclients

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/loadgen/loadgen/internal/awscfg"
)

// As with awscfg.NewCloudWatch, a non-empty endpointURL (the --endpoint-url
// flag) wins over every environment variable; otherwise the SDK applies
// AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL.

// NewECS returns an ECS client for cfg.
func NewECS(cfg aws.Config, endpointURL string) *ecs.Client {
	return ecs.NewFromConfig(cfg, func(o *ecs.Options) { awscfg.SetEndpoint(&o.BaseEndpoint, endpointURL) })
}

// NewLogs returns a CloudWatch Logs client for cfg.
func NewLogs(cfg aws.Config, endpointURL string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { awscfg.SetEndpoint(&o.BaseEndpoint, endpointURL) })
}

// NewSNS returns an SNS client for cfg.
func NewSNS(cfg aws.Config, endpointURL string) *sns.Client {
	return sns.NewFromConfig(cfg, func(o *sns.Options) { awscfg.SetEndpoint(&o.BaseEndpoint, endpointURL) })
}

// NewIAM returns an IAM client for cfg.
func NewIAM(cfg aws.Config, endpointURL string) *iam.Client {
	return iam.NewFromConfig(cfg, func(o *iam.Options) { awscfg.SetEndpoint(&o.BaseEndpoint, endpointURL) })
}
