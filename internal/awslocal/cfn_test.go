package awslocal

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"
)

func TestDescribeStacksSingle(t *testing.T) {
	f := newFixture(t, Options{Region: "eu-west-1"})
	f.srv.PutStack("container-demo-alb",
		Output{Key: "ExternalUrl", Value: "http://demo-alb-123.eu-west-1.elb.amazonaws.com", Description: "The url of the external load balancer", ExportName: "container-demo:ExternalUrl"})
	f.srv.PutStack("ecsworkshop-frontend",
		Output{Key: "FrontendFargateLBServiceServiceURL55F424CF", Value: "http://ecswor-Front-1.us-east-1.elb.amazonaws.com"},
		Output{Key: "FrontendFargateLBServiceLoadBalancerDNSAFFB8F0B", Value: "ecswor-Front-1.us-east-1.elb.amazonaws.com"})

	out, err := f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{StackName: aws.String("container-demo-alb")})
	if err != nil {
		t.Fatalf("DescribeStacks: %v", err)
	}
	if len(out.Stacks) != 1 {
		t.Fatalf("got %d stacks, want 1", len(out.Stacks))
	}
	st := out.Stacks[0]
	if aws.ToString(st.StackName) != "container-demo-alb" || st.StackStatus != cfntypes.StackStatusCreateComplete {
		t.Errorf("stack = %s %s", aws.ToString(st.StackName), st.StackStatus)
	}
	if id := aws.ToString(st.StackId); !strings.HasPrefix(id, "arn:aws:cloudformation:eu-west-1:000000000000:stack/container-demo-alb/") {
		t.Errorf("StackId = %q", id)
	}
	if st.CreationTime == nil || !st.CreationTime.Equal(t0) {
		t.Errorf("CreationTime = %v, want %v", st.CreationTime, t0)
	}
	if len(st.Outputs) != 1 {
		t.Fatalf("outputs = %+v", st.Outputs)
	}
	o := st.Outputs[0]
	if aws.ToString(o.OutputKey) != "ExternalUrl" || aws.ToString(o.OutputValue) != "http://demo-alb-123.eu-west-1.elb.amazonaws.com" ||
		aws.ToString(o.Description) != "The url of the external load balancer" || aws.ToString(o.ExportName) != "container-demo:ExternalUrl" {
		t.Errorf("output = %+v", o)
	}

	// A stack id works as StackName too.
	byID, err := f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{StackName: st.StackId})
	if err != nil || len(byID.Stacks) != 1 || aws.ToString(byID.Stacks[0].StackName) != "container-demo-alb" {
		t.Errorf("DescribeStacks(by id) = %+v, %v", byID, err)
	}

	// PutStack replaces the outputs and keeps the id.
	f.srv.PutStack("container-demo-alb", Output{Key: "ExternalUrl", Value: "http://other"})
	again, err := f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{StackName: aws.String("container-demo-alb")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(again.Stacks[0].Outputs[0].OutputValue); got != "http://other" {
		t.Errorf("replaced output = %q", got)
	}
	if aws.ToString(again.Stacks[0].StackId) != aws.ToString(st.StackId) {
		t.Errorf("stack id changed on replace")
	}
}

func TestDescribeStacksMissing(t *testing.T) {
	f := newFixture(t, Options{})
	_, err := f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{StackName: aws.String("container-demo-alb")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v (%T), want a smithy.APIError", err, err)
	}
	if apiErr.ErrorCode() != "ValidationError" {
		t.Errorf("code = %q, want ValidationError", apiErr.ErrorCode())
	}
	if msg := apiErr.ErrorMessage(); msg != "Stack with id container-demo-alb does not exist" {
		t.Errorf("message = %q", msg)
	}
	if apiErr.ErrorFault() != smithy.FaultUnknown && apiErr.ErrorFault() != smithy.FaultClient {
		t.Errorf("fault = %v", apiErr.ErrorFault())
	}

	// The raw answer is the documented 400 ErrorResponse.
	resp, err := http.Post(f.url+"/", "application/x-www-form-urlencoded", strings.NewReader("Action=DescribeStacks&StackName=x&Version=2010-05-15"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("status = %d", resp.StatusCode)
	}
	for _, want := range []string{"<ErrorResponse", "<Type>Sender</Type>", "<Code>ValidationError</Code>", "<Message>Stack with id x does not exist</Message>", "<RequestId>"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}

func TestDescribeStacksAllPaged(t *testing.T) {
	f := newFixture(t, Options{StackPageSize: 2})
	want := map[string]bool{}
	for i := range 5 {
		name := fmt.Sprintf("stack-%d", i)
		f.srv.PutStack(name, Output{Key: "K", Value: fmt.Sprint(i)})
		want[name] = true
	}
	// First page by hand: two stacks and a token.
	first, err := f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Stacks) != 2 || first.NextToken == nil {
		t.Fatalf("first page: %d stacks, token %v", len(first.Stacks), first.NextToken)
	}
	// The SDK paginator walks all pages.
	p := cloudformation.NewDescribeStacksPaginator(f.cfn, &cloudformation.DescribeStacksInput{})
	got := map[string]bool{}
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, st := range out.Stacks {
			n := aws.ToString(st.StackName)
			if got[n] {
				t.Errorf("stack %s listed twice", n)
			}
			got[n] = true
		}
	}
	if pages != 3 || len(got) != len(want) {
		t.Errorf("pages = %d, stacks = %v", pages, got)
	}
	_, err = f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{NextToken: aws.String("garbage!")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationError" {
		t.Errorf("bad token: err = %v", err)
	}
}

func TestCreateAndDeleteStack(t *testing.T) {
	f := newFixture(t, Options{})
	out, err := f.cfn.CreateStack(ctxT(t), &cloudformation.CreateStackInput{
		StackName:    aws.String("ecsworkshop-base"),
		TemplateBody: aws.String("Description: platform & <cluster>\nResources: {}\n"),
		Parameters: []cfntypes.Parameter{
			{ParameterKey: aws.String("EnvironmentName"), ParameterValue: aws.String("container-demo")},
			{ParameterKey: aws.String("Empty"), ParameterValue: aws.String("")},
		},
	})
	if err != nil {
		t.Fatalf("CreateStack: %v", err)
	}
	if !strings.Contains(aws.ToString(out.StackId), ":stack/ecsworkshop-base/") {
		t.Errorf("StackId = %q", aws.ToString(out.StackId))
	}
	f.srv.PutStack("ecsworkshop-base", Output{Key: "ECSClusterName", Value: "container-demo"})
	d, err := f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{StackName: aws.String("ecsworkshop-base")})
	if err != nil {
		t.Fatal(err)
	}
	st := d.Stacks[0]
	if aws.ToString(st.StackId) != aws.ToString(out.StackId) {
		t.Errorf("PutStack after CreateStack changed the id")
	}
	if aws.ToString(st.Description) != "platform & <cluster>" {
		t.Errorf("Description = %q", aws.ToString(st.Description))
	}
	if len(st.Parameters) != 2 || aws.ToString(st.Parameters[0].ParameterKey) != "EnvironmentName" || aws.ToString(st.Parameters[0].ParameterValue) != "container-demo" {
		t.Errorf("Parameters = %+v", st.Parameters)
	}
	if len(st.Outputs) != 1 || aws.ToString(st.Outputs[0].OutputValue) != "container-demo" {
		t.Errorf("Outputs = %+v", st.Outputs)
	}

	_, err = f.cfn.CreateStack(ctxT(t), &cloudformation.CreateStackInput{StackName: aws.String("ecsworkshop-base")})
	var exists *cfntypes.AlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("second CreateStack: err = %v (%T), want AlreadyExistsException", err, err)
	}
	_, err = f.cfn.CreateStack(ctxT(t), &cloudformation.CreateStackInput{StackName: aws.String("1bad_name")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationError" {
		t.Errorf("bad name: err = %v", err)
	}

	if _, err := f.cfn.DeleteStack(ctxT(t), &cloudformation.DeleteStackInput{StackName: aws.String("ecsworkshop-base")}); err != nil {
		t.Fatalf("DeleteStack: %v", err)
	}
	_, err = f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{StackName: aws.String("ecsworkshop-base")})
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.ErrorMessage(), "does not exist") {
		t.Errorf("after delete: err = %v", err)
	}
	// Deleting a missing stack succeeds, as on AWS.
	if _, err := f.cfn.DeleteStack(ctxT(t), &cloudformation.DeleteStackInput{StackName: aws.String("never-was")}); err != nil {
		t.Errorf("DeleteStack(missing): %v", err)
	}
}

func TestQueryUnknownActionAndInjection(t *testing.T) {
	f := newFixture(t, Options{})
	resp, err := http.PostForm(f.url+"/", url.Values{"Action": {"ListExports"}, "Version": {"2010-05-15"}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "<Code>InvalidAction</Code>") {
		t.Errorf("unknown action: %d %s", resp.StatusCode, body)
	}

	f.srv.PutStack("s", Output{Key: "K", Value: "V"})
	f.srv.InjectError("DescribeStacks", "AccessDenied", 1)
	_, err = f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{StackName: aws.String("s")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Fatalf("injected: err = %v", err)
	}
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Errorf("injected AccessDenied status: %v", err)
	}
	if _, err := f.cfn.DescribeStacks(ctxT(t), &cloudformation.DescribeStacksInput{StackName: aws.String("s")}); err != nil {
		t.Errorf("after the injected error: %v", err)
	}
	if n := f.srv.Calls("DescribeStacks"); n != 2 {
		t.Errorf("Calls(DescribeStacks) = %d, want 2", n)
	}
}

func TestFormList(t *testing.T) {
	form, err := url.ParseQuery("Parameters.member.2.ParameterKey=b&Parameters.member.1.ParameterKey=a&Parameters.member.1.ParameterValue=1&Parameters.member.x.ParameterKey=bad&Other=1")
	if err != nil {
		t.Fatal(err)
	}
	got := formList(form, "Parameters")
	if len(got) != 2 || got[0]["ParameterKey"] != "a" || got[0]["ParameterValue"] != "1" || got[1]["ParameterKey"] != "b" {
		t.Errorf("formList = %v", got)
	}
}

// FuzzQueryForm throws arbitrary awsQuery bodies at the CloudFormation
// handler: it must always answer with a well-formed status and never panic.
func FuzzQueryForm(f *testing.F) {
	f.Add("Action=DescribeStacks&StackName=container-demo-alb&Version=2010-05-15")
	f.Add("Action=DescribeStacks&NextToken=c3RhY2tzOmE&Version=2010-05-15")
	f.Add("Action=CreateStack&StackName=s1&Parameters.member.1.ParameterKey=K&Parameters.member.1.ParameterValue=V&Version=2010-05-15")
	f.Add("Action=DeleteStack&StackName=s1")
	f.Add("Action=CreateStack&StackName=%ZZ&Parameters.member.99999999999.ParameterKey=x")
	f.Add("Action=Nope")
	f.Add("")
	f.Fuzz(func(t *testing.T, body string) {
		s := New(Options{Now: newFakeClock(t0).Now, StackPageSize: 1})
		s.PutStack("a", Output{Key: "K", Value: "V"})
		s.PutStack("b")
		req, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 && rec.Code != 400 {
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		if !strings.HasPrefix(rec.Body.String(), "<?xml") {
			t.Fatalf("non-XML answer for %q: %q", body, rec.Body.String())
		}
	})
}
