package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/demoapp"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/verify"
)

// demoSiteCommand is the hidden child that serves the demo site.
const demoSiteCommand = "__demo-site"

// demoFlags tune `loadgen demo`; the defaults are the workshop's, scaled to a minute.
type demoFlags struct {
	serve        bool
	users        int
	period       int32
	poll         time.Duration
	alarmTimeout time.Duration
	publishEvery time.Duration
	jsonFile     string
	stages       string
	rate         float64
	usersGiven   bool // -c was given (a closed-model shape starts from 0 users otherwise)
	htmlFile     string
}

// The demo's fixed names: the workshop's.
const (
	demoStack   = "ecsworkshop-frontend"
	demoURLKey  = "FrontendFargateLBServiceServiceURL55F424CF"
	demoDNSKey  = "FrontendFargateLBServiceLoadBalancerDNSAFFB8F0B"
	demoCluster = "container-demo"
	demoService = "ecsdemo-frontend"
	demoRegion  = "us-east-1"
)

func (a *app) demoSiteCommand() *cobra.Command {
	return &cobra.Command{
		Use:    demoSiteCommand,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if code := demoapp.ChildMain(); code != 0 {
				return &quietExit{code}
			}
			return nil
		},
	}
}

func (a *app) demoCommand() *cobra.Command {
	d := &demoFlags{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "run the whole workshop on this machine: local CloudFormation + CloudWatch, a frontend-like site, load until the CPU alarm fires",
		Long: `demo runs the workshop end to end on this machine, through the same code as against AWS:

  1. a local CloudFormation + CloudWatch endpoint on 127.0.0.1 with the workshop's
     stack (ecsworkshop-frontend) and its metric-math CPU alarm (mm1m1 * 100 / mm0m1 > 50);
  2. a site shaped like ecsdemo-frontend, as a child process limited to one CPU, that
     publishes its own CpuUtilized and CpuReserved as Container Insights would;
  3. loadgen -c 200 --until-alarm, with AWS_ENDPOINT_URL pointing at the local endpoint.

With --serve it does steps 1 and 2 and waits, so you can practise the workshop by hand.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d.usersGiven = cmd.Flags().Changed("concurrent")
			return a.runDemo(cmd.Context(), d)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&d.serve, "serve", false, "start the local AWS endpoint and the site, print how to use them, and wait for Ctrl+C")
	fs.IntVarP(&d.users, "concurrent", "c", 200, "simulated users")
	fs.Int32Var(&d.period, "period", 10, "the alarm's period in seconds (the workshop's is 60)")
	fs.DurationVar(&d.poll, "poll", 2*time.Second, "how often loadgen polls the alarm")
	fs.DurationVar(&d.alarmTimeout, "alarm-timeout", 2*time.Minute, "fail if the alarm has not fired by then")
	fs.DurationVar(&d.publishEvery, "publish-every", 2*time.Second, "how often the site publishes its CPU metrics")
	fs.StringVar(&d.jsonFile, "json", "", "also write the load's JSON report here")
	fs.StringVar(&d.htmlFile, "html", defaultDemoHTML(), "write the load's HTML report here")
	fs.Float64Var(&d.rate, "rate", 0, "open model (loadgen --rate): requests/s, the first level of --stages")
	fs.StringVar(&d.stages, "stages", "", "shape the load (loadgen --stages), e.g. 60s:200,30s:+200: the report names the load at which the alarm's first breaching period began")
	return cmd
}

func (a *app) runDemo(ctx context.Context, d *demoFlags) error {
	if err := d.check(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return setupErr(fmt.Errorf("find own executable: %w", err))
	}
	say := func(format string, args ...any) { fmt.Fprintf(a.stderr, "demo: "+format+"\n", args...) }

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// 1. The local AWS endpoint.
	local := awslocal.New(awslocal.Options{Region: demoRegion})
	endpoint, err := awslocal.Start(ctx, "127.0.0.1:0", local)
	if err != nil {
		return setupErr(fmt.Errorf("start the local AWS endpoint: %w", err))
	}
	env := append(os.Environ(),
		"AWS_ENDPOINT_URL="+endpoint, "AWS_REGION="+demoRegion,
		"AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo", "AWS_SESSION_TOKEN=",
		"AWS_PROFILE=", "AWS_EC2_METADATA_DISABLED=true")
	say("local CloudFormation + CloudWatch endpoint at %s", endpoint)

	// 2. The site, a child limited to one CPU.
	site, err := demoapp.Spawn(ctx, exe, []string{demoSiteCommand}, env, demoapp.Config{
		Cluster: demoCluster, Service: demoService, PublishEvery: d.publishEvery,
	}, a.stderr)
	if err != nil {
		return setupErr(fmt.Errorf("start the demo site: %w", err))
	}
	defer site.Stop()
	say("site %s (pid %d, one CPU) publishes CpuUtilized/CpuReserved for %s/%s every %s", site.URL, site.Pid, demoCluster, demoService, d.publishEvery)

	u, _ := url.Parse(site.URL)
	local.PutStack(demoStack,
		awslocal.Output{Key: demoURLKey, Value: strings.TrimSuffix(site.URL, "/"), Description: "the load balancer's URL"},
		awslocal.Output{Key: demoDNSKey, Value: u.Host})
	say("stack %s output %s = %s", demoStack, demoURLKey, strings.TrimSuffix(site.URL, "/"))

	cfg, err := awscfg.Load(ctx, awscfg.Options{Region: demoRegion, EndpointURL: endpoint, SkipCredentialsCheck: true})
	if err != nil {
		return setupErr(err)
	}
	alarm, err := verify.CreateAlarm(ctx, awscfg.NewCloudWatch(cfgWithStatic(cfg), endpoint), verify.AlarmSpec{
		Cluster: demoCluster, Service: demoService, Threshold: 50, Period: d.period,
	})
	if err != nil {
		return setupErr(fmt.Errorf("create the demo alarm: %w", err))
	}
	say("alarm %s: %s", aws.ToString(alarm.AlarmName), verify.Describe(alarm))

	if d.serve {
		fmt.Fprintf(a.stdout, "\nThe workshop's AWS side runs locally. In another shell:\n\n")
		fmt.Fprintf(a.stdout, "  export AWS_ENDPOINT_URL=%s\n  export AWS_REGION=%s\n  export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo\n\n", endpoint, demoRegion)
		fmt.Fprintf(a.stdout, "  alb_url=$(%s url)\n  %s -c 200 -i -t 20S $alb_url\n  %s alarm watch\n  %s -c 200 --until-alarm\n\nCtrl+C stops the demo.\n", exe, exe, exe, exe)
		select {
		case <-ctx.Done():
			return nil
		case <-site.Done():
			return setupErr(fmt.Errorf("the demo site exited: %w", site.Err()))
		}
	}

	// 3. The real thing, as a user would type it.
	args := d.loadArgs()
	say("running: loadgen %s", strings.Join(args, " "))
	load := exec.Command(exe, args...)
	load.Env = env
	load.Stdout, load.Stderr = a.stdout, a.stderr
	load.SysProcAttr = loadProcAttr()
	if err := load.Start(); err != nil {
		return setupErr(fmt.Errorf("start the load: %w", err))
	}
	say("load pid %d", load.Process.Pid)
	waited := make(chan error, 1)
	go func() { waited <- load.Wait() }()
	select {
	case err = <-waited:
	case <-site.Done():
		_ = load.Process.Signal(syscall.SIGINT)
		<-waited
		return setupErr(fmt.Errorf("the demo site died during the load: %w", site.Err()))
	case <-ctx.Done():
		// Ctrl+C: the terminal sends it to the load too; make sure it stops.
		_ = load.Process.Signal(syscall.SIGINT)
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = load.Process.Kill()
			<-waited
		}
		sayPage(say, d.htmlFile)
		return &quietExit{exitInterrupted}
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return setupErr(fmt.Errorf("the load: %w", err))
	}
	sayPage(say, d.htmlFile)
	switch code {
	case 0:
		say("the alarm fired under load: the workshop works end to end")
		return nil
	case exitAlarm:
		say("the alarm did not fire within %s", d.alarmTimeout)
	}
	return &quietExit{code}
}

// cfgWithStatic gives the demo's own SDK calls the same static local
// credentials as its children.
func cfgWithStatic(cfg aws.Config) aws.Config {
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "demo", SecretAccessKey: "demo", Source: "loadgen demo"}, nil
	})
	return cfg
}

// check validates the flags before anything starts.
func (d *demoFlags) check() error {
	if d.users < 1 || d.period < 1 || d.poll < time.Second {
		return usageErr("demo: --concurrent and --period must be at least 1 and --poll at least 1s")
	}
	if d.rate < 0 || math.IsNaN(d.rate) || math.IsInf(d.rate, 0) {
		return usageErr("demo: --rate: want requests per second > 0, got %v", d.rate)
	}
	if d.stages != "" {
		if _, err := loadgen.ParseStages(d.stages); err != nil {
			return usageErr("demo: --stages: %v", err)
		}
	}
	return nil
}
