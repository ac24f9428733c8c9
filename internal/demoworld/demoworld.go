// Package demoworld builds the world of the ECS workshop's chapter
// "CloudWatch Container Insights for ECS" on the local AWS endpoint
// (internal/awslocal), for `loadgen demo` and for tests.
//
// What the chapter's `cdk deploy` commands make (the stacks, the cluster and
// its three Fargate services, the services' log groups) is seeded directly,
// as the chapter's starting point (Seed, PutFrontend). What the participant
// does in the chapter (the service-linked roles, Container Insights, the
// SNS topic with its confirmed e-mail subscription, the CPU alarm) is done
// through the AWS SDK, over the same wire protocols the AWS CLI uses
// (Finish). The performance logs and metrics come from the demo site
// (internal/demoapp) once Container Insights is on.
package demoworld

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awsclients"
	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/verify"
)

// The chapter's names.
const (
	Cluster       = "container-demo"
	Service       = "ecsdemo-frontend"
	PlatformStack = "ecsworkshop-base"
	FrontendStack = "ecsworkshop-frontend"
	// FrontendURLKey and FrontendDNSKey are the CDK outputs of the frontend
	// stack (the suffix is CDK's logical-id hash).
	FrontendURLKey = "FrontendFargateLBServiceServiceURL55F424CF"
	FrontendDNSKey = "FrontendFargateLBServiceLoadBalancerDNSAFFB8F0B"
	// Topic is the SNS topic the alarm notifies, Email its subscriber.
	Topic = "ecsworkshop-cpu-alarm"
	Email = "participant@example.com"
)

// backends are the chapter's two other services and their stacks.
var backends = []struct{ service, stack string }{
	{"ecsdemo-nodejs", "ecsworkshop-nodejs"},
	{"ecsdemo-crystal", "ecsworkshop-crystal"},
}

// Seed makes the chapter's starting point on srv: the platform stack and
// the cluster (Container Insights disabled), the three Fargate services,
// the nodejs and crystal stacks, and a log group per service as CDK's
// awslogs driver makes them. The frontend stack comes with PutFrontend,
// once the site's URL is known.
func Seed(srv *awslocal.Server) error {
	services := []awslocal.Service{{Name: Service, DesiredCount: 1}}
	for _, b := range backends {
		services = append(services, awslocal.Service{Name: b.service, DesiredCount: 1})
	}
	if _, err := srv.PutCluster(awslocal.Cluster{Name: Cluster, ContainerInsights: "disabled", Services: services}); err != nil {
		return fmt.Errorf("seed cluster: %w", err)
	}
	srv.PutStack(PlatformStack,
		awslocal.Output{Key: "ECSClusterName", Value: Cluster, ExportName: "ECSClusterName"},
		awslocal.Output{Key: "NSName", Value: "service.local", ExportName: "NSNAME"})
	for _, b := range backends {
		srv.PutStack(b.stack)
	}
	for _, st := range append([]string{FrontendStack}, backends[0].stack, backends[1].stack) {
		if err := srv.CreateLogGroup(st + "-TaskDefLogGroup-demo"); err != nil {
			return fmt.Errorf("seed log group: %w", err)
		}
	}
	return nil
}

// PutFrontend seeds the frontend stack with the site's URL in its outputs,
// as the load balancer's.
func PutFrontend(srv *awslocal.Server, siteURL, host string) {
	srv.PutStack(FrontendStack,
		awslocal.Output{Key: FrontendURLKey, Value: strings.TrimSuffix(siteURL, "/"), Description: "the load balancer's URL"},
		awslocal.Output{Key: FrontendDNSKey, Value: host})
}

// Finished is what Finish made.
type Finished struct {
	TopicARN string
	Alarm    string
}

// Finish does the participant's steps through the SDK against the endpoint
// of cfg: the service-linked roles, Container Insights on the cluster, the
// SNS topic with a confirmed e-mail subscription, and the workshop's CPU
// alarm (metric math over Container Insights, > 50) with period seconds,
// notifying the topic.
func Finish(ctx context.Context, srv *awslocal.Server, cfg aws.Config, endpoint string, period int32) (Finished, error) {
	iamc := awsclients.NewIAM(cfg, endpoint)
	for _, svc := range []string{"elasticloadbalancing.amazonaws.com", "ecs.amazonaws.com"} {
		if _, err := iamc.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(svc)}); err != nil {
			return Finished{}, fmt.Errorf("create the service-linked role of %s: %w", svc, err)
		}
	}
	_, err := awsclients.NewECS(cfg, endpoint).UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{
		Cluster:  aws.String(Cluster),
		Settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}},
	})
	if err != nil {
		return Finished{}, fmt.Errorf("enable Container Insights: %w", err)
	}
	topic, err := subscribe(ctx, srv, awsclients.NewSNS(cfg, endpoint))
	if err != nil {
		return Finished{}, err
	}
	alarm, err := verify.CreateAlarm(ctx, awscfg.NewCloudWatch(cfg, endpoint), verify.AlarmSpec{
		Cluster: Cluster, Service: Service, Threshold: 50, Period: period, ActionARN: topic,
	})
	if err != nil {
		return Finished{}, fmt.Errorf("create the alarm: %w", err)
	}
	return Finished{TopicARN: topic, Alarm: aws.ToString(alarm.AlarmName)}, nil
}

// subscribe creates the topic, subscribes the e-mail address and confirms
// the subscription with the token of the e-mail SNS would have sent.
func subscribe(ctx context.Context, srv *awslocal.Server, api *sns.Client) (string, error) {
	t, err := api.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String(Topic)})
	if err != nil {
		return "", fmt.Errorf("create the SNS topic: %w", err)
	}
	topic := aws.ToString(t.TopicArn)
	sub, err := api.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(topic), Protocol: aws.String("email"),
		Endpoint: aws.String(Email), ReturnSubscriptionArn: true})
	if err != nil {
		return "", fmt.Errorf("subscribe %s: %w", Email, err)
	}
	// The token is in the confirmation e-mail SNS sends; locally, awslocal
	// hands it over.
	token, ok := srv.SubscriptionToken(aws.ToString(sub.SubscriptionArn))
	if !ok {
		return "", fmt.Errorf("confirm %s: no pending subscription %s", Email, aws.ToString(sub.SubscriptionArn))
	}
	if _, err := api.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(topic), Token: aws.String(token)}); err != nil {
		return "", fmt.Errorf("confirm %s: %w", Email, err)
	}
	return topic, nil
}
