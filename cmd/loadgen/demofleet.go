//go:build !lean

package main

import (
	"context"
	"strconv"
)

// demo --fleet N: the load as `loadgen fleet --tasks N`, whose tasks the
// local endpoint runs as loadgen processes, their output in its CloudWatch
// Logs. The task definition is registered as a user would, with `loadgen
// fleet setup`.

// demoFleetSubnet is a subnet name for the tasks: the local endpoint
// checks that Fargate tasks have one, and has no VPC to check it against.
const demoFleetSubnet = "subnet-0demo"

// demoFleet registers the task definition and returns the fleet's command
// line around the load's run flags.
func (a *app) demoFleet(ctx context.Context, exe string, w *demoWorld, d *demoFlags, runArgs []string) ([]string, error) {
	code, err := a.demoChild(ctx, exe, w, "fleet setup", []string{"fleet", "setup", "--image", "loadgen:demo"})
	if err != nil {
		return nil, err
	}
	if code != exitOK {
		return nil, &quietExit{code}
	}
	args := []string{"fleet", "--tasks", strconv.Itoa(d.fleet), "--cluster", demoCluster, "--subnets", demoFleetSubnet,
		"--lead", "3s", "--task-poll", "500ms", "--log-timeout", "10s", "--"}
	return append(args, runArgs...), nil
}
