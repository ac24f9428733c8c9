package workshop

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

func cleanupStep(t *testing.T, f *fixture, name string) Result {
	t.Helper()
	steps, err := SelectSteps(CleanupSteps(), []string{name})
	if err != nil {
		t.Fatal(err)
	}
	return f.checker(Options{}).Run(context.Background(), "cleanup", steps).Steps[0]
}

// TestCleanup walks the chapter's last section: each step fails with the
// chapter's command until it is done through the API.
func TestCleanup(t *testing.T) {
	f := newFixture(t)
	f.world(t, true)
	f.srv.PutStack("CWAgentECS-container-demo-" + region)
	ctx := context.Background()

	r := cleanupStep(t, f, "insights-disabled")
	wantStatus(t, r, Fail, "containerInsights is still enabled on container-demo")
	wantFix(t, r, "aws ecs update-cluster-settings --cluster container-demo --settings name=containerInsights,value=disabled --region us-west-2")
	_, err := f.clients.ECS.(*ecs.Client).UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{Cluster: aws.String("container-demo"),
		Settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("disabled")}}})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, cleanupStep(t, f, "insights-disabled"), Pass, "containerInsights is disabled on container-demo")

	cfn := f.clients.CloudFormation.(*cloudformation.Client)
	r = cleanupStep(t, f, "cwagent-deleted")
	wantStatus(t, r, Fail, "left: CWAgentECS-container-demo-us-west-2")
	wantFix(t, r, "aws cloudformation delete-stack --stack-name CWAgentECS-container-demo-us-west-2")
	if _, err := cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String("CWAgentECS-container-demo-" + region)}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, cleanupStep(t, f, "cwagent-deleted"), Pass)

	r = cleanupStep(t, f, "stacks-deleted")
	wantStatus(t, r, Fail, "ecsworkshop-frontend CREATE_COMPLETE", "ecsworkshop-base CREATE_COMPLETE")
	wantFix(t, r, "cd ~/environment/ecsdemo-frontend/cdk && cdk destroy -f")
	wantFix(t, r, "cd ~/environment/ecsdemo-platform/cdk && cdk destroy -f")
	for _, st := range []string{FrontendStack, NodejsStack, CrystalStack, PlatformStackCDK} {
		if _, err := cfn.DeleteStack(ctx, &cloudformation.DeleteStackInput{StackName: aws.String(st)}); err != nil {
			t.Fatal(err)
		}
	}
	wantStatus(t, cleanupStep(t, f, "stacks-deleted"), Pass)

	// The platform stack takes the cluster with it.
	f.srv.DeleteCluster("container-demo")
	wantStatus(t, cleanupStep(t, f, "insights-disabled"), Pass, "no cluster ARN contains")

	r = cleanupStep(t, f, "log-groups-deleted")
	wantStatus(t, r, Fail, "3 left: ecsworkshop-frontend-")
	logs := f.clients.Logs.(*cloudwatchlogs.Client)
	for _, g := range r.Fix {
		name := g[len("aws logs delete-log-group --log-group-name "):]
		if _, err := logs.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
	wantStatus(t, cleanupStep(t, f, "log-groups-deleted"), Pass)

	rep := f.checker(Options{}).Run(ctx, "cleanup", CleanupSteps())
	if !rep.Passed || len(rep.Steps) != 5 {
		t.Fatalf("cleanup after the chapter's last section: %+v", rep.Steps)
	}
}
