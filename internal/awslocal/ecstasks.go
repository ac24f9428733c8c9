package awslocal

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// ECS tasks (RunTask, DescribeTasks, StopTask, ListTasks) that really run:
// each task's container is the program Options.TaskBinary, started as a
// child process with the container's command (the task definition's, or
// the RunTask override's) as its arguments, whatever the image. Its stdout
// and stderr go into CloudWatch Logs as the awslogs driver sends them:
// stream prefix/container/task-id, one event per line, a line longer than
// 262,118 bytes split into several events. StopTask sends SIGTERM, and
// SIGKILL after the container's stopTimeout. So `loadgen fleet` runs its
// shards through the real SDK, and the tests see real processes and real
// log streams. Without TaskBinary a task fails to start, as a task whose
// image cannot be pulled; FailTaskStart makes chosen tasks fail so.

// ecsTaskState is the task definitions and tasks of a Server.
type ecsTaskState struct {
	defs      map[string][]*taskDef // by family, revision order
	tasks     map[string]*ecsTask   // by ARN
	order     []string              // ARNs in launch order
	tokens    map[string][]string   // clientToken -> task ARNs
	failStart []string              // reasons for the next tasks to fail to start
}

// ecsTasksLocked returns the state, creating it on first use.
func (s *Server) ecsTasksLocked() *ecsTaskState {
	if s.ecsTasks == nil {
		s.ecsTasks = &ecsTaskState{defs: map[string][]*taskDef{}, tasks: map[string]*ecsTask{}, tokens: map[string][]string{}}
	}
	return s.ecsTasks
}

// ecsTask is one task: its JSON view and its process.
type ecsTask struct {
	view      ecsTaskJSON
	id        string // the last part of its ARN
	container ecsContainerDef
	command   []string
	env       []string
	proc      *taskProc // nil until started
	// failReason, when set, makes the task fail to start (FailTaskStart).
	failReason string
}

type ecsContainerJSON struct {
	ContainerArn string `json:"containerArn"`
	TaskArn      string `json:"taskArn"`
	Name         string `json:"name"`
	Image        string `json:"image"`
	LastStatus   string `json:"lastStatus"`
	ExitCode     *int   `json:"exitCode,omitempty"`
	Reason       string `json:"reason,omitempty"`
}

type ecsOverrideJSON struct {
	Name        string   `json:"name"`
	Command     []string `json:"command,omitempty"`
	Environment []ecsKV  `json:"environment,omitempty"`
}

type ecsTaskJSON struct {
	TaskArn           string             `json:"taskArn"`
	ClusterArn        string             `json:"clusterArn"`
	TaskDefinitionArn string             `json:"taskDefinitionArn"`
	LastStatus        string             `json:"lastStatus"`
	DesiredStatus     string             `json:"desiredStatus"`
	LaunchType        string             `json:"launchType"`
	StartedBy         string             `json:"startedBy,omitempty"`
	Group             string             `json:"group"`
	Cpu               string             `json:"cpu,omitempty"`
	Memory            string             `json:"memory,omitempty"`
	CreatedAt         epochSeconds       `json:"createdAt"`
	StartedAt         *epochSeconds      `json:"startedAt,omitempty"`
	StoppingAt        *epochSeconds      `json:"stoppingAt,omitempty"`
	StoppedAt         *epochSeconds      `json:"stoppedAt,omitempty"`
	StopCode          string             `json:"stopCode,omitempty"`
	StoppedReason     string             `json:"stoppedReason,omitempty"`
	Containers        []ecsContainerJSON `json:"containers"`
	Overrides         struct {
		ContainerOverrides []ecsOverrideJSON `json:"containerOverrides"`
	} `json:"overrides"`
	Version int `json:"version"`
}

// FailTaskStart makes each of the next len(reasons) tasks that RunTask
// launches fail to start, with stopCode TaskFailedToStart and the reason
// as its stoppedReason ("" lets that task start).
func (s *Server) FailTaskStart(reasons ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.ecsTasksLocked()
	ts.failStart = append(ts.failStart, reasons...)
}

// KillTasks kills every task process still running and waits for them.
// Tests and the demo call it when they end.
func (s *Server) KillTasks() {
	s.mu.Lock()
	var procs []*taskProc
	if s.ecsTasks != nil {
		for _, t := range s.ecsTasks.tasks {
			if t.proc != nil {
				procs = append(procs, t.proc)
			}
		}
	}
	s.mu.Unlock()
	for _, p := range procs {
		p.kill()
	}
}

// TaskCommands returns the command each task was started with, in launch
// order: what RunTask's overrides carried.
func (s *Server) TaskCommands() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out [][]string
	if s.ecsTasks != nil {
		for _, arn := range s.ecsTasks.order {
			out = append(out, append([]string(nil), s.ecsTasks.tasks[arn].command...))
		}
	}
	return out
}

var (
	startedByRule   = newName(`^[A-Za-z0-9_/-]+$`, 128)
	clientTokenRule = newName(`^[\x21-\x7e]+$`, 64)
)

type runTaskIn struct {
	Cluster              string `json:"cluster"`
	TaskDefinition       string `json:"taskDefinition"`
	Count                *int   `json:"count"`
	LaunchType           string `json:"launchType"`
	StartedBy            string `json:"startedBy"`
	ClientToken          string `json:"clientToken"`
	NetworkConfiguration *struct {
		AwsvpcConfiguration *struct {
			Subnets        []string `json:"subnets"`
			SecurityGroups []string `json:"securityGroups"`
			AssignPublicIp string   `json:"assignPublicIp"`
		} `json:"awsvpcConfiguration"`
	} `json:"networkConfiguration"`
	Overrides *struct {
		ContainerOverrides []ecsOverrideJSON `json:"containerOverrides"`
	} `json:"overrides"`
}

// checkRunTask makes AWS's checks of a RunTask request against its task
// definition.
func checkRunTask(in *runTaskIn, td *taskDef) *jsonError {
	switch {
	case *in.Count < 1 || *in.Count > 10:
		return jerrf("InvalidParameterException", "count must be between 1 and 10.")
	case in.StartedBy != "" && !startedByRule.ok(in.StartedBy):
		return jerrf("InvalidParameterException", "startedBy may hold up to 128 letters, numbers, hyphens, forward slashes and underscores.")
	case in.ClientToken != "" && !clientTokenRule.ok(in.ClientToken):
		return jerrf("InvalidParameterException", "clientToken may hold up to 64 characters in the range 33-126.")
	case in.LaunchType != "" && in.LaunchType != "FARGATE" && in.LaunchType != "EC2" && in.LaunchType != "EXTERNAL":
		return jerrf("InvalidParameterException", "launchType must be FARGATE, EC2 or EXTERNAL.")
	case in.LaunchType == "FARGATE" && td.NetworkMode != "awsvpc":
		return jerrf("ClientException", "Task definition does not support launch_type FARGATE.")
	}
	if td.NetworkMode == "awsvpc" {
		nc := in.NetworkConfiguration
		if nc == nil || nc.AwsvpcConfiguration == nil || len(nc.AwsvpcConfiguration.Subnets) == 0 {
			return jerrf("InvalidParameterException", "Network Configuration must be provided when networkMode 'awsvpc' is specified.")
		}
		if ip := nc.AwsvpcConfiguration.AssignPublicIp; ip != "" && ip != "ENABLED" && ip != "DISABLED" {
			return jerrf("InvalidParameterException", "assignPublicIp must be ENABLED or DISABLED.")
		}
	}
	if in.Overrides != nil {
		js, _ := json.Marshal(in.Overrides)
		if len(js) > 8192 {
			return jerrf("InvalidParameterException", "Container Overrides length must be at most 8192")
		}
		for _, o := range in.Overrides.ContainerOverrides {
			if !hasContainer(td, o.Name) {
				return jerrf("InvalidParameterException", "Override for container named %s is not a container in the TaskDefinition.", o.Name)
			}
		}
	}
	return nil
}

func hasContainer(td *taskDef, name string) bool {
	for _, c := range td.ContainerDefinitions {
		if c.Name == name {
			return true
		}
	}
	return false
}

func (s *Server) ecsRunTask(body []byte) (any, *jsonError) {
	var in runTaskIn
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.Count == nil {
		one := 1
		in.Count = &one
	}
	out, started, jerr := s.runTasksLocking(&in, s.now())
	if jerr != nil {
		return nil, jerr
	}
	for _, t := range started {
		s.startTask(t)
	}
	return struct {
		Tasks    []ecsTaskJSON `json:"tasks"`
		Failures []ecsFailure  `json:"failures"`
	}{out, []ecsFailure{}}, nil
}

// runTasksLocking takes s.mu and records the tasks RunTask launches: their
// views, and the tasks to start once s.mu is released (none when the
// clientToken was seen before: the answer is the first call's tasks).
func (s *Server) runTasksLocking(in *runTaskIn, now time.Time) ([]ecsTaskJSON, []*ecsTask, *jsonError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, jerr := s.clusterLocked(in.Cluster)
	if jerr != nil {
		return nil, nil, jerr
	}
	td := s.lookupTaskDefLocked(in.TaskDefinition)
	if td == nil {
		return nil, nil, jerrf("ClientException", "Unable to find task definition %s.", in.TaskDefinition)
	}
	if jerr := checkRunTask(in, td); jerr != nil {
		return nil, nil, jerr
	}
	ts := s.ecsTasksLocked()
	key := cl.arn + "\x00" + in.ClientToken
	if arns, ok := ts.tokens[key]; ok && in.ClientToken != "" {
		return s.tasksJSONLocked(arns), nil, nil
	}
	var started []*ecsTask
	var arns []string
	for range *in.Count {
		t := s.newTaskLocked(cl, td, in, now)
		arns = append(arns, t.view.TaskArn)
		started = append(started, t)
	}
	if in.ClientToken != "" {
		ts.tokens[key] = arns
	}
	return s.tasksJSONLocked(arns), started, nil
}

// newTaskLocked records a PROVISIONING task of td's first container.
func (s *Server) newTaskLocked(cl *cluster, td *taskDef, in *runTaskIn, now time.Time) *ecsTask {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	arn := s.ecsARN("task", cl.Name+"/"+id)
	c := td.ContainerDefinitions[0]
	t := &ecsTask{id: id, container: c, command: c.Command, env: env(c.Environment)}
	launch := in.LaunchType
	if launch == "" {
		launch = "EC2"
	}
	t.view = ecsTaskJSON{TaskArn: arn, ClusterArn: cl.arn, TaskDefinitionArn: td.TaskDefinitionArn,
		LastStatus: "PROVISIONING", DesiredStatus: "RUNNING", LaunchType: launch, StartedBy: in.StartedBy,
		Group: "family:" + td.Family, Cpu: td.Cpu, Memory: td.Memory, CreatedAt: epochSeconds(now.UTC()), Version: 1,
		Containers: []ecsContainerJSON{{ContainerArn: s.ecsARN("container", cl.Name+"/"+id+"/"+c.Name),
			TaskArn: arn, Name: c.Name, Image: c.Image, LastStatus: "PENDING"}}}
	t.view.Overrides.ContainerOverrides = []ecsOverrideJSON{}
	if in.Overrides != nil {
		for _, o := range in.Overrides.ContainerOverrides {
			t.view.Overrides.ContainerOverrides = append(t.view.Overrides.ContainerOverrides, o)
			if o.Name == c.Name {
				if o.Command != nil {
					t.command = o.Command
				}
				t.env = env(c.Environment, o.Environment)
			}
		}
	}
	ts := s.ecsTasksLocked()
	if len(ts.failStart) > 0 {
		if reason := ts.failStart[0]; reason != "" {
			t.failReason = reason
		}
		ts.failStart = ts.failStart[1:]
	}
	ts.tasks[arn] = t
	ts.order = append(ts.order, arn)
	return t
}

func (s *Server) tasksJSONLocked(arns []string) []ecsTaskJSON {
	out := []ecsTaskJSON{}
	for _, arn := range arns {
		if t := s.ecsTasks.tasks[arn]; t != nil {
			out = append(out, t.snapshotLocked())
		}
	}
	return out
}

// snapshotLocked copies the task's view for an answer, which is encoded
// after the lock is released while the task's process may change it.
func (t *ecsTask) snapshotLocked() ecsTaskJSON {
	v := t.view
	v.Containers = append([]ecsContainerJSON(nil), t.view.Containers...)
	return v
}

func (s *Server) ecsDescribeTasks(body []byte) (any, *jsonError) {
	var in struct {
		Cluster string   `json:"cluster"`
		Tasks   []string `json:"tasks"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if len(in.Tasks) == 0 || len(in.Tasks) > 100 {
		return nil, jerrf("InvalidParameterException", "Tasks cannot be empty and can have at most 100 items.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, jerr := s.clusterLocked(in.Cluster)
	if jerr != nil {
		return nil, jerr
	}
	out := struct {
		Tasks    []ecsTaskJSON `json:"tasks"`
		Failures []ecsFailure  `json:"failures"`
	}{Tasks: []ecsTaskJSON{}, Failures: []ecsFailure{}}
	for _, ref := range in.Tasks {
		t := s.findTaskLocked(cl, ref)
		if t == nil {
			out.Failures = append(out.Failures, ecsFailure{Arn: ref, Reason: "MISSING"})
			continue
		}
		out.Tasks = append(out.Tasks, t.snapshotLocked())
	}
	return out, nil
}

// findTaskLocked finds a task of cl by ARN or by its ID.
func (s *Server) findTaskLocked(cl *cluster, ref string) *ecsTask {
	ts := s.ecsTasksLocked()
	if t := ts.tasks[ref]; t != nil && t.view.ClusterArn == cl.arn {
		return t
	}
	if t := ts.tasks[s.ecsARN("task", cl.Name+"/"+ref)]; t != nil {
		return t
	}
	return nil
}

func (s *Server) ecsStopTask(body []byte) (any, *jsonError) {
	var in struct {
		Cluster string `json:"cluster"`
		Task    string `json:"task"`
		Reason  string `json:"reason"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if len(in.Reason) > 255 {
		return nil, jerrf("InvalidParameterException", "reason can be at most 255 characters.")
	}
	now := s.now()
	s.mu.Lock()
	cl, jerr := s.clusterLocked(in.Cluster)
	if jerr != nil {
		s.mu.Unlock()
		return nil, jerr
	}
	t := s.findTaskLocked(cl, in.Task)
	if t == nil {
		s.mu.Unlock()
		return nil, jerrf("InvalidParameterException", "The referenced task was not found.")
	}
	var p *taskProc
	if t.view.LastStatus != "STOPPED" && t.view.DesiredStatus != "STOPPED" {
		t.view.DesiredStatus, t.view.StopCode, t.view.StoppedReason = "STOPPED", "UserInitiated", in.Reason
		at := epochSeconds(now.UTC())
		t.view.StoppingAt = &at
		t.view.Version++
		p = t.proc
	}
	view := t.snapshotLocked()
	s.mu.Unlock()
	if p != nil {
		p.stop(t.container.stopTimeout())
	}
	return struct {
		Task ecsTaskJSON `json:"task"`
	}{view}, nil
}

func (s *Server) ecsListTasks(body []byte) (any, *jsonError) {
	var in struct {
		Cluster       string `json:"cluster"`
		StartedBy     string `json:"startedBy"`
		Family        string `json:"family"`
		DesiredStatus string `json:"desiredStatus"`
		NextToken     string `json:"nextToken"`
		MaxResults    *int   `json:"maxResults"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	limit, jerr := maxResults(in.MaxResults, 100)
	if jerr != nil {
		return nil, jerr
	}
	if in.DesiredStatus == "" {
		in.DesiredStatus = "RUNNING"
	}
	if in.DesiredStatus != "RUNNING" && in.DesiredStatus != "PENDING" && in.DesiredStatus != "STOPPED" {
		return nil, jerrf("InvalidParameterException", "desiredStatus must be RUNNING, PENDING or STOPPED.")
	}
	sel, next, jerr := s.ecsClusterPage(in.Cluster, "tasks", in.NextToken, limit, func(cl *cluster) []string {
		var arns []string
		for arn, t := range s.ecsTasksLocked().tasks {
			v := t.view
			if v.ClusterArn == cl.arn && (in.StartedBy == "" || v.StartedBy == in.StartedBy) &&
				(in.Family == "" || v.Group == "family:"+in.Family) && desired(v) == in.DesiredStatus {
				arns = append(arns, arn)
			}
		}
		return arns
	})
	if jerr != nil {
		return nil, jerr
	}
	return struct {
		TaskArns  []string `json:"taskArns"`
		NextToken string   `json:"nextToken,omitempty"`
	}{sel, next}, nil
}

// desired is the desired status ListTasks filters on: RUNNING covers a
// task still provisioning.
func desired(v ecsTaskJSON) string {
	if v.DesiredStatus == "STOPPED" || v.LastStatus == "STOPPED" {
		return "STOPPED"
	}
	return "RUNNING"
}
