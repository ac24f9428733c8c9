package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Clock is what a shard knows of its clock's error.
type Clock struct {
	// ErrorBoundMs is the bound on the clock's error in milliseconds; -1
	// when unknown.
	ErrorBoundMs float64
	// Source says where the bound came from: "ecs-task-metadata", or
	// "unknown" (not on ECS, or the endpoint had no ClockDrift).
	Source string
	// Status is ClockDrift.ClockSynchronizationStatus (SYNCHRONIZED, ...).
	Status string
	// Task is the task's ARN from the metadata, when read.
	Task string
}

// MetadataEnv is the variable ECS sets in every container of a task to the
// task metadata endpoint version 4.
const MetadataEnv = "ECS_CONTAINER_METADATA_URI_V4"

// ReadClock reads the clock-error bound from the ECS task metadata endpoint
// v4 (${ECS_CONTAINER_METADATA_URI_V4}/task, ClockDrift.ClockErrorBound,
// which Fargate reports) when getenv gives its URI; otherwise the bound is
// unknown. The endpoint is link-local and answers at once, so the read is
// bounded by a short timeout; an error leaves the bound unknown and says why.
func ReadClock(ctx context.Context, getenv func(string) string) (Clock, error) {
	unknown := Clock{ErrorBoundMs: -1, Source: "unknown"}
	uri := strings.TrimSpace(getenv(MetadataEnv))
	if uri == "" {
		return unknown, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(uri, "/")+"/task", nil)
	if err != nil {
		return unknown, fmt.Errorf("task metadata: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return unknown, fmt.Errorf("task metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return unknown, fmt.Errorf("task metadata: %s", resp.Status)
	}
	var md struct {
		TaskARN    string
		ClockDrift *struct {
			ClockErrorBound            *float64
			ClockSynchronizationStatus string
		}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&md); err != nil {
		return unknown, fmt.Errorf("task metadata: %w", err)
	}
	unknown.Task = md.TaskARN
	if md.ClockDrift == nil || md.ClockDrift.ClockErrorBound == nil || *md.ClockDrift.ClockErrorBound < 0 {
		return unknown, nil
	}
	return Clock{ErrorBoundMs: *md.ClockDrift.ClockErrorBound, Source: "ecs-task-metadata",
		Status: md.ClockDrift.ClockSynchronizationStatus, Task: md.TaskARN}, nil
}
