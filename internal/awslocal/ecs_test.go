package awslocal

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// workshopCluster seeds the chapter's cluster: three Fargate services,
// Container Insights as given.
func workshopCluster(t *testing.T, s *Server, name, insights string, instances int) string {
	t.Helper()
	arn, err := s.PutCluster(Cluster{Name: name, ContainerInsights: insights, ContainerInstances: instances, Services: []Service{
		{Name: "ecsdemo-frontend", DesiredCount: 3},
		{Name: "ecsdemo-nodejs", DesiredCount: 3},
		{Name: "ecsdemo-crystal", DesiredCount: 3, RunningCount: 2},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return arn
}

func TestECSClusters(t *testing.T) {
	f := newFixture(t, Options{Region: "us-west-2"})
	arn := workshopCluster(t, f.srv, "container-demo-ECSCluster-1E4H2VVHM9D2R", "", 0)
	if arn != "arn:aws:ecs:us-west-2:000000000000:cluster/container-demo-ECSCluster-1E4H2VVHM9D2R" {
		t.Errorf("arn = %s", arn)
	}
	for i := range 4 {
		if _, err := f.srv.PutCluster(Cluster{Name: fmt.Sprintf("other-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.srv.PutCluster(Cluster{Name: "bad name"}); err == nil {
		t.Error("bad cluster name accepted")
	}

	// ListClusters, two per page, through the SDK's paginator.
	var arns []string
	p := ecs.NewListClustersPaginator(f.ecs, &ecs.ListClustersInput{MaxResults: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatalf("ListClusters: %v", err)
		}
		pages++
		arns = append(arns, out.ClusterArns...)
	}
	if pages != 3 || len(arns) != 5 || arns[0] != arn {
		t.Errorf("ListClusters: %d pages, %v", pages, arns)
	}

	// The chapter: describe-clusters by ARN, with and without SETTINGS.
	out, err := f.ecs.DescribeClusters(ctxT(t), &ecs.DescribeClustersInput{Clusters: []string{arn}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldSettings}})
	if err != nil {
		t.Fatalf("DescribeClusters: %v", err)
	}
	if len(out.Clusters) != 1 || len(out.Failures) != 0 {
		t.Fatalf("DescribeClusters = %+v", out)
	}
	c := out.Clusters[0]
	if aws.ToString(c.ClusterName) != "container-demo-ECSCluster-1E4H2VVHM9D2R" || aws.ToString(c.Status) != "ACTIVE" ||
		c.ActiveServicesCount != 3 || c.RunningTasksCount != 8 || c.PendingTasksCount != 1 || c.RegisteredContainerInstancesCount != 0 {
		t.Errorf("cluster = %+v", c)
	}
	if len(c.Settings) != 1 || c.Settings[0].Name != ecstypes.ClusterSettingNameContainerInsights || aws.ToString(c.Settings[0].Value) != "disabled" {
		t.Errorf("settings = %+v", c.Settings)
	}
	out, err = f.ecs.DescribeClusters(ctxT(t), &ecs.DescribeClustersInput{Clusters: []string{"container-demo-ECSCluster-1E4H2VVHM9D2R", "nope"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Clusters) != 1 || len(out.Clusters[0].Settings) != 0 || len(out.Failures) != 1 ||
		aws.ToString(out.Failures[0].Arn) != "arn:aws:ecs:us-west-2:000000000000:cluster/nope" || aws.ToString(out.Failures[0].Reason) != "MISSING" {
		t.Errorf("without SETTINGS / missing: %+v", out)
	}

	// update-cluster-settings, as the chapter runs it, and as cleanup does.
	for _, v := range []string{"enabled", "enhanced", "disabled"} {
		u, err := f.ecs.UpdateClusterSettings(ctxT(t), &ecs.UpdateClusterSettingsInput{
			Cluster:  aws.String("container-demo-ECSCluster-1E4H2VVHM9D2R"),
			Settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String(v)}},
		})
		if err != nil || len(u.Cluster.Settings) != 1 || aws.ToString(u.Cluster.Settings[0].Value) != v {
			t.Errorf("UpdateClusterSettings(%s) = %+v, %v", v, u, err)
		}
	}
	if err := f.srv.SetContainerInsights("container-demo-ECSCluster-1E4H2VVHM9D2R", "enabled"); err != nil {
		t.Fatal(err)
	}
	out, _ = f.ecs.DescribeClusters(ctxT(t), &ecs.DescribeClustersInput{Clusters: []string{arn}, Include: []ecstypes.ClusterField{ecstypes.ClusterFieldSettings}})
	if got := aws.ToString(out.Clusters[0].Settings[0].Value); got != "enabled" {
		t.Errorf("after SetContainerInsights: %s", got)
	}
	if f.srv.SetContainerInsights("nope", "enabled") == nil || f.srv.SetContainerInsights(arn, "on") == nil {
		t.Error("SetContainerInsights accepted a missing cluster or a bad value")
	}

	// Errors in ECS's shapes.
	_, err = f.ecs.UpdateClusterSettings(ctxT(t), &ecs.UpdateClusterSettingsInput{Cluster: aws.String("nope"),
		Settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}})
	var cnf *ecstypes.ClusterNotFoundException
	if !errors.As(err, &cnf) || cnf.ErrorMessage() != "Cluster not found." {
		t.Errorf("missing cluster: %v (%T)", err, err)
	}
	_, err = f.ecs.UpdateClusterSettings(ctxT(t), &ecs.UpdateClusterSettingsInput{Cluster: aws.String(arn),
		Settings: []ecstypes.ClusterSetting{{Name: ecstypes.ClusterSettingNameContainerInsights, Value: aws.String("on")}}})
	var ipe *ecstypes.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Errorf("bad value: %v (%T)", err, err)
	}
	_, err = f.ecs.ListClusters(ctxT(t), &ecs.ListClustersInput{NextToken: aws.String("garbage")})
	if !errors.As(err, &ipe) {
		t.Errorf("bad token: %v (%T)", err, err)
	}
}

func TestECSInstancesAndServices(t *testing.T) {
	f := newFixture(t, Options{})
	workshopCluster(t, f.srv, "fargate", "enabled", 0)
	workshopCluster(t, f.srv, "ec2", "enabled", 3)
	for _, tc := range []struct {
		cluster string
		want    int
	}{{"fargate", 0}, {"ec2", 3}} {
		out, err := f.ecs.ListContainerInstances(ctxT(t), &ecs.ListContainerInstancesInput{Cluster: aws.String(tc.cluster)})
		if err != nil || len(out.ContainerInstanceArns) != tc.want {
			t.Errorf("%s: ListContainerInstances = %+v, %v", tc.cluster, out, err)
		}
		if tc.want > 0 && !strings.HasPrefix(out.ContainerInstanceArns[0], "arn:aws:ecs:us-east-1:000000000000:container-instance/ec2/") {
			t.Errorf("instance ARN %s", out.ContainerInstanceArns[0])
		}
	}
	_, err := f.ecs.ListContainerInstances(ctxT(t), &ecs.ListContainerInstancesInput{})
	var cnf *ecstypes.ClusterNotFoundException
	if !errors.As(err, &cnf) {
		t.Errorf("default cluster: %v", err)
	}

	ls, err := f.ecs.ListServices(ctxT(t), &ecs.ListServicesInput{Cluster: aws.String("ec2")})
	if err != nil || len(ls.ServiceArns) != 3 || ls.ServiceArns[0] != "arn:aws:ecs:us-east-1:000000000000:service/ec2/ecsdemo-crystal" {
		t.Fatalf("ListServices = %+v, %v", ls, err)
	}
	ds, err := f.ecs.DescribeServices(ctxT(t), &ecs.DescribeServicesInput{Cluster: aws.String("ec2"), Services: []string{ls.ServiceArns[1], "ecsdemo-crystal", "ghost"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Services) != 2 || aws.ToString(ds.Services[0].ServiceName) != "ecsdemo-frontend" || ds.Services[0].RunningCount != 3 ||
		ds.Services[0].LaunchType != ecstypes.LaunchTypeFargate || ds.Services[1].RunningCount != 2 || ds.Services[1].PendingCount != 1 ||
		ds.Services[0].CreatedAt == nil || !ds.Services[0].CreatedAt.Equal(t0) {
		t.Errorf("services = %+v", ds.Services)
	}
	if len(ds.Failures) != 1 || aws.ToString(ds.Failures[0].Reason) != "MISSING" {
		t.Errorf("failures = %+v", ds.Failures)
	}
}

// TestJSONProtocolErrors sends awsJson requests the SDK would not.
func TestJSONProtocolErrors(t *testing.T) {
	f := newFixture(t, Options{})
	post := func(target, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
			t.Errorf("%s: Content-Type %q", target, ct)
		}
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct{ target, body, want string }{
		{"AmazonEC2ContainerServiceV20141113.ListClusters", `{"maxResults": "x"}`, `"__type":"SerializationException"`},
		{"AmazonEC2ContainerServiceV20141113.ListClusters", `[]`, `"__type":"SerializationException"`},
		{"AmazonEC2ContainerServiceV20141113.ListClusters", `{} {}`, `"__type":"SerializationException"`},
		{"AmazonEC2ContainerServiceV20141113.DeleteCluster", `{}`, `"__type":"UnknownOperationException"`},
		{"NoSuchService.Op", `{}`, `"__type":"UnknownOperationException"`},
		{"AmazonEC2ContainerServiceV20141113.DescribeClusters", `{"include":["NOPE"]}`, `"__type":"InvalidParameterException"`},
	} {
		if code, body := post(tc.target, tc.body); code != 400 || !strings.Contains(body, tc.want) {
			t.Errorf("%s %s: %d %s", tc.target, tc.body, code, body)
		}
	}
	// An empty body is an empty input.
	if code, body := post("AmazonEC2ContainerServiceV20141113.ListClusters", ""); code != 200 || body != `{"clusterArns":[]}` {
		t.Errorf("empty body: %d %s", code, body)
	}
	f.srv.InjectError("ListClusters", "ThrottlingException", 1)
	if code, body := post("AmazonEC2ContainerServiceV20141113.ListClusters", "{}"); code != 400 || !strings.Contains(body, `"__type":"ThrottlingException"`) {
		t.Errorf("injected: %d %s", code, body)
	}
}
