package demoapp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/testsupport"
)

// spawnSelf starts the test binary as a child in the given mode.
func spawnSelf(t *testing.T, ctx context.Context, mode string, extraEnv []string, cfg Config, stderr *testsupport.SyncBuffer) (*Child, error) {
	t.Helper()
	env := append(os.Environ(), childEnv+"="+mode)
	if os.Getenv("GORACE") == "" {
		// A -race child otherwise sleeps 1 s at exit (atexit_sleep_ms).
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	env = append(env, extraEnv...)
	return Spawn(ctx, os.Args[0], []string{"-test.run=^$"}, env, cfg, stderr)
}

// gone reports whether no process with pid exists any more.
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

// quietCfg is a child config that publishes nothing (no AWS traffic).
var quietCfg = Config{PublishEvery: -1, WorkPerPage: 50 * time.Microsecond}

func TestSpawnServesAndStops(t *testing.T) {
	t.Parallel()
	var stderr testsupport.SyncBuffer
	// The parent's GOMAXPROCS=4 must be overridden to 1 in the child.
	c, err := spawnSelf(t, context.Background(), "site", []string{"GOMAXPROCS=4"}, quietCfg, &stderr)
	if err != nil {
		t.Fatalf("Spawn: %v (stderr %q)", err, stderr.String())
	}
	defer c.Stop()
	if !strings.HasPrefix(c.URL, "http://127.0.0.1:") || c.Pid <= 0 {
		t.Fatalf("URL %q, pid %d", c.URL, c.Pid)
	}
	if c.Pid == os.Getpid() || gone(c.Pid) {
		t.Fatalf("pid %d is not a live child", c.Pid)
	}
	if pgid, err := syscall.Getpgid(c.Pid); err != nil || pgid != c.Pid {
		t.Errorf("child process group %d (%v), want its own group %d", pgid, err, c.Pid)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	resp, body := get(t, client, http.MethodGet, c.URL+"/health")
	if resp.StatusCode != 200 || string(body) != "OK" {
		t.Fatalf("/health: %d %q", resp.StatusCode, body)
	}
	if g := resp.Header.Get(GomaxprocsHeader); g != "1" {
		t.Errorf("child GOMAXPROCS = %q, want 1", g)
	}
	resp, body = get(t, client, http.MethodGet, c.URL+"/")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte("<title>ExampleApp</title>")) {
		t.Errorf("GET /: %d", resp.StatusCode)
	}

	if err := c.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err after a requested stop: %v", err)
	}
	if !gone(c.Pid) {
		t.Errorf("process %d still exists after Stop", c.Pid)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if _, err := client.Get(c.URL + "/health"); err == nil {
		t.Error("site still answers after Stop")
	}
}

func TestSpawnReportsUnexpectedExit(t *testing.T) {
	t.Parallel()
	c, err := spawnSelf(t, context.Background(), "site", nil, quietCfg, nil)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	defer c.Stop()
	if c.Err() != nil {
		t.Fatalf("Err while running: %v", c.Err())
	}
	if err := syscall.Kill(c.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed 10 s after the child was killed")
	}
	err = c.Err()
	if err == nil || !strings.Contains(err.Error(), "exited unexpectedly") || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("Err = %v, want an unexpected exit by signal", err)
	}
	if serr := c.Stop(); serr == nil || serr.Error() != err.Error() {
		t.Errorf("Stop after the crash = %v, want %v", serr, err)
	}
	if !gone(c.Pid) {
		t.Errorf("process %d not reaped", c.Pid)
	}
}

func TestSpawnContextEndStopsChild(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := spawnSelf(t, ctx, "site", nil, quietCfg, nil)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	cancel()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		c.Stop()
		t.Fatal("child still running 10 s after its context ended")
	}
	if err := c.Err(); err != nil {
		t.Errorf("Err after the context ended: %v", err)
	}
	if !gone(c.Pid) {
		t.Errorf("process %d still exists", c.Pid)
	}
}

func TestStopKillsStubbornChild(t *testing.T) {
	t.Parallel()
	c, err := spawnSelf(t, context.Background(), "stubborn", nil, quietCfg, nil)
	if err != nil {
		t.Fatalf("Spawn: %v", err)
	}
	t0 := time.Now()
	if err := c.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if d := time.Since(t0); d < StopGrace-100*time.Millisecond {
		t.Errorf("Stop returned after %v; a child ignoring SIGTERM should get the %v grace", d, StopGrace)
	}
	if !gone(c.Pid) {
		t.Errorf("process %d survived SIGKILL", c.Pid)
	}
}

func TestSpawnFailureForwardsStderr(t *testing.T) {
	t.Parallel()
	var stderr testsupport.SyncBuffer
	c, err := spawnSelf(t, context.Background(), "fail", nil, quietCfg, &stderr)
	if err == nil {
		c.Stop()
		t.Fatal("Spawn succeeded for a child that exits at once")
	}
	if !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "exit status 3") {
		t.Errorf("Spawn error = %v", err)
	}
	if got := stderr.String(); got != "[demoapp] boom: refusing to start\n" {
		t.Errorf("forwarded stderr = %q", got)
	}
}

func TestSpawnStopsChildWithoutReadyLine(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ mode, want string }{
		{"garbage", `unexpected first line "hello"`},
		{"mute", "closed its stdout before it was ready"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			t.Parallel()
			var stderr testsupport.SyncBuffer
			c, err := spawnSelf(t, context.Background(), tc.mode, nil, quietCfg, &stderr)
			if err == nil {
				c.Stop()
				t.Fatal("Spawn succeeded without a ready line")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Spawn error = %v, want %q", err, tc.want)
			}
			var pid int
			if _, serr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "pid "):], "pid %d", &pid); serr != nil || pid <= 0 {
				t.Fatalf("no pid in %q", err)
			}
			if !gone(pid) {
				t.Errorf("child pid %d still runs after Spawn failed", pid)
			}
		})
	}
}

func TestSpawnRejectsBadConfig(t *testing.T) {
	t.Parallel()
	if _, err := Spawn(context.Background(), os.Args[0], nil, nil, Config{Addr: "0.0.0.0:0"}, nil); err == nil {
		t.Fatal("Spawn accepted a non-loopback address")
	}
	if _, err := Spawn(context.Background(), "/nonexistent/demoapp", nil, nil, quietCfg, nil); err == nil {
		t.Fatal("Spawn of a missing executable succeeded")
	}
}

func TestServeReadyLineAndShutdown(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	errc := make(chan error, 1)
	go func() { errc <- Serve(ctx, quietCfg, pw); pw.Close() }()
	buf := make([]byte, 128)
	n, err := pr.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	line := string(buf[:n])
	if !strings.HasPrefix(line, "demoapp listening on http://127.0.0.1:") || !strings.HasSuffix(line, "\n") {
		t.Fatalf("ready line %q", line)
	}
	url := strings.TrimSuffix(strings.TrimPrefix(line, ReadyPrefix), "\n")
	client := &http.Client{Timeout: 5 * time.Second}
	resp, body := get(t, client, http.MethodGet, url+"/health")
	if resp.StatusCode != 200 || string(body) != "OK" {
		t.Fatalf("/health: %d %q", resp.StatusCode, body)
	}
	client.CloseIdleConnections()
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return 10 s after its context ended")
	}
	if err := Serve(context.Background(), Config{Addr: "10.1.2.3:80"}, os.Stdout); err == nil {
		t.Error("Serve accepted a non-loopback address")
	}
}
