// Package ecs runs a fleet's shards as Amazon ECS tasks (Fargate by
// default) and reads their log streams from CloudWatch Logs: the product
// side of `loadgen fleet --tasks N`.
//
// Why it works this way:
//
//   - One RunTask per shard, because each shard's command differs (its
//     --shard i/N), each with a clientToken (a retried call starts no second
//     task) and the run's startedBy (Stop finds every task of the run with
//     ListTasks, even one whose RunTask answer was lost to Ctrl+C). RunTask
//     is throttled per account, so calls are paced on the client side.
//   - DescribeTasks takes at most 100 tasks per call.
//   - The task definition says where the logs go (the awslogs driver's
//     group and stream prefix; `loadgen fleet setup` registers one with
//     mode: blocking, so no line is dropped): the stream of a task is
//     prefix/container/task-id. GetLogEvents is read forward until its
//     forward token repeats (the end, for now); the coordinator retries
//     until the shard's end line arrives. The driver splits a line longer
//     than 262,118 bytes into several events; they are joined again.
package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/loadgen/loadgen/fleet"
)

// API is the part of the ECS client the backend uses.
type API interface {
	RunTask(ctx context.Context, in *ecs.RunTaskInput, opts ...func(*ecs.Options)) (*ecs.RunTaskOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	StopTask(ctx context.Context, in *ecs.StopTaskInput, opts ...func(*ecs.Options)) (*ecs.StopTaskOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// LogsAPI is the part of the CloudWatch Logs client the backend uses.
type LogsAPI interface {
	GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error)
}

// Options say where and how the tasks run.
type Options struct {
	Cluster string // default "default"
	// TaskDefinition is family[:revision] or an ARN (default "loadgen",
	// what `loadgen fleet setup` registers).
	TaskDefinition string
	Subnets        []string
	SecurityGroups []string
	// PublicIP gives each task a public IP (needed in a public subnet
	// without a NAT gateway, to pull the image and reach the target).
	PublicIP bool
	// LaunchType is FARGATE (default) or EC2.
	LaunchType string
	// LaunchRate is the most RunTask calls per second (default 10).
	LaunchRate float64
	// ReadRate is the most GetLogEvents calls per second (default 10; the
	// account's quota is 25 per second, shared).
	ReadRate float64
	// LogGroup, StreamPrefix and Container say where the tasks' logs are;
	// given all three, the task definition is not described (no
	// ecs:DescribeTaskDefinition permission is needed).
	LogGroup, StreamPrefix, Container string
}

// DefaultTaskDefinition is the family `loadgen fleet setup` registers.
const DefaultTaskDefinition = "loadgen"

// Backend runs shards as ECS tasks. It implements fleet.Backend.
type Backend struct {
	ecs  API
	logs LogsAPI
	o    Options

	container string // the task definition's container
	logGroup  string
	prefix    string // awslogs-stream-prefix

	launch, read *pacer

	mu      sync.Mutex
	partial map[string]string // a line split by the driver, by task
}

// New reads the task definition (its container and where its logs go) and
// returns a Backend. The task definition must send the container's output
// to CloudWatch Logs with the awslogs driver and a stream prefix.
func New(ctx context.Context, api API, logs LogsAPI, o Options) (*Backend, error) {
	if o.Cluster == "" {
		o.Cluster = "default"
	}
	if o.TaskDefinition == "" {
		o.TaskDefinition = DefaultTaskDefinition
	}
	if o.LaunchType == "" {
		o.LaunchType = string(types.LaunchTypeFargate)
	}
	if o.LaunchRate <= 0 {
		o.LaunchRate = 10
	}
	if o.ReadRate <= 0 {
		o.ReadRate = 10
	}
	if o.LaunchType == string(types.LaunchTypeFargate) && len(o.Subnets) == 0 {
		return nil, errors.New("Fargate tasks need --subnets (and usually --security-groups)")
	}
	b := &Backend{ecs: api, logs: logs, o: o, launch: newPacer(o.LaunchRate), read: newPacer(o.ReadRate), partial: map[string]string{},
		container: o.Container, logGroup: o.LogGroup, prefix: o.StreamPrefix}
	if b.container != "" && b.logGroup != "" && b.prefix != "" {
		return b, nil
	}
	out, err := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(o.TaskDefinition)})
	if err != nil {
		return nil, fmt.Errorf("task definition %s (register one with 'loadgen fleet setup'): %w", o.TaskDefinition, err)
	}
	if err := b.useTaskDefinition(out.TaskDefinition); err != nil {
		return nil, fmt.Errorf("task definition %s: %w", o.TaskDefinition, err)
	}
	return b, nil
}

func (b *Backend) useTaskDefinition(td *types.TaskDefinition) error {
	if td == nil || len(td.ContainerDefinitions) == 0 {
		return errors.New("it has no container")
	}
	c := td.ContainerDefinitions[0]
	b.container = aws.ToString(c.Name)
	lc := c.LogConfiguration
	if lc == nil || lc.LogDriver != types.LogDriverAwslogs {
		return fmt.Errorf("container %s does not log with the awslogs driver, so its interval log cannot be read back", b.container)
	}
	b.logGroup, b.prefix = lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"]
	if b.logGroup == "" || b.prefix == "" {
		return fmt.Errorf("container %s's awslogs options lack awslogs-group or awslogs-stream-prefix", b.container)
	}
	return nil
}

// Describe of where the logs are, for messages.
func (b *Backend) String() string {
	return fmt.Sprintf("cluster %s, task definition %s, logs %s/%s/%s/<task>", b.o.Cluster, b.o.TaskDefinition, b.logGroup, b.prefix, b.container)
}

// MaxOverrides is ECS's limit on the size of a RunTask's overrides as JSON.
const MaxOverrides = 8192

func (b *Backend) overrides(args []string) (*types.TaskOverride, error) {
	ov := &types.TaskOverride{ContainerOverrides: []types.ContainerOverride{{Name: aws.String(b.container), Command: args}}}
	js, err := json.Marshal(map[string]any{"containerOverrides": []map[string]any{{"name": b.container, "command": args}}})
	if err != nil {
		return nil, err
	}
	if len(js) > MaxOverrides {
		return nil, fmt.Errorf("the shard's command is %d characters as RunTask overrides, over ECS's limit of %d: shorten the flags (a URL file cannot be sent either)", len(js), MaxOverrides)
	}
	return ov, nil
}

// Launch runs one task per spec, paced at LaunchRate. A RunTask call is
// not cut short by ctx (its task could start unseen); ctx only stops
// further launches.
func (b *Backend) Launch(ctx context.Context, specs []fleet.Spec) ([]fleet.Task, error) {
	ovs := make([]*types.TaskOverride, len(specs))
	for i, sp := range specs {
		ov, err := b.overrides(sp.Args)
		if err != nil {
			return nil, err
		}
		ovs[i] = ov
	}
	tasks := make([]fleet.Task, len(specs))
	for i, sp := range specs {
		tasks[i].Shard = sp.Shard
		if err := b.launch.wait(ctx); err != nil {
			tasks[i].Err = fmt.Errorf("not launched: %w", err)
			continue
		}
		arn, err := b.runTask(context.WithoutCancel(ctx), sp, ovs[i])
		if err != nil && i == 0 && isFatal(err) {
			return tasks[:i], fmt.Errorf("RunTask: %w", err)
		}
		tasks[i].ID, tasks[i].Err = arn, err
	}
	return tasks, nil
}

func (b *Backend) runTask(ctx context.Context, sp fleet.Spec, ov *types.TaskOverride) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	assign := types.AssignPublicIpDisabled
	if b.o.PublicIP {
		assign = types.AssignPublicIpEnabled
	}
	in := &ecs.RunTaskInput{
		Cluster: aws.String(b.o.Cluster), TaskDefinition: aws.String(b.o.TaskDefinition), Count: aws.Int32(1),
		LaunchType: types.LaunchType(b.o.LaunchType), Overrides: ov,
		ClientToken: aws.String(sp.Token), StartedBy: aws.String(sp.Group),
	}
	if len(b.o.Subnets) > 0 {
		in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: b.o.Subnets, SecurityGroups: b.o.SecurityGroups, AssignPublicIp: assign}}
	}
	out, err := b.ecs.RunTask(ctx, in)
	switch {
	case err != nil:
		return "", err
	case len(out.Tasks) > 0:
		return aws.ToString(out.Tasks[0].TaskArn), nil
	case len(out.Failures) > 0:
		f := out.Failures[0]
		return "", fmt.Errorf("RunTask failed: %s%s", aws.ToString(f.Reason), detail(f.Detail))
	}
	return "", errors.New("RunTask returned neither a task nor a failure")
}

func detail(d *string) string {
	if aws.ToString(d) == "" {
		return ""
	}
	return " (" + aws.ToString(d) + ")"
}

// isFatal reports whether a RunTask error would fail every launch: the
// cluster, the task definition, the parameters or the permissions.
func isFatal(err error) bool {
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.ErrorCode() {
	case "ClusterNotFoundException", "InvalidParameterException", "ClientException", "PlatformUnknownException",
		"UnsupportedFeatureException", "AccessDeniedException", "AccessDenied", "UnrecognizedClientException":
		return true
	}
	return false
}

// pacer spaces calls at most rate per second, shared by its callers.
type pacer struct {
	mu    sync.Mutex
	every time.Duration
	next  time.Time
}

func newPacer(rate float64) *pacer { return &pacer{every: time.Duration(float64(time.Second) / rate)} }

func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.every)
	p.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return ctx.Err()
}
