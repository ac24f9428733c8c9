package verify

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awscfg"
)

// The alarm metrics CreateAlarm knows.
const (
	// MetricContainerInsights is the workshop's metric-math alarm:
	// mm1m1 * 100 / mm0m1 over ECS/ContainerInsights CpuUtilized (mm1m1) and
	// CpuReserved (mm0m1).
	MetricContainerInsights = "container-insights"
	// MetricAWSECS is a plain alarm on AWS/ECS CPUUtilization (Average),
	// which needs no Container Insights.
	MetricAWSECS = "aws-ecs"
)

// Workshop defaults for AlarmSpec.
const (
	DefaultCluster   = "container-demo"
	DefaultService   = "ecsdemo-frontend"
	DefaultThreshold = 50
	DefaultPeriod    = 60
	// WorkshopExpression is the console's expression for the service's CPU
	// in percent of its reservation.
	WorkshopExpression = "mm1m1 * 100 / mm0m1"
	// workshopStat is the statistic of both Container Insights queries. The
	// workshop's screenshots do not show it; Average/Average gives the same
	// ratio as Sum/Sum when both metrics are published together, as
	// Container Insights does.
	workshopStat = "Average"
)

// AlarmSpec describes the alarm CreateAlarm makes. Zero fields take the
// workshop's values.
type AlarmSpec struct {
	// Name defaults to DefaultAlarmName(Service).
	Name string
	// Cluster and Service default to container-demo and ecsdemo-frontend.
	Cluster, Service string
	// Threshold in percent; 0 means 50.
	Threshold float64
	// Period in seconds; 0 means 60.
	Period int32
	// ActionARN, if set, is the alarm's only AlarmAction (e.g. an SNS topic).
	ActionARN string
	// Metric is MetricContainerInsights (default) or MetricAWSECS.
	Metric string
	// EvaluationPeriods (N) defaults to 1; DatapointsToAlarm (M) to N.
	EvaluationPeriods, DatapointsToAlarm int32
}

// DefaultAlarmName names the alarm CreateAlarm makes for a service.
func DefaultAlarmName(service string) string {
	if service == "" {
		return "loadgen-cpu-high"
	}
	return "loadgen-" + service + "-cpu-high"
}

// withDefaults fills the zero fields and checks the rest.
func (s AlarmSpec) withDefaults() (AlarmSpec, error) {
	if s.Cluster == "" {
		s.Cluster = DefaultCluster
	}
	if s.Service == "" {
		s.Service = DefaultService
	}
	if s.Name == "" {
		s.Name = DefaultAlarmName(s.Service)
	}
	if s.Threshold == 0 {
		s.Threshold = DefaultThreshold
	}
	if s.Period == 0 {
		s.Period = DefaultPeriod
	}
	if s.Metric == "" {
		s.Metric = MetricContainerInsights
	}
	if s.EvaluationPeriods == 0 {
		s.EvaluationPeriods = 1
	}
	if s.DatapointsToAlarm == 0 {
		s.DatapointsToAlarm = s.EvaluationPeriods
	}
	switch {
	case s.Metric != MetricContainerInsights && s.Metric != MetricAWSECS:
		return s, fmt.Errorf("alarm metric %q: want %q or %q", s.Metric, MetricContainerInsights, MetricAWSECS)
	case s.Period < 0 || s.EvaluationPeriods < 0 || s.DatapointsToAlarm < 0:
		return s, errors.New("alarm period, evaluation periods and datapoints must be positive")
	case !ValidPeriod(s.Period):
		return s, fmt.Errorf("alarm period %ds: CloudWatch alarm periods are 10, 20, 30 or a multiple of 60 seconds", s.Period)
	case s.DatapointsToAlarm > s.EvaluationPeriods:
		return s, fmt.Errorf("alarm needs %d of %d datapoints: datapoints to alarm cannot exceed evaluation periods", s.DatapointsToAlarm, s.EvaluationPeriods)
	case int64(s.Period)*int64(s.EvaluationPeriods) > 86400:
		return s, fmt.Errorf("alarm period %ds x %d evaluation periods exceeds one day", s.Period, s.EvaluationPeriods)
	}
	return s, nil
}

// PutMetricAlarmInput returns the request that creates (or overwrites) the
// alarm spec describes.
//
// The default (container-insights) is the workshop's console alarm: Metrics
// mm0m1 = ECS/ContainerInsights CpuReserved and mm1m1 = CpuUtilized (both
// Average over Period, dimensions ClusterName and ServiceName, ReturnData
// false) and e1 = "mm1m1 * 100 / mm0m1" labelled with the service
// (ReturnData true); GreaterThanThreshold, TreatMissingData "missing".
func PutMetricAlarmInput(spec AlarmSpec) (*cloudwatch.PutMetricAlarmInput, error) {
	s, err := spec.withDefaults()
	if err != nil {
		return nil, err
	}
	dims := []types.Dimension{
		{Name: aws.String("ClusterName"), Value: aws.String(s.Cluster)},
		{Name: aws.String("ServiceName"), Value: aws.String(s.Service)},
	}
	in := &cloudwatch.PutMetricAlarmInput{
		AlarmName:          aws.String(s.Name),
		ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
		Threshold:          aws.Float64(s.Threshold),
		EvaluationPeriods:  aws.Int32(s.EvaluationPeriods),
		DatapointsToAlarm:  aws.Int32(s.DatapointsToAlarm),
		TreatMissingData:   aws.String("missing"),
		ActionsEnabled:     aws.Bool(true),
	}
	if s.ActionARN != "" {
		in.AlarmActions = []string{s.ActionARN}
	}
	switch s.Metric {
	case MetricAWSECS:
		in.AlarmDescription = aws.String(fmt.Sprintf("loadgen: CPU of ECS service %s in cluster %s (AWS/ECS CPUUtilization) above %s%%", s.Service, s.Cluster, formatThreshold(s.Threshold)))
		in.Namespace = aws.String(NamespaceECS)
		in.MetricName = aws.String(MetricCPUUtilization)
		in.Dimensions = dims
		in.Statistic = types.StatisticAverage
		in.Period = aws.Int32(s.Period)
	default:
		in.AlarmDescription = aws.String(fmt.Sprintf("loadgen: CPU of ECS service %s in cluster %s (Container Insights, %s) above %s%%", s.Service, s.Cluster, WorkshopExpression, formatThreshold(s.Threshold)))
		stat := func(id, metric string) types.MetricDataQuery {
			return types.MetricDataQuery{
				Id: aws.String(id),
				MetricStat: &types.MetricStat{
					Metric: &types.Metric{Namespace: aws.String(NamespaceContainerInsights), MetricName: aws.String(metric), Dimensions: dims},
					Period: aws.Int32(s.Period),
					Stat:   aws.String(workshopStat),
				},
				ReturnData: aws.Bool(false),
			}
		}
		in.Metrics = []types.MetricDataQuery{
			stat("mm0m1", MetricCpuReserved),
			stat("mm1m1", MetricCpuUtilized),
			{Id: aws.String("e1"), Expression: aws.String(WorkshopExpression), Label: aws.String(s.Service), ReturnData: aws.Bool(true)},
		}
	}
	return in, nil
}

// CreateAlarm creates (or overwrites) the alarm spec describes with
// PutMetricAlarm and returns it as CloudWatch stored it.
func CreateAlarm(ctx context.Context, api API, spec AlarmSpec) (types.MetricAlarm, error) {
	in, err := PutMetricAlarmInput(spec)
	if err != nil {
		return types.MetricAlarm{}, fmt.Errorf("create alarm: %w", err)
	}
	name := aws.ToString(in.AlarmName)
	if _, err := api.PutMetricAlarm(ctx, in); err != nil {
		return types.MetricAlarm{}, fmt.Errorf("create alarm %s: %w", name, awscfg.Classify(err))
	}
	a, err := findByName(ctx, api, name)
	if err != nil {
		return types.MetricAlarm{}, fmt.Errorf("read back alarm %s: %w", name, err)
	}
	return a, nil
}

// ValidPeriod reports whether PutMetricAlarm accepts period (seconds): 10,
// 20, 30 or a positive multiple of 60.
func ValidPeriod(period int32) bool {
	return period == 10 || period == 20 || period == 30 || (period > 0 && period%60 == 0)
}
