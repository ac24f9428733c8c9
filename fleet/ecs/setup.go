package ecs

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// SetupOptions describe the task definition `loadgen fleet setup` registers.
type SetupOptions struct {
	Image string // the loadgen image (required)
	// ExecutionRole is the task execution role's ARN: Fargate needs one
	// for the awslogs driver (and to pull from a private ECR repository).
	ExecutionRole string
	Family        string // default "loadgen"
	Container     string // default "loadgen"
	LogGroup      string // default "/loadgen/fleet"
	StreamPrefix  string // default "loadgen"
	Region        string // the awslogs-region option (the client's region)
	CPU, Memory   string // task size; default "2048" (2 vCPU) and "4096" (MiB)
}

// FargateMaxNofile is the highest nofile ulimit Fargate allows: a load
// generator's connections are file descriptors.
const FargateMaxNofile = 1048576

func (o *SetupOptions) defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.Family, DefaultTaskDefinition)
	def(&o.Container, "loadgen")
	def(&o.LogGroup, "/loadgen/fleet")
	def(&o.StreamPrefix, "loadgen")
	def(&o.CPU, "2048")
	def(&o.Memory, "4096")
}

// TaskDefinitionInput is the registration: Fargate (awsvpc), one essential
// container whose output goes to CloudWatch Logs with the awslogs driver in
// mode blocking (non-blocking, the default since mid-2025, drops lines
// when its buffer fills, and a shard's log must arrive whole), a stream
// prefix (streams are prefix/container/task-id), and nofile at Fargate's
// maximum.
func TaskDefinitionInput(o SetupOptions) *ecs.RegisterTaskDefinitionInput {
	o.defaults()
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(o.Family),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		NetworkMode:             types.NetworkModeAwsvpc,
		Cpu:                     aws.String(o.CPU),
		Memory:                  aws.String(o.Memory),
		ExecutionRoleArn:        aws.String(o.ExecutionRole),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name:      aws.String(o.Container),
			Image:     aws.String(o.Image),
			Essential: aws.Bool(true),
			Command:   []string{"version"},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": o.LogGroup, "awslogs-region": o.Region, "awslogs-stream-prefix": o.StreamPrefix,
				"mode": "blocking",
			}},
			Ulimits:     []types.Ulimit{{Name: types.UlimitNameNofile, SoftLimit: FargateMaxNofile, HardLimit: FargateMaxNofile}},
			StopTimeout: aws.Int32(30),
		}},
	}
}

// SetupAPI is what Setup calls.
type SetupAPI interface {
	RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error)
}

// SetupLogsAPI is what Setup calls of CloudWatch Logs.
type SetupLogsAPI interface {
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
}

// SetupResult is what Setup created.
type SetupResult struct {
	TaskDefinitionArn string
	LogGroup          string
	LogGroupCreated   bool // false: it existed already
	Input             *ecs.RegisterTaskDefinitionInput
}

// Setup creates the log group (the awslogs driver does not, without
// awslogs-create-group) and registers the task definition.
func Setup(ctx context.Context, api SetupAPI, logs SetupLogsAPI, o SetupOptions) (SetupResult, error) {
	if o.Image == "" || o.ExecutionRole == "" {
		return SetupResult{}, errors.New("fleet setup needs the image and the execution role")
	}
	in := TaskDefinitionInput(o)
	o.defaults()
	res := SetupResult{LogGroup: o.LogGroup, Input: in, LogGroupCreated: true}
	if _, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(o.LogGroup)}); err != nil {
		var exists *logtypes.ResourceAlreadyExistsException
		if !errors.As(err, &exists) {
			return res, fmt.Errorf("CreateLogGroup %s: %w", o.LogGroup, err)
		}
		res.LogGroupCreated = false
	}
	out, err := api.RegisterTaskDefinition(ctx, in)
	if err != nil {
		return res, fmt.Errorf("RegisterTaskDefinition: %w", err)
	}
	res.TaskDefinitionArn = aws.ToString(out.TaskDefinition.TaskDefinitionArn)
	return res, nil
}
