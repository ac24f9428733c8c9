//go:build !lean

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/report"
	"github.com/loadgen/loadgen/stackurl"
	"github.com/loadgen/loadgen/verify"
)

// config loads the SDK configuration; failures are setup errors (exit 3).
func (f *awsFlags) config(ctx context.Context) (aws.Config, error) {
	cfg, err := awscfg.Load(ctx, awscfg.Options{Region: f.region, Profile: f.profile, EndpointURL: f.endpointURL, Timeout: f.timeout, Log: f.log})
	if err != nil {
		return aws.Config{}, setupErr(err)
	}
	return cfg, nil
}

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

// addSample keeps a sample of the alarm's metric for the report, at its
// datapoint's time (when CloudWatch gave it, else when it was polled).
func (v *alarmView) addSample(e verify.Event) {
	if !e.HasValue {
		return
	}
	at := e.ValueTime
	if at.IsZero() {
		at = e.Time
	}
	v.mu.Lock()
	v.samples = append(v.samples, report.NewAlarmSample(at, e.Value))
	v.mu.Unlock()
}

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

// awsCommands are the commands that call AWS (in the lean build, lean.go
// hands them to the full build).
func (a *app) awsCommands() []*cobra.Command {
	return []*cobra.Command{a.urlCommand(), a.alarmCommand(), a.demoCommand(), a.demoSiteCommand(), a.fleetCommand(), a.checkCommand()}
}

func (a *app) urlCommand() *cobra.Command {
	af := &awsFlags{}
	var stacks []string
	cmd := &cobra.Command{
		Use:   "url",
		Short: urlShort,
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
		Short: alarmShort,
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
