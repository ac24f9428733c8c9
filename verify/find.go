package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awscfg"
)

// maxAlarmPages bounds the scan of DescribeAlarms pages (100 alarms each).
const maxAlarmPages = 200

// Candidate is an alarm that watches the CPU of an ECS service.
type Candidate struct {
	Name string
	// Watches says what the alarm reads, e.g.
	// "mm1m1 * 100 / mm0m1 over CpuUtilized, CpuReserved in ECS/ContainerInsights ClusterName=x ServiceName=y".
	Watches string
	// Dimensions of the CPU metric, e.g. "ClusterName=x ServiceName=y".
	Dimensions string
	State      string
}

// String renders "NAME [WATCHES, now STATE]".
func (c Candidate) String() string {
	return fmt.Sprintf("%s [%s, now %s]", c.Name, c.Watches, c.State)
}

func candidateOf(a types.MetricAlarm) Candidate {
	c := Candidate{Name: aws.ToString(a.AlarmName), Watches: watchesDescription(a), State: string(a.StateValue)}
	for _, m := range alarmMetrics(a) {
		if isECSCPU(m) {
			c.Dimensions = dimsString(m.Dims)
			break
		}
	}
	return c
}

// AlarmNotFoundError says that the named alarm does not exist, or, with no
// name, that no alarm watches the CPU of an ECS service. It matches
// ErrSetup.
type AlarmNotFoundError struct {
	// Name is the alarm asked for; empty when searching by what it watches.
	Name string
	// Scanned is how many metric alarms were examined in a search.
	Scanned int
	// Composite is set when Name is a composite alarm, which Watch cannot read.
	Composite bool
}

// Error says what was not found and what to do.
func (e *AlarmNotFoundError) Error() string {
	switch {
	case e.Composite:
		return fmt.Sprintf("alarm %q is a composite alarm: name the metric alarm that watches the CPU with --alarm NAME", e.Name)
	case e.Name != "":
		return fmt.Sprintf("CloudWatch alarm %q not found in this account and region: check --alarm and AWS_REGION, or create it with loadgen alarm create", e.Name)
	}
	return fmt.Sprintf("no CloudWatch alarm watches the CPU of an ECS service (%d metric alarms checked): name one with --alarm NAME or create one with loadgen alarm create", e.Scanned)
}

// Is reports whether target is ErrSetup.
func (e *AlarmNotFoundError) Is(target error) bool { return target == awscfg.ErrSetup }

// AmbiguousAlarmError says that several alarms watch the CPU of an ECS
// service. It matches ErrSetup.
type AmbiguousAlarmError struct {
	Candidates []Candidate
}

// Error lists the candidates and suggests --alarm.
func (e *AmbiguousAlarmError) Error() string {
	parts := make([]string, 0, len(e.Candidates))
	for _, c := range e.Candidates {
		parts = append(parts, c.String())
	}
	return fmt.Sprintf("%d alarms watch the CPU of an ECS service: %s: pick one with --alarm NAME, or create a dedicated one with loadgen alarm create",
		len(e.Candidates), strings.Join(parts, "; "))
}

// Is reports whether target is ErrSetup.
func (e *AmbiguousAlarmError) Is(target error) bool { return target == awscfg.ErrSetup }

// FindAlarm returns the metric alarm called name, or with an empty name the
// one alarm that watches the CPU of an ECS service: a metric-math alarm
// whose Metrics[] read ECS/ContainerInsights CpuUtilized (or AWS/ECS
// CPUUtilization), or a plain alarm on either metric. It scans every page
// of DescribeAlarms. A missing alarm gives *AlarmNotFoundError, several
// candidates *AmbiguousAlarmError; SDK errors are classified by
// awscfg.Classify.
func FindAlarm(ctx context.Context, api API, name string) (types.MetricAlarm, error) {
	if name != "" {
		return findByName(ctx, api, name)
	}
	var found []types.MetricAlarm
	scanned := 0
	p := cloudwatch.NewDescribeAlarmsPaginator(api, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(100)})
	for pages := 0; p.HasMorePages(); pages++ {
		if pages == maxAlarmPages {
			return types.MetricAlarm{}, fmt.Errorf("find alarm: more than %d pages of alarms: name one with --alarm NAME", maxAlarmPages)
		}
		out, err := p.NextPage(ctx)
		if err != nil {
			return types.MetricAlarm{}, fmt.Errorf("find alarm: %w", awscfg.Classify(err))
		}
		for _, a := range out.MetricAlarms {
			scanned++
			if watchesECSCPU(a) {
				found = append(found, a)
			}
		}
	}
	switch len(found) {
	case 0:
		return types.MetricAlarm{}, &AlarmNotFoundError{Scanned: scanned}
	case 1:
		return found[0], nil
	}
	amb := &AmbiguousAlarmError{}
	for _, a := range found {
		amb.Candidates = append(amb.Candidates, candidateOf(a))
	}
	return types.MetricAlarm{}, amb
}

func findByName(ctx context.Context, api API, name string) (types.MetricAlarm, error) {
	out, err := api.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{
		AlarmNames: []string{name},
		AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm},
	})
	if err != nil {
		return types.MetricAlarm{}, fmt.Errorf("find alarm %s: %w", name, awscfg.Classify(err))
	}
	for _, a := range out.MetricAlarms {
		if aws.ToString(a.AlarmName) == name {
			return a, nil
		}
	}
	for _, c := range out.CompositeAlarms {
		if aws.ToString(c.AlarmName) == name {
			return types.MetricAlarm{}, &AlarmNotFoundError{Name: name, Composite: true}
		}
	}
	return types.MetricAlarm{}, &AlarmNotFoundError{Name: name}
}
