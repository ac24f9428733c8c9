//go:build !lean

package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awsclients"
	"github.com/loadgen/loadgen/report"
	"github.com/loadgen/loadgen/workshop"
)

// exitCheckFailed is `loadgen check`'s exit code when a step is not done.
const exitCheckFailed = 1

// checkFlags are the flags of `loadgen check`.
type checkFlags struct {
	aws      awsFlags
	jsonOut  bool
	jsonFile string
	steps    []string
	cleanup  bool
	cluster  string
	service  string
	alarm    string
	stacks   []string
	timeout  time.Duration
}

func (a *app) checkCommand() *cobra.Command {
	f := &checkFlags{}
	cmd := &cobra.Command{
		Use:   "check",
		Short: checkShort,
		Long: `check verifies, in a few seconds, each step of the ECS workshop's chapter
"CloudWatch Container Insights for ECS", in the chapter's order:

` + stepList(workshop.Steps()) + `
Every ✗ comes with the command that fixes it. With --cleanup it checks the
chapter's last section instead:

` + stepList(workshop.CleanupSteps()) + `
Exit codes: 0 every step that applies passes; 1 a step fails; 2 usage error;
3 AWS setup error (no region; no, rejected or unusable credentials: STS does not answer).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runCheck(cmd.Context(), f) },
	}
	fs := cmd.Flags()
	f.aws.register(fs)
	fs.StringArrayVar(&f.steps, "step", nil, "check only this step, by name or number (repeatable, or comma-separated)")
	fs.BoolVar(&f.cleanup, "cleanup", false, "check the chapter's clean-up section instead")
	fs.BoolVarP(&f.jsonOut, "json-output", "j", false, "print the report as JSON on stdout")
	fs.StringVar(&f.jsonFile, "json", "", "also write the JSON report to this file")
	fs.StringVar(&f.cluster, "cluster", "", "the ECS cluster (default: the one whose ARN contains container-demo)")
	fs.StringVar(&f.service, "service", workshop.DefaultService, "the frontend's ECS service")
	fs.StringVar(&f.alarm, "alarm", "", "the alarm (default: the one alarm on an ECS service's CPU, as --until-alarm finds it)")
	fs.StringArrayVar(&f.stacks, "stack", nil, "where the URL is: NAME, NAME:KEY or NAME:~SUBSTRING (repeatable; default: the workshop's stacks)")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up on the whole check after this long")
	return cmd
}

// stepList renders steps for the help text.
func stepList(steps []workshop.Step) string {
	var b strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&b, "  %2d %-18s %s\n", s.Number, s.Name, s.Title)
	}
	return b.String()
}

func (a *app) runCheck(ctx context.Context, f *checkFlags) error {
	all, mode := workshop.Steps(), "chapter"
	if f.cleanup {
		all, mode = workshop.CleanupSteps(), "cleanup"
	}
	steps, err := workshop.SelectSteps(all, f.steps)
	if err != nil {
		return usageErr("--step: %v", err)
	}
	srcs, err := sources(f.stacks)
	if err != nil {
		return err
	}
	if f.timeout <= 0 {
		return usageErr("--timeout must be positive")
	}
	cfg, err := f.aws.config(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	c := workshop.New(checkClients(cfg, f.aws.endpointURL), workshop.Options{
		Region: cfg.Region, Cluster: f.cluster, Service: f.service, Alarm: f.alarm, Sources: srcs,
	})
	rep := c.Run(ctx, mode, steps)
	var errs []error
	if f.jsonFile != "" {
		if err := report.WriteFileAtomic(f.jsonFile, rep.WriteJSON); err != nil {
			errs = append(errs, fmt.Errorf("write JSON report: %w", err))
		}
	}
	if f.jsonOut {
		errs = append(errs, rep.WriteJSON(a.stdout))
	} else {
		errs = append(errs, rep.WriteText(a.stdout))
	}
	if err := errors.Join(errs...); err != nil {
		return setupErr(err)
	}
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return &quietExit{exitInterrupted}
	case rep.SetupError != "":
		return &quietExit{exitSetup}
	case !rep.Passed:
		return &quietExit{exitCheckFailed}
	}
	return nil
}

// checkClients builds the SDK client of every service the check reads.
func checkClients(cfg aws.Config, endpointURL string) workshop.Clients {
	return workshop.Clients{
		STS:            awscfg.NewSTS(cfg, endpointURL),
		IAM:            awsclients.NewIAM(cfg, endpointURL),
		CloudFormation: awscfg.NewCloudFormation(cfg, endpointURL),
		ECS:            awsclients.NewECS(cfg, endpointURL),
		Logs:           awsclients.NewLogs(cfg, endpointURL),
		CloudWatch:     awscfg.NewCloudWatch(cfg, endpointURL),
		SNS:            awsclients.NewSNS(cfg, endpointURL),
	}
}
