package awslocal

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

func TestGetCallerIdentity(t *testing.T) {
	f := newFixture(t, Options{})
	out, err := f.sts.GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity: %v", err)
	}
	if aws.ToString(out.Account) != "000000000000" || aws.ToString(out.Arn) != "arn:aws:iam::000000000000:user/awslocal" || aws.ToString(out.UserId) == "" {
		t.Errorf("default identity = %s %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
	}
	f.srv.SetCallerIdentity(CallerIdentity{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/Admin/participant", UserID: "AROAEXAMPLE:participant"})
	out, err = f.sts.GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Account) != "123456789012" || aws.ToString(out.Arn) != "arn:aws:sts::123456789012:assumed-role/Admin/participant" || aws.ToString(out.UserId) != "AROAEXAMPLE:participant" {
		t.Errorf("seeded identity = %s %s %s", aws.ToString(out.Account), aws.ToString(out.Arn), aws.ToString(out.UserId))
	}

	// Bad credentials: STS's 403 InvalidClientTokenId.
	f.srv.InjectError("GetCallerIdentity", "InvalidClientTokenId", 1)
	_, err = f.sts.GetCallerIdentity(ctxT(t), &sts.GetCallerIdentityInput{})
	var apiErr smithy.APIError
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidClientTokenId" || !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Errorf("injected: %v", err)
	}
}

func TestGetRole(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.iam.GetRole(ctxT(t), &iam.GetRoleInput{RoleName: aws.String(RoleECS)})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) || nse.ErrorCode() != "NoSuchEntity" || nse.ErrorMessage() != "The role with name AWSServiceRoleForECS cannot be found." {
		t.Fatalf("missing role: err = %v (%T)", err, err)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 404 {
		t.Errorf("missing role status: %v", err)
	}

	for _, svc := range []string{"ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com"} {
		if _, err := f.srv.PutServiceLinkedRole(svc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.srv.PutServiceLinkedRole("nope.amazonaws.com"); err == nil {
		t.Error("unknown service accepted")
	}
	out, err := f.iam.GetRole(ctxT(t), &iam.GetRoleInput{RoleName: aws.String(RoleELB)})
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	r := out.Role
	if aws.ToString(r.RoleName) != RoleELB || aws.ToString(r.Path) != "/aws-service-role/elasticloadbalancing.amazonaws.com/" ||
		aws.ToString(r.Arn) != "arn:aws:iam::000000000000:role/aws-service-role/elasticloadbalancing.amazonaws.com/AWSServiceRoleForElasticLoadBalancing" ||
		!strings.HasPrefix(aws.ToString(r.RoleId), "AROA") || r.CreateDate == nil || !r.CreateDate.Equal(t0) {
		t.Errorf("role = %+v", r)
	}
	if doc, err := url.QueryUnescape(aws.ToString(r.AssumeRolePolicyDocument)); err != nil || !strings.Contains(doc, `"Service":"elasticloadbalancing.amazonaws.com"`) {
		t.Errorf("trust policy = %q (%v)", aws.ToString(r.AssumeRolePolicyDocument), err)
	}

	// The workshop's fix for a missing role: create-service-linked-role.
	if !f.srv.DeleteRole(RoleECS) {
		t.Fatal("DeleteRole: role was not there")
	}
	c, err := f.iam.CreateServiceLinkedRole(ctxT(t), &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
	if err != nil || aws.ToString(c.Role.RoleName) != RoleECS {
		t.Fatalf("CreateServiceLinkedRole: %+v, %v", c, err)
	}
	_, err = f.iam.CreateServiceLinkedRole(ctxT(t), &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
	var inv *iamtypes.InvalidInputException
	if !errors.As(err, &inv) {
		t.Errorf("second CreateServiceLinkedRole: %v (%T)", err, err)
	}
	if _, err := f.iam.GetRole(ctxT(t), &iam.GetRoleInput{RoleName: aws.String(RoleECS)}); err != nil {
		t.Errorf("GetRole after create: %v", err)
	}
}

// TestQueryRoutingBySigningName sends colliding or foreign Actions to each
// awsQuery service: the SigV4 scope decides who answers.
func TestQueryRoutingBySigningName(t *testing.T) {
	f := newFixture(t, Options{})
	post := func(service, body string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if service != "" {
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20261125/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=00")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// GetCallerIdentity signed for STS but without a Version: STS answers.
	if code, body := post("sts", "Action=GetCallerIdentity"); code != 200 || !strings.Contains(body, "<Account>000000000000</Account>") ||
		!strings.Contains(body, `xmlns="https://sts.amazonaws.com/doc/2011-06-15/"`) {
		t.Errorf("sts: %d %s", code, body)
	}
	// The same Action signed for IAM: IAM's InvalidAction, in IAM's namespace.
	if code, body := post("iam", "Action=GetCallerIdentity&Version=2010-05-08"); code != 400 || !strings.Contains(body, "<Code>InvalidAction</Code>") ||
		!strings.Contains(body, "iam.amazonaws.com") {
		t.Errorf("iam: %d %s", code, body)
	}
	// Unsigned requests go by Version.
	if code, body := post("", "Action=GetRole&RoleName=x&Version=2010-05-08"); code != 404 || !strings.Contains(body, "<Code>NoSuchEntity</Code>") {
		t.Errorf("unsigned iam: %d %s", code, body)
	}
	// CloudFormation keeps working through the SDK.
	f.srv.PutStack("s")
	if _, err := f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{StackName: aws.String("s")}); err != nil {
		t.Errorf("cloudformation: %v", err)
	}
}
