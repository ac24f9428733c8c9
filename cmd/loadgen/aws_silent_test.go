package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/testsupport"
)

func silentAWSEnv(t *testing.T) string {
	t.Helper()
	isolateAWS(t)
	ep := testsupport.SilentServer(t) // an AWS endpoint that never answers
	t.Setenv("AWS_ENDPOINT_URL", ep)
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	return ep
}

// An AWS endpoint that never answers is exit 3 with one sentence naming
// it, after --aws-timeout, for every command that talks to AWS.
func TestSilentAWSEndpointIsASetupError(t *testing.T) {
	ep := silentAWSEnv(t)
	s := newSite(t)
	for _, args := range [][]string{
		{"url"},
		{"-c", "1", "-r", "1"}, // the URL from stack outputs
		{"-c", "1", "-r", "1", "--until-alarm", s.URL + "/"},
		{"alarm", "watch"},
		{"alarm", "create"},
	} {
		start := time.Now()
		r := runCLI(t, nil, append(args, "--aws-timeout", "1s")...)
		el := time.Since(start)
		want := "no answer from Cloud"
		if r.code != exitSetup || !strings.Contains(r.stderr, want) || !strings.Contains(r.stderr, " at "+ep+" within 1s") ||
			strings.Count(r.stderr, "\n") != 1 || strings.Contains(r.stderr, "StatusCode") {
			t.Errorf("%v: exit %d after %v: %q", args, r.code, el, r.stderr)
		}
		if el > 4*time.Second {
			t.Errorf("%v: took %v with --aws-timeout 1s", args, el)
		}
	}
	if n := s.total.Load(); n != 0 {
		t.Fatalf("%d requests sent though the alarm could not be found", n)
	}
}

// Ctrl+C while loadgen waits for AWS is exit 130, never 3 with the SDK's
// "context canceled".
func TestCtrlCWhileWaitingForAWS(t *testing.T) {
	silentAWSEnv(t)
	for _, args := range [][]string{{"url"}, {"-c", "1", "--until-alarm"}, {"alarm", "watch"}} {
		cmd := exec.Command(testsupport.LoadgenBinary(t), args...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second)
		interrupt(t, cmd, errb.String, exitInterrupted)
		if strings.Contains(errb.String(), "canceled") || strings.Contains(errb.String(), "StatusCode") {
			t.Errorf("%v: stderr %q", args, errb.String())
		}
	}
}

// The SDK's warning that it fell back to IMDSv1 is shown with -v only.
func TestIMDSv1WarningOnlyWithVerbose(t *testing.T) {
	isolateAWS(t)
	imds := testsupport.IMDSv1Only(t)
	env := append(os.Environ(), "AWS_EC2_METADATA_DISABLED=false", "AWS_EC2_METADATA_SERVICE_ENDPOINT="+imds, "AWS_REGION=us-east-1")
	for _, verbose := range []bool{false, true} {
		args := []string{"-c", "1", "-r", "1"}
		if verbose {
			args = append(args, "-v")
		}
		cmd := exec.Command(testsupport.LoadgenBinary(t), args...)
		cmd.Env = env
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != exitSetup || !strings.Contains(string(out), "no AWS credentials found") {
			t.Fatalf("-v %v: exit %d: %s", verbose, cmd.ProcessState.ExitCode(), out)
		}
		if strings.Contains(string(out), "IMDSv1") != verbose {
			t.Errorf("-v %v: output %q", verbose, out)
		}
	}
}
