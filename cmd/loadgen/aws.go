package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/stackurl"
	"github.com/loadgen/loadgen/verify"
)

// awsFlags select the AWS account, region and endpoint, as the AWS CLI does.
type awsFlags struct {
	region      string
	profile     string
	endpointURL string
	timeout     time.Duration
	log         io.Writer // the SDK's warnings, with -v; nil discards them
}

func (f *awsFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.region, "region", "", "AWS region (default: AWS_REGION or the profile's)")
	fs.StringVar(&f.profile, "profile", "", "AWS profile (default: AWS_PROFILE)")
	fs.StringVar(&f.endpointURL, "endpoint-url", "", "send AWS API calls here (like the AWS CLI's --endpoint-url; AWS_ENDPOINT_URL works too)")
	fs.DurationVar(&f.timeout, "aws-timeout", awscfg.DefaultTimeout, "give up on AWS after this long: each start-up step (finding the stack's URL, the alarm) and each call")
}

// config loads the SDK configuration; failures are setup errors (exit 3).
func (f *awsFlags) config(ctx context.Context) (aws.Config, error) {
	cfg, err := awscfg.Load(ctx, awscfg.Options{Region: f.region, Profile: f.profile, EndpointURL: f.endpointURL, Timeout: f.timeout, Log: f.log})
	if err != nil {
		return aws.Config{}, setupErr(err)
	}
	return cfg, nil
}

// alarmFlags are the run's alarm flags.
type alarmFlags struct {
	name       string
	untilAlarm bool
	timeout    time.Duration
	poll       time.Duration
	stacks     []string
}

func (f *alarmFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.stacks, "stack", nil, "find the URL in this stack's outputs: NAME, NAME:KEY or NAME:~SUBSTRING (repeatable; default: the workshop's stacks)")
	fs.BoolVar(&f.untilAlarm, "until-alarm", false, "run until the CPU alarm reaches ALARM, then stop and report the time it took (exit 1 if it does not within --alarm-timeout)")
	fs.StringVar(&f.name, "alarm", "", "the CloudWatch alarm to watch (default: the one alarm on an ECS service's CPU)")
	fs.DurationVar(&f.timeout, "alarm-timeout", verify.DefaultTimeout, "with --until-alarm, give up after this long")
	fs.DurationVar(&f.poll, "poll", verify.DefaultPoll, "how often to poll the alarm (at least 1s; jittered)")
}

func (f *alarmFlags) watching() bool { return f.untilAlarm || f.name != "" }

// sources parses --stack flags; none means the workshop's chain.
func sources(stacks []string) ([]stackurl.Source, error) {
	var out []stackurl.Source
	for _, s := range stacks {
		src, err := stackurl.ParseSource(s)
		if err != nil {
			return nil, usageErr("--stack: %v", err)
		}
		out = append(out, src)
	}
	if len(out) == 0 {
		out = stackurl.DefaultSources()
	}
	return out, nil
}

// resolveURL finds the target in CloudFormation stack outputs.
func resolveURL(ctx context.Context, af *awsFlags, stacks []string) (stackurl.Resolved, error) {
	srcs, err := sources(stacks)
	if err != nil {
		return stackurl.Resolved{}, err
	}
	cfg, err := af.config(ctx)
	if err != nil {
		return stackurl.Resolved{}, err
	}
	cf := awscfg.NewCloudFormation(cfg, af.endpointURL)
	var res stackurl.Resolved
	err = awscfg.Within(ctx, af.timeout, awscfg.Where("CloudFormation", cf.Options().BaseEndpoint, cfg.Region), func(ctx context.Context) (err error) {
		res, err = stackurl.Resolve(ctx, cf, srcs)
		return err
	})
	if err != nil {
		return stackurl.Resolved{}, setupErr(err)
	}
	return res, nil
}

// findAlarm loads the config and finds the alarm to watch.
func findAlarm(ctx context.Context, af *awsFlags, name string) (verify.API, types.MetricAlarm, error) {
	cfg, err := af.config(ctx)
	if err != nil {
		return nil, types.MetricAlarm{}, err
	}
	cw := awscfg.NewCloudWatch(cfg, af.endpointURL)
	var alarm types.MetricAlarm
	err = awscfg.Within(ctx, af.timeout, awscfg.Where("CloudWatch", cw.Options().BaseEndpoint, cfg.Region), func(ctx context.Context) (err error) {
		alarm, err = verify.FindAlarm(ctx, cw, name)
		return err
	})
	if err != nil {
		return nil, types.MetricAlarm{}, setupErr(err)
	}
	return cw, alarm, nil
}

// alarmView keeps the latest alarm sample for the progress line.
type alarmView struct {
	mu      sync.Mutex
	line    string
	samples []verify.Event // for the report (see addSample)
}

func (v *alarmView) set(s string) { v.mu.Lock(); v.line = s; v.mu.Unlock() }
func (v *alarmView) get() string  { v.mu.Lock(); defer v.mu.Unlock(); return v.line }

// onEvent prints state changes and notices as they happen and keeps samples
// for the progress line.
func (a *app) onEvent(view *alarmView, quiet bool) func(verify.Event) {
	return func(e verify.Event) {
		switch e.Kind {
		case verify.EventSample:
			view.set(e.String())
			view.addSample(e)
			if !quiet && !a.isTerminal {
				fmt.Fprintf(a.stderr, "%s %s\n", e.Time.Local().Format("15:04:05"), e.String())
			}
		default:
			if e.Kind == verify.EventStateChange {
				view.set(fmt.Sprintf("alarm %s: %s", e.Alarm, e.To))
			}
			if !quiet {
				if a.isTerminal {
					fmt.Fprint(a.stderr, "\r\033[K")
				}
				fmt.Fprintf(a.stderr, "%s %s\n", e.Time.Local().Format("15:04:05"), e.String())
			}
		}
	}
}

func (a *app) urlCommand() *cobra.Command {
	af := &awsFlags{}
	var stacks []string
	cmd := &cobra.Command{
		Use:   "url",
		Short: "print the load balancer URL from CloudFormation stack outputs",
		Long: `url prints the URL that the workshop finds in stack outputs: container-demo-alb's
ExternalUrl, else the ecsworkshop-frontend output whose key contains
FrontendFargateLBServiceServiceURL; or the stacks and keys given with --stack.

  alb_url=$(loadgen url)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := resolveURL(cmd.Context(), af, stacks)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, res.URL)
			return nil
		},
	}
	af.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&stacks, "stack", nil, "NAME, NAME:KEY or NAME:~SUBSTRING (repeatable, tried in order; default: the workshop's stacks)")
	return cmd
}

func (a *app) alarmCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alarm",
		Short: "watch or create the CloudWatch CPU alarm",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr("alarm needs a subcommand: watch or create")
		},
	}
	cmd.AddCommand(a.alarmWatchCommand(), a.alarmCreateCommand())
	return cmd
}

func (a *app) alarmWatchCommand() *cobra.Command {
	af := &awsFlags{}
	var poll, timeout time.Duration
	var quiet, jsonOut bool
	cmd := &cobra.Command{
		Use:   "watch [NAME]",
		Short: "watch the alarm until it reaches ALARM (exit 0) or the timeout passes (exit 1), for load driven by something else",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			name := ""
			if len(args) == 1 {
				name = args[0]
			}
			cw, alarm, err := findAlarm(ctx, af, name)
			if err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(a.stderr, "watching alarm %s (%s)\n", aws.ToString(alarm.AlarmName), verify.Describe(alarm))
			}
			view := &alarmView{}
			v, err := verify.Watch(ctx, cw, alarm, verify.Options{
				Poll: poll, Since: time.Now(), UntilAlarm: true, Timeout: timeout, OnEvent: a.onEvent(view, quiet),
			})
			if err != nil {
				return setupErr(err)
			}
			return a.finishWatch(ctx, v, jsonOut)
		},
	}
	fs := cmd.Flags()
	af.register(fs)
	fs.DurationVar(&poll, "poll", verify.DefaultPoll, "how often to poll (at least 1s; jittered)")
	fs.DurationVar(&timeout, "alarm-timeout", verify.DefaultTimeout, "give up after this long")
	fs.BoolVarP(&quiet, "quiet", "q", false, "print only the verdict")
	fs.BoolVarP(&jsonOut, "json-output", "j", false, "print the verdict as JSON")
	return cmd
}

// finishWatch prints the verdict of `alarm watch` and picks the exit code.
func (a *app) finishWatch(ctx context.Context, v verify.Verdict, jsonOut bool) error {
	ra := alarmReport(v)
	if jsonOut {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ra); err != nil {
			return err
		}
	} else {
		fmt.Fprint(a.stdout, ra.Text())
	}
	switch {
	case v.Fired:
		return nil
	case ctx.Err() != nil:
		return &quietExit{exitInterrupted}
	default:
		return &quietExit{exitAlarm}
	}
}

func (a *app) alarmCreateCommand() *cobra.Command {
	af := &awsFlags{}
	spec := verify.AlarmSpec{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "create the workshop's CPU alarm (metric math mm1m1 * 100 / mm0m1 over Container Insights' CpuUtilized/CpuReserved)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if spec.Metric != verify.MetricContainerInsights && spec.Metric != verify.MetricAWSECS {
				return usageErr("--metric: want %s or %s, got %q", verify.MetricContainerInsights, verify.MetricAWSECS, spec.Metric)
			}
			cfg, err := af.config(cmd.Context())
			if err != nil {
				return err
			}
			cw := awscfg.NewCloudWatch(cfg, af.endpointURL)
			var alarm types.MetricAlarm
			err = awscfg.Within(cmd.Context(), af.timeout, awscfg.Where("CloudWatch", cw.Options().BaseEndpoint, cfg.Region), func(ctx context.Context) (err error) {
				alarm, err = verify.CreateAlarm(ctx, cw, spec)
				return err
			})
			if err != nil {
				var ae *awscfg.Error
				if errors.As(err, &ae) {
					return setupErr(err)
				}
				return usageErr("%v", err)
			}
			fmt.Fprintf(a.stdout, "created alarm %s: %s\n", aws.ToString(alarm.AlarmName), verify.Describe(alarm))
			return nil
		},
	}
	fs := cmd.Flags()
	af.register(fs)
	fs.StringVar(&spec.Name, "name", "", "alarm name (default: "+verify.DefaultAlarmName("SERVICE")+")")
	fs.StringVar(&spec.Cluster, "cluster", verify.DefaultCluster, "ECS cluster name")
	fs.StringVar(&spec.Service, "service", "ecsdemo-frontend", "ECS service name")
	fs.Float64Var(&spec.Threshold, "threshold", 50, "CPU percent above which the alarm fires")
	fs.Int32Var(&spec.Period, "period", 60, "period in seconds")
	fs.Int32Var(&spec.EvaluationPeriods, "evaluation-periods", 1, "datapoints evaluated (N)")
	fs.Int32Var(&spec.DatapointsToAlarm, "datapoints", 0, "datapoints that must breach (M of N; default N)")
	fs.StringVar(&spec.ActionARN, "action-arn", "", "alarm action, e.g. an SNS topic ARN")
	fs.StringVar(&spec.Metric, "metric", verify.MetricContainerInsights, "container-insights (the workshop's metric math) or aws-ecs (AWS/ECS CPUUtilization)")
	return cmd
}
