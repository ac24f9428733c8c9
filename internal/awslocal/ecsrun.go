package awslocal

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// The processes of ECS tasks, and their output as the awslogs driver
// sends it to CloudWatch Logs.

// awslogsSplit is where the awslogs driver splits a line: CloudWatch's
// 262,144-byte event limit less its 26 bytes of per-event overhead.
const awslogsSplit = 262118

// taskProc is a task's running container: a child process.
type taskProc struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu     sync.Mutex
	killer *time.Timer
}

// stop sends SIGTERM and schedules SIGKILL after grace, once.
func (p *taskProc) stop(grace time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.killer != nil {
		return
	}
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	proc := p.cmd.Process
	p.killer = time.AfterFunc(grace, func() { _ = proc.Kill() })
}

// kill kills the process and waits until it has been reaped.
func (p *taskProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// startTask starts t's container, or fails the task as ECS would.
func (s *Server) startTask(t *ecsTask) {
	group, stream, jerr := s.taskLogStream(t)
	reason := t.failReason
	switch {
	case reason != "":
	case s.taskBinary == "":
		reason = "CannotPullContainerError: awslocal runs no images: no TaskBinary is configured"
	case jerr != "":
		reason = jerr
	}
	if reason != "" {
		s.taskFailed(t, reason)
		return
	}
	cmd := exec.Command(s.taskBinary, t.command...)
	cmd.Env = append([]string{"AWS_EXECUTION_ENV=AWS_ECS_FARGATE", "PATH=" + os.Getenv("PATH")}, t.env...)
	pr, pw, err := os.Pipe()
	if err != nil {
		s.taskFailed(t, "ResourceInitializationError: "+err.Error())
		return
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		pr.Close()
		pw.Close()
		s.taskFailed(t, "CannotStartContainerError: "+err.Error())
		return
	}
	pw.Close()
	p := &taskProc{cmd: cmd, done: make(chan struct{})}
	now := epochSeconds(s.now().UTC())
	s.mu.Lock()
	t.proc = p
	t.view.LastStatus, t.view.StartedAt = "RUNNING", &now
	t.view.Containers[0].LastStatus = "RUNNING"
	t.view.Version++
	stopNow := t.view.DesiredStatus == "STOPPED" // StopTask came first
	s.mu.Unlock()
	if stopNow {
		p.stop(t.container.stopTimeout())
	}
	go s.runTask(t, p, pr, group, stream)
}

// taskLogStream creates the task's awslogs stream, or says why the driver
// could not start (its group does not exist).
func (s *Server) taskLogStream(t *ecsTask) (group, stream, failure string) {
	lc := t.container.LogConfiguration
	if lc == nil || lc.LogDriver != "awslogs" {
		return "", "", ""
	}
	group = lc.Options["awslogs-group"]
	stream = t.id
	if p := lc.Options["awslogs-stream-prefix"]; p != "" {
		stream = p + "/" + t.container.Name + "/" + t.id
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.logGroups[group]
	if g == nil {
		return "", "", fmt.Sprintf("ResourceInitializationError: failed to validate logger args: The specified log group does not exist: %s", group)
	}
	g.streamLocked(stream, now)
	return group, stream, ""
}

func (s *Server) taskFailed(t *ecsTask, reason string) {
	now := epochSeconds(s.now().UTC())
	s.mu.Lock()
	defer s.mu.Unlock()
	t.view.LastStatus, t.view.DesiredStatus, t.view.StoppedAt = "STOPPED", "STOPPED", &now
	t.view.StopCode, t.view.StoppedReason = "TaskFailedToStart", reason
	t.view.Containers[0].LastStatus, t.view.Containers[0].Reason = "STOPPED", reason
	t.view.Version++
}

// runTask feeds the process's output to its log stream and records its exit.
func (s *Server) runTask(t *ecsTask, p *taskProc, out io.ReadCloser, group, stream string) {
	defer close(p.done)
	br := bufio.NewReaderSize(out, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			s.logLine(group, stream, strings.TrimSuffix(line, "\n"))
		}
		if err != nil {
			break
		}
	}
	out.Close()
	err := p.cmd.Wait()
	p.mu.Lock()
	if p.killer != nil {
		p.killer.Stop()
	}
	p.mu.Unlock()
	now := epochSeconds(s.now().UTC())
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &t.view.Containers[0]
	code := p.cmd.ProcessState.ExitCode()
	var ee *exec.ExitError
	switch {
	case code >= 0:
		c.ExitCode = &code
	case errors.As(err, &ee):
		killed := 137
		c.ExitCode, c.Reason = &killed, "OutOfMemoryError or SIGKILL: "+ee.Error()
	}
	c.LastStatus = "STOPPED"
	t.view.LastStatus, t.view.StoppedAt = "STOPPED", &now
	if t.view.DesiredStatus != "STOPPED" {
		t.view.DesiredStatus, t.view.StopCode, t.view.StoppedReason = "STOPPED", "EssentialContainerExited", "Essential container in task exited"
	}
	t.view.Version++
}

// logLine sends one line as the awslogs driver does: a line longer than
// awslogsSplit bytes becomes several events.
func (s *Server) logLine(group, stream, line string) {
	if group == "" {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.logGroups[group]
	if g == nil {
		return
	}
	st := g.streamLocked(stream, now)
	for {
		part := line
		if len(part) > awslogsSplit {
			part = line[:awslogsSplit]
		}
		s.appendEventLocked(st, now.UnixMilli(), part, now.UnixMilli())
		line = line[len(part):]
		if line == "" {
			return
		}
	}
}
