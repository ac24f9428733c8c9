package ecs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/loadgen/loadgen/fleet"
)

// DescribeBatch is the most tasks one DescribeTasks call takes.
const DescribeBatch = 100

// Describe returns the tasks' states, DescribeBatch at a time.
func (b *Backend) Describe(ctx context.Context, tasks []fleet.Task) ([]fleet.State, error) {
	byARN := map[string]types.Task{}
	missing := map[string]string{}
	for from := 0; from < len(tasks); from += DescribeBatch {
		var arns []string
		for _, t := range tasks[from:min(from+DescribeBatch, len(tasks))] {
			arns = append(arns, t.ID)
		}
		out, err := b.ecs.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(b.o.Cluster), Tasks: arns})
		if err != nil {
			return nil, fmt.Errorf("DescribeTasks: %w", err)
		}
		for _, t := range out.Tasks {
			byARN[aws.ToString(t.TaskArn)] = t
		}
		for _, f := range out.Failures {
			missing[aws.ToString(f.Arn)] = aws.ToString(f.Reason) + detail(f.Detail)
		}
	}
	states := make([]fleet.State, len(tasks))
	for i, t := range tasks {
		et, ok := byARN[t.ID]
		if !ok {
			// ECS forgets a stopped task about an hour after it stopped.
			states[i] = fleet.State{Status: "MISSING", Stopped: true, Reason: "DescribeTasks: " + orDefault(missing[t.ID], "not found")}
			continue
		}
		states[i] = b.state(et)
	}
	return states, nil
}

func (b *Backend) state(t types.Task) fleet.State {
	st := fleet.State{Status: aws.ToString(t.LastStatus), StopCode: string(t.StopCode)}
	if t.StartedAt != nil {
		st.Started = true
	}
	if st.Status == "RUNNING" {
		st.Started = true
	}
	reasons := []string{}
	if r := aws.ToString(t.StoppedReason); r != "" {
		reasons = append(reasons, r)
	}
	for _, c := range t.Containers {
		if aws.ToString(c.Name) != b.container {
			continue
		}
		if c.ExitCode != nil {
			code := int(*c.ExitCode)
			st.ExitCode = &code
		}
		if r := aws.ToString(c.Reason); r != "" {
			reasons = append(reasons, r)
		}
	}
	st.Reason = strings.Join(reasons, "; ")
	if st.Status == "STOPPED" {
		st.Stopped = true
	}
	return st
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Stop stops the tasks, and every running task of the group (startedBy)
// that the list lacks: none of the run's load may be left running.
func (b *Backend) Stop(ctx context.Context, group string, tasks []fleet.Task, reason string) error {
	seen := map[string]bool{}
	var errs []error
	stop := func(arn string) {
		if arn == "" || seen[arn] {
			return
		}
		seen[arn] = true
		_, err := b.ecs.StopTask(ctx, &ecs.StopTaskInput{Cluster: aws.String(b.o.Cluster), Task: aws.String(arn), Reason: aws.String(reason)})
		if err != nil {
			errs = append(errs, fmt.Errorf("StopTask %s: %w", arn, err))
		}
	}
	for _, t := range tasks {
		stop(t.ID)
	}
	if group != "" {
		var next *string
		for {
			out, err := b.ecs.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(b.o.Cluster), StartedBy: aws.String(group),
				DesiredStatus: types.DesiredStatusRunning, NextToken: next})
			if err != nil {
				errs = append(errs, fmt.Errorf("ListTasks startedBy %s: %w", group, err))
				break
			}
			for _, arn := range out.TaskArns {
				stop(arn)
			}
			if next = out.NextToken; next == nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// SplitBytes is where the awslogs driver splits a long line into events:
// CloudWatch's 262,144-byte event limit less its 26 bytes of overhead.
const SplitBytes = 262118

// Stream returns the log stream of a task: prefix/container/task-id.
func (b *Backend) Stream(taskARN string) string {
	id := taskARN[strings.LastIndex(taskARN, "/")+1:]
	return b.prefix + "/" + b.container + "/" + id
}

// ReadLog reads a task's stream forward from cursor (a forward token)
// until the token repeats. A stream not created yet reads as empty.
func (b *Backend) ReadLog(ctx context.Context, t fleet.Task, cursor string) (fleet.LogPage, error) {
	page := fleet.LogPage{Next: cursor}
	for {
		if err := b.read.wait(ctx); err != nil {
			return page, err
		}
		in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String(b.logGroup), LogStreamName: aws.String(b.Stream(t.ID)),
			StartFromHead: aws.Bool(true)}
		if page.Next != "" {
			in.NextToken = aws.String(page.Next)
		}
		out, err := b.logs.GetLogEvents(ctx, in)
		var nf *logtypes.ResourceNotFoundException
		if errors.As(err, &nf) {
			return page, nil
		}
		if err != nil {
			return page, fmt.Errorf("GetLogEvents %s: %w", b.Stream(t.ID), err)
		}
		page.Lines = append(page.Lines, b.join(t.ID, out.Events)...)
		next := aws.ToString(out.NextForwardToken)
		if next == "" || next == page.Next {
			return page, nil
		}
		page.Next = next
		if len(page.Lines) >= 10000 {
			return page, nil
		}
	}
}

// join turns events into lines, joining the parts of a line the driver
// split: an event of exactly SplitBytes continues in the next.
func (b *Backend) join(task string, events []logtypes.OutputLogEvent) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var lines []string
	for _, e := range events {
		msg := b.partial[task] + aws.ToString(e.Message)
		if len(aws.ToString(e.Message)) == SplitBytes {
			b.partial[task] = msg
			continue
		}
		delete(b.partial, task)
		lines = append(lines, msg)
	}
	return lines
}
