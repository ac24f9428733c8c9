//go:build !lean

package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/demoapp"
	"github.com/loadgen/loadgen/internal/demoworld"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/verify"
)

// demoFlags tune `loadgen demo`; the defaults are the workshop's, scaled to a minute.
type demoFlags struct {
	serve        bool
	fresh        bool
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
	fleet        int // --fleet N: the load as N shards, ECS tasks of the local endpoint
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
		Short: demoShort,
		Long: `demo runs the workshop's Container Insights chapter end to end on this machine,
through the same code as against AWS:

  1. a local AWS endpoint on 127.0.0.1 (CloudFormation, CloudWatch, CloudWatch Logs,
     ECS, SNS, IAM, STS) with what the chapter's cdk deploy makes: the stacks, the
     container-demo cluster and its services;
  2. a site shaped like ecsdemo-frontend, as a child process limited to one CPU, that
     publishes its own CpuUtilized and CpuReserved and its performance log events as
     Container Insights would, while Container Insights is enabled on the cluster;
  3. the chapter's steps, through the AWS API: the service-linked roles, Container
     Insights enabled, an SNS topic with a confirmed e-mail subscription, and the
     metric-math CPU alarm (mm1m1 * 100 / mm0m1 > 50) that notifies it;
  4. loadgen -c 200 --until-alarm, with AWS_ENDPOINT_URL pointing at the local endpoint;
  5. loadgen check: every step of the chapter ✓.

With --serve it does steps 1 to 3 and waits, so you can practise the workshop by hand;
with --serve --fresh it stops after step 2, at the chapter's starting point (no
service-linked roles, Container Insights disabled, no alarm), so that you can do
each step with the AWS CLI and watch loadgen check turn green.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d.usersGiven = cmd.Flags().Changed("concurrent")
			return a.runDemo(cmd.Context(), d)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&d.serve, "serve", false, "start the local AWS endpoint and the site, print how to use them, and wait for Ctrl+C")
	fs.BoolVar(&d.fresh, "fresh", false, "with --serve: the chapter's starting world (Container Insights disabled, no alarm)")
	fs.IntVarP(&d.users, "concurrent", "c", 200, "simulated users")
	fs.Int32Var(&d.period, "period", 10, "the alarm's period in seconds: 10, 20, 30 or a multiple of 60 (the workshop's is 60)")
	fs.DurationVar(&d.poll, "poll", 2*time.Second, "how often loadgen polls the alarm")
	fs.DurationVar(&d.alarmTimeout, "alarm-timeout", 2*time.Minute, "fail if the alarm has not fired by then")
	fs.DurationVar(&d.publishEvery, "publish-every", 2*time.Second, "how often the site publishes its CPU metrics and performance logs")
	fs.StringVar(&d.jsonFile, "json", "", "also write the load's JSON report here")
	fs.StringVar(&d.htmlFile, "html", defaultDemoHTML(), "write the load's HTML report here")
	fs.Float64Var(&d.rate, "rate", 0, "open model (loadgen --rate): requests/s, the first level of --stages")
	fs.StringVar(&d.stages, "stages", "", "shape the load (loadgen --stages), e.g. 60s:200,30s:+200: the report names the load at which the alarm's first breaching period began")
	fs.IntVar(&d.fleet, "fleet", 0, "run the load as N shards with 'loadgen fleet --tasks N': ECS tasks of the local endpoint, each a loadgen process")
	return cmd
}

// demoWorld is the running local workshop.
type demoWorld struct {
	local    *awslocal.Server
	endpoint string
	env      []string
	site     *demoapp.Child
	finished demoworld.Finished
}

func (a *app) runDemo(ctx context.Context, d *demoFlags) error {
	switch {
	case d.users < 1 || d.poll < time.Second:
		return usageErr("demo: --concurrent must be at least 1 and --poll at least 1s")
	case !verify.ValidPeriod(d.period):
		return usageErr("demo: --period %d: CloudWatch alarm periods are 10, 20, 30 or a multiple of 60 seconds", d.period)
	case d.fresh && !d.serve:
		return usageErr("demo: --fresh needs --serve (the fresh world has no alarm to run the load against)")
	case d.fleet > d.users:
		// Before the world starts: each shard needs a user.
		return usageErr("demo: --fleet %d needs -c %d or more", d.fleet, d.fleet)
	}
	if err := d.checkShape(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return setupErr(fmt.Errorf("find own executable: %w", err))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := a.startWorld(ctx, exe, d)
	if err != nil {
		return err
	}
	defer w.site.Stop()
	defer w.local.KillTasks()
	if d.serve {
		return a.serveDemo(ctx, exe, w, d)
	}
	if err := a.demoLoad(ctx, exe, w, d); err != nil {
		return err
	}
	return a.demoCheck(ctx, exe, w)
}

func (a *app) say(format string, args ...any) {
	fmt.Fprintf(a.stderr, "demo: "+format+"\n", args...)
}

// startWorld starts the local AWS endpoint, seeds the chapter's starting
// point, starts the site and, unless --fresh, does the chapter's steps.
func (a *app) startWorld(ctx context.Context, exe string, d *demoFlags) (*demoWorld, error) {
	// Its ECS tasks (demo --fleet) run this binary.
	local := awslocal.New(awslocal.Options{Region: demoRegion, TaskBinary: exe})
	endpoint, err := awslocal.Start(ctx, "127.0.0.1:0", local)
	if err != nil {
		return nil, setupErr(fmt.Errorf("start the local AWS endpoint: %w", err))
	}
	w := &demoWorld{local: local, endpoint: endpoint, env: append(os.Environ(),
		"AWS_ENDPOINT_URL="+endpoint, "AWS_REGION="+demoRegion, "AWS_DEFAULT_REGION="+demoRegion,
		"AWS_ACCESS_KEY_ID=demo", "AWS_SECRET_ACCESS_KEY=demo", "AWS_SESSION_TOKEN=",
		"AWS_PROFILE=", "AWS_EC2_METADATA_DISABLED=true")}
	a.say("local AWS endpoint at %s", endpoint)
	if err := demoworld.Seed(local); err != nil {
		return nil, setupErr(err)
	}
	a.say("cluster %s (Container Insights disabled) with services %s, ecsdemo-nodejs, ecsdemo-crystal; stacks %s, ecsworkshop-nodejs, ecsworkshop-crystal", demoCluster, demoService, demoworld.PlatformStack)

	w.site, err = demoapp.Spawn(ctx, exe, []string{demoSiteCommand}, w.env, demoapp.Config{
		Cluster: demoCluster, Service: demoService, PublishEvery: d.publishEvery,
	}, a.stderr)
	if err != nil {
		return nil, setupErr(fmt.Errorf("start the demo site: %w", err))
	}
	a.say("site %s (pid %d, one CPU) publishes CpuUtilized/CpuReserved and performance log events for %s/%s every %s while Container Insights is enabled",
		w.site.URL, w.site.Pid, demoCluster, demoService, d.publishEvery)
	u, _ := url.Parse(w.site.URL)
	demoworld.PutFrontend(local, w.site.URL, u.Host)
	a.say("stack %s output %s = %s", demoStack, demoURLKey, strings.TrimSuffix(w.site.URL, "/"))
	if d.fresh {
		return w, nil
	}
	cfg, err := awscfg.Load(ctx, awscfg.Options{Region: demoRegion, EndpointURL: endpoint, SkipCredentialsCheck: true})
	if err != nil {
		w.site.Stop()
		return nil, setupErr(err)
	}
	w.finished, err = demoworld.Finish(ctx, local, cfgWithStatic(cfg), endpoint, d.period)
	if err != nil {
		w.site.Stop()
		return nil, setupErr(fmt.Errorf("the chapter's steps: %w", err))
	}
	a.say("the chapter's steps: service-linked roles created, Container Insights enabled, topic %s with %s confirmed, alarm %s (> 50 over %ds)",
		w.finished.TopicARN, demoworld.Email, w.finished.Alarm, d.period)
	return w, nil
}

// serveDemo prints how to use the local workshop and waits for Ctrl+C.
func (a *app) serveDemo(ctx context.Context, exe string, w *demoWorld, d *demoFlags) error {
	out := a.stdout
	fmt.Fprintf(out, "\nThe workshop's AWS side runs locally. In another shell:\n\n")
	fmt.Fprintf(out, "  export AWS_ENDPOINT_URL=%s\n  export AWS_REGION=%s AWS_DEFAULT_REGION=%s\n  export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo\n\n", w.endpoint, demoRegion, demoRegion)
	fmt.Fprintf(out, "AWS CLIs older than 2.13 ignore AWS_ENDPOINT_URL: give them --endpoint-url, e.g.\n\n  aws --endpoint-url %s ecs list-clusters\n\n", w.endpoint)
	if d.fresh {
		fmt.Fprintf(out, "This is the chapter's starting point: no service-linked roles, Container Insights\n"+
			"disabled, no alarm. Do its steps and watch loadgen check turn each one ✓:\n\n")
		for _, l := range freshSteps(exe, d.period) {
			fmt.Fprintf(out, "  %s\n", l)
		}
	} else {
		fmt.Fprintf(out, "  alb_url=$(%s url)\n  %s -c 200 -i -t 20S $alb_url\n  %s alarm watch\n  %s -c 200 --until-alarm\n  %s check\n", exe, exe, exe, exe, exe)
	}
	fmt.Fprintf(out, "\nCtrl+C stops the demo.\n")
	mail := time.NewTicker(500 * time.Millisecond)
	defer mail.Stop()
	sent := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.site.Done():
			return setupErr(fmt.Errorf("the demo site exited: %w", w.site.Err()))
		case <-mail.C:
			a.deliverConfirmations(w.local, sent)
		}
	}
}

// freshSteps are the chapter's steps, as typed against the fresh world.
func freshSteps(exe string, period int32) []string {
	return []string{
		exe + " check                      # what is left to do",
		"aws iam create-service-linked-role --aws-service-name elasticloadbalancing.amazonaws.com",
		"aws iam create-service-linked-role --aws-service-name ecs.amazonaws.com",
		`cluster_arn=$(aws ecs list-clusters | jq -r '.clusterArns[] | select(contains("container-demo"))')`,
		`clustername=$(aws ecs describe-clusters --clusters $cluster_arn | jq -r '.clusters[].clusterName')`,
		"aws ecs update-cluster-settings --cluster ${clustername} --settings name=containerInsights,value=enabled --region ${AWS_REGION}",
		"topic=$(aws sns create-topic --name ecsworkshop-cpu-alarm --query TopicArn --output text)",
		"aws sns subscribe --topic-arn $topic --protocol email --notification-endpoint you@example.com   # this window shows the e-mail",
		fmt.Sprintf("%s alarm create --cluster ${clustername} --service %s --threshold 50 --period %d --action-arn $topic", exe, demoService, period),
		exe + " -c 200 --until-alarm",
		exe + " check",
	}
}

// deliverConfirmations shows, once per pending SNS subscription, the
// confirmation message AWS would send to its endpoint, as the command that
// does what its link does.
func (a *app) deliverConfirmations(local *awslocal.Server, sent map[string]bool) {
	for _, p := range local.PendingSubscriptions() {
		if sent[p.ARN] {
			continue
		}
		sent[p.ARN] = true
		what := "message"
		if strings.HasPrefix(p.Protocol, "email") {
			what = "e-mail"
		}
		fmt.Fprintf(a.stdout, "\ndemo: %s to %s, \"AWS Notification - Subscription Confirmation\": you have chosen to subscribe to %s.\n"+
			"To confirm the subscription (the %s's link), run:\n\n  aws sns confirm-subscription --topic-arn %s --token %s\n\n",
			what, p.Endpoint, p.TopicARN, what, p.TopicARN, p.Token)
	}
}

// demoLoad runs loadgen -c N --until-alarm, as a user would type it.
func (a *app) demoLoad(ctx context.Context, exe string, w *demoWorld, d *demoFlags) error {
	args := d.loadArgs()
	if d.fleet > 0 {
		var err error
		if args, err = a.demoFleet(ctx, exe, w, d, args); err != nil {
			return err
		}
	}
	code, err := a.demoChild(ctx, exe, w, "load", args)
	sayPage(a.say, d.htmlFile)
	if err != nil {
		return err
	}
	switch code {
	case exitOK:
		a.say("the alarm fired under load")
		return nil
	case exitAlarm:
		a.say("the alarm did not fire within %s", d.alarmTimeout)
	}
	return &quietExit{code}
}

// demoCheck runs loadgen check, as a user would type it.
func (a *app) demoCheck(ctx context.Context, exe string, w *demoWorld) error {
	code, err := a.demoChild(ctx, exe, w, "check", []string{"check"})
	if err != nil {
		return err
	}
	if code != exitOK {
		a.say("loadgen check found a step not done (exit %d)", code)
		return &quietExit{code}
	}
	a.say("every step of the chapter is done: the workshop works end to end")
	return nil
}

// demoChild runs loadgen with args against the local world and returns its
// exit code. It stops the child when the site dies or on Ctrl+C.
func (a *app) demoChild(ctx context.Context, exe string, w *demoWorld, what string, args []string) (int, error) {
	a.say("running: loadgen %s", strings.Join(args, " "))
	child := exec.Command(exe, args...)
	// The demo is a fixed scenario: a siege configuration file on this
	// machine (connection = close, json_output, ...) must not change it.
	child.Env = append(slices.Clip(w.env), "SIEGERC="+os.DevNull)
	child.Stdout, child.Stderr = a.stdout, a.stderr
	child.SysProcAttr = loadProcAttr()
	if err := child.Start(); err != nil {
		return 0, setupErr(fmt.Errorf("start the %s: %w", what, err))
	}
	a.say("%s pid %d", what, child.Process.Pid)
	waited := make(chan error, 1)
	go func() { waited <- child.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-w.site.Done():
		_ = child.Process.Signal(syscall.SIGINT)
		<-waited
		return 0, setupErr(fmt.Errorf("the demo site died during the %s: %w", what, w.site.Err()))
	case <-ctx.Done():
		// Ctrl+C: the terminal sends it to the child too; make sure it stops.
		_ = child.Process.Signal(syscall.SIGINT)
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = child.Process.Kill()
			<-waited
		}
		return 0, &quietExit{exitInterrupted}
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, setupErr(fmt.Errorf("the %s: %w", what, err))
	}
	return exitOK, nil
}

// cfgWithStatic gives the demo's own SDK calls the same static local
// credentials as its children.
func cfgWithStatic(cfg aws.Config) aws.Config {
	cfg.Credentials = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{AccessKeyID: "demo", SecretAccessKey: "demo", Source: "loadgen demo"}, nil
	})
	return cfg
}

// checkShape validates --rate and --stages before anything starts.
func (d *demoFlags) checkShape() error {
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
