// Package fleet runs one load over several machines as shards and decides
// one verdict on their merged data.
//
// Why it is shaped this way:
//
//   - A shard is the real loadgen binary, run with --shard i/N --start-at T
//     --hlog -: it takes its floor/ceil share of -c and --rate, sleeps until
//     T, and writes its HdrHistogram interval log to stdout, opened by a
//     header line (its lateness and clock-error bound) and closed by an end
//     line with its totals. So the coordinator needs nothing from a shard
//     but its exit and its log stream, and a log cut short is detected
//     because the end line is missing.
//   - Where shards run is a Backend with one small interface: launch them,
//     describe them (the coordinator's poll loop is the wait), stop them,
//     read each one's log stream. fleet/ecs runs them as ECS tasks and reads
//     CloudWatch Logs; fleet/local runs child processes on this machine (the
//     honest test double, and --shards N on one big host). The coordinator
//     (Run) is the same for both, so what the tests prove of it holds on ECS.
//   - Percentiles cannot be averaged: the logs are merged on absolute time by
//     report.MergeHlogs into the union histogram. Counts are exact because
//     every end line carries its shard's totals.
//   - A run must never leave load running: whatever ends the coordinator's
//     wait (the deadline, Ctrl+C, an alarm) it stops every task it started,
//     and then still collects their logs, because a stopped shard writes its
//     end line on SIGTERM.
//   - An incomplete run (a shard that did not start, exited non-zero, whose
//     log was cut, or that started late beyond the bound) is named shard by
//     shard; the caller turns that into its verdict.
//
// The package imports no AWS SDK (fleet/ecs does) and does not drive the
// engine itself: it deals with processes, tasks and log streams, and
// merges through report.
package fleet

import (
	"context"
)

// Spec is what one shard is launched with.
type Spec struct {
	Shard Shard
	// Args are the shard's arguments after the program name: --shard i/N
	// --start-at T --hlog - followed by the user's run flags and URL.
	Args []string
	// Token is unique to this shard in this run, so a launch that is
	// retried starts one task, not two (ECS's clientToken).
	Token string
	// Group names the run, so its tasks can be found again (ECS's startedBy).
	Group string
}

// Task is a launched shard, or one that could not be launched (Err).
type Task struct {
	Shard Shard
	// ID is the backend's name of the task: an ECS task ARN, or "pid N".
	ID string
	// Err says why the shard could not be launched; ID is then empty.
	Err error
}

// State is a task's state at one Describe.
type State struct {
	// Status is the backend's word for it, e.g. PENDING, RUNNING, STOPPED.
	Status string
	// Started is true once the shard's container or process has started.
	Started bool
	Stopped bool
	// ExitCode is the shard's exit code once it exited; nil otherwise (a
	// task that never started, or was killed without one).
	ExitCode *int
	// StopCode is ECS's stopCode (TaskFailedToStart, EssentialContainerExited,
	// UserInitiated, ...); the local backend sets TaskFailedToStart too.
	StopCode string
	// Reason is a sentence on why it stopped (ECS's stoppedReason).
	Reason string
}

// LogPage is one read of a task's log stream.
type LogPage struct {
	// Lines are whole lines of the shard's output, in order.
	Lines []string
	// Next is the cursor to read on from.
	Next string
	// Final is true when nothing more will ever arrive (the local backend
	// after the process exited and its output was drained). ECS cannot know
	// it: the coordinator reads on until the end line or its log timeout.
	Final bool
}

// Backend runs shards somewhere. Its methods are called from one goroutine
// at a time per task, except Stop, which may be called while a ReadLog of
// another task is under way.
type Backend interface {
	// Launch starts one task per spec, at the pace the backend allows. A
	// spec that could not be launched gives a Task with Err set; the error
	// returned is for a launch that cannot go on at all (no such cluster).
	Launch(ctx context.Context, specs []Spec) ([]Task, error)
	// Describe returns the state of each task, in order.
	Describe(ctx context.Context, tasks []Task) ([]State, error)
	// Stop asks the tasks to stop (SIGTERM, StopTask); it does not wait.
	// It also stops tasks of the group that it was not told of (a launch
	// cut short by Ctrl+C may have started one whose ID never came back).
	Stop(ctx context.Context, group string, tasks []Task, reason string) error
	// ReadLog reads a task's log stream from cursor ("" is the start).
	ReadLog(ctx context.Context, task Task, cursor string) (LogPage, error)
}
