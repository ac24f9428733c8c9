package demoapp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/metrics"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Container Insights' performance log events for ECS, as the CloudWatch user
// guide shows them ("Container Insights performance log events for Amazon
// ECS"): one Task event per task and one Service event per service each
// interval, in the log group /aws/ecs/containerinsights/<cluster>/performance,
// in a FargateTelemetry-<id> stream on Fargate. The real events also carry an
// embedded-metric-format block (CloudWatchMetrics) from which CloudWatch
// extracts the metrics; the demo publishes those metrics with PutMetricData
// instead, so its events leave that block out.

// PerformanceLogGroup is Container Insights' log group of a cluster.
func PerformanceLogGroup(cluster string) string {
	return "/aws/ecs/containerinsights/" + cluster + "/performance"
}

// DefaultMemoryReserved is the task's memory reservation in MiB, as a
// 0.5 GB Fargate task has.
const DefaultMemoryReserved = 512

// TaskEvent is a performance log event of Type "Task".
type TaskEvent struct {
	Version                string  `json:"Version"`
	Type                   string  `json:"Type"`
	TaskID                 string  `json:"TaskId"`
	TaskDefinitionFamily   string  `json:"TaskDefinitionFamily"`
	TaskDefinitionRevision string  `json:"TaskDefinitionRevision"`
	ServiceName            string  `json:"ServiceName"`
	ClusterName            string  `json:"ClusterName"`
	AccountID              string  `json:"AccountID,omitempty"`
	Region                 string  `json:"Region,omitempty"`
	AvailabilityZone       string  `json:"AvailabilityZone,omitempty"`
	KnownStatus            string  `json:"KnownStatus"`
	LaunchType             string  `json:"LaunchType"`
	CreatedAt              int64   `json:"CreatedAt"`
	StartedAt              int64   `json:"StartedAt"`
	Timestamp              int64   `json:"Timestamp"`
	CpuUtilized            float64 `json:"CpuUtilized"`
	CpuReserved            float64 `json:"CpuReserved"`
	MemoryUtilized         int64   `json:"MemoryUtilized"`
	MemoryReserved         int64   `json:"MemoryReserved"`
	NetworkRxBytes         int64   `json:"NetworkRxBytes"`
	NetworkTxBytes         int64   `json:"NetworkTxBytes"`
	StorageReadBytes       int64   `json:"StorageReadBytes"`
	StorageWriteBytes      int64   `json:"StorageWriteBytes"`
}

// ServiceEvent is a performance log event of Type "Service".
type ServiceEvent struct {
	Version          string `json:"Version"`
	Type             string `json:"Type"`
	ServiceName      string `json:"ServiceName"`
	ClusterName      string `json:"ClusterName"`
	Timestamp        int64  `json:"Timestamp"`
	DesiredTaskCount int    `json:"DesiredTaskCount"`
	RunningTaskCount int    `json:"RunningTaskCount"`
	PendingTaskCount int    `json:"PendingTaskCount"`
	DeploymentCount  int    `json:"DeploymentCount"`
	TaskSetCount     int    `json:"TaskSetCount"`
}

// Task identifies the one task the demo site is.
type Task struct {
	// ID is a 32-hex task id, as ECS makes them.
	ID      string
	Region  string
	Started time.Time
}

// NewTask returns a task with a random id, started at started.
func NewTask(region string, started time.Time) Task {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return Task{ID: hex.EncodeToString(b[:]), Region: region, Started: started}
}

// LogStream is the task's performance log stream, as on Fargate.
func (t Task) LogStream() string { return "FargateTelemetry-" + t.ID }

// PerformanceEvents returns the interval's Task and Service events for the
// task, which used units CPU units and memMiB MiB of memory in the
// interval ending at end.
func PerformanceEvents(cfg Config, task Task, units float64, memMiB int64, end time.Time) []logtypes.InputLogEvent {
	cfg = cfg.withDefaults()
	ms := end.UnixMilli()
	started := task.Started.UnixMilli()
	az := ""
	if task.Region != "" {
		az = task.Region + cfg.Zones[0]
	}
	te := TaskEvent{
		Version: "0", Type: "Task", TaskID: task.ID, TaskDefinitionFamily: cfg.Service, TaskDefinitionRevision: "1",
		ServiceName: cfg.Service, ClusterName: cfg.Cluster, Region: task.Region, AvailabilityZone: az,
		KnownStatus: "RUNNING", LaunchType: "FARGATE", CreatedAt: started, StartedAt: started, Timestamp: ms,
		CpuUtilized: units, CpuReserved: cfg.CPUReserved, MemoryUtilized: memMiB, MemoryReserved: DefaultMemoryReserved,
	}
	se := ServiceEvent{
		Version: "0", Type: "Service", ServiceName: cfg.Service, ClusterName: cfg.Cluster, Timestamp: ms,
		DesiredTaskCount: 1, RunningTaskCount: 1, DeploymentCount: 1,
	}
	var out []logtypes.InputLogEvent
	for _, e := range []any{te, se} {
		b, _ := json.Marshal(e) // plain structs: cannot fail
		out = append(out, logtypes.InputLogEvent{Message: aws.String(string(b)), Timestamp: aws.Int64(ms)})
	}
	return out
}

// MemoryMiB returns the memory this process holds from the OS, in MiB (the
// Go runtime's total mapped memory).
func MemoryMiB() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64() >> 20)
}

// LogPutter is what the publisher calls in CloudWatch Logs;
// *cloudwatchlogs.Client implements it.
type LogPutter interface {
	PutLogEvents(ctx context.Context, in *cloudwatchlogs.PutLogEventsInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.PutLogEventsOutput, error)
	CreateLogGroup(ctx context.Context, in *cloudwatchlogs.CreateLogGroupInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogGroupOutput, error)
	CreateLogStream(ctx context.Context, in *cloudwatchlogs.CreateLogStreamInput, optFns ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.CreateLogStreamOutput, error)
}

// putPerformanceEvents sends events to the task's stream, creating the log
// group and the stream when they are missing, as Container Insights does.
func putPerformanceEvents(ctx context.Context, api LogPutter, cluster string, task Task, events []logtypes.InputLogEvent) error {
	in := &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String(PerformanceLogGroup(cluster)), LogStreamName: aws.String(task.LogStream()), LogEvents: events,
	}
	_, err := api.PutLogEvents(ctx, in)
	var nf *logtypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		return err
	}
	_, err = api.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: in.LogGroupName})
	var exists *logtypes.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("CreateLogGroup: %w", err)
	}
	_, err = api.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: in.LogGroupName, LogStreamName: in.LogStreamName})
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("CreateLogStream: %w", err)
	}
	_, err = api.PutLogEvents(ctx, in)
	return err
}

// ClusterReader is what the publisher asks ECS; *ecs.Client implements it.
type ClusterReader interface {
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, optFns ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
}

// insightsOff reports whether the cluster exists and has Container Insights
// disabled, in which case Container Insights sends nothing. Any other answer
// (the cluster unknown, an error) lets the publisher publish.
func insightsOff(ctx context.Context, api ClusterReader, cluster string) bool {
	out, err := api.DescribeClusters(ctx, &ecs.DescribeClustersInput{
		Clusters: []string{cluster}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldSettings},
	})
	if err != nil || len(out.Clusters) == 0 {
		return false
	}
	for _, s := range out.Clusters[0].Settings {
		if s.Name == ecstypes.ClusterSettingNameContainerInsights {
			v := aws.ToString(s.Value)
			return v != "enabled" && v != "enhanced"
		}
	}
	return true
}
