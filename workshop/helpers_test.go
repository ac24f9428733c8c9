package workshop

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awsclients"
	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
)

const region = "us-west-2"

// fixture is awslocal on a fake clock behind a real HTTP server on
// 127.0.0.1 (in us-west-2, so that the region shows in the fixes), and the
// real SDK clients of every service pointed at it, with awstest's fast
// retryer (3 attempts, no back-off sleeps).
type fixture struct {
	clock   *testsupport.Clock
	srv     *awslocal.Server
	url     string
	cfg     aws.Config
	clients Clients
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := testsupport.NewClock(testsupport.T0())
	e := awstest.Start(t, awslocal.New(awslocal.Options{Now: clk.Now, Region: region}), 3)
	cfg := e.Config
	cfg.Region = region
	f := &fixture{clock: clk, srv: e.Server, url: e.URL, cfg: cfg}
	f.clients = Clients{
		STS:            awscfg.NewSTS(cfg, e.URL),
		IAM:            awsclients.NewIAM(cfg, e.URL),
		CloudFormation: awscfg.NewCloudFormation(cfg, e.URL),
		ECS:            awsclients.NewECS(cfg, e.URL),
		Logs:           awsclients.NewLogs(cfg, e.URL),
		CloudWatch:     awscfg.NewCloudWatch(cfg, e.URL),
		SNS:            awsclients.NewSNS(cfg, e.URL),
	}
	return f
}

// checker returns a Checker over the fixture's clients and clock, with
// queries polled quickly.
func (f *fixture) checker(opts Options) *Checker {
	opts.Region = region
	opts.Now = f.clock.Now
	opts.Query.Poll = 10 * time.Millisecond
	return New(f.clients, opts)
}

// step runs one step by name and returns its result.
func (f *fixture) step(t *testing.T, name string, opts Options) Result {
	t.Helper()
	steps, err := SelectSteps(Steps(), []string{name})
	if err != nil {
		t.Fatal(err)
	}
	rep := f.checker(opts).Run(context.Background(), "chapter", steps)
	if len(rep.Steps) != 1 {
		t.Fatalf("step %s: %d results: %+v", name, len(rep.Steps), rep.Steps)
	}
	return rep.Steps[0]
}

// wantStatus checks a result's status and that its detail contains every
// string of want.
func wantStatus(t *testing.T, r Result, st Status, want ...string) {
	t.Helper()
	if r.Status != st {
		t.Fatalf("step %s: status %s, want %s: %s (fix %q)", r.Step, r.Status, st, r.Detail, r.Fix)
	}
	for _, w := range want {
		if !strings.Contains(r.Detail, w) {
			t.Errorf("step %s: detail %q lacks %q", r.Step, r.Detail, w)
		}
	}
	if st == Fail && len(r.Fix) == 0 {
		t.Errorf("step %s fails without a fix: %s", r.Step, r.Detail)
	}
}

// wantFix checks that one of the fix lines contains want.
func wantFix(t *testing.T, r Result, want string) {
	t.Helper()
	for _, f := range r.Fix {
		if strings.Contains(f, want) {
			return
		}
	}
	t.Errorf("step %s: fix %q lacks %q", r.Step, r.Fix, want)
}
