package awslocal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The AWS CLI against awslocal: the chapter's commands as written, with
// --endpoint-url, run by every AWS CLI found: Debian's awscli (CLI v2.9,
// which speaks awsQuery to CloudWatch) and a current CLI v1 (botocore,
// which speaks awsJson1_0 to it). In CI a missing CLI fails the test.

// awsCLIs finds the AWS CLIs to test: Debian's /usr/bin/aws and the aws on
// PATH, each once.
func awsCLIs(t *testing.T) []string {
	t.Helper()
	var found []string
	seen := map[string]bool{}
	for _, c := range []string{"/usr/bin/aws", "aws"} {
		p, err := exec.LookPath(c)
		if err != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			real = p
		}
		if !seen[real] {
			seen[real] = true
			found = append(found, p)
		}
	}
	if len(found) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatal("no AWS CLI found (CI installs Debian's awscli: apt-get install awscli)")
		}
		t.Skip("no AWS CLI found: install one (apt-get install awscli) to run the CLI tests")
	}
	return found
}

// cli runs one AWS CLI against an endpoint with static credentials and no
// configuration from the machine.
type cli struct {
	t        *testing.T
	bin      string
	endpoint string
	env      []string
}

func newCLI(t *testing.T, bin, endpoint string) *cli {
	home := t.TempDir()
	return &cli{t: t, bin: bin, endpoint: endpoint, env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY=SECRETEXAMPLE",
		"AWS_DEFAULT_REGION=us-east-1",
		"AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
	}}
}

// run runs aws with args and --endpoint-url; it returns stdout, stderr and
// the exit code.
func (c *cli) run(args ...string) (string, string, int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append(args, "--endpoint-url", c.endpoint)...)
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			c.t.Fatalf("aws %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// ok runs aws and fails the test unless it exits 0.
func (c *cli) ok(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("aws %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// json runs aws and decodes its JSON output into v.
func (c *cli) json(v any, args ...string) {
	c.t.Helper()
	out := c.ok(args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		c.t.Fatalf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// chapterWorld seeds what the chapter finds after its platform is deployed.
func chapterWorld(t *testing.T, s *Server, now time.Time) {
	t.Helper()
	s.PutStack("container-demo-alb", Output{Key: "ExternalUrl", Value: "http://demo-alb-1.us-east-1.elb.amazonaws.com"})
	s.PutStack("container-demo", Output{Key: "ClusterName", Value: "container-demo-ECSCluster-1E4H2VVHM9D2R"})
	if _, err := s.PutCluster(Cluster{Name: "container-demo-ECSCluster-1E4H2VVHM9D2R", Services: []Service{{Name: "ecsdemo-frontend", DesiredCount: 3}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutCluster(Cluster{Name: "other-cluster"}); err != nil {
		t.Fatal(err)
	}
	for _, svc := range []string{"ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com"} {
		if _, err := s.PutServiceLinkedRole(svc); err != nil {
			t.Fatal(err)
		}
	}
	group := "/aws/ecs/containerinsights/container-demo-ECSCluster-1E4H2VVHM9D2R/performance"
	for _, g := range []string{group, "ecsworkshop-frontend-logs", "ecsworkshop-nodejs-logs"} {
		if err := s.CreateLogGroup(g); err != nil {
			t.Fatal(err)
		}
	}
	var evs []LogEvent
	for i := range 3 {
		evs = append(evs, ciEvent("Task", "ecsdemo-frontend", fmt.Sprintf("task-%d", i), 20, 100, now.Add(-time.Minute)))
	}
	if err := s.PutLogEvents(group, "FargateTelemetry-1", evs...); err != nil {
		t.Fatal(err)
	}
}

// TestAWSCLIChapterCommands runs the chapter's commands with each AWS CLI,
// in three independent groups at once (each CLI call starts a Python).
func TestAWSCLIChapterCommands(t *testing.T) {
	for _, bin := range awsCLIs(t) {
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		// The server's clock stands still at the test's start: the alarm
		// drill's set-alarm-state holds only until the alarm's next
		// evaluation (as in CloudWatch), which on a moving clock comes at
		// the next minute boundary, and a run that crossed one saw
		// ALARM -> INSUFFICIENT_DATA in the history.
		start := time.Now()
		s := New(Options{Now: func() time.Time { return start }})
		chapterWorld(t, s, start)
		endpoint, err := Start(ctx, "127.0.0.1:0", s)
		if err != nil {
			t.Fatal(err)
		}
		version := strings.Fields(newCLI(t, bin, endpoint).ok("--version"))[0]
		for name, group := range map[string]func(*testing.T, *cli){"setup": chapterSetup, "alarm": chapterAlarm, "logs": chapterLogs} {
			t.Run(version+"/"+name, func(t *testing.T) {
				t.Parallel()
				group(t, newCLI(t, bin, endpoint))
			})
		}
	}
}

// chapterSetup: credentials, roles, the stacks, the cluster and Container
// Insights, as the chapter's setup page types them.
func chapterSetup(t *testing.T, c *cli) {
	var id struct{ Account, Arn string }
	c.json(&id, "sts", "get-caller-identity")
	if id.Account != "000000000000" {
		t.Errorf("get-caller-identity: %+v", id)
	}
	var role struct {
		Role struct{ RoleName, Arn string }
	}
	c.json(&role, "iam", "get-role", "--role-name", "AWSServiceRoleForECS")
	if role.Role.RoleName != "AWSServiceRoleForECS" {
		t.Errorf("get-role: %+v", role)
	}

	url := c.ok("cloudformation", "describe-stacks", "--stack-name", "container-demo-alb", "--query", "Stacks[0].Outputs[?OutputKey==`ExternalUrl`].OutputValue", "--output", "text")
	if strings.TrimSpace(url) != "http://demo-alb-1.us-east-1.elb.amazonaws.com" {
		t.Errorf("describe-stacks --query: %q", url)
	}
	if _, errOut, code := c.run("cloudformation", "describe-stacks", "--stack-name", "ecsworkshop-nope"); code == 0 || !strings.Contains(errOut, "does not exist") {
		t.Errorf("describe-stacks of a missing stack: exit %d, %s", code, errOut)
	}

	// cluster_arn=$(aws ecs list-clusters | jq -r '.clusterArns[] | select(contains("container-demo"))')
	var lc struct{ ClusterArns []string }
	c.json(&lc, "ecs", "list-clusters")
	clusterARN := ""
	for _, a := range lc.ClusterArns {
		if strings.Contains(a, "container-demo") {
			clusterARN = a
		}
	}
	var dc struct {
		Clusters []struct {
			ClusterName string
			Settings    []struct{ Name, Value string }
		}
	}
	c.json(&dc, "ecs", "describe-clusters", "--clusters", clusterARN)
	if len(dc.Clusters) != 1 {
		t.Fatalf("describe-clusters %s: %+v", clusterARN, dc)
	}
	name := dc.Clusters[0].ClusterName
	c.ok("ecs", "update-cluster-settings", "--cluster", name, "--settings", "name=containerInsights,value=enabled", "--region", "us-east-1")
	c.json(&dc, "ecs", "describe-clusters", "--cluster", name, "--include", "SETTINGS")
	if len(dc.Clusters) != 1 || len(dc.Clusters[0].Settings) != 1 || dc.Clusters[0].Settings[0].Value != "enabled" {
		t.Errorf("describe-clusters --include SETTINGS: %+v", dc)
	}
	c.ok("cloudformation", "create-stack", "--stack-name", "CWAgentECS-"+name+"-us-east-1", "--template-body", `{"Description": "CWAgent"}`,
		"--parameters", "ParameterKey=ClusterName,ParameterValue="+name, "ParameterKey=CreateIAMRoles,ParameterValue=True",
		"--capabilities", "CAPABILITY_NAMED_IAM", "--region", "us-east-1")
}

// chapterAlarm: the alarm the console would create, its SNS topic and
// e-mail subscription, and a drill with set-alarm-state.
func chapterAlarm(t *testing.T, c *cli) {
	var topic struct{ TopicArn string }
	c.json(&topic, "sns", "create-topic", "--name", "Default_CloudWatch_Alarms_Topic")
	var sub struct{ SubscriptionArn string }
	c.json(&sub, "sns", "subscribe", "--topic-arn", topic.TopicArn, "--protocol", "email", "--notification-endpoint", "me@example.com")
	if sub.SubscriptionArn != "pending confirmation" {
		t.Errorf("sns subscribe: %+v", sub)
	}
	var subs struct {
		Subscriptions []struct{ SubscriptionArn, Endpoint string }
	}
	c.json(&subs, "sns", "list-subscriptions-by-topic", "--topic-arn", topic.TopicArn)
	if len(subs.Subscriptions) != 1 || subs.Subscriptions[0].SubscriptionArn != "PendingConfirmation" {
		t.Errorf("list-subscriptions-by-topic: %+v", subs)
	}

	metrics := `[{"Id":"e1","Expression":"mm1m1 * 100 / mm0m1","Label":"ecsdemo-frontend","ReturnData":true},` +
		`{"Id":"mm1m1","ReturnData":false,"MetricStat":{"Metric":{"Namespace":"ECS/ContainerInsights","MetricName":"CpuUtilized","Dimensions":[{"Name":"ClusterName","Value":"container-demo"},{"Name":"ServiceName","Value":"ecsdemo-frontend"}]},"Period":60,"Stat":"Average"}},` +
		`{"Id":"mm0m1","ReturnData":false,"MetricStat":{"Metric":{"Namespace":"ECS/ContainerInsights","MetricName":"CpuReserved","Dimensions":[{"Name":"ClusterName","Value":"container-demo"},{"Name":"ServiceName","Value":"ecsdemo-frontend"}]},"Period":60,"Stat":"Average"}}]`
	c.ok("cloudwatch", "put-metric-alarm", "--alarm-name", "ecsdemo-frontend-cpu", "--comparison-operator", "GreaterThanThreshold",
		"--evaluation-periods", "1", "--datapoints-to-alarm", "1", "--threshold", "50", "--alarm-actions", topic.TopicArn, "--metrics", metrics)
	c.ok("cloudwatch", "put-metric-alarm", "--alarm-name", "plain", "--namespace", "AWS/ECS", "--metric-name", "CPUUtilization",
		"--dimensions", "Name=ClusterName,Value=container-demo", "Name=ServiceName,Value=ecsdemo-frontend",
		"--statistic", "Average", "--period", "60", "--evaluation-periods", "3", "--threshold", "70", "--comparison-operator", "GreaterThanOrEqualToThreshold")
	if _, errOut, code := c.run("cloudwatch", "put-metric-alarm", "--alarm-name", "bad", "--namespace", "A", "--metric-name", "M", "--statistic", "Average",
		"--period", "45", "--evaluation-periods", "1", "--threshold", "1", "--comparison-operator", "GreaterThanThreshold"); code == 0 || !strings.Contains(errOut, "ValidationError") {
		t.Errorf("put-metric-alarm --period 45: exit %d, %s", code, errOut)
	}

	c.ok("cloudwatch", "set-alarm-state", "--alarm-name", "ecsdemo-frontend-cpu", "--state-value", "ALARM", "--state-reason", "drill")
	var da struct {
		MetricAlarms []struct {
			AlarmName, StateValue, StateReason string
			// ISO 8601 from CLI v2; CLI v1 prints what the service sent
			// (epoch seconds over awsJson1_0).
			StateUpdatedTimestamp any
			Threshold             float64
			AlarmActions          []string
			Metrics               []struct {
				ID         string `json:"Id"`
				Expression string
				MetricStat *struct {
					Metric struct{ MetricName string }
					Period int
				}
			}
			Dimensions []struct{ Name, Value string }
		}
	}
	c.json(&da, "cloudwatch", "describe-alarms", "--alarm-names", "ecsdemo-frontend-cpu", "plain")
	if len(da.MetricAlarms) != 2 {
		t.Fatalf("describe-alarms: %+v", da)
	}
	a, p := da.MetricAlarms[0], da.MetricAlarms[1]
	if a.AlarmName != "ecsdemo-frontend-cpu" || a.StateValue != "ALARM" || a.StateReason != "drill" || a.Threshold != 50 ||
		len(a.AlarmActions) != 1 || a.AlarmActions[0] != topic.TopicArn || len(a.Metrics) != 3 || a.Metrics[0].Expression != "mm1m1 * 100 / mm0m1" ||
		a.Metrics[1].MetricStat == nil || a.Metrics[1].MetricStat.Metric.MetricName != "CpuUtilized" || a.Metrics[1].MetricStat.Period != 60 {
		t.Errorf("describe-alarms (math): %+v", a)
	}
	var updated time.Time
	switch ts := a.StateUpdatedTimestamp.(type) {
	case string:
		updated, _ = time.Parse(time.RFC3339, ts)
	case float64:
		updated = time.UnixMilli(int64(ts * 1000))
	}
	if d := time.Since(updated); d < 0 || d > time.Minute {
		t.Errorf("StateUpdatedTimestamp %v", a.StateUpdatedTimestamp)
	}
	if p.AlarmName != "plain" || len(p.Dimensions) != 2 || p.StateValue != "INSUFFICIENT_DATA" {
		t.Errorf("describe-alarms (plain): %+v", p)
	}
	var hist struct {
		AlarmHistoryItems []struct{ HistorySummary string }
	}
	c.json(&hist, "cloudwatch", "describe-alarm-history", "--alarm-name", "ecsdemo-frontend-cpu", "--history-item-type", "StateUpdate")
	if len(hist.AlarmHistoryItems) != 1 || hist.AlarmHistoryItems[0].HistorySummary != "Alarm updated from INSUFFICIENT_DATA to ALARM" {
		t.Errorf("describe-alarm-history: %+v", hist)
	}
}

// chapterLogs: the log groups, the chapter's Logs Insights query, and the
// cleanup's describe and delete of the ecsworkshop-* log groups.
func chapterLogs(t *testing.T, c *cli) {
	group := "/aws/ecs/containerinsights/container-demo-ECSCluster-1E4H2VVHM9D2R/performance"
	var lg struct {
		LogGroups []struct{ LogGroupName string }
	}
	c.json(&lg, "logs", "describe-log-groups", "--log-group-name-prefix", "/aws/ecs/containerinsights/")
	if len(lg.LogGroups) != 1 || lg.LogGroups[0].LogGroupName != group {
		t.Errorf("describe-log-groups: %+v", lg)
	}
	now := time.Now()
	var sq struct {
		QueryID string `json:"queryId"`
	}
	c.json(&sq, "logs", "start-query", "--log-group-name", group, "--start-time", fmt.Sprint(now.Add(-time.Hour).Unix()), "--end-time", fmt.Sprint(now.Unix()),
		"--query-string", "stats count_distinct(TaskId) as Number_of_Tasks by ServiceName")
	var res struct {
		Status  string `json:"status"`
		Results [][]struct {
			Field string `json:"field"`
			Value string `json:"value"`
		} `json:"results"`
	}
	for range 5 {
		c.json(&res, "logs", "get-query-results", "--query-id", sq.QueryID)
		if res.Status == "Complete" {
			break
		}
	}
	if res.Status != "Complete" || len(res.Results) != 1 || len(res.Results[0]) != 2 || res.Results[0][1].Value != "3" {
		t.Errorf("get-query-results: %+v", res)
	}
	if _, errOut, code := c.run("logs", "start-query", "--log-group-name", group, "--start-time", "0", "--end-time", "1",
		"--query-string", "stats avg(CpuUtilized) by bin(5m) | filter Type=\"Task\""); code == 0 || !strings.Contains(errOut, "MalformedQueryException") {
		t.Errorf("start-query with a filter after stats: exit %d, %s", code, errOut)
	}
	c.json(&lg, "logs", "describe-log-groups", "--log-group-name-prefix", "ecsworkshop-")
	if len(lg.LogGroups) != 2 {
		t.Fatalf("describe-log-groups ecsworkshop-: %+v", lg)
	}
	for _, g := range lg.LogGroups {
		c.ok("logs", "delete-log-group", "--log-group-name", g.LogGroupName)
	}
	c.json(&lg, "logs", "describe-log-groups", "--log-group-name-prefix", "ecsworkshop-")
	if len(lg.LogGroups) != 0 {
		t.Errorf("after delete-log-group: %+v", lg)
	}
}
