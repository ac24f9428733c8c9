package stackurl

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
)

// newCFN starts awslocal on 127.0.0.1 and returns it with a real SDK
// CloudFormation client pointed at it.
func newCFN(t *testing.T) (*awslocal.Server, *cloudformation.Client) {
	t.Helper()
	ep := awstest.Start(t, nil, 1)
	return ep.Server, ep.CloudFormation()
}

func client(endpoint string) *cloudformation.Client {
	return cloudformation.NewFromConfig(awstest.Config(1), func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(endpoint) })
}

const albDNS = "ecswor-Front-1A2B3C4D5E6F-123456789.us-east-1.elb.amazonaws.com"

func TestResolveChain(t *testing.T) {
	ctx := context.Background()
	frontend := []awslocal.Output{
		{Key: "FrontendFargateLBServiceLoadBalancerDNSAFFB8F0B", Value: albDNS},
		{Key: "FrontendFargateLBServiceServiceURL55F424CF", Value: "http://" + albDNS},
	}
	tests := []struct {
		name    string
		stacks  map[string][]awslocal.Output
		sources []Source
		want    Resolved
	}{
		{
			name:   "alb stack first",
			stacks: map[string][]awslocal.Output{ALBStack: {{Key: "ExternalUrl", Value: "http://alb.example", ExportName: "container-demo:ExternalUrl"}}, FrontendStack: frontend},
			want:   Resolved{URL: "http://alb.example/", Stack: ALBStack, OutputKey: "ExternalUrl"},
		},
		{
			name:   "alb stack missing",
			stacks: map[string][]awslocal.Output{FrontendStack: frontend},
			want:   Resolved{URL: "http://" + strings.ToLower(albDNS) + "/", Stack: FrontendStack, OutputKey: "FrontendFargateLBServiceServiceURL55F424CF"},
		},
		{
			name:   "alb stack without the output",
			stacks: map[string][]awslocal.Output{ALBStack: {{Key: "ExternalUrlOld", Value: "http://old.example"}}, FrontendStack: frontend},
			want:   Resolved{URL: "http://" + strings.ToLower(albDNS) + "/", Stack: FrontendStack, OutputKey: "FrontendFargateLBServiceServiceURL55F424CF"},
		},
		{
			name:    "bare DNS by substring",
			stacks:  map[string][]awslocal.Output{FrontendStack: frontend},
			sources: []Source{{Stack: FrontendStack, Key: "LoadBalancerDNS", Contains: true}},
			want:    Resolved{URL: "http://" + strings.ToLower(albDNS) + "/", Stack: FrontendStack, OutputKey: "FrontendFargateLBServiceLoadBalancerDNSAFFB8F0B"},
		},
		{
			name:   "trailing slash",
			stacks: map[string][]awslocal.Output{ALBStack: {{Key: "ExternalUrl", Value: "http://alb.example/"}}},
			want:   Resolved{URL: "http://alb.example/", Stack: ALBStack, OutputKey: "ExternalUrl"},
		},
		{
			name:    "no key: first URL-like output",
			stacks:  map[string][]awslocal.Output{"mystack": {{Key: "BucketName", Value: "b"}, {Key: "Site", Value: "https://site.example/app"}}},
			sources: []Source{{Stack: "mystack"}},
			want:    Resolved{URL: "https://site.example/app", Stack: "mystack", OutputKey: "Site"},
		},
		{
			name:    "no key: workshop key wins over an earlier URL",
			stacks:  map[string][]awslocal.Output{FrontendStack: append([]awslocal.Output{{Key: "Docs", Value: "https://docs.example"}}, frontend...)},
			sources: []Source{{Stack: FrontendStack}},
			want:    Resolved{URL: "http://" + strings.ToLower(albDNS) + "/", Stack: FrontendStack, OutputKey: "FrontendFargateLBServiceServiceURL55F424CF"},
		},
		{
			name:    "exact key is exact",
			stacks:  map[string][]awslocal.Output{"s": {{Key: "UrlOld", Value: "http://old"}, {Key: "Url", Value: "http://new"}}},
			sources: []Source{{Stack: "s", Key: "Url"}},
			want:    Resolved{URL: "http://new/", Stack: "s", OutputKey: "Url"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, cfn := newCFN(t)
			for name, outs := range tt.stacks {
				srv.PutStack(name, outs...)
			}
			got, err := Resolve(ctx, cfn, tt.sources)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if got != tt.want {
				t.Errorf("Resolve = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestResolveNothingFound(t *testing.T) {
	srv, cfn := newCFN(t)
	srv.PutStack(FrontendStack, awslocal.Output{Key: "Foo", Value: "1"}, awslocal.Output{Key: "Bar", Value: "http://bar.example"})
	_, err := Resolve(context.Background(), cfn, DefaultSources())
	var nf *NotFoundError
	if !errors.As(err, &nf) {
		t.Fatalf("Resolve error = %v (%T), want *NotFoundError", err, err)
	}
	want := `no URL found: container-demo-alb: stack does not exist; ecsworkshop-frontend: no output key containing "FrontendFargateLBServiceServiceURL" (outputs: Foo, Bar)`
	if err.Error() != want {
		t.Errorf("error =\n%s\nwant\n%s", err, want)
	}
	if !errors.Is(err, awscfg.ErrSetup) {
		t.Error("NotFoundError does not match awscfg.ErrSetup")
	}
	if n := srv.Calls("DescribeStacks"); n != 2 {
		t.Errorf("DescribeStacks calls = %d, want 2 (one per source)", n)
	}

	// Exact keys, key-less sources, empty stacks and non-URL values are named too.
	srv.PutStack("empty")
	srv.PutStack("bad", awslocal.Output{Key: "Url", Value: "ftp://files.example"})
	_, err = Resolve(context.Background(), cfn, []Source{{Stack: "empty"}, {Stack: "bad", Key: "Url"}, {Stack: FrontendStack, Key: "foo"}})
	want = `no URL found: empty: no output that looks like a URL (stack has no outputs); bad: output Url is not a URL: invalid URL "ftp://files.example": scheme "ftp" is not http or https (outputs: Url); ecsworkshop-frontend: no output key "foo" (outputs: Foo, Bar)`
	if err == nil || err.Error() != want {
		t.Errorf("error =\n%v\nwant\n%s", err, want)
	}
}

func TestResolveStopsOnOtherErrors(t *testing.T) {
	srv, cfn := newCFN(t)
	srv.PutStack(FrontendStack, awslocal.Output{Key: "FrontendFargateLBServiceServiceURL55F424CF", Value: "http://" + albDNS})
	srv.InjectError("DescribeStacks", "AccessDenied", 1)
	_, err := Resolve(context.Background(), cfn, DefaultSources())
	if err == nil {
		t.Fatal("Resolve succeeded past an access-denied error")
	}
	var nf *NotFoundError
	if errors.As(err, &nf) {
		t.Fatalf("access denied was reported as not found: %v", err)
	}
	var se *awscfg.Error
	if !errors.As(err, &se) || se.Kind != awscfg.KindAccessDenied || !errors.Is(err, awscfg.ErrSetup) {
		t.Fatalf("error = %v, want an access-denied awscfg.Error", err)
	}
	for _, want := range []string{"look up stack container-demo-alb", "AWS denied access to CloudFormation DescribeStacks"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if n := srv.Calls("DescribeStacks"); n != 1 {
		t.Errorf("DescribeStacks calls = %d, want 1: the walk must stop at once", n)
	}

	// An unreachable endpoint stops the walk too.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Resolve(context.Background(), client("http://"+addr), DefaultSources())
	if !errors.As(err, &se) || se.Kind != awscfg.KindUnreachable || !strings.Contains(err.Error(), addr) {
		t.Errorf("unreachable endpoint: error = %v", err)
	}

	// So does a cancelled context.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err = Resolve(ctx, cfn, DefaultSources()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error = %v, want context.Canceled", err)
	}
}
