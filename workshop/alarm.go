package workshop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/loadgen/loadgen/verify"
)

// WorkshopThreshold is the chapter's alarm threshold, in percent.
const WorkshopThreshold = 50

// createAlarmFix is loadgen's command that creates (or overwrites) the
// chapter's alarm.
func createAlarmFix(name, cluster, service, topic string) string {
	s := "loadgen alarm create"
	if name != "" {
		s += " --name " + name
	}
	if cluster == "" {
		cluster = "CLUSTER"
	}
	s += fmt.Sprintf(" --cluster %s --service %s --threshold %d", cluster, service, WorkshopThreshold)
	if topic == "" {
		topic = "TOPIC_ARN"
	}
	return s + " --action-arn " + topic
}

// topicFix creates an SNS topic with an e-mail subscription, as the
// console's "Create new topic" does.
func topicFix() []string {
	return []string{
		"topic=$(aws sns create-topic --name ecsworkshop-cpu-alarm --query TopicArn --output text)",
		"aws sns subscribe --topic-arn $topic --protocol email --notification-endpoint YOU@EXAMPLE.COM",
	}
}

// alarmMetric is one metric an alarm reads.
type alarmMetric struct {
	namespace, name string
	dims            map[string]string
}

func alarmMetricsOf(a cwtypes.MetricAlarm) []alarmMetric {
	var out []alarmMetric
	add := func(ns, name *string, dims []cwtypes.Dimension) {
		m := alarmMetric{namespace: aws.ToString(ns), name: aws.ToString(name), dims: map[string]string{}}
		for _, d := range dims {
			m.dims[aws.ToString(d.Name)] = aws.ToString(d.Value)
		}
		out = append(out, m)
	}
	if a.MetricName != nil {
		add(a.Namespace, a.MetricName, a.Dimensions)
	}
	for _, q := range a.Metrics {
		if q.MetricStat != nil && q.MetricStat.Metric != nil {
			add(q.MetricStat.Metric.Namespace, q.MetricStat.Metric.MetricName, q.MetricStat.Metric.Dimensions)
		}
	}
	return out
}

// metricProblem says how the alarm's metric differs from the chapter's:
// the CPU of service in cluster in percent, either Container Insights'
// CpuUtilized over CpuReserved (the console's metric math) or AWS/ECS
// CPUUtilization. An empty cluster is not compared.
func metricProblem(a cwtypes.MetricAlarm, cluster, service string) string {
	var cpu *alarmMetric
	reserved := false
	for _, m := range alarmMetricsOf(a) {
		switch {
		case m.namespace == MetricsNamespace && m.name == "CpuUtilized", m.namespace == "AWS/ECS" && m.name == "CPUUtilization":
			cpu = &m
		case m.namespace == MetricsNamespace && m.name == "CpuReserved":
			reserved = true
		}
	}
	switch {
	case cpu == nil:
		return "it does not watch the CPU of an ECS service"
	case cpu.name == "CpuUtilized" && (!reserved || len(a.Metrics) == 0):
		return "it watches CpuUtilized in CPU units, not in percent of CpuReserved"
	case cpu.dims["ServiceName"] != service:
		return fmt.Sprintf("it watches ServiceName=%q, not %s", cpu.dims["ServiceName"], service)
	case cluster != "" && cpu.dims["ClusterName"] != cluster:
		return fmt.Sprintf("it watches ClusterName=%q, not %s", cpu.dims["ClusterName"], cluster)
	}
	return ""
}

// CheckAlarm is step 9: the alarm, found as --until-alarm finds it (by name,
// or the one alarm on an ECS service's CPU), watches the CPU of service in
// cluster (empty: not compared) with the chapter's "> 50", notifies an SNS
// topic, and the topic has a confirmed e-mail subscription. It returns the
// alarm when one was found, for step 10.
func CheckAlarm(ctx context.Context, cw CloudWatchAPI, topics SubscriptionsAPI, name, cluster, service string) (*cwtypes.MetricAlarm, Result) {
	a, err := verify.FindAlarm(ctx, cw, name)
	var nf *verify.AlarmNotFoundError
	var amb *verify.AmbiguousAlarmError
	switch {
	case errors.As(err, &nf):
		fix := append(topicFix(), createAlarmFix(name, cluster, service, "$topic"))
		return nil, Result{Status: Fail, Detail: oneLine(err), Fix: fix}
	case errors.As(err, &amb):
		return nil, Result{Status: Fail, Detail: oneLine(err), Fix: []string{"loadgen check --alarm NAME"}}
	case err != nil:
		return nil, failure(err)
	}
	an := aws.ToString(a.AlarmName)
	what := fmt.Sprintf("%s: %s %s %g", an, watches(a), verify.ComparisonSymbol(string(a.ComparisonOperator)), aws.ToFloat64(a.Threshold))
	topicARNs := snsTopics(a.AlarmActions)
	topic := ""
	if len(topicARNs) > 0 {
		topic = topicARNs[0]
	}
	if p := metricProblem(a, cluster, service); p != "" {
		return &a, Result{Status: Fail, Detail: what + ": " + p, Fix: []string{createAlarmFix(an, cluster, service, topic)}}
	}
	if a.ComparisonOperator != cwtypes.ComparisonOperatorGreaterThanThreshold || aws.ToFloat64(a.Threshold) != WorkshopThreshold {
		return &a, Result{Status: Fail, Detail: fmt.Sprintf("%s: the chapter's alarm is > %d", what, WorkshopThreshold),
			Fix: []string{createAlarmFix(an, cluster, service, topic)}}
	}
	if len(topicARNs) == 0 {
		return &a, Result{Status: Fail, Detail: what + ": no SNS topic among its alarm actions, so nobody is told when it fires",
			Fix: append(topicFix(), createAlarmFix(an, cluster, service, "$topic"))}
	}
	if a.ActionsEnabled != nil && !*a.ActionsEnabled {
		return &a, Result{Status: Fail, Detail: what + ": its actions are disabled",
			Fix: []string{"aws cloudwatch enable-alarm-actions --alarm-names " + an}}
	}
	r := checkSubscriptions(ctx, topics, topicARNs)
	r.Detail = what + "; " + r.Detail
	return &a, r
}

// watches says briefly what the alarm reads.
func watches(a cwtypes.MetricAlarm) string {
	for _, q := range a.Metrics {
		if q.Expression != nil && (q.ReturnData == nil || *q.ReturnData) {
			return aws.ToString(q.Expression)
		}
	}
	if a.MetricName != nil {
		return aws.ToString(a.Namespace) + " " + aws.ToString(a.MetricName)
	}
	return "metric math"
}

func snsTopics(actions []string) []string {
	var out []string
	for _, a := range actions {
		if strings.HasPrefix(a, "arn:aws:sns:") || strings.Contains(a, ":sns:") {
			out = append(out, a)
		}
	}
	return out
}

// pendingConfirmation is the SubscriptionArn of an unconfirmed subscription.
const pendingConfirmation = "PendingConfirmation"

// checkSubscriptions passes when one of the topics has a confirmed e-mail
// subscription.
func checkSubscriptions(ctx context.Context, api SubscriptionsAPI, topics []string) Result {
	var pending []string
	pendingTopic := ""
	for _, topic := range topics {
		p := sns.NewListSubscriptionsByTopicPaginator(api, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
		for pages := 0; p.HasMorePages() && pages < maxListPages; pages++ {
			out, err := p.NextPage(ctx)
			if apiCode(err) == "NotFound" {
				return Result{Status: Fail, Detail: "its SNS topic " + topic + " does not exist", Fix: append(topicFix(), "loadgen alarm create ... --action-arn $topic   # as above, with the new topic")}
			}
			if err != nil {
				return failure(err)
			}
			for _, s := range out.Subscriptions {
				proto := aws.ToString(s.Protocol)
				if proto != "email" && proto != "email-json" {
					continue
				}
				if arn := aws.ToString(s.SubscriptionArn); arn != pendingConfirmation && arn != "Deleted" {
					return Result{Status: Pass, Detail: fmt.Sprintf("notifies %s, e-mail to %s confirmed", topic, aws.ToString(s.Endpoint))}
				}
				pending, pendingTopic = append(pending, aws.ToString(s.Endpoint)), topic
			}
		}
	}
	if len(pending) > 0 {
		to := strings.Join(pending, ", ")
		return Result{Status: Fail,
			Detail: fmt.Sprintf("the e-mail subscription of %s is %s: confirm the e-mail sent to %s", pendingTopic, pendingConfirmation, to),
			Fix: []string{"open the e-mail from AWS Notifications sent to " + to + " and click Confirm subscription",
				fmt.Sprintf("aws sns subscribe --topic-arn %s --protocol email --notification-endpoint %s   # sends it again", pendingTopic, pending[0])}}
	}
	return Result{Status: Fail, Detail: fmt.Sprintf("no e-mail subscription on %s, so the alarm tells nobody", strings.Join(topics, ", ")),
		Fix: []string{fmt.Sprintf("aws sns subscribe --topic-arn %s --protocol email --notification-endpoint YOU@EXAMPLE.COM", topics[0])}}
}

// historyWindow is how far back alarm history goes (two weeks on AWS).
const historyWindow = 14 * 24 * time.Hour

// CheckFired is step 10: the alarm is in ALARM now, or its history has a
// transition to ALARM.
func CheckFired(ctx context.Context, api HistoryAPI, a cwtypes.MetricAlarm, byName bool, now time.Time) Result {
	name := aws.ToString(a.AlarmName)
	if a.StateValue == cwtypes.StateValueAlarm {
		since := a.StateTransitionedTimestamp
		if since == nil {
			since = a.StateUpdatedTimestamp
		}
		return Result{Status: Pass, Detail: fmt.Sprintf("%s is in ALARM now (since %s)", name, aws.ToTime(since).Local().Format("15:04:05"))}
	}
	p := cloudwatch.NewDescribeAlarmHistoryPaginator(api, &cloudwatch.DescribeAlarmHistoryInput{
		AlarmName: aws.String(name), HistoryItemType: cwtypes.HistoryItemTypeStateUpdate,
		StartDate: aws.Time(now.Add(-historyWindow)), EndDate: aws.Time(now.Add(time.Minute)),
		ScanBy: cwtypes.ScanByTimestampDescending, MaxRecords: aws.Int32(100),
	})
	for pages := 0; p.HasMorePages() && pages < maxListPages; pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			return failure(err)
		}
		for _, h := range out.AlarmHistoryItems {
			ch, ok := verify.ParseHistoryItem(aws.ToString(h.HistoryData), aws.ToString(h.HistorySummary))
			if ok && ch.To == string(cwtypes.StateValueAlarm) {
				t := aws.ToTime(h.Timestamp)
				return Result{Status: Pass, Detail: fmt.Sprintf("%s reached ALARM at %s (%s), now %s", name, t.Local().Format("2006-01-02 15:04:05"), ago(now.Sub(t)), a.StateValue)}
			}
		}
	}
	run := "loadgen -c 200 --until-alarm"
	if byName {
		run += " --alarm " + name
	}
	return Result{Status: Fail, Detail: fmt.Sprintf("%s has not been in ALARM in the last two weeks (now %s)", name, a.StateValue), Fix: []string{run}}
}
