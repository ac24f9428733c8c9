//go:build !lean

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/report"
)

// runBinary runs a built loadgen with this process's environment and extra
// variables, bounded in time.
func runBinary(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run %s: %v", bin, err)
	}
	return result{code, out.String(), errb.String()}
}

func TestLeanBuildLinksNoAWS(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "lean", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	n := 0
	for _, p := range strings.Fields(string(out)) {
		n++
		if strings.HasPrefix(p, "github.com/aws/") || strings.Contains(p, "/internal/awslocal") {
			t.Errorf("the lean build links %s: a plain load run would pay for its initialisers", p)
		}
	}
	if n < 20 {
		t.Fatalf("only %d packages listed:\n%s", n, out)
	}
}

func TestLeanBuildRunsPlainLoadItself(t *testing.T) {
	// Alone in its folder, with no loadgen-aws anywhere: a run with a URL
	// needs none.
	alone := filepath.Join(t.TempDir(), "loadgen")
	copyFile(t, testsupport.LeanBinary(t), alone)
	s := newSite(t)
	r := runBinary(t, alone, []string{"PATH=" + t.TempDir()}, "-c", "2", "-r", "3", "-j", s.URL+"/")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil || rp.Transactions != 6 || s.total.Load() != 6 {
		t.Fatalf("report %+v (%v), server saw %d", rp, err, s.total.Load())
	}
	// A command that calls AWS says what is missing and how to get it.
	r = runBinary(t, alone, []string{"PATH=" + t.TempDir()}, "url")
	if r.code != 3 || !strings.Contains(r.stderr, "loadgen-aws") || !strings.Contains(r.stderr, "make build") {
		t.Fatalf("no full build: exit %d %s", r.code, r.stderr)
	}
	r = runBinary(t, alone, []string{"PATH=" + t.TempDir()}, "-c", "2", "--until-alarm", s.URL+"/")
	if r.code != 3 || !strings.Contains(r.stderr, "loadgen-aws") || s.total.Load() != 6 {
		t.Fatalf("--until-alarm without the full build: exit %d, %d requests\n%s", r.code, s.total.Load(), r.stderr)
	}
	// A lean build installed as loadgen-aws is named, not run in a loop.
	copyFile(t, alone, filepath.Join(filepath.Dir(alone), "loadgen-aws"))
	r = runBinary(t, alone, []string{"PATH=" + t.TempDir()}, "url")
	if r.code != 3 || !strings.Contains(r.stderr, "without AWS too") {
		t.Fatalf("lean loadgen-aws: exit %d %s", r.code, r.stderr)
	}
}

func TestLeanBuildHandsAWSToTheFullBuild(t *testing.T) {
	lean, full := testsupport.LeanBinary(t), testsupport.LoadgenBinary(t)
	for _, args := range [][]string{{"--help"}, {"check", "--help"}, {"fleet", "--help"}, {"alarm", "watch", "--help"}} {
		l, f := runBinary(t, lean, nil, args...), runBinary(t, full, nil, args...)
		if l.code != f.code || l.stdout != f.stdout || l.stderr != f.stderr {
			t.Errorf("%v: the lean build says (exit %d)\n%s%s\nthe full build (exit %d)\n%s%s", args, l.code, l.stdout, l.stderr, f.code, f.stdout, f.stderr)
		}
	}

	srv, ws := alarmingWorkshop(t)
	// Exit codes and messages are the full build's.
	if r := runBinary(t, lean, nil, "url", "--stack", "nope"); r.code != 3 || !strings.Contains(r.stderr, "nope") {
		t.Fatalf("url --stack nope: exit %d %s", r.code, r.stderr)
	}
	srv.PutStack("container-demo-alb", awslocal.Output{Key: "ExternalUrl", Value: ws.URL})
	if r := runBinary(t, lean, nil, "url"); r.code != 0 || r.stdout != ws.URL+"/\n" {
		t.Fatalf("url: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	// The workshop's command: the target from stack outputs, until the
	// alarm fires. The siegerc is read by both builds and reported once.
	rc := filepath.Join(t.TempDir(), "siegerc")
	if err := os.WriteFile(rc, []byte("concurrent = 4\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, lean, []string{"SIEGERC=" + rc}, "--until-alarm", "--poll", "1s", "--alarm-timeout", "40s", "-j")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stderr, "reading siege's configuration"); n != 1 {
		t.Errorf("the siegerc line appears %d times:\n%s", n, r.stderr)
	}
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatal(err)
	}
	if rp.Alarm == nil || !rp.Alarm.Fired || rp.Users != 4 || ws.count("/") == 0 {
		t.Fatalf("report %+v alarm %+v", rp, rp.Alarm)
	}
}

// TestLeanBuildRunsLocalShards: a local fleet started through the lean
// build runs its shards with the lean build (they only send load).
func TestLeanBuildRunsLocalShards(t *testing.T) {
	lean := testsupport.LeanBinary(t)
	s := newSite(t)
	jf := filepath.Join(t.TempDir(), "r.json")
	cmd, out, errb := startBinary(t, lean, "fleet", "--shards", "2", "--lead", "1s", "--", "-c", "2", "-t", "4S", "--json", jf, s.URL+"/")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for len(shardPid.FindAllString(errb.String(), -1)) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	pids := shardPid.FindAllStringSubmatch(errb.String(), -1)
	if len(pids) != 2 {
		t.Fatalf("want 2 shard pids in:\n%s", errb.String())
	}
	for _, m := range pids {
		exe, err := os.Readlink("/proc/" + m[1] + "/exe")
		if err != nil {
			t.Skipf("cannot read a shard's executable: %v", err)
		}
		if exe != lean {
			t.Errorf("shard %s runs %s, want the lean build %s", m[1], exe, lean)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("fleet: %v\n%s", err, errb.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("fleet did not end")
	}
	rp, _ := readReport(t, jf)
	if rp.Fleet == nil || !rp.Fleet.Complete || rp.Transactions == 0 || s.total.Load() < rp.Transactions {
		t.Fatalf("report %+v, %d transactions, server saw %d\n%s", rp.Fleet, rp.Transactions, s.total.Load(), out.String())
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
