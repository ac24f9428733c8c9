package awscfg

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// NewSTS returns an STS client for cfg. As with NewCloudWatch, a non-empty
// endpointURL (the --endpoint-url flag) wins over every environment
// variable; otherwise the SDK applies AWS_ENDPOINT_URL_<SERVICE> and
// AWS_ENDPOINT_URL. (STS comes with the SDK's credential chain anyway; the
// clients of ECS, IAM, CloudWatch Logs and SNS live in internal/awsclients,
// so that verify and stackurl do not link them.)
func NewSTS(cfg aws.Config, endpointURL string) *sts.Client {
	return sts.NewFromConfig(cfg, func(o *sts.Options) { SetEndpoint(&o.BaseEndpoint, endpointURL) })
}

// SetEndpoint sets a client's BaseEndpoint to endpointURL when it is not
// empty (the --endpoint-url flag).
func SetEndpoint(base **string, endpointURL string) {
	if endpointURL != "" {
		*base = aws.String(endpointURL)
	}
}
