//go:build !lean

package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/spf13/cobra"

	fleetecs "github.com/loadgen/loadgen/fleet/ecs"
	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awsclients"
)

// fleetSetupCommand is `loadgen fleet setup`: the task definition (and log
// group) that `loadgen fleet --tasks N` runs.
func (a *app) fleetSetupCommand() *cobra.Command {
	var o fleetecs.SetupOptions
	var af awsFlags
	cmd := &cobra.Command{
		Use:   "setup --image IMAGE [--execution-role ARN]",
		Short: "register the ECS task definition that 'loadgen fleet --tasks N' runs, and its log group",
		Long: `setup registers a Fargate task definition for loadgen's image: the awslogs log
driver in mode blocking (so no line of a shard's interval log is dropped), a
stream prefix, and the nofile ulimit at Fargate's maximum. It creates the log
group too. Without --execution-role it uses the account's ecsTaskExecutionRole,
which the awslogs driver needs on Fargate.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.fleetSetup(cmd.Context(), &o, &af) },
	}
	fs := cmd.Flags()
	fs.StringVar(&o.Image, "image", "", "the loadgen image, e.g. ACCOUNT.dkr.ecr.REGION.amazonaws.com/loadgen:latest (required)")
	fs.StringVar(&o.ExecutionRole, "execution-role", "", "the task execution role's ARN (default: this account's ecsTaskExecutionRole)")
	fs.StringVar(&o.Family, "family", fleetecs.DefaultTaskDefinition, "task definition family")
	fs.StringVar(&o.LogGroup, "log-group", "/loadgen/fleet", "CloudWatch Logs group of the shards' output")
	fs.StringVar(&o.StreamPrefix, "stream-prefix", "loadgen", "awslogs stream prefix")
	fs.StringVar(&o.CPU, "cpu", "2048", "task CPU units (1024 = 1 vCPU)")
	fs.StringVar(&o.Memory, "memory", "4096", "task memory (MiB)")
	af.register(fs)
	return cmd
}

func (a *app) fleetSetup(ctx context.Context, o *fleetecs.SetupOptions, af *awsFlags) error {
	if strings.TrimSpace(o.Image) == "" {
		return usageErr("fleet setup: give --image, the loadgen image to run")
	}
	cfg, err := af.config(ctx)
	if err != nil {
		return err
	}
	o.Region = cfg.Region
	if o.ExecutionRole == "" {
		id, err := awscfg.NewSTS(cfg, af.endpointURL).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			return setupErr(fmt.Errorf("fleet setup: find the account for the default execution role (or give --execution-role): %w", err))
		}
		partition := "aws"
		if parts := strings.SplitN(aws.ToString(id.Arn), ":", 3); len(parts) == 3 {
			partition = parts[1]
		}
		o.ExecutionRole = fmt.Sprintf("arn:%s:iam::%s:role/ecsTaskExecutionRole", partition, aws.ToString(id.Account))
	}
	res, err := fleetecs.Setup(ctx, awsclients.NewECS(cfg, af.endpointURL), awsclients.NewLogs(cfg, af.endpointURL), *o)
	if err != nil {
		return setupErr(fmt.Errorf("fleet setup: %w", err))
	}
	verb := "created"
	if !res.LogGroupCreated {
		verb = "exists already"
	}
	c := res.Input.ContainerDefinitions[0]
	fmt.Fprintf(a.stdout, "log group %s: %s\n", res.LogGroup, verb)
	fmt.Fprintf(a.stdout, "task definition %s: registered\n", res.TaskDefinitionArn)
	fmt.Fprintf(a.stdout, "  Fargate, %s CPU units, %s MiB, execution role %s\n", aws.ToString(res.Input.Cpu), aws.ToString(res.Input.Memory), o.ExecutionRole)
	fmt.Fprintf(a.stdout, "  container %s, image %s, nofile %d\n", aws.ToString(c.Name), aws.ToString(c.Image), c.Ulimits[0].HardLimit)
	opts := c.LogConfiguration.Options
	fmt.Fprintf(a.stdout, "  logs: awslogs, mode %s, group %s, streams %s/%s/<task-id>\n", opts["mode"], opts["awslogs-group"], opts["awslogs-stream-prefix"], aws.ToString(c.Name))
	fmt.Fprintf(a.stdout, "run it with: loadgen fleet --tasks N --task-definition %s --cluster CLUSTER --subnets SUBNET,... --security-groups SG -- -c USERS -t 5M URL\n", aws.ToString(res.Input.Family))
	return nil
}
