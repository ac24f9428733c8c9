package ecs_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/loadgen/loadgen/fleet"
	fleetecs "github.com/loadgen/loadgen/fleet/ecs"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
)

// startKumo starts kumo (an independent AWS emulator, built by make kumo
// and named by $KUMO) on a free loopback port. Without it the test is
// skipped, except in CI, which builds it.
func startKumo(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("KUMO")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("KUMO is not set: CI builds kumo with 'make kumo' and runs the tests with KUMO=bin/kumo")
		}
		t.Skip("kumo, the independent AWS emulator, is not built: run 'make kumo' and set KUMO=$PWD/bin/kumo to run this smoke test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cmd := exec.Command(bin, "serve", "--host", "127.0.0.1", "--port", fmt.Sprint(port))
	cmd.Env = append(os.Environ(), "KUMO_LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		t.Fatalf("start kumo %s: %v", bin, err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("kumo did not listen on %s", addr)
		}
	}
}

// TestKumoSmoke runs a fleet against kumo, whose ECS accepts and records
// tasks but starts nothing: kumo parses and accepts every RunTask (so the
// requests are well-formed to an implementation other than ours), resolving
// their cluster and task definition, and the fleet, whose tasks never write
// a line, ends on its own, naming every shard, instead of hanging.
func TestKumoSmoke(t *testing.T) {
	url := startKumo(t)
	cfg := awstest.Config(2)
	ec := ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = aws.String(url) })
	logs := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	if _, err := ec.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("load")}); err != nil {
		t.Fatal(err)
	}
	if _, err := fleetecs.Setup(ctx, ec, logs, fleetecs.SetupOptions{Image: "loadgen:test", Region: awstest.Region,
		ExecutionRole: "arn:aws:iam::000000000000:role/ecsTaskExecutionRole"}); err != nil {
		t.Fatalf("fleet setup against kumo: %v", err)
	}
	// kumo has no DescribeTaskDefinition: say where the logs are instead.
	b, err := fleetecs.New(ctx, ec, logs, fleetecs.Options{Cluster: "load", Subnets: []string{"subnet-1"}, SecurityGroups: []string{"sg-1"},
		LogGroup: "/loadgen/fleet", StreamPrefix: "loadgen", Container: "loadgen"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan *fleet.Outcome, 1)
	start := time.Now()
	go func() {
		out, err := fleet.Run(ctx, b, fleet.Options{Shards: 2, Args: []string{"-c", "2", "http://127.0.0.1:9/"}, Lead: time.Second,
			Poll: 200 * time.Millisecond, LogTimeout: 2 * time.Second, StopTimeout: 5 * time.Second, Say: t.Logf})
		if err != nil {
			t.Error(err)
		}
		done <- out
	}()
	var out *fleet.Outcome
	select {
	case out = <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("the fleet of tasks that never log did not end")
	}
	if out == nil {
		return
	}
	t.Logf("ended after %v", time.Since(start).Round(time.Millisecond))
	ps := out.Problems()
	if len(ps) != 2 {
		t.Fatalf("problems %q, want both shards named", ps)
	}
	for i, p := range ps {
		if !strings.HasPrefix(p, fmt.Sprintf("shard %d/2 (task ", i+1)) || !strings.Contains(p, "wrote nothing to its log stream within 4s of the start time") {
			t.Errorf("problem %q", p)
		}
	}
	var arns []string
	for _, s := range out.Shards {
		arns = append(arns, s.Task)
	}
	d, err := ec.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("load"), Tasks: arns})
	if err != nil || len(d.Tasks) != 2 {
		t.Fatalf("kumo's record of the tasks: %+v %v", d, err)
	}
	for i, task := range d.Tasks {
		// kumo keeps neither startedBy nor the overrides; it does resolve
		// the cluster and the task definition, and keeps the launch type.
		if !strings.Contains(aws.ToString(task.TaskDefinitionArn), "task-definition/loadgen") || task.LaunchType != "FARGATE" ||
			!strings.HasSuffix(aws.ToString(task.ClusterArn), "cluster/load") {
			t.Errorf("task %d as kumo recorded it: definition %q, launch type %q, cluster %q", i+1,
				aws.ToString(task.TaskDefinitionArn), task.LaunchType, aws.ToString(task.ClusterArn))
		}
	}
}
