// Package verify finds the CloudWatch alarm that watches the CPU of an ECS
// service, watches it while the load runs (state, history, the metric's
// latest values), and says in plain words whether and when it reached
// ALARM, or why not. It can also create the workshop's alarm.
package verify

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// API is the part of the CloudWatch client that this package needs.
type API interface {
	DescribeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmsOutput, error)
	DescribeAlarmHistory(ctx context.Context, in *cloudwatch.DescribeAlarmHistoryInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.DescribeAlarmHistoryOutput, error)
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
	PutMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricAlarmOutput, error)
}

// The metrics that carry the CPU of an ECS service.
const (
	NamespaceContainerInsights = "ECS/ContainerInsights"
	MetricCpuUtilized          = "CpuUtilized"
	MetricCpuReserved          = "CpuReserved"
	NamespaceECS               = "AWS/ECS"
	MetricCPUUtilization       = "CPUUtilization"
)

// metricRef is one metric an alarm reads.
type metricRef struct {
	Namespace, Name string
	Dims            []types.Dimension
}

// alarmMetrics lists the metrics an alarm reads: its own for a plain alarm,
// the MetricStat queries of Metrics[] for a math alarm.
func alarmMetrics(a types.MetricAlarm) []metricRef {
	var refs []metricRef
	if a.MetricName != nil {
		refs = append(refs, metricRef{aws.ToString(a.Namespace), aws.ToString(a.MetricName), a.Dimensions})
	}
	for _, q := range a.Metrics {
		if q.MetricStat == nil || q.MetricStat.Metric == nil {
			continue
		}
		m := q.MetricStat.Metric
		refs = append(refs, metricRef{aws.ToString(m.Namespace), aws.ToString(m.MetricName), m.Dimensions})
	}
	return refs
}

// isECSCPU reports whether a metric is the CPU of an ECS cluster or service.
func isECSCPU(m metricRef) bool {
	return (m.Namespace == NamespaceContainerInsights && m.Name == MetricCpuUtilized) ||
		(m.Namespace == NamespaceECS && m.Name == MetricCPUUtilization)
}

// watchesECSCPU reports whether the alarm watches the CPU of ECS.
func watchesECSCPU(a types.MetricAlarm) bool {
	for _, m := range alarmMetrics(a) {
		if isECSCPU(m) {
			return true
		}
	}
	return false
}

// dimsString renders dimensions as "ClusterName=x ServiceName=y".
func dimsString(dims []types.Dimension) string {
	parts := make([]string, 0, len(dims))
	for _, d := range dims {
		parts = append(parts, aws.ToString(d.Name)+"="+aws.ToString(d.Value))
	}
	return strings.Join(parts, " ")
}

// metricsDescription renders what an alarm reads, grouped by namespace and
// dimensions: "CpuUtilized, CpuReserved in ECS/ContainerInsights ClusterName=x ServiceName=y".
func metricsDescription(refs []metricRef) string {
	type group struct {
		key   string
		names []string
	}
	var groups []*group
	byKey := map[string]*group{}
	for _, m := range refs {
		key := m.Namespace
		if d := dimsString(m.Dims); d != "" {
			key += " " + d
		}
		g := byKey[key]
		if g == nil {
			g = &group{key: key}
			byKey[key] = g
			groups = append(groups, g)
		}
		if !contains(g.names, m.Name) {
			g.names = append(g.names, m.Name)
		}
	}
	parts := make([]string, 0, len(groups))
	for _, g := range groups {
		parts = append(parts, strings.Join(g.names, ", ")+" in "+g.key)
	}
	if len(parts) == 0 {
		return "no metric"
	}
	return strings.Join(parts, "; ")
}

// watchesDescription says what an alarm watches, for candidate lists:
// "mm1m1 * 100 / mm0m1 over CpuUtilized, CpuReserved in ECS/ContainerInsights ...".
func watchesDescription(a types.MetricAlarm) string {
	desc := metricsDescription(alarmMetrics(a))
	if len(a.Metrics) > 0 {
		for _, q := range a.Metrics {
			if aws.ToBool(q.ReturnData) && q.Expression != nil {
				return aws.ToString(q.Expression) + " over " + desc
			}
		}
		return "metric math over " + desc
	}
	stat := string(a.Statistic)
	if a.ExtendedStatistic != nil {
		stat = aws.ToString(a.ExtendedStatistic)
	}
	if stat != "" {
		desc += " (" + stat + ")"
	}
	return desc
}

// alarmPeriod returns the alarm's period in seconds: its own, or for a
// math alarm the period of its metric queries.
func alarmPeriod(a types.MetricAlarm) int32 {
	if a.Period != nil && *a.Period > 0 {
		return *a.Period
	}
	for _, q := range a.Metrics {
		if q.MetricStat != nil && q.MetricStat.Period != nil && *q.MetricStat.Period > 0 {
			return *q.MetricStat.Period
		}
	}
	for _, q := range a.Metrics {
		if q.Period != nil && *q.Period > 0 {
			return *q.Period
		}
	}
	return DefaultPeriod
}

// ComparisonSymbol renders a comparison operator as ">", ">=", "<", "<=",
// or a short phrase for the anomaly-band operators.
func ComparisonSymbol(op string) string {
	switch types.ComparisonOperator(op) {
	case types.ComparisonOperatorGreaterThanThreshold:
		return ">"
	case types.ComparisonOperatorGreaterThanOrEqualToThreshold:
		return ">="
	case types.ComparisonOperatorLessThanThreshold:
		return "<"
	case types.ComparisonOperatorLessThanOrEqualToThreshold:
		return "<="
	case types.ComparisonOperatorLessThanLowerOrGreaterThanUpperThreshold:
		return "outside band"
	case types.ComparisonOperatorLessThanLowerThreshold:
		return "below band"
	case types.ComparisonOperatorGreaterThanUpperThreshold:
		return "above band"
	case "":
		return "?"
	}
	return op
}

// breaches reports whether v crosses threshold under op, and whether op is
// a static comparison at all.
func breaches(op string, v, threshold float64) (breach, known bool) {
	switch types.ComparisonOperator(op) {
	case types.ComparisonOperatorGreaterThanThreshold:
		return v > threshold, true
	case types.ComparisonOperatorGreaterThanOrEqualToThreshold:
		return v >= threshold, true
	case types.ComparisonOperatorLessThanThreshold:
		return v < threshold, true
	case types.ComparisonOperatorLessThanOrEqualToThreshold:
		return v <= threshold, true
	}
	return false, false
}

// formatValue renders a metric value with one decimal.
func formatValue(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// formatThreshold renders a threshold without needless decimals.
func formatThreshold(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Describe says in a few words what an alarm watches and where it stands:
// "mm1m1 * 100 / mm0m1 > 50, 1 of 1 datapoints of 60s, now OK".
func Describe(a types.MetricAlarm) string {
	what := aws.ToString(a.MetricName)
	for _, q := range a.Metrics {
		if q.Expression != nil && (q.ReturnData == nil || *q.ReturnData) {
			what = aws.ToString(q.Expression)
		}
	}
	n := aws.ToInt32(a.EvaluationPeriods)
	m := aws.ToInt32(a.DatapointsToAlarm)
	if m == 0 {
		m = n
	}
	return fmt.Sprintf("%s %s %s, %d of %d datapoints of %ds, now %s", what, ComparisonSymbol(string(a.ComparisonOperator)),
		formatThreshold(aws.ToFloat64(a.Threshold)), m, n, alarmPeriod(a), a.StateValue)
}
