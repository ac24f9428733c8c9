package workshop

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// The chapter's last section, "Clean up resources", as steps.

// CheckInsightsDisabled is cleanup step 2: Container Insights is disabled
// on the cluster, or the cluster is gone. c is nil when no cluster was found.
func CheckInsightsDisabled(c *Cluster, region string) Result {
	if c == nil {
		return Result{Status: Pass, Detail: fmt.Sprintf("no cluster ARN contains %q any more", ClusterMatch)}
	}
	if !c.InsightsOn() {
		return Result{Status: Pass, Detail: fmt.Sprintf("containerInsights is %s on %s", orNotSet(c.Insights), c.Name)}
	}
	return Result{Status: Fail, Detail: fmt.Sprintf("containerInsights is still %s on %s", c.Insights, c.Name),
		Fix: []string{fmt.Sprintf("aws ecs update-cluster-settings --cluster %s --settings name=containerInsights,value=disabled --region %s", c.Name, region)}}
}

func orNotSet(v string) string {
	if v == "" {
		return "not set"
	}
	return v
}

// CheckCWAgentDeleted is cleanup step 3: no CWAgentECS-*-<region> stack is
// left (the chapter deletes it in the console).
func CheckCWAgentDeleted(ctx context.Context, api StacksAPI, region string) Result {
	var left []string
	p := cloudformation.NewDescribeStacksPaginator(api, &cloudformation.DescribeStacksInput{})
	for pages := 0; p.HasMorePages() && pages < maxListPages; pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return failure(err)
		}
		for _, s := range out.Stacks {
			name := aws.ToString(s.StackName)
			if strings.HasPrefix(name, "CWAgentECS-") && strings.HasSuffix(name, "-"+region) && s.StackStatus != "DELETE_COMPLETE" {
				left = append(left, name)
			}
		}
	}
	if len(left) == 0 {
		return Result{Status: Pass, Detail: "no CWAgentECS-*-" + region + " stack"}
	}
	var fix []string
	for _, n := range left {
		fix = append(fix, "aws cloudformation delete-stack --stack-name "+n)
	}
	return Result{Status: Fail, Detail: "left: " + strings.Join(left, ", "), Fix: fix}
}

// CheckStacksDeleted is cleanup step 4: the service stacks and the platform
// stack are gone.
func CheckStacksDeleted(ctx context.Context, api StacksAPI) Result {
	var left, fix []string
	for _, name := range append(append([]string(nil), ServiceStacks...), PlatformStackCDK, PlatformStackCFN) {
		st, err := stackStatus(ctx, api, name)
		if err != nil {
			return failure(err)
		}
		if st != "" {
			left = append(left, name+" "+st)
			fix = append(fix, destroyFix(name))
		}
	}
	if len(left) == 0 {
		return Result{Status: Pass, Detail: "no ecsworkshop-* or container-demo stack"}
	}
	return Result{Status: Fail, Detail: "left: " + strings.Join(left, ", "), Fix: fix}
}

// CheckLogGroupsDeleted is cleanup step 5: no log group whose name starts
// with one of the service stacks' names is left (the chapter's Python
// loop deletes them).
func CheckLogGroupsDeleted(ctx context.Context, api LogGroupsAPI) Result {
	var left []string
	for _, prefix := range ServiceStacks {
		p := cloudwatchlogs.NewDescribeLogGroupsPaginator(api, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(prefix)})
		for pages := 0; p.HasMorePages() && pages < maxListPages; pages++ {
			out, err := p.NextPage(ctx)
			if err != nil {
				return failure(err)
			}
			for _, g := range out.LogGroups {
				left = append(left, aws.ToString(g.LogGroupName))
			}
		}
	}
	if len(left) == 0 {
		return Result{Status: Pass, Detail: "no ecsworkshop-frontend*, ecsworkshop-nodejs* or ecsworkshop-crystal* log group"}
	}
	var fix []string
	for _, g := range left {
		fix = append(fix, "aws logs delete-log-group --log-group-name "+g)
	}
	shown := left
	if len(shown) > 5 {
		shown = append(shown[:5:5], fmt.Sprintf("and %d more", len(left)-5))
	}
	return Result{Status: Fail, Detail: fmt.Sprintf("%d left: %s", len(left), strings.Join(shown, ", ")), Fix: fix}
}
