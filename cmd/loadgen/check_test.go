//go:build !lean

package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awsclients"
	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/demoapp"
	"github.com/loadgen/loadgen/internal/demoworld"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
	"github.com/loadgen/loadgen/workshop"
)

// checkWorld starts awslocal on 127.0.0.1 with the chapter's world (the
// participant's steps done when finished) and returns it, its URL and an
// SDK config for it. The SDK sees no other AWS settings of this machine.
func checkWorld(t *testing.T, finished bool) (*awslocal.Server, string, aws.Config) {
	t.Helper()
	isolateAWS(t)
	e := awstest.StartLive(t, awslocal.New(awslocal.Options{Region: awstest.Region}), 3)
	srv, base, cfg := e.Server, e.URL, e.Config
	ctx := context.Background()
	if err := demoworld.Seed(srv); err != nil {
		t.Fatal(err)
	}
	demoworld.PutFrontend(srv, "http://127.0.0.1:9", "127.0.0.1:9")
	if finished {
		if _, err := demoworld.Finish(ctx, srv, cfg, base, 60); err != nil {
			t.Fatal(err)
		}
		// A minute of the site's metrics and performance logs, and the
		// alarm's trip to ALARM (in its history).
		p := &demoapp.Publisher{Client: awscfg.NewCloudWatch(cfg, base), Logs: awsclients.NewLogs(cfg, base), Clusters: awsclients.NewECS(cfg, base),
			Config: demoapp.Config{Cluster: demoworld.Cluster, Service: demoworld.Service, PublishEvery: 10 * time.Second}}
		if err := p.Publish(ctx, 700, time.Now()); err != nil {
			t.Fatal(err)
		}
		_, err := awscfg.NewCloudWatch(cfg, base).SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{
			AlarmName: aws.String("loadgen-ecsdemo-frontend-cpu-high"), StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test"),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return srv, base, cfg
}

// awsEnv is the environment of a participant pointed at endpoint.
func awsEnv(endpoint string) map[string]string {
	return map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"}
}

func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
}

func TestCheckFinishedWorldExits0(t *testing.T) {
	_, base, _ := checkWorld(t, true)
	setEnv(t, awsEnv(base))
	jf := filepath.Join(t.TempDir(), "check.json")
	r := runCLI(t, nil, "check", "--json", jf)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"✓  1 credentials", "✓  5 insights", "–  6 cwagent", "✓  9 alarm", "✓ 10 fired", "✓ 11 queries", "10 of 11 steps pass, 1 does not apply: done."} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	raw, err := os.ReadFile(jf)
	if err != nil {
		t.Fatal(err)
	}
	var rep workshop.Report
	if err := json.Unmarshal(raw, &rep); err != nil || !rep.Passed || len(rep.Steps) != 11 || rep.Schema != workshop.Schema {
		t.Fatalf("JSON file: %v %+v", err, rep)
	}
}

func TestCheckFreshWorldExits1WithFixes(t *testing.T) {
	srv, base, _ := checkWorld(t, false)
	setEnv(t, awsEnv(base))
	r := runCLI(t, nil, "check")
	if r.code != exitCheckFailed {
		t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"✗  2 roles", "fix: aws iam create-service-linked-role --aws-service-name elasticloadbalancing.amazonaws.com",
		"✗  5 insights    containerInsights is disabled on container-demo",
		"fix: aws ecs update-cluster-settings --cluster container-demo --settings name=containerInsights,value=enabled --region us-east-1",
		"✗  9 alarm", "✗ 10 fired       not checked without the alarm (see step 9)", "fix: see alarm above",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}

	// One step, as JSON on stdout; it passes once done.
	if err := srv.SetContainerInsights(demoworld.Cluster, "enabled"); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, nil, "check", "--step", "insights", "-j")
	var rep workshop.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || len(rep.Steps) != 1 || rep.Steps[0].Status != workshop.Pass {
		t.Fatalf("exit %d: %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}

	r = runCLI(t, nil, "check", "--step", "insigths")
	if r.code != exitUsage || !strings.Contains(r.stderr, `unknown step "insigths"`) {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
}

func TestCheckSetupErrorsExit3(t *testing.T) {
	isolateAWS(t)
	r := runCLI(t, nil, "check")
	if r.code != exitSetup || !strings.Contains(r.stderr, "no AWS region") {
		t.Fatalf("no region: exit %d: %s", r.code, r.stderr)
	}
	setEnv(t, awsEnv("http://127.0.0.1:1"))
	r = runCLI(t, nil, "check")
	if r.code != exitSetup || !strings.Contains(r.stdout, "✗  1 credentials cannot reach STS GetCallerIdentity at http://127.0.0.1:1") ||
		!strings.Contains(r.stdout, "Nothing else can be checked") {
		t.Fatalf("unreachable: exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestCheckEndpoints: --endpoint-url wins over AWS_ENDPOINT_URL, and
// AWS_ENDPOINT_URL_<SERVICE> sends each service where it says.
func TestCheckEndpoints(t *testing.T) {
	_, base, _ := checkWorld(t, false)
	env := awsEnv("http://127.0.0.1:1")
	setEnv(t, env)
	r := runCLI(t, nil, "check", "--step", "cluster", "--endpoint-url", base)
	if r.code != 0 {
		t.Fatalf("--endpoint-url: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Setenv("AWS_ENDPOINT_URL_STS", base)
	r = runCLI(t, nil, "check", "--step", "cluster")
	if r.code != exitCheckFailed || !strings.Contains(r.stdout, "cannot reach ECS ListClusters at http://127.0.0.1:1") {
		t.Fatalf("STS only: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Setenv("AWS_ENDPOINT_URL_ECS", base)
	r = runCLI(t, nil, "check", "--step", "cluster")
	if r.code != 0 {
		t.Fatalf("STS and ECS: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

// TestCheckCleanup: the chapter's world is still there, so its clean-up
// is not done; once its resources are gone, it is.
func TestCheckCleanup(t *testing.T) {
	srv, base, cfg := checkWorld(t, false)
	setEnv(t, awsEnv(base))
	r := runCLI(t, nil, "check", "--cleanup")
	for _, want := range []string{"Checking the Container Insights chapter's clean-up", "✓  2 insights-disabled", "✓  3 cwagent-deleted",
		"✗  4 stacks-deleted", "fix: cd ~/environment/ecsdemo-frontend/cdk && cdk destroy -f", "✗  5 log-groups-deleted"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != exitCheckFailed {
		t.Fatalf("exit %d", r.code)
	}
	srv.DeleteCluster(demoworld.Cluster)
	for _, st := range []string{"ecsworkshop-base", "ecsworkshop-frontend", "ecsworkshop-nodejs", "ecsworkshop-crystal"} {
		if _, err := awscfg.NewCloudFormation(cfg, base).DeleteStack(context.Background(), &cloudformation.DeleteStackInput{StackName: aws.String(st)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, g := range []string{"ecsworkshop-frontend", "ecsworkshop-nodejs", "ecsworkshop-crystal"} {
		srv.DeleteLogGroup(g + "-TaskDefLogGroup-demo")
	}
	if r = runCLI(t, nil, "check", "--cleanup"); r.code != 0 {
		t.Fatalf("after the clean-up: exit %d\n%s", r.code, r.stdout)
	}
}
