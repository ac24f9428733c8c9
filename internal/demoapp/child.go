package demoapp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Timeouts of the child's lifecycle.
const (
	// StartTimeout bounds Spawn's wait for the ready line and /health.
	StartTimeout = 20 * time.Second
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	StopGrace = 3 * time.Second
)

// Child is a running demo site process.
type Child struct {
	// URL is the site's base URL, e.g. http://127.0.0.1:43127.
	URL string
	// Pid is the child's process id (also its process group id).
	Pid int

	cmd      *exec.Cmd
	done     chan struct{}
	err      error // set before done is closed
	stopping chan struct{}
	stopOnce sync.Once
	stopErr  error
	ioDone   sync.WaitGroup
}

// Spawn starts exe with args (for loadgen, os.Executable() and its hidden
// demo-site subcommand, which calls ChildMain) in its own process group,
// with env (nil means os.Environ()) plus cfg.Env() and GOMAXPROCS=1, and
// with Pdeathsig=SIGKILL so that it dies with the parent thread. It reads
// the ready line from the child's stdout, then waits until GET /health
// answers OK, all within StartTimeout and ctx. The child's stderr (and any
// further stdout) goes to stderr line by line, prefixed "[demoapp] " (nil
// discards it). When ctx ends, the child is stopped as by Stop.
func Spawn(ctx context.Context, exe string, args []string, env []string, cfg Config, stderr io.Writer) (*Child, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if env == nil {
		env = os.Environ()
	}
	if stderr == nil {
		stderr = io.Discard
	}
	// Later entries win, so the Config and GOMAXPROCS override env.
	env = append(append(append([]string(nil), env...), cfg.Env()...), "GOMAXPROCS=1")
	cmd, outR, errR, err := startChild(exe, args, env)
	if err != nil {
		return nil, err
	}
	c := &Child{Pid: cmd.Process.Pid, cmd: cmd, done: make(chan struct{}), stopping: make(chan struct{})}
	readyLine := c.forwardOutput(outR, errR, stderr)
	go c.wait(outR, errR)

	sctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	err = c.awaitReady(sctx, readyLine)
	if err == nil {
		err = c.waitHealthy(sctx)
	}
	if err != nil {
		c.Stop() // a no-op when the child has already exited
		return nil, err
	}
	go func() {
		select {
		case <-ctx.Done():
			c.Stop()
		case <-c.done:
		}
	}()
	return c, nil
}

// startChild starts exe in its own process group with its stdout and
// stderr on pipes, and returns the pipes' read ends.
func startChild(exe string, args, env []string) (cmd *exec.Cmd, outR, errR *os.File, err error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("demoapp: stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, nil, nil, fmt.Errorf("demoapp: stderr pipe: %w", err)
	}
	cmd = exec.Command(exe, args...)
	cmd.Env = env
	cmd.Stdin = nil
	cmd.Stdout = outW
	cmd.Stderr = errW
	cmd.SysProcAttr = childProcAttr()
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, nil, nil, fmt.Errorf("demoapp: starting %s: %w", exe, err)
	}
	return cmd, outR, errR, nil
}

// forwardOutput copies the child's stderr, and its stdout after the first
// line, to stderr line by line, prefixed. The first stdout line goes to the
// returned channel, which is closed instead when stdout ends without one.
func (c *Child) forwardOutput(outR, errR *os.File, stderr io.Writer) <-chan string {
	pw := &prefixWriter{w: stderr}
	c.ioDone.Add(1)
	go func() { defer c.ioDone.Done(); pw.copyLines(errR); errR.Close() }()

	readyLine := make(chan string, 1)
	c.ioDone.Add(1)
	go func() {
		defer c.ioDone.Done()
		defer outR.Close()
		br := bufio.NewReader(outR)
		line, err := br.ReadString('\n')
		if err == nil {
			readyLine <- strings.TrimSuffix(line, "\n")
			pw.copyLines(br)
		} else {
			close(readyLine)
			pw.copyLines(strings.NewReader(line))
		}
	}()
	return readyLine
}

// awaitReady waits for the child's ready line and takes the site's URL
// from it.
func (c *Child) awaitReady(ctx context.Context, readyLine <-chan string) error {
	select {
	case line, ok := <-readyLine:
		if !ok {
			// Output ended: the child is exiting; report why.
			select {
			case <-c.done:
				return c.exitedBeforeReady()
			case <-time.After(StopGrace):
				return fmt.Errorf("demoapp: child pid %d closed its stdout before it was ready", c.Pid)
			}
		}
		if !strings.HasPrefix(line, ReadyPrefix) {
			return fmt.Errorf("demoapp: child pid %d: unexpected first line %q", c.Pid, line)
		}
		c.URL = strings.TrimPrefix(line, ReadyPrefix)
		return nil
	case <-c.done:
		return c.exitedBeforeReady()
	case <-ctx.Done():
		return fmt.Errorf("demoapp: waiting for child pid %d to listen: %w", c.Pid, ctx.Err())
	}
}

// exitedBeforeReady is the error of a child that exited (c.done is closed)
// before its ready line.
func (c *Child) exitedBeforeReady() error {
	return fmt.Errorf("demoapp: child pid %d exited before it was ready: %w", c.Pid, c.err)
}

// waitHealthy polls GET /health until it answers 200 OK.
func (c *Child) waitHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	delay := 5 * time.Millisecond
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL+"/health", nil)
		if err != nil {
			return fmt.Errorf("demoapp: health request: %w", err)
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(body) == "OK" {
				return nil
			}
			err = fmt.Errorf("status %d, body %q", resp.StatusCode, body)
		}
		last = err
		select {
		case <-c.done:
			return fmt.Errorf("demoapp: child pid %d exited before it was healthy: %w", c.Pid, c.err)
		case <-ctx.Done():
			return fmt.Errorf("demoapp: child pid %d not healthy (%v): %w", c.Pid, last, ctx.Err())
		case <-time.After(delay):
		}
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// wait waits for the child to exit, kills whatever is left of its process
// group while the exited leader still holds the group id, reaps it, and
// records why it exited.
func (c *Child) wait(outR, errR *os.File) {
	waitExitedNoReap(c.Pid)
	_ = syscall.Kill(-c.Pid, syscall.SIGKILL)
	werr := c.cmd.Wait()
	// The pipes reach EOF once no process holds them; do not hang on a
	// stray holder outside the group.
	ioDone := make(chan struct{})
	go func() { c.ioDone.Wait(); close(ioDone) }()
	select {
	case <-ioDone:
	case <-time.After(time.Second):
		outR.Close()
		errR.Close()
	}
	select {
	case <-c.stopping:
		// Requested: a clean exit or our own signals are success.
		var ee *exec.ExitError
		if werr != nil && errors.As(werr, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() &&
				(ws.Signal() == syscall.SIGTERM || ws.Signal() == syscall.SIGKILL) {
				werr = nil
			}
		}
		if werr != nil {
			c.err = fmt.Errorf("demoapp: child pid %d: %w", c.Pid, werr)
		}
	default:
		if werr == nil {
			werr = errors.New("exit status 0")
		}
		c.err = fmt.Errorf("demoapp: child pid %d exited unexpectedly: %w", c.Pid, werr)
	}
	close(c.done)
}

// Stop ends the child: SIGTERM to its process group, up to StopGrace for it
// to exit, then SIGKILL; it returns once the child is reaped. It is
// idempotent. It returns nil when the child ended as asked, and the reason
// (as Err) when it had already exited on its own or failed to stop cleanly.
func (c *Child) Stop() error {
	c.stopOnce.Do(func() {
		select {
		case <-c.done:
			c.stopErr = c.err
			return
		default:
		}
		close(c.stopping)
		_ = syscall.Kill(-c.Pid, syscall.SIGTERM)
		t := time.NewTimer(StopGrace)
		defer t.Stop()
		select {
		case <-c.done:
		case <-t.C:
			_ = syscall.Kill(-c.Pid, syscall.SIGKILL)
			<-c.done
		}
		c.stopErr = c.err
	})
	return c.stopErr
}

// Done is closed when the child has exited and been reaped.
func (c *Child) Done() <-chan struct{} { return c.done }

// Err reports why the child exited: nil while it runs or after a requested
// stop, otherwise the unexpected exit (for example "signal: killed").
func (c *Child) Err() error {
	select {
	case <-c.done:
		return c.err
	default:
		return nil
	}
}

// prefixWriter writes whole lines to w, each prefixed, one at a time.
type prefixWriter struct {
	mu sync.Mutex
	w  io.Writer
}

// copyLines forwards r to the writer line by line until EOF.
func (p *prefixWriter) copyLines(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64*1024)
	for sc.Scan() {
		p.mu.Lock()
		_, _ = fmt.Fprintf(p.w, "[demoapp] %s\n", sc.Text())
		p.mu.Unlock()
	}
	// On a too-long line, drain the rest so the child never blocks on a full pipe.
	_, _ = io.Copy(io.Discard, r)
}
