package workshop

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Cluster is the workshop's ECS cluster, as DescribeClusters returns it.
type Cluster struct {
	Name   string `json:"name"`
	ARN    string `json:"arn"`
	Status string `json:"status"`
	// Insights is the value of the containerInsights setting ("" when the
	// cluster has none).
	Insights           string `json:"container_insights"`
	ContainerInstances int32  `json:"registered_container_instances"`
	RunningTasks       int32  `json:"running_tasks"`
	ActiveServices     int32  `json:"active_services"`
}

// InsightsOn reports whether Container Insights is enabled (or enhanced).
func (c Cluster) InsightsOn() bool { return c.Insights == "enabled" || c.Insights == "enhanced" }

// maxListPages bounds every paginated scan of the check.
const maxListPages = 50

// FindCluster is step 4: the cluster whose ARN contains container-demo in
// ListClusters (the chapter's `select(contains("container-demo"))`), or
// the cluster named name when it is not empty, and its name and settings
// from DescribeClusters.
func FindCluster(ctx context.Context, api ClustersAPI, name string) (Cluster, Result) {
	c, r, _ := findCluster(ctx, api, name)
	return c, r
}

// findCluster is FindCluster, also reporting whether the failure is that
// no such cluster exists.
func findCluster(ctx context.Context, api ClustersAPI, name string) (c Cluster, r Result, missing bool) {
	deploy := []string{deployFix(PlatformStackCDK)}
	id := name
	if id == "" {
		var matches []string
		total := 0
		p := ecs.NewListClustersPaginator(api, &ecs.ListClustersInput{})
		for pages := 0; p.HasMorePages() && pages < maxListPages; pages++ {
			out, err := p.NextPage(ctx)
			if err != nil {
				return Cluster{}, failure(err), false
			}
			total += len(out.ClusterArns)
			for _, arn := range out.ClusterArns {
				if strings.Contains(arn, ClusterMatch) {
					matches = append(matches, arn)
				}
			}
		}
		switch len(matches) {
		case 0:
			return Cluster{}, Result{Status: Fail, Fix: deploy,
				Detail: fmt.Sprintf("no cluster ARN contains %q (%d clusters in this account and region)", ClusterMatch, total)}, true
		case 1:
			id = matches[0]
		default:
			return Cluster{}, Result{Status: Fail, Fix: []string{"loadgen check --cluster NAME   # pick one"},
				Detail: fmt.Sprintf("%d cluster ARNs contain %q, so the chapter's clustername=$(...) gets several names: %s", len(matches), ClusterMatch, strings.Join(matches, ", "))}, false
		}
	}
	out, err := api.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{id}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldSettings}})
	if err != nil {
		return Cluster{}, failure(err), false
	}
	if len(out.Clusters) == 0 {
		why := "not found"
		if len(out.Failures) > 0 {
			why = strings.ToLower(aws.ToString(out.Failures[0].Reason))
		}
		return Cluster{}, Result{Status: Fail, Fix: deploy, Detail: fmt.Sprintf("cluster %s: %s", id, why)}, true
	}
	c = clusterOf(out.Clusters[0])
	if c.Status != "ACTIVE" {
		return c, Result{Status: Fail, Fix: deploy, Detail: fmt.Sprintf("cluster %s is %s", c.Name, c.Status)}, c.Status == "INACTIVE"
	}
	return c, Result{Status: Pass, Detail: fmt.Sprintf("%s (%s): %d services, %d running tasks",
		c.Name, c.ARN, c.ActiveServices, c.RunningTasks)}, false
}

func clusterOf(cl ecstypes.Cluster) Cluster {
	c := Cluster{
		Name: aws.ToString(cl.ClusterName), ARN: aws.ToString(cl.ClusterArn), Status: aws.ToString(cl.Status),
		ContainerInstances: cl.RegisteredContainerInstancesCount, RunningTasks: cl.RunningTasksCount,
		ActiveServices: cl.ActiveServicesCount,
	}
	for _, s := range cl.Settings {
		if s.Name == ecstypes.ClusterSettingNameContainerInsights {
			c.Insights = aws.ToString(s.Value)
		}
	}
	return c
}

// enableInsightsFix is the chapter's command that turns Container Insights on.
func enableInsightsFix(cluster, region string) string {
	return fmt.Sprintf("aws ecs update-cluster-settings --cluster %s --settings name=containerInsights,value=enabled --region %s", cluster, region)
}

// CheckInsights is step 5: the cluster's containerInsights setting is
// enabled or enhanced.
func CheckInsights(c Cluster, region string) Result {
	if c.InsightsOn() {
		return Result{Status: Pass, Detail: fmt.Sprintf("containerInsights is %s on %s", c.Insights, c.Name)}
	}
	v := c.Insights
	if v == "" {
		v = "not set"
	}
	return Result{Status: Fail, Detail: fmt.Sprintf("containerInsights is %s on %s", v, c.Name),
		Fix: []string{enableInsightsFix(c.Name, region)}}
}

// cwAgentFix is the chapter's command that installs instance-level insights.
func cwAgentFix(cluster, region string) string {
	return fmt.Sprintf(`aws cloudformation create-stack --stack-name %s --template-body "$(curl -Ls https://raw.githubusercontent.com/aws-samples/amazon-cloudwatch-container-insights/latest/ecs-task-definition-templates/deployment-mode/daemon-service/cwagent-ecs-instance-metric/cloudformation-quickstart/cwagent-ecs-instance-metric-cfn.json)" --parameters ParameterKey=ClusterName,ParameterValue=%s ParameterKey=CreateIAMRoles,ParameterValue=True --capabilities CAPABILITY_NAMED_IAM --region %s`,
		CWAgentStack(cluster, region), cluster, region)
}

// CheckCWAgent is step 6: where the cluster has EC2 container instances,
// the CWAgentECS-<cluster>-<region> stack is deployed; on a Fargate-only
// cluster the step does not apply.
func CheckCWAgent(ctx context.Context, ecsAPI ContainerInstancesAPI, cfn StacksAPI, c Cluster, region string) Result {
	n := 0
	p := ecs.NewListContainerInstancesPaginator(ecsAPI, &ecs.ListContainerInstancesInput{Cluster: aws.String(c.ARN)})
	for pages := 0; p.HasMorePages() && pages < maxListPages; pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return failure(err)
		}
		n += len(out.ContainerInstanceArns)
	}
	name := CWAgentStack(c.Name, region)
	if n == 0 {
		return Result{Status: NotApplicable, Detail: fmt.Sprintf(
			"%s has no EC2 container instances (Fargate only): the CloudWatch agent of %s collects instance-level metrics from EC2 instances, so there is nothing to install", c.Name, name)}
	}
	st, err := stackStatus(ctx, cfn, name)
	if err != nil {
		return failure(err)
	}
	if st == "" {
		return Result{Status: Fail, Detail: fmt.Sprintf("%s has %d EC2 container instances and no stack %s", c.Name, n, name),
			Fix: []string{cwAgentFix(c.Name, region)}}
	}
	if p, fix := stackProblem(name, st); p != "" {
		if st == "ROLLBACK_COMPLETE" || !strings.HasSuffix(st, "_IN_PROGRESS") {
			fix = []string{"aws cloudformation delete-stack --stack-name " + name, cwAgentFix(c.Name, region)}
		}
		return Result{Status: Fail, Detail: p, Fix: fix}
	}
	return Result{Status: Pass, Detail: fmt.Sprintf("%s is %s (%d EC2 container instances)", name, st, n)}
}
