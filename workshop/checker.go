package workshop

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/stackurl"
)

// Options say where and what the Checker checks. Zero fields take the
// workshop's values.
type Options struct {
	// Region is the configured AWS region, used in names (the CWAgent
	// stack) and in the fix commands.
	Region string
	// Cluster, when set, is the cluster to check instead of the one whose
	// ARN contains container-demo.
	Cluster string
	// Service is the frontend's ECS service (default ecsdemo-frontend).
	Service string
	// Alarm, when set, names the alarm; otherwise it is the one alarm on an
	// ECS service's CPU, as --until-alarm finds it.
	Alarm string
	// Sources are where the load balancer URL is looked up (nil: the
	// workshop's chain).
	Sources []stackurl.Source
	// Recent is how recent performance logs and metrics must be (default
	// 15 minutes).
	Recent time.Duration
	// Query bounds the Logs Insights queries.
	Query QueryOptions
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Step is one step of the chapter (or of its clean-up).
type Step struct {
	Number int
	// Name is what --step takes.
	Name  string
	Title string
	run   func(c *Checker, ctx context.Context) Result
}

// Steps returns the chapter's steps, in its order.
func Steps() []Step {
	return []Step{
		{1, "credentials", "credentials, region and account (STS GetCallerIdentity)", (*Checker).credentials},
		{2, "roles", "service-linked roles for Elastic Load Balancing and ECS", (*Checker).roles},
		{3, "stacks", "platform and service stacks deployed, load balancer URL in their outputs", (*Checker).stacks},
		{4, "cluster", "the cluster whose ARN contains container-demo", (*Checker).clusterStep},
		{5, "insights", "Container Insights enabled on the cluster", (*Checker).insights},
		{6, "cwagent", "instance-level insights: the CWAgentECS stack, where there are EC2 instances", (*Checker).cwagent},
		{7, "logs", "performance log events in the last 15 minutes", (*Checker).logs},
		{8, "metrics", "CpuUtilized and CpuReserved of the service with recent datapoints", (*Checker).metrics},
		{9, "alarm", "the CPU alarm > 50 with a confirmed e-mail subscription", (*Checker).alarmStep},
		{10, "fired", "the alarm has reached ALARM", (*Checker).fired},
		{11, "queries", "the chapter's two Logs Insights queries return rows", (*Checker).queries},
	}
}

// CleanupSteps returns the steps of the chapter's last section.
func CleanupSteps() []Step {
	return []Step{
		{1, "credentials", "credentials, region and account (STS GetCallerIdentity)", (*Checker).credentials},
		{2, "insights-disabled", "Container Insights disabled (or the cluster gone)", (*Checker).insightsDisabled},
		{3, "cwagent-deleted", "the CWAgentECS stack deleted", func(c *Checker, ctx context.Context) Result {
			return CheckCWAgentDeleted(ctx, c.clients.CloudFormation, c.opts.Region)
		}},
		{4, "stacks-deleted", "the service and platform stacks deleted", func(c *Checker, ctx context.Context) Result {
			return CheckStacksDeleted(ctx, c.clients.CloudFormation)
		}},
		{5, "log-groups-deleted", "the ecsworkshop-* log groups deleted", func(c *Checker, ctx context.Context) Result {
			return CheckLogGroupsDeleted(ctx, c.clients.Logs)
		}},
	}
}

// Checker runs the steps and shares what one step found with the next.
type Checker struct {
	clients Clients
	opts    Options

	identity   Identity
	credResult *Result
	clusterRes *clusterMemo
	alarmRes   *alarmMemo
}

type clusterMemo struct {
	c       Cluster
	r       Result
	missing bool
}

type alarmMemo struct {
	a *cwtypes.MetricAlarm
	r Result
}

// New returns a Checker over clients.
func New(clients Clients, opts Options) *Checker {
	if opts.Service == "" {
		opts.Service = DefaultService
	}
	if opts.Recent <= 0 {
		opts.Recent = DefaultRecent
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Checker{clients: clients, opts: opts}
}

// SelectSteps returns the steps named (by name or number) in only, in the
// chapter's order; all of them when only is empty.
func SelectSteps(all []Step, only []string) ([]Step, error) {
	if len(only) == 0 {
		return all, nil
	}
	want := map[string]bool{}
	for _, o := range only {
		for _, w := range strings.Split(o, ",") {
			w = strings.TrimSpace(w)
			found := false
			for _, s := range all {
				if w == s.Name || w == strconv.Itoa(s.Number) {
					want[s.Name], found = true, true
				}
			}
			if !found {
				return nil, fmt.Errorf("unknown step %q: want one of %s", w, stepNames(all))
			}
		}
	}
	var out []Step
	for _, s := range all {
		if want[s.Name] {
			out = append(out, s)
		}
	}
	return out, nil
}

func stepNames(all []Step) string {
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	return strings.Join(names, ", ")
}

// Run runs steps (from Steps or CleanupSteps, possibly selected) in order.
// It always asks STS who the credentials are first: when that fails for
// want of credentials, or the endpoint cannot be reached, nothing else can
// be checked, and the report says so in SetupError after the credentials
// step.
func (c *Checker) Run(ctx context.Context, mode string, steps []Step) Report {
	start := c.opts.Now()
	rep := Report{Schema: Schema, Mode: mode, Region: c.opts.Region, Start: start}
	cred := c.credentials(ctx)
	rep.Account = c.identity.Account
	if cred.setup {
		first := Steps()[0]
		cred.Number, cred.Step, cred.Title = first.Number, first.Name, first.Title
		rep.Steps, rep.SetupError = []Result{cred}, cred.Detail
		steps = nil
	}
	for _, s := range steps {
		r := s.run(c, ctx)
		r.Number, r.Step, r.Title = s.Number, s.Name, s.Title
		rep.Steps = append(rep.Steps, r)
	}
	_, fail, _ := rep.Counts()
	rep.Passed = fail == 0 && rep.SetupError == ""
	rep.Elapsed = c.opts.Now().Sub(start).Seconds()
	return rep
}

func (c *Checker) credentials(ctx context.Context) Result {
	if c.credResult == nil {
		id, r := CheckCredentials(ctx, c.clients.STS, c.opts.Region)
		c.identity, c.credResult = id, &r
	}
	return *c.credResult
}

func (c *Checker) roles(ctx context.Context) Result { return CheckRoles(ctx, c.clients.IAM) }

func (c *Checker) stacks(ctx context.Context) Result {
	return CheckStacks(ctx, c.clients.CloudFormation, c.opts.Sources)
}

// cluster finds the cluster once.
func (c *Checker) cluster(ctx context.Context) *clusterMemo {
	if c.clusterRes == nil {
		cl, r, missing := findCluster(ctx, c.clients.ECS, c.opts.Cluster)
		c.clusterRes = &clusterMemo{cl, r, missing}
	}
	return c.clusterRes
}

func (c *Checker) clusterStep(ctx context.Context) Result { return c.cluster(ctx).r }

// withCluster runs f with the cluster, or fails as blocked by step 4.
func (c *Checker) withCluster(ctx context.Context, f func(Cluster) Result) Result {
	m := c.cluster(ctx)
	if m.r.Status != Pass {
		return Result{Status: Fail, BlockedBy: "cluster", Fix: m.r.Fix,
			Detail: "not checked without the cluster (see step 4)"}
	}
	return f(m.c)
}

func (c *Checker) insights(ctx context.Context) Result {
	return c.withCluster(ctx, func(cl Cluster) Result { return CheckInsights(cl, c.opts.Region) })
}

func (c *Checker) cwagent(ctx context.Context) Result {
	return c.withCluster(ctx, func(cl Cluster) Result {
		return CheckCWAgent(ctx, c.clients.ECS, c.clients.CloudFormation, cl, c.opts.Region)
	})
}

func (c *Checker) logs(ctx context.Context) Result {
	return c.withCluster(ctx, func(cl Cluster) Result {
		return CheckPerformanceLogs(ctx, c.clients.Logs, cl, c.opts.Service, c.opts.Region, c.opts.Now(), c.opts.Recent)
	})
}

func (c *Checker) metrics(ctx context.Context) Result {
	return c.withCluster(ctx, func(cl Cluster) Result {
		return CheckMetrics(ctx, c.clients.CloudWatch, cl, c.opts.Service, c.opts.Region, c.opts.Now(), c.opts.Recent)
	})
}

// alarm finds and checks the alarm once.
func (c *Checker) alarm(ctx context.Context) *alarmMemo {
	if c.alarmRes == nil {
		cluster := ""
		if m := c.cluster(ctx); m.r.Status == Pass {
			cluster = m.c.Name
		}
		a, r := CheckAlarm(ctx, c.clients.CloudWatch, c.clients.SNS, c.opts.Alarm, cluster, c.opts.Service)
		c.alarmRes = &alarmMemo{a, r}
	}
	return c.alarmRes
}

func (c *Checker) alarmStep(ctx context.Context) Result { return c.alarm(ctx).r }

func (c *Checker) fired(ctx context.Context) Result {
	m := c.alarm(ctx)
	if m.a == nil {
		return Result{Status: Fail, BlockedBy: "alarm", Fix: m.r.Fix,
			Detail: "not checked without the alarm (see step 9)"}
	}
	return CheckFired(ctx, c.clients.CloudWatch, *m.a, c.opts.Alarm != "", c.opts.Now())
}

func (c *Checker) queries(ctx context.Context) Result {
	return c.withCluster(ctx, func(cl Cluster) Result {
		return CheckQueries(ctx, c.clients.Logs, cl, c.opts.Service, c.opts.Region, c.opts.Now(), c.opts.Query)
	})
}

func (c *Checker) insightsDisabled(ctx context.Context) Result {
	m := c.cluster(ctx)
	switch {
	case m.missing:
		return CheckInsightsDisabled(nil, c.opts.Region)
	case m.r.Status != Pass:
		return m.r
	}
	return CheckInsightsDisabled(&m.c, c.opts.Region)
}
