package fleet_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/fleet"
	"github.com/loadgen/loadgen/fleet/local"
	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/report"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testsupport.RemoveLoadgenBinary()
	os.Exit(code)
}

// countingServer is a loopback HTTP server that counts the requests it saw.
func countingServer(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/", &hits
}

func localBackend(t *testing.T) *local.Backend {
	t.Helper()
	b := local.New(local.Options{Binary: testsupport.LoadgenBinary(t), KillAfter: 10 * time.Second})
	t.Cleanup(b.Close)
	return b
}

func run(t *testing.T, ctx context.Context, b fleet.Backend, o fleet.Options) *fleet.Outcome {
	t.Helper()
	if o.Lead == 0 {
		o.Lead = 1500 * time.Millisecond
	}
	o.Poll, o.LogTimeout, o.StopTimeout = 100*time.Millisecond, 5*time.Second, 20*time.Second
	o.Say = t.Logf
	out, err := fleet.Run(ctx, b, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range out.Shards {
		if len(s.Messages) > 0 {
			t.Logf("%s said: %q", s.Name(), s.Messages)
		}
	}
	return out
}

// TestThreeShardsMergeExactly runs three real loadgen shards against one
// loopback server: the merged count is what the server saw, the merged
// histogram is the union of the shards' histograms, and the shards' shares
// of -c and --rate add up to the totals.
func TestThreeShardsMergeExactly(t *testing.T) {
	url, hits := countingServer(t)
	out := run(t, context.Background(), localBackend(t), fleet.Options{Shards: 3,
		Args: []string{"-c", "7", "--rate", "200.5", "-r", "10", url}})
	if !out.Complete() {
		t.Fatalf("incomplete: %q", out.Problems())
	}
	users, milli := 0, int64(0)
	for i, s := range out.Shards {
		h := s.Header
		if h == nil || h.Shard != s.Shard.String() || s.Shard.Index != i+1 {
			t.Fatalf("shard %d header %+v", i+1, h)
		}
		if want := []int{3, 2, 2}[i]; h.Users != want {
			t.Errorf("shard %s: %d users, want %d", h.Shard, h.Users, want)
		}
		users += h.Users
		milli += int64(h.Rate*1000 + 0.5)
		if got := s.Log.Transactions(); got != int64(h.Users*10) {
			t.Errorf("shard %s: %d transactions, want %d (users x -r 10)", h.Shard, got, h.Users*10)
		}
	}
	if users != 7 || milli != 200500 {
		t.Fatalf("shares add up to %d users and %.3f/s, want 7 and 200.5", users, float64(milli)/1000)
	}
	res, _, err := report.MergeHlogs(out.Logs(), fleet.DefaultInterval)
	if err != nil {
		t.Fatal(err)
	}
	if res.Transactions != hits.Load() || res.Transactions != 70 {
		t.Fatalf("merged %d transactions, the server saw %d, want 70", res.Transactions, hits.Load())
	}
	union := hdrhistogram.New(res.Latency.LowestTrackableValue(), res.Latency.HighestTrackableValue(), int(res.Latency.SignificantFigures()))
	for _, lg := range out.Logs() {
		for _, iv := range lg.Intervals {
			if iv.Tag == "" {
				union.Merge(iv.Histogram)
			}
		}
	}
	if !union.Equals(res.Latency) || union.TotalCount() != 70 {
		t.Fatalf("merged histogram (%d values, p99 %d) differs from the union of the shards' (%d, p99 %d)",
			res.Latency.TotalCount(), res.Latency.ValueAtQuantile(99), union.TotalCount(), union.ValueAtQuantile(99))
	}
	if res.Rate == nil || res.Rate.Target < 200.49 || res.Rate.Target > 200.51 {
		t.Fatalf("merged rate target %+v, want 200.5", res.Rate)
	}
}

// hooked is a local backend whose launch the test shapes.
type hooked struct {
	*local.Backend
	launch func(ctx context.Context, specs []fleet.Spec) ([]fleet.Task, error)
}

func (h *hooked) Launch(ctx context.Context, specs []fleet.Spec) ([]fleet.Task, error) {
	return h.launch(ctx, specs)
}

func startAt(t *testing.T, sp fleet.Spec) time.Time {
	t.Helper()
	for i, a := range sp.Args {
		if a == "--start-at" {
			at, err := fleet.ParseStartAt(sp.Args[i+1])
			if err != nil {
				t.Fatal(err)
			}
			return at
		}
	}
	t.Fatal("no --start-at in the shard's arguments")
	return time.Time{}
}

// one launches specs one by one through each's backend.
func one(ctx context.Context, pick func(sp fleet.Spec) fleet.Backend, specs []fleet.Spec, before func(fleet.Spec)) ([]fleet.Task, error) {
	var out []fleet.Task
	for _, sp := range specs {
		before(sp)
		ts, err := pick(sp).Launch(ctx, []fleet.Spec{sp})
		if err != nil {
			return out, err
		}
		out = append(out, ts...)
	}
	return out, nil
}

// TestIncompleteRunsNameTheShard: a shard that fails to start, one that
// exits non-zero, one whose log is cut before its end line and one that
// starts late are each named, and the run is incomplete; the others merge.
func TestIncompleteRunsNameTheShard(t *testing.T) {
	url, _ := countingServer(t)
	args := []string{"-c", "3", "-t", "2S", url}
	cases := []struct {
		name, shard, want string
		args              []string
		maxLate           time.Duration
		backend           func(t *testing.T, good *local.Backend) fleet.Backend
	}{
		{name: "fails to start", shard: "2/3", want: "shard 2/3: could not be launched: start ", backend: func(t *testing.T, good *local.Backend) fleet.Backend {
			bad := local.New(local.Options{Binary: filepath.Join(t.TempDir(), "no-such-loadgen")})
			return &hooked{good, func(ctx context.Context, specs []fleet.Spec) ([]fleet.Task, error) {
				return one(ctx, func(sp fleet.Spec) fleet.Backend {
					if sp.Shard.Index == 2 {
						return bad
					}
					return good
				}, specs, func(fleet.Spec) {})
			}}
		}},
		{name: "exits non-zero", shard: "3/3", args: []string{"-c", "2", "-t", "2S", url},
			want: `exited with code 2 ("loadgen: --shard 3/3: -c 2 over 3 shards leaves this shard without a user")`, backend: func(_ *testing.T, good *local.Backend) fleet.Backend { return good }},
		{name: "log cut", shard: "2/3", want: "its log was cut before its end line", backend: func(t *testing.T, good *local.Backend) fleet.Backend {
			return &hooked{good, func(ctx context.Context, specs []fleet.Spec) ([]fleet.Task, error) {
				tasks, err := good.Launch(ctx, specs)
				pid, _ := strconv.Atoi(strings.TrimPrefix(tasks[1].ID, "pid "))
				time.AfterFunc(time.Until(startAt(t, specs[1]).Add(time.Second)), func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
				return tasks, err
			}}
		}},
		{name: "starts late", shard: "3/3", want: "late (bound 300ms)", maxLate: 300 * time.Millisecond, backend: func(t *testing.T, good *local.Backend) fleet.Backend {
			return &hooked{good, func(ctx context.Context, specs []fleet.Spec) ([]fleet.Task, error) {
				return one(ctx, func(fleet.Spec) fleet.Backend { return good }, specs, func(sp fleet.Spec) {
					if sp.Shard.Index == 3 {
						time.Sleep(time.Until(startAt(t, sp).Add(time.Second)))
					}
				})
			}}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := args
			if c.args != nil {
				a = c.args
			}
			out := run(t, context.Background(), c.backend(t, localBackend(t)), fleet.Options{Shards: 3, Args: a, MaxLate: c.maxLate})
			ps := out.Problems()
			if out.Complete() || len(ps) != 1 || !strings.Contains(ps[0], c.want) || !strings.HasPrefix(ps[0], "shard "+c.shard) {
				t.Fatalf("problems %q, want one naming %q", ps, c.want)
			}
			t.Logf("%s", ps[0])
			if len(out.Logs()) < 2 {
				t.Fatalf("only %d logs merged; the whole shards' should be", len(out.Logs()))
			}
		})
	}
}

// TestCancelStopsEveryShard: ending the context (Ctrl+C) stops every shard,
// each still writes its end line, and no load goes on after Run returns.
func TestCancelStopsEveryShard(t *testing.T) {
	url, hits := countingServer(t)
	b := localBackend(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for hits.Load() == 0 {
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(700 * time.Millisecond)
		cancel()
	}()
	out := run(t, ctx, b, fleet.Options{Shards: 3, Args: []string{"-c", "3", url}, Lead: time.Second})
	if out.StoppedBy != "interrupted" || !out.Complete() || len(out.Logs()) != 3 {
		t.Fatalf("stopped by %q, problems %q, %d logs", out.StoppedBy, out.Problems(), len(out.Logs()))
	}
	tasks := make([]fleet.Task, len(out.Shards))
	for i, s := range out.Shards {
		tasks[i] = fleet.Task{Shard: s.Shard, ID: s.Task}
		if s.ExitCode == nil || *s.ExitCode != fleet.ExitInterrupted {
			t.Errorf("%s: exit %v, want %d", s.Name(), s.ExitCode, fleet.ExitInterrupted)
		}
	}
	states, _ := b.Describe(context.Background(), tasks)
	for i, st := range states {
		if !st.Stopped {
			t.Errorf("%s still running", out.Shards[i].Name())
		}
	}
	n := hits.Load()
	time.Sleep(300 * time.Millisecond)
	if hits.Load() != n {
		t.Fatalf("load went on after Run returned: %d -> %d", n, hits.Load())
	}
}

// TestClockErrorBoundFromTaskMetadata: on Fargate a shard reads its clock's
// error bound from the task metadata endpoint v4 (ClockDrift) and writes it
// in its header; the fleet's summary keeps the largest.
func TestClockErrorBoundFromTaskMetadata(t *testing.T) {
	md := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v4/abc/task" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"Cluster":"load","TaskARN":"arn:aws:ecs:us-east-1:1:task/load/abc","ClockDrift":{"ClockErrorBound":0.512,` +
			`"ReferenceTimestamp":"2026-11-30T16:00:00Z","ClockSynchronizationStatus":"SYNCHRONIZED"}}`))
	}))
	t.Cleanup(md.Close)
	clk, err := fleet.ReadClock(context.Background(), func(k string) string {
		if k == fleet.MetadataEnv {
			return md.URL + "/v4/abc"
		}
		return ""
	})
	if err != nil || clk.ErrorBoundMs != 0.512 || clk.Source != "ecs-task-metadata" || clk.Status != "SYNCHRONIZED" || clk.Task != "arn:aws:ecs:us-east-1:1:task/load/abc" {
		t.Fatalf("%+v %v", clk, err)
	}
	if clk, err := fleet.ReadClock(context.Background(), func(string) string { return "" }); err != nil || clk.ErrorBoundMs != -1 || clk.Source != "unknown" {
		t.Fatalf("off ECS: %+v %v", clk, err)
	}
	url, _ := countingServer(t)
	b := local.New(local.Options{Binary: testsupport.LoadgenBinary(t), Env: append(os.Environ(), fleet.MetadataEnv+"="+md.URL+"/v4/abc")})
	t.Cleanup(b.Close)
	out := run(t, context.Background(), b, fleet.Options{Shards: 2, Args: []string{"-c", "2", "-r", "2", url}})
	if !out.Complete() {
		t.Fatalf("incomplete: %q", out.Problems())
	}
	for _, s := range out.Shards {
		if h := s.Header; h.ClockErrorMs != 0.512 || h.ClockSource != "ecs-task-metadata" || h.ClockStatus != "SYNCHRONIZED" {
			t.Fatalf("%s header %+v", s.Name(), h)
		}
	}
	if sum := out.Summary("local"); sum.MaxClockErrorMs != 0.512 || !strings.Contains(sum.Text(), "clocks within ±0.512 ms") {
		t.Fatalf("summary %+v\n%s", sum, sum.Text())
	}
}
