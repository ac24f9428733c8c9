package awslocal

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// ECS task definitions (RegisterTaskDefinition, DescribeTaskDefinition):
// what `loadgen fleet setup` registers and `loadgen fleet` reads. The
// checks are the ones AWS makes of the fields loadgen sends.

type ecsKV struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type ecsUlimit struct {
	Name      string `json:"name"`
	SoftLimit int64  `json:"softLimit"`
	HardLimit int64  `json:"hardLimit"`
}

type ecsLogConfig struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options,omitempty"`
}

type ecsContainerDef struct {
	Name             string        `json:"name"`
	Image            string        `json:"image"`
	Essential        *bool         `json:"essential,omitempty"`
	Command          []string      `json:"command,omitempty"`
	EntryPoint       []string      `json:"entryPoint,omitempty"`
	Environment      []ecsKV       `json:"environment,omitempty"`
	LogConfiguration *ecsLogConfig `json:"logConfiguration,omitempty"`
	Ulimits          []ecsUlimit   `json:"ulimits,omitempty"`
	StopTimeout      *int          `json:"stopTimeout,omitempty"`
	Cpu              int           `json:"cpu,omitempty"`
	Memory           *int          `json:"memory,omitempty"`
}

// taskDef is a registered task definition revision, in the JSON shape of
// RegisterTaskDefinition's request and DescribeTaskDefinition's answer.
type taskDef struct {
	TaskDefinitionArn       string            `json:"taskDefinitionArn"`
	Family                  string            `json:"family"`
	Revision                int               `json:"revision"`
	Status                  string            `json:"status"`
	TaskRoleArn             string            `json:"taskRoleArn,omitempty"`
	ExecutionRoleArn        string            `json:"executionRoleArn,omitempty"`
	NetworkMode             string            `json:"networkMode,omitempty"`
	ContainerDefinitions    []ecsContainerDef `json:"containerDefinitions"`
	RequiresCompatibilities []string          `json:"requiresCompatibilities,omitempty"`
	Compatibilities         []string          `json:"compatibilities"`
	Cpu                     string            `json:"cpu,omitempty"`
	Memory                  string            `json:"memory,omitempty"`
	RegisteredAt            epochSeconds      `json:"registeredAt"`
}

// fargateMaxNofile is Fargate's limit on the nofile ulimit.
const fargateMaxNofile = 1048576

var fargateCPU = map[string]bool{"256": true, "512": true, "1024": true, "2048": true, "4096": true, "8192": true, "16384": true}

func checkTaskDef(td *taskDef) *jsonError {
	if !clusterNameRule.ok(td.Family) {
		return jerrf("ClientException", "Family contains invalid characters or is longer than 255 characters.")
	}
	if len(td.ContainerDefinitions) == 0 {
		return jerrf("ClientException", "Container list cannot be empty.")
	}
	fargate := false
	for _, c := range td.RequiresCompatibilities {
		switch c {
		case "FARGATE":
			fargate = true
		case "EC2", "EXTERNAL", "MANAGED_INSTANCES":
		default:
			return jerrf("ClientException", "Invalid requiresCompatibilities value %s.", c)
		}
	}
	if fargate {
		if td.NetworkMode != "awsvpc" {
			return jerrf("ClientException", "Fargate only supports network mode 'awsvpc'.")
		}
		if !fargateCPU[td.Cpu] || td.Memory == "" {
			return jerrf("ClientException", "Fargate requires that 'cpu' be defined at the task level (256, 512, 1024, 2048, 4096, 8192 or 16384) and 'memory' too.")
		}
	}
	for _, c := range td.ContainerDefinitions {
		if jerr := checkContainerDef(c, fargate, td.ExecutionRoleArn); jerr != nil {
			return jerr
		}
	}
	return nil
}

func checkContainerDef(c ecsContainerDef, fargate bool, execRole string) *jsonError {
	if c.Name == "" || c.Image == "" {
		return jerrf("ClientException", "Container.name and Container.image should not be null or empty.")
	}
	if lc := c.LogConfiguration; lc != nil {
		switch lc.LogDriver {
		case "awslogs":
			if fargate && execRole == "" {
				return jerrf("ClientException", "Fargate requires task definition to have execution role ARN to support log driver awslogs.")
			}
			if m := lc.Options["mode"]; m != "" && m != "blocking" && m != "non-blocking" {
				return jerrf("ClientException", "Log driver awslogs option 'mode' must be blocking or non-blocking.")
			}
		case "awsfirelens", "splunk", "json-file", "syslog", "journald", "gelf", "fluentd", "logentries":
		default:
			return jerrf("ClientException", "Log driver %s is not supported.", lc.LogDriver)
		}
	}
	for _, u := range c.Ulimits {
		if u.SoftLimit > u.HardLimit {
			return jerrf("ClientException", "Ulimit %s: softLimit must not exceed hardLimit.", u.Name)
		}
		if fargate && u.Name == "nofile" && u.HardLimit > fargateMaxNofile {
			return jerrf("ClientException", "Fargate's nofile limit is at most %d.", fargateMaxNofile)
		}
	}
	if c.StopTimeout != nil && (*c.StopTimeout < 2 || (fargate && *c.StopTimeout > 120)) {
		return jerrf("ClientException", "stopTimeout must be between 2 and 120 seconds on Fargate.")
	}
	return nil
}

func (s *Server) ecsRegisterTaskDefinition(body []byte) (any, *jsonError) {
	var td taskDef
	if err := decodeJSON(body, &td); err != nil {
		return nil, err
	}
	if jerr := checkTaskDef(&td); jerr != nil {
		return nil, jerr
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.ecsTasksLocked()
	revs := ts.defs[td.Family]
	td.Revision = len(revs) + 1
	td.TaskDefinitionArn = s.ecsARN("task-definition", td.Family+":"+strconv.Itoa(td.Revision))
	td.Status = "ACTIVE"
	td.RegisteredAt = epochSeconds(now.UTC())
	td.Compatibilities = []string{"EC2"}
	if td.NetworkMode == "awsvpc" {
		td.Compatibilities = append(td.Compatibilities, "FARGATE")
	}
	ts.defs[td.Family] = append(revs, &td)
	return taskDefOut{&td, []any{}}, nil
}

var taskDefRefRE = regexp.MustCompile(`^(?:arn:aws[a-z-]*:ecs:[^:]+:\d+:task-definition/)?([a-zA-Z0-9_-]+)(?::(\d+))?$`) // the family's length apart (names.go)

// lookupTaskDefLocked finds family, family:revision or an ARN; a bare
// family means its latest revision.
func (s *Server) lookupTaskDefLocked(ref string) *taskDef {
	m := taskDefRefRE.FindStringSubmatch(ref)
	if m == nil || len(m[1]) > clusterNameRule.max {
		return nil
	}
	revs := s.ecsTasksLocked().defs[m[1]]
	if len(revs) == 0 {
		return nil
	}
	if m[2] == "" {
		return revs[len(revs)-1]
	}
	n, err := strconv.Atoi(m[2])
	if err != nil || n < 1 || n > len(revs) {
		return nil
	}
	return revs[n-1]
}

func (s *Server) ecsDescribeTaskDefinition(body []byte) (any, *jsonError) {
	var in struct {
		TaskDefinition string `json:"taskDefinition"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	td := s.lookupTaskDefLocked(in.TaskDefinition)
	if td == nil {
		return nil, jerrf("ClientException", "Unable to describe task definition.")
	}
	return taskDefOut{td, []any{}}, nil
}

// taskDefOut is what RegisterTaskDefinition and DescribeTaskDefinition
// answer.
type taskDefOut struct {
	TaskDefinition *taskDef `json:"taskDefinition"`
	Tags           []any    `json:"tags"`
}

// stopTimeout is a container's time between SIGTERM and SIGKILL.
func (c ecsContainerDef) stopTimeout() time.Duration {
	if c.StopTimeout != nil {
		return time.Duration(*c.StopTimeout) * time.Second
	}
	return 30 * time.Second
}

// env is the container's environment as KEY=value pairs.
func env(kvs ...[]ecsKV) []string {
	var out []string
	for _, l := range kvs {
		for _, kv := range l {
			if kv.Name != "" && !strings.Contains(kv.Name, "=") {
				out = append(out, fmt.Sprintf("%s=%s", kv.Name, kv.Value))
			}
		}
	}
	return out
}
