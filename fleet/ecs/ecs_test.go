package ecs_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/loadgen/loadgen/fleet"
	fleetecs "github.com/loadgen/loadgen/fleet/ecs"
	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
	"github.com/loadgen/loadgen/report"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testsupport.RemoveLoadgenBinary()
	os.Exit(code)
}

const cluster = "load"

// world is the local endpoint running tasks with binary, and SDK clients.
type world struct {
	srv  *awslocal.Server
	ecs  *ecs.Client
	logs *cloudwatchlogs.Client
}

func newWorld(t *testing.T, binary string) *world {
	t.Helper()
	srv := awslocal.New(awslocal.Options{Region: awstest.Region, TaskBinary: binary})
	t.Cleanup(srv.KillTasks)
	ep := awstest.StartLive(t, srv, 3)
	if _, err := srv.PutCluster(awslocal.Cluster{Name: cluster}); err != nil {
		t.Fatal(err)
	}
	w := &world{srv: srv,
		ecs:  ecs.NewFromConfig(ep.Config, func(o *ecs.Options) { o.BaseEndpoint = aws.String(ep.URL) }),
		logs: cloudwatchlogs.NewFromConfig(ep.Config, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = aws.String(ep.URL) })}
	res, err := fleetecs.Setup(context.Background(), w.ecs, w.logs, fleetecs.SetupOptions{Image: "loadgen:test",
		ExecutionRole: "arn:aws:iam::000000000000:role/ecsTaskExecutionRole", Region: awstest.Region})
	if err != nil || !res.LogGroupCreated || !strings.HasSuffix(res.TaskDefinitionArn, ":task-definition/loadgen:1") {
		t.Fatalf("setup: %+v %v", res, err)
	}
	return w
}

func (w *world) backend(t *testing.T) *fleetecs.Backend {
	t.Helper()
	b, err := fleetecs.New(context.Background(), w.ecs, w.logs, fleetecs.Options{Cluster: cluster, Subnets: []string{"subnet-1"}, LaunchRate: 50})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func countingServer(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	t.Cleanup(s.Close)
	return s.URL + "/", &hits
}

func runFleet(t *testing.T, ctx context.Context, b fleet.Backend, args ...string) *fleet.Outcome {
	t.Helper()
	out, err := fleet.Run(ctx, b, fleet.Options{Shards: 3, Args: args, Lead: 2 * time.Second, Poll: 200 * time.Millisecond,
		LogTimeout: 5 * time.Second, StopTimeout: 20 * time.Second, Say: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFleetOfECSTasks runs three shards as ECS tasks of the local endpoint
// through the real SDK: the RunTask overrides carry the shard flags, every
// log arrives whole through GetLogEvents, and the merge counts what the
// server saw.
func TestFleetOfECSTasks(t *testing.T) {
	w := newWorld(t, testsupport.LoadgenBinary(t))
	url, hits := countingServer(t)
	out := runFleet(t, context.Background(), w.backend(t), "-c", "6", "-r", "5", url)
	if !out.Complete() {
		t.Fatalf("incomplete: %q", out.Problems())
	}
	res, _, err := report.MergeHlogs(out.Logs(), fleet.DefaultInterval)
	if err != nil || res.Transactions != 30 || hits.Load() != 30 {
		t.Fatalf("merged %v transactions (%v), server saw %d, want 30", res, err, hits.Load())
	}
	cmds := w.srv.TaskCommands()
	if len(cmds) != 3 {
		t.Fatalf("%d tasks run, want 3", len(cmds))
	}
	for i, c := range cmds {
		want := []string{"--shard", fleet.Shard{Index: i + 1, Count: 3}.String(), "--start-at", fleet.FormatStartAt(out.StartAt), "--hlog", "-", "-c", "6", "-r", "5", url}
		if strings.Join(c, " ") != strings.Join(want, " ") {
			t.Errorf("task %d command %q, want %q", i+1, c, want)
		}
	}
	d, err := w.ecs.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{out.Shards[0].Task}})
	if err != nil || len(d.Tasks) != 1 || aws.ToString(d.Tasks[0].StartedBy) != out.Group || d.Tasks[0].StopCode != types.TaskStopCodeEssentialContainerExited {
		t.Fatalf("task as ECS describes it: %+v %v", d, err)
	}
}

// TestTaskFailedToStartIsNamed: a task ECS could not start (its image
// could not be pulled) is named with ECS's reason; the others merge.
func TestTaskFailedToStartIsNamed(t *testing.T) {
	w := newWorld(t, testsupport.LoadgenBinary(t))
	url, _ := countingServer(t)
	w.srv.FailTaskStart("", "CannotPullContainerError: pull access denied for loadgen", "")
	out := runFleet(t, context.Background(), w.backend(t), "-c", "3", "-r", "3", url)
	ps := out.Problems()
	if len(ps) != 1 || !strings.HasPrefix(ps[0], "shard 2/3 (task ") || !strings.Contains(ps[0], "never started: CannotPullContainerError: pull access denied") {
		t.Fatalf("problems %q", ps)
	}
	if len(out.Logs()) != 2 {
		t.Fatalf("%d logs merged, want the 2 shards that ran", len(out.Logs()))
	}
}

// TestCancelStopsEveryTask: ending the run's context (Ctrl+C, ALARM) stops
// every task with StopTask, and their logs are still read to the end.
func TestCancelStopsEveryTask(t *testing.T) {
	w := newWorld(t, testsupport.LoadgenBinary(t))
	url, hits := countingServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for hits.Load() == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(500 * time.Millisecond)
		cancel()
	}()
	out := runFleet(t, ctx, w.backend(t), "-c", "3", url)
	if out.StoppedBy != "interrupted" || !out.Complete() || len(out.Logs()) != 3 {
		t.Fatalf("stopped by %q, problems %q, %d logs", out.StoppedBy, out.Problems(), len(out.Logs()))
	}
	var arns []string
	for _, s := range out.Shards {
		arns = append(arns, s.Task)
	}
	d, err := w.ecs.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range d.Tasks {
		if aws.ToString(task.LastStatus) != "STOPPED" || task.StopCode != types.TaskStopCodeUserInitiated || *task.Containers[0].ExitCode != fleet.ExitInterrupted {
			t.Errorf("task %s: %s %s exit %v", aws.ToString(task.TaskArn), aws.ToString(task.LastStatus), task.StopCode, task.Containers[0].ExitCode)
		}
	}
	l, err := w.ecs.ListTasks(context.Background(), &ecs.ListTasksInput{Cluster: aws.String(cluster), StartedBy: aws.String(out.Group)})
	if err != nil || len(l.TaskArns) != 0 {
		t.Fatalf("tasks of the run still running: %v %v", l, err)
	}
}

// TestLongLinesSplitAndJoined: the local endpoint splits a task's line
// longer than 262,118 bytes into events as the awslogs driver does, and
// ReadLog joins them again.
func TestLongLinesSplitAndJoined(t *testing.T) {
	w := newWorld(t, "/bin/sh")
	b := w.backend(t)
	long := 600000
	tasks, err := b.Launch(context.Background(), []fleet.Spec{{Shard: fleet.Shard{Index: 1, Count: 1}, Token: "t1", Group: "g",
		Args: []string{"-c", "head -c 600000 /dev/zero | tr '\\0' a; echo; echo short"}}})
	if err != nil || tasks[0].Err != nil {
		t.Fatalf("launch: %v %+v", err, tasks)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		st, err := b.Describe(context.Background(), tasks)
		if err != nil {
			t.Fatal(err)
		}
		if st[0].Stopped {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the task did not stop")
		}
		time.Sleep(50 * time.Millisecond)
	}
	ev, err := w.logs.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("/loadgen/fleet"),
		LogStreamName: aws.String(b.Stream(tasks[0].ID)), StartFromHead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, e := range ev.Events {
		sizes = append(sizes, len(aws.ToString(e.Message)))
	}
	if want := []int{fleetecs.SplitBytes, fleetecs.SplitBytes, long - 2*fleetecs.SplitBytes, 5}; !equal(sizes, want) {
		t.Fatalf("event sizes %v, want %v", sizes, want)
	}
	page, err := b.ReadLog(context.Background(), tasks[0], "")
	if err != nil || len(page.Lines) != 2 || len(page.Lines[0]) != long || page.Lines[1] != "short" {
		t.Fatalf("joined lines: %d %v", len(page.Lines), err)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDescribeInBatchesOf100: 101 tasks are described in two calls.
func TestDescribeInBatchesOf100(t *testing.T) {
	w := newWorld(t, "/bin/true")
	b, err := fleetecs.New(context.Background(), w.ecs, w.logs, fleetecs.Options{Cluster: cluster, Subnets: []string{"subnet-1"}, LaunchRate: 1000})
	if err != nil {
		t.Fatal(err)
	}
	specs := make([]fleet.Spec, 101)
	for i := range specs {
		specs[i] = fleet.Spec{Shard: fleet.Shard{Index: i + 1, Count: 101}, Token: fmt.Sprintf("batch-%d", i), Group: "batch"}
	}
	tasks, err := b.Launch(context.Background(), specs)
	if err != nil {
		t.Fatal(err)
	}
	before := w.srv.Calls("DescribeTasks")
	states, err := b.Describe(context.Background(), tasks)
	if err != nil || len(states) != 101 || w.srv.Calls("DescribeTasks")-before != 2 {
		t.Fatalf("%d states, %d DescribeTasks calls, %v", len(states), w.srv.Calls("DescribeTasks")-before, err)
	}
	for i, st := range states {
		if st.Status == "MISSING" {
			t.Fatalf("task %d missing: %+v", i+1, st)
		}
	}
}

// TestRunTaskIsIdempotent: the same clientToken starts one task, not two.
func TestRunTaskIsIdempotent(t *testing.T) {
	w := newWorld(t, "/bin/true")
	in := &ecs.RunTaskInput{Cluster: aws.String(cluster), TaskDefinition: aws.String("loadgen"), LaunchType: types.LaunchTypeFargate,
		ClientToken: aws.String("run-1-shard-1"), StartedBy: aws.String("loadgen-fleet-run-1"),
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}}
	a, err1 := w.ecs.RunTask(context.Background(), in)
	b, err2 := w.ecs.RunTask(context.Background(), in)
	if err1 != nil || err2 != nil || len(a.Tasks) != 1 || aws.ToString(a.Tasks[0].TaskArn) != aws.ToString(b.Tasks[0].TaskArn) {
		t.Fatalf("%v %v %+v %+v", err1, err2, a, b)
	}
	in.NetworkConfiguration = nil
	in.ClientToken = aws.String("run-1-shard-2")
	if _, err := w.ecs.RunTask(context.Background(), in); err == nil || !strings.Contains(err.Error(), "Network Configuration must be provided") {
		t.Fatalf("Fargate without subnets: %v", err)
	}
}
