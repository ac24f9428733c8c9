package workshop

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/loadgen/loadgen/internal/demoapp"
	"github.com/loadgen/loadgen/internal/demoworld"
	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/verify"
)

// world builds the chapter's world on the fixture: its starting point
// (fresh), or with the participant's steps done through the SDK.
func (f *fixture) world(t *testing.T, finished bool) {
	t.Helper()
	if err := demoworld.Seed(f.srv); err != nil {
		t.Fatal(err)
	}
	demoworld.PutFrontend(f.srv, "http://frontend.example", "frontend.example")
	if finished {
		if _, err := demoworld.Finish(context.Background(), f.srv, f.cfg, f.url, 60); err != nil {
			t.Fatal(err)
		}
	}
}

// publisher is the demo site's publisher (metrics and performance log
// events, gated by Container Insights) on the fixture's clients.
func (f *fixture) publisher() *demoapp.Publisher {
	return &demoapp.Publisher{
		Client:   f.clients.CloudWatch.(*cloudwatch.Client),
		Logs:     f.clients.Logs.(*cloudwatchlogs.Client),
		Clusters: f.clients.ECS.(*ecs.Client),
		Config:   demoapp.Config{Cluster: demoworld.Cluster, Service: DefaultService, PublishEvery: 10 * time.Second},
		Task:     demoapp.Task{ID: "7ac4dfba69214411b4783a3b8189c9ba", Region: region, Started: testsupport.T0()},
		Memory:   func() int64 { return 37 },
	}
}

// run publishes every 10 s for d at units CPU units.
func (f *fixture) run(t *testing.T, p *demoapp.Publisher, units float64, d time.Duration) {
	t.Helper()
	for end := f.clock.Now().Add(d); f.clock.Now().Before(end); f.clock.Advance(10 * time.Second) {
		if err := p.Publish(context.Background(), units, f.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFinishedWorldPasses runs every step over the finished world after
// two minutes of load: all pass but the CloudWatch agent, which does not
// apply to a Fargate cluster.
func TestFinishedWorldPasses(t *testing.T) {
	f := newFixture(t)
	f.world(t, true)
	f.run(t, f.publisher(), 800, 2*time.Minute)
	f.srv.Evaluate()
	rep := f.checker(Options{}).Run(context.Background(), "chapter", Steps())
	var b strings.Builder
	_ = rep.WriteText(&b)
	t.Logf("\n%s", b.String())
	pass, fail, na := rep.Counts()
	if !rep.Passed || pass != 10 || fail != 0 || na != 1 || rep.Steps[5].Step != "cwagent" || rep.Steps[5].Status != NotApplicable {
		t.Fatalf("pass %d fail %d na %d:\n%s", pass, fail, na, b.String())
	}
	for _, want := range []string{
		"✓ 10 fired       loadgen-ecsdemo-frontend-cpu-high is in ALARM now",
		"1  ecsdemo-frontend  1",
		"AWS rejects it as written (MalformedQueryException: ",
		"> filter Type=\"Task\"",
		"Avg_Memory  Avg_CPU",
		"10 of 11 steps pass, 1 does not apply: done.",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestFreshWorld is the chapter's starting point: credentials, stacks and
// cluster pass; roles, Container Insights, logs, metrics, alarm, queries
// fail with the chapter's fixes. The demo site publishes nothing while
// Container Insights is off.
func TestFreshWorld(t *testing.T) {
	f := newFixture(t)
	f.world(t, false)
	p := f.publisher()
	f.run(t, p, 800, time.Minute)
	rep := f.checker(Options{}).Run(context.Background(), "chapter", Steps())
	want := map[string]Status{"credentials": Pass, "roles": Fail, "stacks": Pass, "cluster": Pass, "insights": Fail, "cwagent": NotApplicable,
		"logs": Fail, "metrics": Fail, "alarm": Fail, "fired": Fail, "queries": Fail}
	for _, r := range rep.Steps {
		if r.Status != want[r.Step] {
			t.Errorf("step %s: %s (%s), want %s", r.Step, r.Status, r.Detail, want[r.Step])
		}
	}
	wantFix(t, rep.Steps[4], "aws ecs update-cluster-settings --cluster container-demo --settings name=containerInsights,value=enabled --region us-west-2")
	wantStatus(t, rep.Steps[6], Fail, "no log group /aws/ecs/containerinsights/container-demo/performance")
	wantFix(t, rep.Steps[6], "update-cluster-settings")
	wantStatus(t, rep.Steps[10], Fail, "no log group /aws/ecs/containerinsights/container-demo/performance to query")

	// The participant enables Container Insights: data flow, steps 5, 7, 8
	// and 11 pass.
	_, err := f.clients.ECS.(*ecs.Client).UpdateClusterSettings(context.Background(), &ecs.UpdateClusterSettingsInput{
		Cluster: aws.String("container-demo"), Settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.run(t, p, 300, time.Minute)
	for _, s := range []string{"insights", "logs", "metrics", "queries"} {
		wantStatus(t, f.step(t, s, Options{}), Pass)
	}
	wantStatus(t, f.step(t, "logs", Options{}), Pass, "stream FargateTelemetry-7ac4dfba69214411b4783a3b8189c9ba")

	// Fifteen quiet minutes later the logs are stale.
	f.clock.Advance(16 * time.Minute)
	r := f.step(t, "logs", Options{})
	wantStatus(t, r, Fail, "exists but received no events in the last 15 minutes")
	wantFix(t, r, "aws ecs describe-services --cluster container-demo --services ecsdemo-frontend")
}

// TestSubscription walks the SNS part of step 9: no e-mail subscription,
// PendingConfirmation (the classic silent failure), confirmed.
func TestSubscription(t *testing.T) {
	f := newFixture(t)
	f.world(t, false)
	api := f.clients.SNS.(*sns.Client)
	ctx := context.Background()
	topic, err := api.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("cpu")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(topic.TopicArn)
	f.createAlarm(t, verify.AlarmSpec{ActionARN: arn})
	r := f.step(t, "alarm", Options{})
	wantStatus(t, r, Fail, "no e-mail subscription on "+arn)
	wantFix(t, r, "aws sns subscribe --topic-arn "+arn+" --protocol email --notification-endpoint YOU@EXAMPLE.COM")

	if _, err := api.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email"), Endpoint: aws.String("ann@example.com")}); err != nil {
		t.Fatal(err)
	}
	r = f.step(t, "alarm", Options{})
	wantStatus(t, r, Fail, "is PendingConfirmation: confirm the e-mail sent to ann@example.com")
	wantFix(t, r, "click Confirm subscription")

	pending := f.srv.PendingSubscriptions()
	if len(pending) != 1 || pending[0].Endpoint != "ann@example.com" {
		t.Fatalf("pending: %+v", pending)
	}
	if _, err := api.ConfirmSubscription(ctx, &sns.ConfirmSubscriptionInput{TopicArn: aws.String(arn), Token: aws.String(pending[0].Token)}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.step(t, "alarm", Options{}), Pass, "notifies "+arn+", e-mail to ann@example.com confirmed", "> 50")

	// A deleted topic.
	if _, err := api.DeleteTopic(ctx, &sns.DeleteTopicInput{TopicArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.step(t, "alarm", Options{}), Fail, "its SNS topic "+arn+" does not exist")
}

// TestAccessDeniedOnOneService: a service that denies access fails its
// steps with the reason and the permission to grant; the others still run.
func TestAccessDeniedOnOneService(t *testing.T) {
	f := newFixture(t)
	f.world(t, true)
	f.run(t, f.publisher(), 800, 2*time.Minute)
	f.srv.Evaluate()
	f.srv.InjectError("ListSubscriptionsByTopic", "AuthorizationError", 1)
	f.srv.InjectError("StartQuery", "AccessDeniedException", 1)
	rep := f.checker(Options{}).Run(context.Background(), "chapter", Steps())
	_, fail, _ := rep.Counts()
	if fail != 2 || rep.Passed || rep.SetupError != "" || len(rep.Steps) != 11 {
		t.Fatalf("fail %d passed %v setup %q: %+v", fail, rep.Passed, rep.SetupError, rep.Steps)
	}
	wantStatus(t, rep.Steps[8], Fail, "AWS denied access to SNS ListSubscriptionsByTopic")
	wantFix(t, rep.Steps[8], "grant sns:ListSubscriptionsByTopic")
	wantStatus(t, rep.Steps[9], Pass, "in ALARM now")
	wantStatus(t, rep.Steps[10], Fail, "AWS denied access to CloudWatch Logs StartQuery")
	wantFix(t, rep.Steps[10], "grant logs:StartQuery")
}
