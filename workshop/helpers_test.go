package workshop

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awslocal"
)

// fakeClock is the clock shared by awslocal and the checker in a test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// t0 is a minute-aligned start for fake clocks.
var t0 = time.Date(2026, 11, 25, 10, 50, 0, 0, time.UTC)

const region = "us-west-2"

// fixture is awslocal on a fake clock behind a real HTTP server on
// 127.0.0.1, and the real SDK clients of every service pointed at it. The
// clients keep the SDK's standard retryer without backoff sleeps, so
// retried errors stay fast.
type fixture struct {
	clock   *fakeClock
	srv     *awslocal.Server
	url     string
	cfg     aws.Config
	clients Clients
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := &fakeClock{t: t0}
	srv := awslocal.New(awslocal.Options{Now: clk.Now, Region: region})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	cfg := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				o.RateLimiter = ratelimit.None
			})
		},
	}
	f := &fixture{clock: clk, srv: srv, url: hs.URL, cfg: cfg}
	f.clients = Clients{
		STS:            awscfg.NewSTS(cfg, hs.URL),
		IAM:            awscfg.NewIAM(cfg, hs.URL),
		CloudFormation: awscfg.NewCloudFormation(cfg, hs.URL),
		ECS:            awscfg.NewECS(cfg, hs.URL),
		Logs:           awscfg.NewLogs(cfg, hs.URL),
		CloudWatch:     awscfg.NewCloudWatch(cfg, hs.URL),
		SNS:            awscfg.NewSNS(cfg, hs.URL),
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
