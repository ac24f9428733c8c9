package workshop

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// noDataFix says what to do when Container Insights data is missing: turn
// it on when it is off, else make sure the service's tasks run.
func noDataFix(c Cluster, service, region string) []string {
	if !c.InsightsOn() {
		return []string{enableInsightsFix(c.Name, region), "then wait a minute or two for the first data"}
	}
	return []string{fmt.Sprintf("aws ecs describe-services --cluster %s --services %s --query 'services[0].[status,runningCount]'   # are its tasks running?", c.Name, service)}
}

// ago renders a duration in whole seconds, minutes or hours.
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(max(d, 0).Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	}
	return fmt.Sprintf("%dh ago", int(d.Hours()))
}

// CheckPerformanceLogs is step 7: the log group
// /aws/ecs/containerinsights/<cluster>/performance exists and received
// events in the last recent (15 minutes in the chapter).
func CheckPerformanceLogs(ctx context.Context, api LogGroupsAPI, c Cluster, service, region string, now time.Time, recent time.Duration) Result {
	group := PerformanceLogGroup(c.Name)
	exists := false
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(api, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(group)})
	for pages := 0; p.HasMorePages() && pages < maxListPages && !exists; pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return failure(err)
		}
		for _, g := range out.LogGroups {
			exists = exists || aws.ToString(g.LogGroupName) == group
		}
	}
	if !exists {
		return Result{Status: Fail, Detail: "no log group " + group + " (Container Insights creates it)", Fix: noDataFix(c, service, region)}
	}
	fp := cloudwatchlogs.NewFilterLogEventsPaginator(api, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String(group),
		StartTime:    aws.Int64(now.Add(-recent).UnixMilli()),
		EndTime:      aws.Int64(now.Add(time.Minute).UnixMilli()),
		Limit:        aws.Int32(1),
	})
	for pages := 0; fp.HasMorePages() && pages < maxListPages; pages++ {
		out, err := fp.NextPage(ctx)
		if err != nil {
			return failure(err)
		}
		if len(out.Events) > 0 {
			e := out.Events[0]
			t := time.UnixMilli(aws.ToInt64(e.Timestamp))
			return Result{Status: Pass, Detail: fmt.Sprintf("%s has events in the last %s (stream %s, the first at %s, %s)",
				group, minutes(recent), aws.ToString(e.LogStreamName), t.Local().Format("15:04:05"), ago(now.Sub(t)))}
		}
	}
	return Result{Status: Fail, Detail: fmt.Sprintf("%s exists but received no events in the last %s", group, minutes(recent)),
		Fix: noDataFix(c, service, region)}
}

func minutes(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d minutes", int(d.Minutes()))
	}
	return d.String()
}

// CheckMetrics is step 8: ECS/ContainerInsights CpuUtilized and CpuReserved
// for the cluster and service have datapoints in the last recent.
func CheckMetrics(ctx context.Context, api MetricsAPI, c Cluster, service, region string, now time.Time, recent time.Duration) Result {
	dims := []cwtypes.Dimension{
		{Name: aws.String("ClusterName"), Value: aws.String(c.Name)},
		{Name: aws.String("ServiceName"), Value: aws.String(service)},
	}
	q := func(id, metric string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String(MetricsNamespace), MetricName: aws.String(metric), Dimensions: dims},
			Period: aws.Int32(60), Stat: aws.String("Average"),
		}}
	}
	out, err := api.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: []cwtypes.MetricDataQuery{q("utilized", "CpuUtilized"), q("reserved", "CpuReserved")},
		StartTime:         aws.Time(now.Add(-recent)),
		EndTime:           aws.Time(now.Add(time.Minute)),
		ScanBy:            cwtypes.ScanByTimestampDescending,
	})
	if err != nil {
		return failure(err)
	}
	latest := map[string]float64{}
	var at time.Time
	for _, r := range out.MetricDataResults {
		if len(r.Values) == 0 || len(r.Timestamps) == 0 {
			continue
		}
		i := newest(r.Timestamps)
		latest[aws.ToString(r.Id)] = r.Values[i]
		if r.Timestamps[i].After(at) {
			at = r.Timestamps[i]
		}
	}
	u, okU := latest["utilized"]
	rv, okR := latest["reserved"]
	where := fmt.Sprintf("%s ClusterName=%s ServiceName=%s", MetricsNamespace, c.Name, service)
	switch {
	case !okU && !okR:
		return Result{Status: Fail, Detail: fmt.Sprintf("no CpuUtilized or CpuReserved datapoints for %s in the last %s", where, minutes(recent)), Fix: noDataFix(c, service, region)}
	case !okU || !okR:
		miss := "CpuUtilized"
		if okU {
			miss = "CpuReserved"
		}
		return Result{Status: Fail, Detail: fmt.Sprintf("no %s datapoints for %s in the last %s", miss, where, minutes(recent)), Fix: noDataFix(c, service, region)}
	}
	pct := ""
	if rv > 0 {
		pct = fmt.Sprintf(" (%.1f %% of the reservation)", u*100/rv)
	}
	return Result{Status: Pass, Detail: fmt.Sprintf("%s: CpuUtilized %.1f, CpuReserved %g%s at %s",
		where, u, rv, pct, at.Local().Format("15:04"))}
}

// newest returns the index of the latest timestamp.
func newest(ts []time.Time) int {
	best := 0
	for i, t := range ts {
		if t.After(ts[best]) {
			best = i
		}
	}
	return best
}
