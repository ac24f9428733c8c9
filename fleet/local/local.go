// Package local runs a fleet's shards as child processes of one binary on
// this machine: `loadgen fleet --shards N`, for one big host whose NIC or
// CPU one process cannot fill, and the honest test double of fleet/ecs.
// Each child's stdout and stderr go into one line stream, as the awslogs
// driver puts a container's output into one log stream, so the coordinator
// reads the same mixture it reads on ECS; Stop sends SIGTERM, as ECS does.
package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/loadgen/loadgen/fleet"
)

// Options configure a Backend.
type Options struct {
	// Binary is the loadgen executable to run (normally os.Executable()).
	Binary string
	// Env is the children's environment; nil inherits this process's.
	Env []string
	// Dir is their working directory; "" is this process's.
	Dir string
	// KillAfter is how long a stopped child has after SIGTERM before it is
	// killed (default 30 s, ECS's stopTimeout).
	KillAfter time.Duration
}

// Backend runs shards as child processes. Create it with New; Close kills
// any child still running.
type Backend struct {
	o  Options
	mu sync.Mutex
	ps map[string]*proc
}

// New returns a Backend running o.Binary.
func New(o Options) *Backend {
	if o.KillAfter <= 0 {
		o.KillAfter = 30 * time.Second
	}
	return &Backend{o: o, ps: map[string]*proc{}}
}

// proc is one child and its output.
type proc struct {
	cmd *exec.Cmd

	mu     sync.Mutex
	lines  []string
	exited bool // the process was waited for and its output drained
	code   *int
	reason string
	killer *time.Timer
}

// Launch starts one child per spec. A child that cannot be started is a
// Task with Err set.
func (b *Backend) Launch(ctx context.Context, specs []fleet.Spec) ([]fleet.Task, error) {
	tasks := make([]fleet.Task, len(specs))
	for i, sp := range specs {
		tasks[i].Shard = sp.Shard
		if err := ctx.Err(); err != nil {
			tasks[i].Err = fmt.Errorf("not launched: %w", err)
			continue
		}
		p, err := b.start(sp)
		if err != nil {
			tasks[i].Err = err
			continue
		}
		tasks[i].ID = "pid " + strconv.Itoa(p.cmd.Process.Pid)
		b.mu.Lock()
		b.ps[tasks[i].ID] = p
		b.mu.Unlock()
	}
	return tasks, nil
}

func (b *Backend) start(sp fleet.Spec) (*proc, error) {
	cmd := exec.Command(b.o.Binary, sp.Args...)
	cmd.Env, cmd.Dir = b.o.Env, b.o.Dir
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		return nil, fmt.Errorf("start %s: %w", b.o.Binary, err)
	}
	pw.Close() // the child holds its own copy
	p := &proc{cmd: cmd}
	go p.run(pr)
	return p, nil
}

// run reads the child's output into lines and waits for it.
func (p *proc) run(out io.ReadCloser) {
	defer out.Close()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		p.mu.Lock()
		p.lines = append(p.lines, sc.Text())
		p.mu.Unlock()
	}
	scanErr := sc.Err()
	_, _ = io.Copy(io.Discard, out) // a line too long: drain so the child never blocks
	err := p.cmd.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killer != nil {
		p.killer.Stop()
	}
	p.exited = true
	code := p.cmd.ProcessState.ExitCode()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee) && code < 0:
		p.reason = "killed by a signal: " + ee.Error()
	case err != nil && !errors.As(err, &ee):
		p.reason = err.Error()
	default:
		p.code = &code
		p.reason = "exited with code " + strconv.Itoa(code)
	}
	if scanErr != nil {
		p.reason += "; output unreadable: " + scanErr.Error()
	}
}

func (b *Backend) proc(id string) *proc {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ps[id]
}

// Describe reports each child's state: RUNNING until it exited, then STOPPED.
func (b *Backend) Describe(_ context.Context, tasks []fleet.Task) ([]fleet.State, error) {
	out := make([]fleet.State, len(tasks))
	for i, t := range tasks {
		p := b.proc(t.ID)
		if p == nil {
			out[i] = fleet.State{Status: "STOPPED", Stopped: true, StopCode: "TaskFailedToStart", Reason: "no such process"}
			continue
		}
		p.mu.Lock()
		st := fleet.State{Status: "RUNNING", Started: true}
		if p.exited {
			st.Status, st.Stopped, st.ExitCode, st.Reason = "STOPPED", true, p.code, p.reason
			st.StopCode = "EssentialContainerExited"
		}
		p.mu.Unlock()
		out[i] = st
	}
	return out, nil
}

// Stop sends SIGTERM to each child still running, and kills it KillAfter
// later if it has not exited. Every child of this Backend belongs to the
// group, so the group adds none.
func (b *Backend) Stop(_ context.Context, _ string, tasks []fleet.Task, _ string) error {
	var errs []error
	for _, t := range tasks {
		p := b.proc(t.ID)
		if p == nil {
			continue
		}
		p.mu.Lock()
		if !p.exited && p.killer == nil {
			if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
				errs = append(errs, fmt.Errorf("%s: %w", t.ID, err))
			}
			proc := p.cmd.Process
			p.killer = time.AfterFunc(b.o.KillAfter, func() { _ = proc.Kill() })
		}
		p.mu.Unlock()
	}
	return errors.Join(errs...)
}

// ReadLog returns the child's lines from cursor (a line index) on. The
// page is Final once the child exited and its output was read to the end.
func (b *Backend) ReadLog(_ context.Context, t fleet.Task, cursor string) (fleet.LogPage, error) {
	p := b.proc(t.ID)
	if p == nil {
		return fleet.LogPage{}, fmt.Errorf("no such task %q", t.ID)
	}
	from := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return fleet.LogPage{}, fmt.Errorf("bad cursor %q", cursor)
		}
		from = n
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	from = min(from, len(p.lines))
	lines := append([]string(nil), p.lines[from:]...)
	return fleet.LogPage{Lines: lines, Next: strconv.Itoa(from + len(lines)), Final: p.exited}, nil
}

// Close kills every child still running. It is safe to call more than once.
func (b *Backend) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.ps {
		p.mu.Lock()
		if !p.exited {
			_ = p.cmd.Process.Kill()
		}
		p.mu.Unlock()
	}
}
