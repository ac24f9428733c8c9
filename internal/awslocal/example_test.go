package awslocal_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/loadgen/loadgen/internal/awslocal"
)

// Start a local endpoint, seed the workshop's stack, and read it back and
// set an alarm through the real SDK. A fake clock drives the evaluator.
func ExampleStart() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	start := time.Date(2026, 11, 25, 10, 50, 0, 0, time.UTC)
	var offset atomic.Int64 // nanoseconds after start; the fake clock
	now := func() time.Time { return start.Add(time.Duration(offset.Load())) }
	srv := awslocal.New(awslocal.Options{Now: now})
	srv.PutStack("container-demo-alb", awslocal.Output{Key: "ExternalUrl", Value: "http://demo-alb.example"})
	base, err := awslocal.Start(ctx, "127.0.0.1:0", srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	cfn := cloudformation.NewFromConfig(cfg, func(o *cloudformation.Options) { o.BaseEndpoint = aws.String(base) })
	cw := cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = aws.String(base) })

	st, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("container-demo-alb")})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(st.Stacks[0].Outputs[0].OutputValue))

	_, err = cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String("cpu"), Namespace: aws.String("AWS/ECS"), MetricName: aws.String("CPUUtilization"),
		Statistic: types.StatisticAverage, Period: aws.Int32(10), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(50), ComparisonOperator: types.ComparisonOperatorGreaterThanThreshold,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = cw.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("AWS/ECS"), MetricData: []types.MetricDatum{
		{MetricName: aws.String("CPUUtilization"), Timestamp: aws.Time(now().Add(time.Second)), Value: aws.Float64(93.5)},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	offset.Add(int64(10 * time.Second)) // the period is over; the next evaluator pass sees it
	srv.Evaluate()
	out, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"cpu"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(out.MetricAlarms[0].StateValue)
	fmt.Println(aws.ToString(out.MetricAlarms[0].StateReason))
	// Output:
	// http://demo-alb.example
	// ALARM
	// Threshold Crossed: 1 out of the last 1 datapoints [93.5 (25/11/26 10:50:00)] was greater than the threshold (50.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition).
}

// Seed the chapter's world (the cluster with Container Insights, the
// service-linked roles, the performance log group, an alarm topic with a
// pending e-mail subscription) and read it back with the SDK's clients.
func ExampleServer_PutCluster() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := awslocal.New(awslocal.Options{})
	clusterARN, err := srv.PutCluster(awslocal.Cluster{Name: "container-demo", ContainerInsights: "enabled",
		Services: []awslocal.Service{{Name: "ecsdemo-frontend", DesiredCount: 3}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, svc := range []string{"ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com"} {
		if _, err := srv.PutServiceLinkedRole(svc); err != nil {
			fmt.Println(err)
			return
		}
	}
	group := "/aws/ecs/containerinsights/container-demo/performance"
	if err := srv.CreateLogGroup(group); err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.PutLogEvents(group, "FargateTelemetry-1", awslocal.LogEvent{Time: time.Now(), Message: `{"Type":"Task","TaskId":"t1","ServiceName":"ecsdemo-frontend"}`}); err != nil {
		fmt.Println(err)
		return
	}
	topic, _ := srv.CreateTopic("Default_CloudWatch_Alarms_Topic")
	if _, err := srv.Subscribe(topic, "email", "participant@example.com", false); err != nil {
		fmt.Println(err)
		return
	}
	base, err := awslocal.Start(ctx, "127.0.0.1:0", srv)
	if err != nil {
		fmt.Println(err)
		return
	}

	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")}
	ecsc := ecs.NewFromConfig(cfg, func(o *ecs.Options) { o.BaseEndpoint = aws.String(base) })
	out, err := ecsc.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{clusterARN}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldSettings}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(out.Clusters[0].ClusterName), aws.ToString(out.Clusters[0].Settings[0].Value))
	snsc := sns.NewFromConfig(cfg, func(o *sns.Options) { o.BaseEndpoint = aws.String(base) })
	subs, err := snsc.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(aws.ToString(subs.Subscriptions[0].Endpoint), aws.ToString(subs.Subscriptions[0].SubscriptionArn))
	// Output:
	// container-demo enabled
	// participant@example.com PendingConfirmation
}
