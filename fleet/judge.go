package fleet

import (
	"fmt"
	"strings"
	"time"
)

// ExitInterrupted is the exit code of a shard stopped by SIGTERM or SIGINT
// (loadgen's Ctrl+C code): after the coordinator stopped it, it is no failure.
const ExitInterrupted = 130

// judge fills the outcome's shard results: a shard's log is merged when it
// arrived whole, and every reason for the run to be incomplete is named.
func (r *run) judge() {
	for i, t := range r.tasks {
		sr := ShardResult{Shard: t.Shard, Task: t.ID, Status: r.states[i].Status, ExitCode: r.states[i].ExitCode}
		st := r.streams[i]
		sr.Header, sr.Messages = st.header, st.messages
		var problems []string
		if p := r.startProblem(i); p != "" {
			problems = append(problems, p)
		} else {
			problems = append(problems, r.runProblems(i, &sr)...)
		}
		sr.Problem = strings.Join(problems, "; ")
		r.out.Shards = append(r.out.Shards, sr)
	}
}

// startProblem says why task i never ran, or "".
func (r *run) startProblem(i int) string {
	t, s := r.tasks[i], r.states[i]
	switch {
	case t.Err != nil:
		return "could not be launched: " + t.Err.Error()
	case r.notStarted[i]:
		return fmt.Sprintf("had not started %s after the start time; stopped", r.o.MaxLate+2*r.o.Poll)
	case s.StopCode == "TaskFailedToStart" || (s.Stopped && !s.Started):
		return "never started: " + orUnknown(s.Reason)
	}
	return ""
}

// runProblems says what went wrong with a shard that started, and keeps
// its log when it arrived whole.
func (r *run) runProblems(i int, sr *ShardResult) []string {
	s, st := r.states[i], r.streams[i]
	var out []string
	switch {
	case r.stuck[i]:
		out = append(out, fmt.Sprintf("did not stop within %s of being stopped (status %s)", r.o.StopTimeout, orUnknown(s.Status)))
	case r.overran[i]:
		out = append(out, fmt.Sprintf("was still running %s after the load should have ended; stopped", r.o.Grace))
	case r.noHeader[i]:
		out = append(out, fmt.Sprintf("wrote nothing to its log stream within %s of the start time (is the task running loadgen, and does its log reach CloudWatch Logs?); stopped",
			r.o.MaxLate+r.o.LogTimeout))
	}
	if !r.stuck[i] && !r.noHeader[i] {
		stoppedByUs := r.out.StoppedBy == "interrupted"
		switch {
		case s.ExitCode == nil:
			out = append(out, "stopped without an exit code: "+orUnknown(s.Reason))
		case *s.ExitCode == ExitInterrupted && stoppedByUs, *s.ExitCode == 0:
		default:
			out = append(out, fmt.Sprintf("exited with code %d%s", *s.ExitCode, lastMessage(st.messages)))
		}
	}
	switch {
	case r.readErrs[i] != nil && st.lines == 0:
		out = append(out, r.readErrs[i].Error())
	case r.noHeader[i]:
	case st.lines == 0:
		out = append(out, fmt.Sprintf("no line arrived in its log stream within %s of its stop", r.o.LogTimeout))
	case st.header == nil && st.headErr != nil:
		out = append(out, st.headErr.Error())
	case st.header == nil:
		out = append(out, "its log has no shard header: it never began its load")
	case st.overflow:
		out = append(out, fmt.Sprintf("its log passed %d MiB and was cut there", maxLogBytes>>20))
	case !st.ended:
		out = append(out, fmt.Sprintf("its log was cut before its end line (%d lines read)", st.lines))
	}
	if st.ended {
		lg, err := st.hlog(sr.Name())
		if err != nil {
			out = append(out, "its log is unreadable: "+err.Error())
		} else {
			sr.Log = lg
		}
	}
	if h := st.header; h != nil && time.Duration(h.LateMs*float64(time.Millisecond)) > r.o.MaxLate {
		out = append(out, fmt.Sprintf("started %s late (bound %s)", time.Duration(h.LateMs*float64(time.Millisecond)).Round(time.Millisecond), r.o.MaxLate))
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "no reason given"
	}
	return s
}

// lastMessage quotes the last line the shard printed besides its log,
// which is usually its error.
func lastMessage(msgs []string) string {
	if len(msgs) == 0 {
		return ""
	}
	m := msgs[len(msgs)-1]
	if len(m) > 300 {
		m = m[:300] + "..."
	}
	return fmt.Sprintf(" (%q)", m)
}
