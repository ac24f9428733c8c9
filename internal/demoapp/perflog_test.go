package demoapp

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/testsupport"
)

// TestPerformanceEventsShape checks the events against the CloudWatch user
// guide's examples ("Container Insights performance log events for Amazon
// ECS"): a Task event with the task's CPU and memory, and a Service event
// with its task counts, both stamped in milliseconds.
func TestPerformanceEventsShape(t *testing.T) {
	end := time.Date(2026, 11, 25, 10, 51, 0, 0, time.UTC)
	task := Task{ID: "7ac4dfba69214411b4783a3b8189c9ba", Region: "us-west-2", Started: end.Add(-time.Hour)}
	evs := PerformanceEvents(Config{Cluster: "container-demo", Service: "ecsdemo-frontend"}, task, 717.5, 37, end)
	if len(evs) != 2 {
		t.Fatalf("%d events", len(evs))
	}
	var te, se map[string]any
	if err := json.Unmarshal([]byte(aws.ToString(evs[0].Message)), &te); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(aws.ToString(evs[1].Message)), &se); err != nil {
		t.Fatal(err)
	}
	ms := float64(end.UnixMilli())
	wantTask := map[string]any{"Version": "0", "Type": "Task", "TaskId": task.ID, "ServiceName": "ecsdemo-frontend", "ClusterName": "container-demo",
		"TaskDefinitionFamily": "ecsdemo-frontend", "KnownStatus": "RUNNING", "LaunchType": "FARGATE", "AvailabilityZone": "us-west-2a",
		"Timestamp": ms, "CpuUtilized": 717.5, "CpuReserved": 1024.0, "MemoryUtilized": 37.0, "MemoryReserved": 512.0}
	for k, v := range wantTask {
		if te[k] != v {
			t.Errorf("Task event %s = %v, want %v", k, te[k], v)
		}
	}
	wantService := map[string]any{"Version": "0", "Type": "Service", "ServiceName": "ecsdemo-frontend", "ClusterName": "container-demo",
		"Timestamp": ms, "DesiredTaskCount": 1.0, "RunningTaskCount": 1.0, "PendingTaskCount": 0.0, "DeploymentCount": 1.0}
	for k, v := range wantService {
		if se[k] != v {
			t.Errorf("Service event %s = %v, want %v", k, se[k], v)
		}
	}
	if _, ok := se["TaskId"]; ok {
		t.Error("the Service event has a TaskId")
	}
	if aws.ToInt64(evs[0].Timestamp) != end.UnixMilli() || task.LogStream() != "FargateTelemetry-"+task.ID {
		t.Errorf("timestamp %d, stream %s", aws.ToInt64(evs[0].Timestamp), task.LogStream())
	}
	if n := NewTask("", end).ID; len(n) != 32 || n == NewTask("", end).ID {
		t.Errorf("task ids: %q", n)
	}
}

// TestPublishFollowsContainerInsights publishes through the real SDK to
// awslocal: nothing while the cluster has Container Insights disabled;
// metrics and performance events (log group and stream created on the way)
// once it is enabled.
func TestPublishFollowsContainerInsights(t *testing.T) {
	srv := awslocal.New(awslocal.Options{Region: "us-east-1"})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	if _, err := srv.PutCluster(awslocal.Cluster{Name: "container-demo", ContainerInsights: "disabled"}); err != nil {
		t.Fatal(err)
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""), RetryMaxAttempts: 1}
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	logs := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	ecsc := ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = aws.String(hs.URL) })
	var log testsupport.SyncBuffer
	p := &Publisher{Client: cw, Logs: logs, Clusters: ecsc, Log: &log, Config: Config{PublishEvery: time.Second},
		Task: Task{ID: "0123456789abcdef0123456789abcdef"}}
	ctx := context.Background()
	if err := p.Publish(ctx, 100, time.Now()); err != nil {
		t.Fatal(err)
	}
	group := PerformanceLogGroup("container-demo")
	if srv.Calls("PutMetricData") != 0 || srv.Calls("PutLogEvents") != 0 {
		t.Fatalf("published while Container Insights is disabled")
	}
	_, err := ecsc.UpdateClusterSettings(ctx, &ecs.UpdateClusterSettingsInput{Cluster: aws.String("container-demo"),
		Settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := p.Publish(ctx, 100, time.Now().Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	out, err := logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(group),
		LogStreamName: aws.String("FargateTelemetry-0123456789abcdef0123456789abcdef"), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 4 || srv.Calls("PutMetricData") != 2 {
		t.Fatalf("%d events, %d PutMetricData", len(out.Events), srv.Calls("PutMetricData"))
	}
	want := "demoapp: Container Insights is disabled on container-demo: publishing nothing until it is enabled\n" +
		"demoapp: Container Insights is enabled on container-demo: publishing\n"
	if log.String() != want {
		t.Errorf("log:\n%s", log.String())
	}
}
