package workshop

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/loadgen/loadgen/stackurl"
)

// Identity is who the credentials are, and where the check looks.
type Identity struct {
	Account string `json:"account"`
	ARN     string `json:"arn"`
	Region  string `json:"region"`
}

// CheckCredentials is step 1: STS GetCallerIdentity answers, and a region
// is set.
func CheckCredentials(ctx context.Context, api STSAPI, region string) (Identity, Result) {
	id := Identity{Region: region}
	if region == "" {
		return id, Result{Status: Fail, Detail: "no AWS region set",
			Fix: []string{"export AWS_REGION=us-west-2   # the workshop's region"}}
	}
	out, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		r := failure(err, "aws configure")
		if isSetup(err) {
			r.Fix = []string{"aws configure   # or export AWS_PROFILE=NAME; in Cloud9, the workshop's IAM role"}
		}
		return id, r
	}
	id.Account, id.ARN = aws.ToString(out.Account), aws.ToString(out.Arn)
	return id, Result{Status: Pass, Detail: fmt.Sprintf("account %s as %s, region %s", id.Account, id.ARN, region)}
}

// serviceLinkedRoles are the chapter's roles and the services they are for.
var serviceLinkedRoles = []struct{ role, service string }{
	{RoleELB, "elasticloadbalancing.amazonaws.com"},
	{RoleECS, "ecs.amazonaws.com"},
}

// CheckRoles is step 2: the service-linked roles of Elastic Load Balancing
// and ECS exist (IAM GetRole).
func CheckRoles(ctx context.Context, api IAMAPI) Result {
	var found, missing, fix []string
	for _, r := range serviceLinkedRoles {
		_, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(r.role)})
		var nse *iamtypes.NoSuchEntityException
		switch {
		case err == nil:
			found = append(found, r.role)
		case errors.As(err, &nse) || apiCode(err) == "NoSuchEntity":
			missing = append(missing, r.role)
			fix = append(fix, "aws iam create-service-linked-role --aws-service-name "+r.service)
		default:
			return failure(err)
		}
	}
	if len(missing) > 0 {
		return Result{Status: Fail, Detail: "missing " + strings.Join(missing, ", "), Fix: fix}
	}
	return Result{Status: Pass, Detail: strings.Join(found, ", ") + " exist"}
}

// stackRepo maps each stack to the workshop repository whose cdk directory
// deploys it.
var stackRepo = map[string]string{
	PlatformStackCDK: "ecsdemo-platform",
	PlatformStackCFN: "ecsdemo-platform",
	FrontendStack:    "ecsdemo-frontend",
	NodejsStack:      "ecsdemo-nodejs",
	CrystalStack:     "ecsdemo-crystal",
}

// deployFix is the chapter's command that deploys a stack.
func deployFix(stack string) string {
	return fmt.Sprintf("cd ~/environment/%s/cdk && pip install -r requirements.txt && cdk context --clear && cdk deploy --require-approval never", stackRepo[stack])
}

// destroyFix is the chapter's command that deletes a stack.
func destroyFix(stack string) string {
	if repo, ok := stackRepo[stack]; ok {
		return fmt.Sprintf("cd ~/environment/%s/cdk && cdk destroy -f", repo)
	}
	return "aws cloudformation delete-stack --stack-name " + stack
}

// stackStatus returns a stack's status, or "" when it does not exist.
func stackStatus(ctx context.Context, api StacksAPI, name string) (string, error) {
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(name)})
	if err != nil {
		if apiCode(err) == "ValidationError" && strings.Contains(err.Error(), "does not exist") {
			return "", nil
		}
		return "", err
	}
	if len(out.Stacks) == 0 || out.Stacks[0].StackStatus == "DELETE_COMPLETE" {
		return "", nil
	}
	return string(out.Stacks[0].StackStatus), nil
}

// stackProblem says what is wrong with a stack in status st ("" when it is
// deployed and usable) and how to fix it.
func stackProblem(name, st string) (string, []string) {
	switch {
	case st == "":
		return name + " does not exist", []string{deployFix(name)}
	case st == "ROLLBACK_COMPLETE":
		return name + " is ROLLBACK_COMPLETE (its creation failed)", []string{
			"aws cloudformation describe-stack-events --stack-name " + name + "   # why it failed",
			"aws cloudformation delete-stack --stack-name " + name, deployFix(name)}
	case strings.HasSuffix(st, "_IN_PROGRESS"):
		return name + " is " + st, []string{"aws cloudformation wait stack-create-complete --stack-name " + name + "   # or stack-update-complete"}
	case strings.HasSuffix(st, "_COMPLETE"):
		return "", nil
	}
	return name + " is " + st, []string{"aws cloudformation describe-stack-events --stack-name " + name + "   # why it failed", deployFix(name)}
}

// CheckStacks is step 3: the platform stack (ecsworkshop-base, or
// container-demo on the CloudFormation path) and the three service stacks
// are in a *_COMPLETE state, and the load balancer URL resolves from their
// outputs through sources (nil: the workshop's chain, as loadgen url).
func CheckStacks(ctx context.Context, api StacksAPI, sources []stackurl.Source) Result {
	var ok, problems, fix []string
	platform := ""
	for _, name := range []string{PlatformStackCDK, PlatformStackCFN} {
		st, err := stackStatus(ctx, api, name)
		if err != nil {
			return failure(err)
		}
		if st != "" && platform == "" {
			platform = name
			if p, f := stackProblem(name, st); p != "" {
				problems, fix = append(problems, p), append(fix, f...)
			} else {
				ok = append(ok, name+" "+st)
			}
		}
	}
	if platform == "" {
		problems = append(problems, fmt.Sprintf("no platform stack (%s, or %s)", PlatformStackCDK, PlatformStackCFN))
		fix = append(fix, deployFix(PlatformStackCDK))
	}
	for _, name := range ServiceStacks {
		st, err := stackStatus(ctx, api, name)
		if err != nil {
			return failure(err)
		}
		if p, f := stackProblem(name, st); p != "" {
			problems, fix = append(problems, p), append(fix, f...)
		} else {
			ok = append(ok, name+" "+st)
		}
	}
	if len(problems) > 0 {
		return Result{Status: Fail, Detail: strings.Join(problems, "; "), Fix: fix}
	}
	res, err := stackurl.Resolve(ctx, api, sources)
	if err != nil {
		var nf *stackurl.NotFoundError
		if errors.As(err, &nf) {
			return Result{Status: Fail, Detail: oneLine(err), Fix: []string{deployFix(FrontendStack)}}
		}
		return failure(err)
	}
	return Result{Status: Pass, Detail: fmt.Sprintf("%s; URL %s (%s output %s)", strings.Join(ok, ", "), res.URL, res.Stack, res.OutputKey)}
}
