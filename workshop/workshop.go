// Package workshop checks, step by step, that the ECS workshop's chapter
// "CloudWatch Container Insights for ECS" was done: credentials, the
// service-linked roles, the stacks, the cluster, Container Insights, the
// CloudWatch agent, the performance logs and metrics, the alarm and its
// confirmed e-mail subscription, the alarm having fired, and the chapter's
// two Logs Insights queries; or, with the cleanup steps, that the chapter's
// last section was done. It is named for what it knows (the chapter), not for
// the command that prints it (`loadgen check`), so that its names read as
// the chapter's: workshop.Steps, workshop.CleanupSteps.
//
// Each step is one function that takes the narrow SDK client interfaces it
// needs and returns a Result: pass, fail or not applicable, with the reason
// and, for a failure, the command that fixes it (the chapter's own aws
// command with the names filled in, or loadgen's). An AWS error on one
// service (access denied, throttling) fails that step with the reason; the
// other steps still run. A Checker runs the steps in the chapter's order and
// shares what one step found (the cluster, the alarm) with the steps after
// it.
package workshop

import (
	"fmt"
	"time"
)

// Status is a step's outcome.
type Status int

// The outcomes of a step.
const (
	Pass          Status = iota // the step is done
	Fail                        // the step is not done (Fix says what to type)
	NotApplicable               // the step does not apply here (Detail says why)
)

// String returns "pass", "fail" or "not_applicable" (the JSON form).
func (s Status) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case NotApplicable:
		return "not_applicable"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// Symbol returns ✓, ✗ or –.
func (s Status) Symbol() string {
	switch s {
	case Pass:
		return "✓"
	case Fail:
		return "✗"
	}
	return "–"
}

// MarshalText writes the String form.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads the String form.
func (s *Status) UnmarshalText(b []byte) error {
	for _, v := range []Status{Pass, Fail, NotApplicable} {
		if v.String() == string(b) {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown step status %q", b)
}

// Result is the outcome of one step.
type Result struct {
	// Number is the step's place in the chapter (1-11, or 1-5 for cleanup).
	Number int `json:"number"`
	// Step is the step's name, as --step takes it.
	Step string `json:"step"`
	// Title says what the step checks.
	Title  string `json:"title"`
	Status Status `json:"status"`
	// Detail says what was found (pass) or why not (fail, not applicable).
	Detail string `json:"detail"`
	// Fix holds the commands (or, where no command exists, the action) that
	// make a failed step pass, in order.
	Fix []string `json:"fix,omitempty"`
	// Output holds extra lines to show under the step, e.g. query rows.
	Output []string `json:"output,omitempty"`
	// BlockedBy names the step whose failure kept this one from being
	// checked; its Fix repeats that step's.
	BlockedBy string `json:"blocked_by,omitempty"`

	// setup is set when the failure means nothing else can be checked.
	setup bool
}

// Report is the outcome of a check.
type Report struct {
	Schema string `json:"schema"`
	// Mode is "chapter" or "cleanup".
	Mode    string    `json:"mode"`
	Region  string    `json:"region"`
	Account string    `json:"account,omitempty"`
	Start   time.Time `json:"start"`
	// Elapsed is the check's duration in seconds.
	Elapsed float64  `json:"elapsed"`
	Steps   []Result `json:"steps"`
	// Passed is true when no step failed.
	Passed bool `json:"passed"`
	// SetupError, when set, says why nothing past the credentials could be
	// checked (no or rejected credentials, unreachable endpoint).
	SetupError string `json:"setup_error,omitempty"`
}

// Schema names the JSON form of Report.
const Schema = "loadgen.check/v1"

// Counts returns how many steps passed, failed and did not apply.
func (r Report) Counts() (pass, fail, na int) {
	for _, s := range r.Steps {
		switch s.Status {
		case Pass:
			pass++
		case Fail:
			fail++
		default:
			na++
		}
	}
	return pass, fail, na
}

// The workshop's names.
const (
	// ClusterMatch is what the chapter's `select(contains("container-demo"))`
	// looks for in the cluster ARNs.
	ClusterMatch = "container-demo"
	// DefaultService is the frontend's ECS service.
	DefaultService = "ecsdemo-frontend"
	// RoleELB and RoleECS are the service-linked roles the chapter makes sure of.
	RoleELB = "AWSServiceRoleForElasticLoadBalancing"
	RoleECS = "AWSServiceRoleForECS"
	// InsightsSetting is the ECS cluster setting of Container Insights.
	InsightsSetting = "containerInsights"
	// MetricsNamespace is Container Insights' metric namespace.
	MetricsNamespace = "ECS/ContainerInsights"
	// DefaultRecent is how recent the performance logs and metrics must be:
	// the chapter's 15-minute range.
	DefaultRecent = 15 * time.Minute
)

// The workshop's stacks: the platform (the CDK path names it
// ecsworkshop-base; the CloudFormation path container-demo) and the three
// services, each deployed from its repository's cdk directory.
const (
	PlatformStackCDK = "ecsworkshop-base"
	PlatformStackCFN = "container-demo"
	FrontendStack    = "ecsworkshop-frontend"
	NodejsStack      = "ecsworkshop-nodejs"
	CrystalStack     = "ecsworkshop-crystal"
)

// ServiceStacks are the three service stacks, in the chapter's order.
var ServiceStacks = []string{FrontendStack, NodejsStack, CrystalStack}

// PerformanceLogGroup is Container Insights' log group for a cluster.
func PerformanceLogGroup(cluster string) string {
	return "/aws/ecs/containerinsights/" + cluster + "/performance"
}

// CWAgentStack is the chapter's instance-level insights stack for a cluster.
func CWAgentStack(cluster, region string) string {
	return "CWAgentECS-" + cluster + "-" + region
}

// The chapter's two Logs Insights queries, exactly as written.
const (
	QueryTasksPerService = `stats count_distinct(TaskId) as Number_of_Tasks by ServiceName`
	QueryTaskAverages    = "stats avg(MemoryUtilized) as Avg_Memory, avg(CpuUtilized) as Avg_CPU by bin(5m)\n| filter Type=\"Task\""
	// queryTaskAveragesFilterFirst is QueryTaskAverages with the filter
	// before the stats, which is what the chapter's screenshot shows.
	queryTaskAveragesFilterFirst = "filter Type=\"Task\"\n| stats avg(MemoryUtilized) as Avg_Memory, avg(CpuUtilized) as Avg_CPU by bin(5m)"
)
