//go:build !lean

package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/fleet"
	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
)

func TestShardArgsKeepRunFlagsOnly(t *testing.T) {
	rf := &runFlags{}
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	rf.register(fs)
	args := []string{"-qbc", "30", "--rate=100", "-H", "X-A: 1", "-j", "--fail-on", "p99 > 1s", "--json", "r.json",
		"--until-alarm", "--poll", "2s", "-t5S", "--log", "--region", "eu-west-1", "-i", "http://h/"}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(shardArgs(fs, args), " ")
	if want := "-b -c 30 --rate=100 -H X-A: 1 -t 5S -i http://h/"; got != want {
		t.Fatalf("shard args\n got %q\nwant %q", got, want)
	}
}

func TestFleetUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fleet", "--", "-c", "3", "http://127.0.0.1:9/"}, "give --tasks N (ECS tasks) or --shards N"},
		{[]string{"fleet", "--tasks", "2", "--shards", "2", "--", "http://127.0.0.1:9/"}, "one of them"},
		{[]string{"fleet", "--shards", "4", "--", "-c", "3", "http://127.0.0.1:9/"}, "-c 3 over 4 shards leaves a shard without a user"},
		{[]string{"fleet", "--shards", "2", "--", "-v", "http://127.0.0.1:9/"}, "-v would write a line per request"},
		{[]string{"fleet", "--shards", "2", "--", "-r", "once", "http://127.0.0.1:9/"}, "-r once"},
		{[]string{"fleet", "--shards", "2", "--", "--fail-on", "p99 >", "http://127.0.0.1:9/"}, "--fail-on"},
		{[]string{"fleet", "--shards", "2", "--", "--nope", "http://127.0.0.1:9/"}, "unknown flag: --nope"},
		{[]string{"fleet", "--shards", "2", "--", "--hlog-interval", "5ms", "http://127.0.0.1:9/"}, "fleet: --hlog-interval: want at least 10ms"},
		{[]string{"fleet", "--shards", "2", "--", "--uncorrected", "http://127.0.0.1:9/"}, "fleet: --max-users and --uncorrected need --rate"},
		{[]string{"fleet", "--tasks", "2", "--", "-f", "urls.txt"}, "ECS tasks cannot read"},
		{[]string{"fleet", "--shards", "2", "http://127.0.0.1:9/", "--", "-c", "2"}, `put the URL after "--"`},
	} {
		r := runCLI(t, map[string]string{"SIEGERC": os.DevNull}, c.args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: exit %d %s, want 2 and %q", c.args, r.code, r.stderr, c.want)
		}
	}
}

// fleetCmd starts the real binary's fleet command.
func fleetCmd(t *testing.T, args ...string) (*exec.Cmd, *testsupport.SyncBuffer, *testsupport.SyncBuffer) {
	t.Helper()
	return startBinary(t, testsupport.LoadgenBinary(t), append([]string{"fleet"}, args...)...)
}

// startBinary starts a built loadgen without a siegerc, killed at the end of
// the test if it still runs.
func startBinary(t *testing.T, bin string, args ...string) (*exec.Cmd, *testsupport.SyncBuffer, *testsupport.SyncBuffer) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "SIEGERC="+os.DevNull)
	var out, errb testsupport.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, &out, &errb
}

var shardPid = regexp.MustCompile(`shard \d+/\d+ started \(pid (\d+)\)`)

// TestFleetCtrlCStopsEveryShard: SIGINT to the coordinator (Ctrl+C) stops
// every shard; the report of all of them is printed, and it exits 130.
func TestFleetCtrlCStopsEveryShard(t *testing.T) {
	s := newSite(t)
	jf, hf := filepath.Join(t.TempDir(), "r.json"), filepath.Join(t.TempDir(), "merged.hlog")
	cmd, out, errb := fleetCmd(t, "--shards", "3", "--lead", "1s", "--", "-c", "3", "--json", jf, "--hlog", hf, s.URL+"/")
	deadline := time.Now().Add(20 * time.Second)
	for s.total.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	interrupt(t, cmd, errb.String, exitInterrupted)
	pids := shardPid.FindAllStringSubmatch(errb.String(), -1)
	if len(pids) != 3 {
		t.Fatalf("want 3 shard pids in:\n%s", errb.String())
	}
	for _, m := range pids {
		pid, _ := strconv.Atoi(m[1])
		if err := syscall.Kill(pid, 0); err == nil {
			t.Errorf("shard pid %d still running after the coordinator exited", pid)
		}
	}
	n := s.total.Load()
	time.Sleep(300 * time.Millisecond)
	if s.total.Load() != n {
		t.Fatalf("load went on after Ctrl+C: %d -> %d", n, s.total.Load())
	}
	var rp report.Report
	raw, _ := os.ReadFile(jf)
	if err := json.Unmarshal(raw, &rp); err != nil || rp.Fleet == nil || rp.Fleet.StoppedBy != "interrupted" || !rp.Fleet.Complete ||
		rp.Fleet.Merged != 3 || rp.Transactions == 0 || rp.Transactions > n {
		t.Fatalf("report after Ctrl+C: %v %+v\n%s", err, rp.Fleet, out.String())
	}
	if !strings.Contains(out.String(), "Fleet verdict:\t\tcomplete: all 3 shards ran whole") {
		t.Fatalf("text report:\n%s", out.String())
	}
	// --hlog is the merged run as one log: merge reads back the same figures.
	r := runCLI(t, nil, "merge", "-j", hf)
	var mp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &mp); err != nil || r.code != 0 || mp.Transactions != rp.Transactions ||
		mp.Users != 3 || mp.LatencyMs != rp.LatencyMs {
		t.Fatalf("merge of the fleet's --hlog: %d %v %d transactions (want %d), %d users, %+v vs %+v\n%s", r.code, err,
			mp.Transactions, rp.Transactions, mp.Users, mp.LatencyMs, rp.LatencyMs, r.stderr)
	}
}

// TestFleetUntilAlarmStopsEveryShard: with --until-alarm the coordinator
// watches the alarm; at ALARM it stops every shard within one poll, and
// still merges all their logs.
func TestFleetUntilAlarmStopsEveryShard(t *testing.T) {
	isolateAWS(t)
	ep := awstest.StartLive(t, awslocal.New(awslocal.Options{}), 3)
	ep.SetEnv(t)
	s := newSite(t)
	if r := runCLI(t, nil, "alarm", "create", "--cluster", "c", "--service", "s", "--period", "10"); r.code != 0 {
		t.Fatalf("alarm create: %d %s", r.code, r.stderr)
	}
	jf := filepath.Join(t.TempDir(), "r.json")
	cmd, out, errb := fleetCmd(t, "--shards", "3", "--lead", "1s", "--", "-c", "3", "--until-alarm", "--alarm", "loadgen-s-cpu-high",
		"--poll", "1s", "--alarm-timeout", "60s", "--json", jf, s.URL+"/")
	for s.total.Load() == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Second)
	alarmAt := time.Now()
	if _, err := ep.CloudWatch().SetAlarmState(context.Background(), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("loadgen-s-cpu-high"),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("test: the CPU is high")}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("fleet: %v\n%s\n%s", err, out.String(), errb.String())
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("the fleet did not stop at ALARM:\n%s", errb.String())
	}
	var rp report.Report
	raw, _ := os.ReadFile(jf)
	if err := json.Unmarshal(raw, &rp); err != nil || rp.Fleet == nil || !rp.Fleet.Complete || rp.Fleet.Merged != 3 || rp.EndedBy != "alarm" {
		t.Fatalf("report: %v ended by %q %+v\n%s", err, rp.EndedBy, rp.Fleet, errb.String())
	}
	end, _ := time.Parse(time.RFC3339Nano, rp.End)
	// One poll (1 s) to see ALARM, then SIGTERM; allow a busy machine 1.5 s more.
	if lag := end.Sub(alarmAt); lag > 2500*time.Millisecond {
		t.Fatalf("the last shard stopped recording %v after ALARM, want within one poll (1s) and slack", lag)
	}
	for _, sh := range rp.Fleet.Tasks {
		if sh.ExitCode == nil || *sh.ExitCode != exitInterrupted {
			t.Errorf("%s: exit %v, want %d (stopped)", sh.Name, sh.ExitCode, exitInterrupted)
		}
	}
}

// TestFleetOnECSIncomplete runs `loadgen fleet setup` and `loadgen fleet
// --tasks 3` against the local endpoint, whose ECS tasks are the real
// binary: a task that fails to start makes the run incomplete (exit 1,
// named), unless --allow-partial.
func TestFleetOnECSIncomplete(t *testing.T) {
	isolateAWS(t)
	srv := awslocal.New(awslocal.Options{TaskBinary: testsupport.LoadgenBinary(t)})
	t.Cleanup(srv.KillTasks)
	ep := awstest.StartLive(t, srv, 3)
	ep.SetEnv(t)
	if _, err := srv.PutCluster(awslocal.Cluster{Name: "load"}); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "fleet", "setup", "--image", "loadgen:test")
	if r.code != 0 || !strings.Contains(r.stdout, "task definition arn:aws:ecs:us-east-1:000000000000:task-definition/loadgen:1: registered") ||
		!strings.Contains(r.stdout, "mode blocking") || !strings.Contains(r.stdout, "role/ecsTaskExecutionRole") || !strings.Contains(r.stdout, "nofile 1048576") {
		t.Fatalf("setup: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	s := newSite(t)
	for _, partial := range []bool{false, true} {
		srv.FailTaskStart("", "CannotPullContainerError: pull access denied", "")
		args := []string{"--tasks", "3", "--cluster", "load", "--subnets", "subnet-1", "--lead", "2s", "--task-poll", "200ms"}
		if partial {
			args = append(args, "--allow-partial")
		}
		cmd, out, errb := fleetCmd(t, append(args, "--", "-c", "3", "-r", "4", s.URL+"/")...)
		err := cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		want := 1
		if partial {
			want = 0
		}
		if code != want || !regexp.MustCompile(`shard 2/3 \(task [0-9a-f]{32}\)\s+users 0\s+late -\s+0 trans\s+INCOMPLETE: never started: CannotPullContainerError`).MatchString(out.String()) {
			t.Fatalf("--allow-partial %v: exit %d (%v), want %d\n%s\n%s", partial, code, err, want, out.String(), errb.String())
		}
		if !partial && !strings.Contains(errb.String(), "loadgen: failed: the run is incomplete: shard 2/3 (task ") {
			t.Fatalf("stderr:\n%s", errb.String())
		}
		if !strings.Contains(out.String(), "Transactions:\t\t           8 hits") {
			t.Fatalf("the two shards that ran (1 user x 4 reps each) are not merged:\n%s", out.String())
		}
	}
}

// TestShardStagesAddUp: every level of a load shape is split over the
// shards as -c and --rate are, so at each stage they add up exactly.
func TestShardStagesAddUp(t *testing.T) {
	for _, c := range []struct {
		spec string
		rate bool
	}{{"30s:50,2m:+200,30s:7,0:0", false}, {"10s:100.5,1m:+333.333,5s:1", true}} {
		stages, err := loadgen.ParseStages(c.spec)
		if err != nil {
			t.Fatal(err)
		}
		sums := make([]float64, len(stages))
		for i := 1; i <= 3; i++ {
			got := shardStages(fleet.Shard{Index: i, Count: 3}, stages, c.rate)
			for k, st := range got {
				if st.Duration != stages[k].Duration || st.Hold != stages[k].Hold {
					t.Fatalf("%s shard %d stage %d: %+v vs %+v", c.spec, i, k+1, st, stages[k])
				}
				if !c.rate && st.Target != math.Trunc(st.Target) {
					t.Fatalf("%s shard %d: %g users", c.spec, i, st.Target)
				}
				sums[k] += st.Target
			}
		}
		for k, st := range stages {
			if math.Abs(sums[k]-st.Target) > 1e-9 {
				t.Errorf("%s stage %d: shards add up to %g, want %g", c.spec, k+1, sums[k], st.Target)
			}
		}
	}
	r := runCLI(t, map[string]string{"SIEGERC": os.DevNull}, "fleet", "--shards", "4", "--", "--stages", "1s:3", "http://127.0.0.1:9/")
	if r.code != exitUsage || !strings.Contains(r.stderr, "--stages peaks at 3 users: over 4 shards that leaves a shard without a user") {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
}
