package workshop

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/loadgen/loadgen/internal/awslocal"
)

func TestCredentials(t *testing.T) {
	f := newFixture(t)
	f.srv.SetCallerIdentity(awslocal.CallerIdentity{Account: "123456789012", ARN: "arn:aws:iam::123456789012:user/participant"})
	r := f.step(t, "credentials", Options{})
	wantStatus(t, r, Pass, "account 123456789012", "arn:aws:iam::123456789012:user/participant", "region "+region)

	// No region: nothing can be checked.
	_, r = CheckCredentials(context.Background(), f.clients.STS, "")
	wantStatus(t, r, Fail, "no AWS region")
	wantFix(t, r, "export AWS_REGION=")
}

// TestRejectedCredentialsStopTheCheck: when STS rejects the credentials,
// the report holds the credentials step alone with the setup error.
func TestRejectedCredentialsStopTheCheck(t *testing.T) {
	f := newFixture(t)
	f.srv.InjectError("GetCallerIdentity", "InvalidClientTokenId", 5)
	rep := f.checker(Options{}).Run(context.Background(), "chapter", Steps())
	if rep.SetupError == "" || rep.Passed || len(rep.Steps) != 1 {
		t.Fatalf("report: setup %q passed %v steps %+v", rep.SetupError, rep.Passed, rep.Steps)
	}
	wantStatus(t, rep.Steps[0], Fail, "AWS rejected the credentials", "InvalidClientTokenId")
	wantFix(t, rep.Steps[0], "aws configure")
	if f.srv.Calls("ListClusters") != 0 || f.srv.Calls("GetRole") != 0 {
		t.Errorf("steps after rejected credentials still ran")
	}
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Nothing else can be checked") {
		t.Errorf("text:\n%s", b.String())
	}
}

func TestRoles(t *testing.T) {
	f := newFixture(t)
	r := f.step(t, "roles", Options{})
	wantStatus(t, r, Fail, RoleELB, RoleECS)
	wantFix(t, r, "aws iam create-service-linked-role --aws-service-name elasticloadbalancing.amazonaws.com")
	wantFix(t, r, "aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com")

	// The chapter's own fix, through IAM.
	for _, svc := range []string{"elasticloadbalancing.amazonaws.com", "ecs.amazonaws.com"} {
		if _, err := f.clients.IAM.(*iam.Client).CreateServiceLinkedRole(context.Background(), &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String(svc)}); err != nil {
			t.Fatal(err)
		}
	}
	wantStatus(t, f.step(t, "roles", Options{}), Pass, RoleELB, RoleECS)

	f.srv.InjectError("GetRole", "AccessDenied", 1)
	r = f.step(t, "roles", Options{})
	wantStatus(t, r, Fail, "denied", "IAM GetRole")
	wantFix(t, r, "grant iam:GetRole")
}

// putStacks seeds the workshop's stacks; the frontend has its URL outputs.
func putStacks(srv *awslocal.Server, platform string) {
	srv.PutStack(platform, awslocal.Output{Key: "ECSClusterName", Value: "container-demo"})
	srv.PutStack(FrontendStack,
		awslocal.Output{Key: "FrontendFargateLBServiceServiceURL55F424CF", Value: "http://frontend.example"},
		awslocal.Output{Key: "FrontendFargateLBServiceLoadBalancerDNSAFFB8F0B", Value: "frontend.example"})
	srv.PutStack(NodejsStack)
	srv.PutStack(CrystalStack)
}

func TestStacks(t *testing.T) {
	f := newFixture(t)
	r := f.step(t, "stacks", Options{})
	wantStatus(t, r, Fail, "no platform stack", "ecsworkshop-frontend does not exist", "ecsworkshop-crystal does not exist")
	wantFix(t, r, "cd ~/environment/ecsdemo-platform/cdk && pip install -r requirements.txt && cdk context --clear && cdk deploy --require-approval never")
	wantFix(t, r, "cd ~/environment/ecsdemo-nodejs/cdk")

	putStacks(f.srv, PlatformStackCDK)
	wantStatus(t, f.step(t, "stacks", Options{}), Pass, "ecsworkshop-base CREATE_COMPLETE", "ecsworkshop-crystal CREATE_COMPLETE",
		"URL http://frontend.example/ (ecsworkshop-frontend output FrontendFargateLBServiceServiceURL55F424CF)")

	// The URL must resolve too: a frontend without outputs fails.
	f.srv.PutStack(FrontendStack)
	r = f.step(t, "stacks", Options{})
	wantStatus(t, r, Fail, "no URL found", "FrontendFargateLBServiceServiceURL")

	// The CloudFormation path's platform stack counts as well.
	g := newFixture(t)
	putStacks(g.srv, PlatformStackCFN)
	wantStatus(t, g.step(t, "stacks", Options{}), Pass, "container-demo CREATE_COMPLETE")

	g.srv.InjectError("DescribeStacks", "Throttling", 10)
	r = g.step(t, "stacks", Options{})
	wantStatus(t, r, Fail, "throttled")
	wantFix(t, r, "wait a minute")
}

func TestCluster(t *testing.T) {
	f := newFixture(t)
	f.srv.PutCluster(awslocal.Cluster{Name: "default"})
	r := f.step(t, "cluster", Options{})
	wantStatus(t, r, Fail, `no cluster ARN contains "container-demo"`, "1 clusters")
	wantFix(t, r, "ecsdemo-platform")

	mustCluster(t, f.srv, awslocal.Cluster{Name: "container-demo"})
	wantStatus(t, f.step(t, "cluster", Options{}), Pass, "container-demo (arn:aws:ecs:us-west-2:")

	// Two matches: the chapter's clustername=$(...) would get two names.
	mustCluster(t, f.srv, awslocal.Cluster{Name: "container-demo-ECSCluster-1E4H2VVHM9D2R"})
	r = f.step(t, "cluster", Options{})
	wantStatus(t, r, Fail, "2 cluster ARNs contain", "container-demo-ECSCluster-1E4H2VVHM9D2R")
	wantFix(t, r, "loadgen check --cluster NAME")
	wantStatus(t, f.step(t, "cluster", Options{Cluster: "container-demo-ECSCluster-1E4H2VVHM9D2R"}), Pass, "container-demo-ECSCluster-1E4H2VVHM9D2R")
	wantStatus(t, f.step(t, "cluster", Options{Cluster: "nope"}), Fail, "cluster nope: missing")
}

func mustCluster(t *testing.T, srv *awslocal.Server, c awslocal.Cluster) {
	t.Helper()
	if _, err := srv.PutCluster(c); err != nil {
		t.Fatal(err)
	}
}

func TestInsights(t *testing.T) {
	f := newFixture(t)
	// Without the cluster, the step is blocked by step 4 and says so.
	r := f.step(t, "insights", Options{})
	wantStatus(t, r, Fail, "not checked without the cluster (see step 4)")
	if r.BlockedBy != "cluster" {
		t.Errorf("blocked by %q", r.BlockedBy)
	}

	mustCluster(t, f.srv, awslocal.Cluster{Name: "container-demo", ContainerInsights: "disabled"})
	r = f.step(t, "insights", Options{})
	wantStatus(t, r, Fail, "containerInsights is disabled on container-demo")
	if len(r.Fix) != 1 || r.Fix[0] != "aws ecs update-cluster-settings --cluster container-demo --settings name=containerInsights,value=enabled --region us-west-2" {
		t.Errorf("fix %q", r.Fix)
	}

	// The fix, as the participant types it (through the ECS API).
	_, err := f.clients.ECS.(*ecs.Client).UpdateClusterSettings(context.Background(), &ecs.UpdateClusterSettingsInput{
		Cluster:  aws.String("container-demo"),
		Settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.step(t, "insights", Options{}), Pass, "containerInsights is enabled on container-demo")
	if err := f.srv.SetContainerInsights("container-demo", "enhanced"); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.step(t, "insights", Options{}), Pass, "enhanced")
}

func TestCWAgent(t *testing.T) {
	f := newFixture(t)
	mustCluster(t, f.srv, awslocal.Cluster{Name: "container-demo", ContainerInsights: "enabled"})
	r := f.step(t, "cwagent", Options{})
	wantStatus(t, r, NotApplicable, "no EC2 container instances (Fargate only)", "CWAgentECS-container-demo-us-west-2")

	mustCluster(t, f.srv, awslocal.Cluster{Name: "container-demo", ContainerInsights: "enabled", ContainerInstances: 2})
	r = f.step(t, "cwagent", Options{})
	wantStatus(t, r, Fail, "2 EC2 container instances and no stack CWAgentECS-container-demo-us-west-2")
	wantFix(t, r, "aws cloudformation create-stack --stack-name CWAgentECS-container-demo-us-west-2 --template-body")
	wantFix(t, r, "ParameterKey=ClusterName,ParameterValue=container-demo")

	f.srv.PutStack("CWAgentECS-container-demo-us-west-2")
	wantStatus(t, f.step(t, "cwagent", Options{}), Pass, "CWAgentECS-container-demo-us-west-2 is CREATE_COMPLETE (2 EC2 container instances)")

	f.srv.InjectError("ListContainerInstances", "AccessDeniedException", 1)
	r = f.step(t, "cwagent", Options{})
	wantStatus(t, r, Fail, "denied")
	wantFix(t, r, "grant ecs:ListContainerInstances")
}
