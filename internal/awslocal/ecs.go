package awslocal

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// ECS over awsJson1_1: the clusters of the workshop, their Container
// Insights setting, their container instances (EC2 or Fargate-only) and
// services.

// Cluster seeds an ECS cluster.
type Cluster struct {
	Name string
	// ContainerInsights is the cluster's containerInsights setting:
	// "enabled", "enhanced" or "disabled" ("" means disabled).
	ContainerInsights string
	// ContainerInstances is how many EC2 container instances are
	// registered; 0 is a Fargate-only cluster.
	ContainerInstances int
	Services           []Service
}

// Service seeds an ECS service of a cluster.
type Service struct {
	Name string
	// LaunchType is "FARGATE" (the default) or "EC2".
	LaunchType   string
	DesiredCount int
	// RunningCount defaults to DesiredCount.
	RunningCount int
}

type cluster struct {
	Cluster
	arn       string
	instances []string // container instance ARNs
	created   time.Time
}

var containerInsightsValues = map[string]bool{"enabled": true, "enhanced": true, "disabled": true}

var clusterNameRule = newName(`^[a-zA-Z0-9_-]+$`, 255)

// PutCluster seeds or replaces an ECS cluster and returns its ARN.
func (s *Server) PutCluster(c Cluster) (string, error) {
	if !clusterNameRule.ok(c.Name) {
		return "", fmt.Errorf("awslocal: cluster name %q: want 1-255 letters, digits, hyphens or underscores", c.Name)
	}
	if c.ContainerInsights == "" {
		c.ContainerInsights = "disabled"
	}
	if !containerInsightsValues[c.ContainerInsights] {
		return "", fmt.Errorf("awslocal: containerInsights %q: want enabled, enhanced or disabled", c.ContainerInsights)
	}
	c.Services = append([]Service(nil), c.Services...)
	for i := range c.Services {
		sv := &c.Services[i]
		if sv.LaunchType == "" {
			sv.LaunchType = "FARGATE"
		}
		if sv.RunningCount == 0 {
			sv.RunningCount = sv.DesiredCount
		}
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cl := &cluster{Cluster: c, arn: s.ecsARN("cluster", c.Name), created: now.UTC()}
	for i := range c.ContainerInstances {
		cl.instances = append(cl.instances, s.ecsARN("container-instance", fmt.Sprintf("%s/%032x", c.Name, i+1)))
	}
	s.clusters[c.Name] = cl
	return cl.arn, nil
}

// SetContainerInsights sets the containerInsights setting of a cluster
// ("enabled", "enhanced" or "disabled").
func (s *Server) SetContainerInsights(clusterName, value string) error {
	if !containerInsightsValues[value] {
		return fmt.Errorf("awslocal: containerInsights %q: want enabled, enhanced or disabled", value)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl := s.clusters[clusterName]
	if cl == nil {
		return fmt.Errorf("awslocal: no cluster %q", clusterName)
	}
	cl.ContainerInsights = value
	return nil
}

// DeleteCluster removes a cluster; it reports whether it existed.
func (s *Server) DeleteCluster(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.clusters[name]
	delete(s.clusters, name)
	return ok
}

func (s *Server) ecsARN(kind, name string) string {
	return fmt.Sprintf("arn:aws:ecs:%s:%s:%s/%s", s.region, accountID, kind, name)
}

// lookupClusterLocked finds a cluster by name or ARN; "" means "default".
func (s *Server) lookupClusterLocked(ref string) *cluster {
	if ref == "" {
		ref = "default"
	}
	if cl := s.clusters[ref]; cl != nil {
		return cl
	}
	if _, name, ok := strings.Cut(ref, ":cluster/"); ok && strings.HasPrefix(ref, "arn:") {
		if cl := s.clusters[name]; cl != nil && cl.arn == ref {
			return cl
		}
	}
	return nil
}

var ecsOps = map[string]jsonHandler{
	"ListClusters":           (*Server).ecsListClusters,
	"DescribeClusters":       (*Server).ecsDescribeClusters,
	"UpdateClusterSettings":  (*Server).ecsUpdateClusterSettings,
	"ListContainerInstances": (*Server).ecsListContainerInstances,
	"ListServices":           (*Server).ecsListServices,
	"DescribeServices":       (*Server).ecsDescribeServices,
	// Task definitions and tasks (ecstaskdefs.go, ecstasks.go).
	"RegisterTaskDefinition": (*Server).ecsRegisterTaskDefinition,
	"DescribeTaskDefinition": (*Server).ecsDescribeTaskDefinition,
	"RunTask":                (*Server).ecsRunTask,
	"DescribeTasks":          (*Server).ecsDescribeTasks,
	"StopTask":               (*Server).ecsStopTask,
	"ListTasks":              (*Server).ecsListTasks,
}

func errClusterNotFound() *jsonError {
	return jerrf("ClusterNotFoundException", "Cluster not found.")
}

// clusterLocked finds the cluster a request names (by name or ARN, ""
// meaning "default") or answers ClusterNotFoundException. s.mu is held.
func (s *Server) clusterLocked(ref string) (*cluster, *jsonError) {
	cl := s.lookupClusterLocked(ref)
	if cl == nil {
		return nil, errClusterNotFound()
	}
	return cl, nil
}

// ecsClusterPage answers a List call over the ARNs that arns lists of the
// cluster ref: a page of them, sorted, at most limit long and never nil,
// with the next page's token (a token of kind).
func (s *Server) ecsClusterPage(ref, kind, token string, limit int, arns func(*cluster) []string) ([]string, string, *jsonError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, jerr := s.clusterLocked(ref)
	if jerr != nil {
		return nil, "", jerr
	}
	sel, next, jerr := page(arns(cl), kind, token, limit)
	if jerr != nil {
		return nil, "", jerr
	}
	return append([]string{}, sel...), next, nil
}

type ecsSetting struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type ecsClusterJSON struct {
	ClusterArn                        string       `json:"clusterArn"`
	ClusterName                       string       `json:"clusterName"`
	Status                            string       `json:"status"`
	RegisteredContainerInstancesCount int          `json:"registeredContainerInstancesCount"`
	RunningTasksCount                 int          `json:"runningTasksCount"`
	PendingTasksCount                 int          `json:"pendingTasksCount"`
	ActiveServicesCount               int          `json:"activeServicesCount"`
	Statistics                        []any        `json:"statistics"`
	Tags                              []any        `json:"tags"`
	Settings                          []ecsSetting `json:"settings,omitempty"`
	CapacityProviders                 []string     `json:"capacityProviders"`
}

func (cl *cluster) toJSON(withSettings bool) ecsClusterJSON {
	out := ecsClusterJSON{
		ClusterArn: cl.arn, ClusterName: cl.Name, Status: "ACTIVE",
		RegisteredContainerInstancesCount: len(cl.instances),
		ActiveServicesCount:               len(cl.Services),
		Statistics:                        []any{}, Tags: []any{}, CapacityProviders: []string{},
	}
	for _, sv := range cl.Services {
		out.RunningTasksCount += sv.RunningCount
		out.PendingTasksCount += max(0, sv.DesiredCount-sv.RunningCount)
	}
	if withSettings {
		out.Settings = []ecsSetting{{Name: "containerInsights", Value: cl.ContainerInsights}}
	}
	return out
}

// page returns the slice of sorted names after token (a token of kind) and
// at most limit long, with the token of the next page.
func page(names []string, kind, token string, limit int) ([]string, string, *jsonError) {
	sort.Strings(names)
	start := 0
	if token != "" {
		after, ok := decodeToken(kind, token)
		if !ok {
			return nil, "", jerrf("InvalidParameterException", "Invalid nextToken.")
		}
		start = sort.Search(len(names), func(i int) bool { return names[i] > after })
	}
	end := min(start+limit, len(names))
	next := ""
	if end < len(names) {
		next = encodeToken(kind, names[end-1])
	}
	return names[start:end], next, nil
}

// maxResults validates an ECS maxResults (1..100), defaulting to def.
func maxResults(n *int, def int) (int, *jsonError) {
	if n == nil {
		return def, nil
	}
	if *n < 1 || *n > 100 {
		return 0, jerrf("InvalidParameterException", "maxResults must be between 1 and 100.")
	}
	return *n, nil
}

func (s *Server) ecsListClusters(body []byte) (any, *jsonError) {
	var in struct {
		NextToken  string `json:"nextToken"`
		MaxResults *int   `json:"maxResults"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	limit, jerr := maxResults(in.MaxResults, 100)
	if jerr != nil {
		return nil, jerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.clusters))
	for n := range s.clusters {
		names = append(names, n)
	}
	sel, next, jerr := page(names, "clusters", in.NextToken, limit)
	if jerr != nil {
		return nil, jerr
	}
	out := struct {
		ClusterArns []string `json:"clusterArns"`
		NextToken   string   `json:"nextToken,omitempty"`
	}{ClusterArns: []string{}, NextToken: next}
	for _, n := range sel {
		out.ClusterArns = append(out.ClusterArns, s.clusters[n].arn)
	}
	return out, nil
}

type ecsFailure struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
}

func (s *Server) ecsDescribeClusters(body []byte) (any, *jsonError) {
	var in struct {
		Clusters []string `json:"clusters"`
		Include  []string `json:"include"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if len(in.Clusters) > 100 {
		return nil, jerrf("InvalidParameterException", "clusters can have at most 100 items.")
	}
	withSettings := false
	for _, inc := range in.Include {
		switch inc {
		case "SETTINGS":
			withSettings = true
		case "ATTACHMENTS", "CONFIGURATIONS", "STATISTICS", "TAGS":
		default:
			return nil, jerrf("InvalidParameterException", "Invalid include value %s. Valid values: ATTACHMENTS, CONFIGURATIONS, SETTINGS, STATISTICS, TAGS.", inc)
		}
	}
	if len(in.Clusters) == 0 {
		in.Clusters = []string{"default"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := struct {
		Clusters []ecsClusterJSON `json:"clusters"`
		Failures []ecsFailure     `json:"failures"`
	}{Clusters: []ecsClusterJSON{}, Failures: []ecsFailure{}}
	for _, ref := range in.Clusters {
		cl := s.lookupClusterLocked(ref)
		if cl == nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = s.ecsARN("cluster", ref)
			}
			out.Failures = append(out.Failures, ecsFailure{Arn: arn, Reason: "MISSING"})
			continue
		}
		out.Clusters = append(out.Clusters, cl.toJSON(withSettings))
	}
	return out, nil
}

func (s *Server) ecsUpdateClusterSettings(body []byte) (any, *jsonError) {
	var in struct {
		Cluster  string       `json:"cluster"`
		Settings []ecsSetting `json:"settings"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if in.Cluster == "" {
		return nil, jerrf("InvalidParameterException", "Cluster cannot be empty.")
	}
	if len(in.Settings) == 0 {
		return nil, jerrf("InvalidParameterException", "Settings cannot be empty.")
	}
	for _, st := range in.Settings {
		if st.Name != "containerInsights" {
			return nil, jerrf("InvalidParameterException", "Invalid setting name %s. Valid values: containerInsights.", st.Name)
		}
		if !containerInsightsValues[st.Value] {
			return nil, jerrf("InvalidParameterException", "Invalid value %s for setting containerInsights. Valid values: enabled, enhanced, disabled.", st.Value)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, jerr := s.clusterLocked(in.Cluster)
	if jerr != nil {
		return nil, jerr
	}
	for _, st := range in.Settings {
		cl.ContainerInsights = st.Value
	}
	return struct {
		Cluster ecsClusterJSON `json:"cluster"`
	}{cl.toJSON(true)}, nil
}

func (s *Server) ecsListContainerInstances(body []byte) (any, *jsonError) {
	var in struct {
		Cluster    string `json:"cluster"`
		Status     string `json:"status"`
		NextToken  string `json:"nextToken"`
		MaxResults *int   `json:"maxResults"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	limit, jerr := maxResults(in.MaxResults, 100)
	if jerr != nil {
		return nil, jerr
	}
	switch in.Status {
	case "", "ACTIVE", "DRAINING", "REGISTERING", "DEREGISTERING", "REGISTRATION_FAILED":
	default:
		return nil, jerrf("InvalidParameterException", "Invalid status %s.", in.Status)
	}
	arns, next, jerr := s.ecsClusterPage(in.Cluster, "instances", in.NextToken, limit, func(cl *cluster) []string {
		if in.Status == "" || in.Status == "ACTIVE" {
			return append([]string(nil), cl.instances...)
		}
		return nil
	})
	if jerr != nil {
		return nil, jerr
	}
	return struct {
		ContainerInstanceArns []string `json:"containerInstanceArns"`
		NextToken             string   `json:"nextToken,omitempty"`
	}{arns, next}, nil
}

func (s *Server) ecsListServices(body []byte) (any, *jsonError) {
	var in struct {
		Cluster    string `json:"cluster"`
		LaunchType string `json:"launchType"`
		NextToken  string `json:"nextToken"`
		MaxResults *int   `json:"maxResults"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	limit, jerr := maxResults(in.MaxResults, 10)
	if jerr != nil {
		return nil, jerr
	}
	arns, next, jerr := s.ecsClusterPage(in.Cluster, "services", in.NextToken, limit, func(cl *cluster) []string {
		var arns []string
		for _, sv := range cl.Services {
			if in.LaunchType == "" || in.LaunchType == sv.LaunchType {
				arns = append(arns, s.ecsARN("service", cl.Name+"/"+sv.Name))
			}
		}
		return arns
	})
	if jerr != nil {
		return nil, jerr
	}
	return struct {
		ServiceArns []string `json:"serviceArns"`
		NextToken   string   `json:"nextToken,omitempty"`
	}{arns, next}, nil
}

type ecsServiceJSON struct {
	ServiceArn   string       `json:"serviceArn"`
	ServiceName  string       `json:"serviceName"`
	ClusterArn   string       `json:"clusterArn"`
	Status       string       `json:"status"`
	DesiredCount int          `json:"desiredCount"`
	RunningCount int          `json:"runningCount"`
	PendingCount int          `json:"pendingCount"`
	LaunchType   string       `json:"launchType"`
	CreatedAt    epochSeconds `json:"createdAt"`
}

func (s *Server) ecsDescribeServices(body []byte) (any, *jsonError) {
	var in struct {
		Cluster  string   `json:"cluster"`
		Services []string `json:"services"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if len(in.Services) == 0 || len(in.Services) > 10 {
		return nil, jerrf("InvalidParameterException", "services must have between 1 and 10 items.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, jerr := s.clusterLocked(in.Cluster)
	if jerr != nil {
		return nil, jerr
	}
	out := struct {
		Services []ecsServiceJSON `json:"services"`
		Failures []ecsFailure     `json:"failures"`
	}{Services: []ecsServiceJSON{}, Failures: []ecsFailure{}}
	for _, ref := range in.Services {
		name := ref
		if i := strings.LastIndex(ref, "/"); strings.HasPrefix(ref, "arn:") && i >= 0 {
			name = ref[i+1:]
		}
		arn := s.ecsARN("service", cl.Name+"/"+name)
		found := false
		for _, sv := range cl.Services {
			if sv.Name == name {
				found = true
				out.Services = append(out.Services, ecsServiceJSON{
					ServiceArn: arn, ServiceName: sv.Name, ClusterArn: cl.arn, Status: "ACTIVE",
					DesiredCount: sv.DesiredCount, RunningCount: sv.RunningCount, PendingCount: max(0, sv.DesiredCount-sv.RunningCount),
					LaunchType: sv.LaunchType, CreatedAt: epochSeconds(cl.created),
				})
			}
		}
		if !found {
			out.Failures = append(out.Failures, ecsFailure{Arn: arn, Reason: "MISSING"})
		}
	}
	return out, nil
}
