package awslocal

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
)

// codeAndMessage is the code and message of an API error ("" for none).
func codeAndMessage(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		return "not an API error: " + err.Error()
	}
	return ae.ErrorCode() + ": " + ae.ErrorMessage()
}

// The answers of the lookups and pages that the ECS calls share
// (clusterLocked, ecsClusterPage): each call pages its own ARNs, and a
// cluster that is not there is ClusterNotFoundException for every call.
func TestECSSharedLookupsAndPages(t *testing.T) {
	f := newFixture(t, Options{})
	workshopCluster(t, f.srv, "ec2", "enabled", 3)

	// Container instances, two a page.
	var got []string
	in := &ecs.ListContainerInstancesInput{Cluster: aws.String("ec2"), MaxResults: aws.Int32(2)}
	for page := 1; ; page++ {
		out, err := f.ecs.ListContainerInstances(ctxT(t), in)
		if err != nil || (page == 1 && (len(out.ContainerInstanceArns) != 2 || out.NextToken == nil)) {
			t.Fatalf("page %d: %+v, %v", page, out, err)
		}
		got = append(got, out.ContainerInstanceArns...)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if len(got) != 3 || got[0] >= got[1] || got[1] >= got[2] {
		t.Errorf("instances: %v", got)
	}
	// The seeded order is kept: a second listing gives the same.
	again, err := f.ecs.ListContainerInstances(ctxT(t), &ecs.ListContainerInstancesInput{Cluster: aws.String("ec2")})
	if err != nil || len(again.ContainerInstanceArns) != 3 || again.ContainerInstanceArns[0] != got[0] || again.ContainerInstanceArns[2] != got[2] {
		t.Errorf("listed again: %+v, %v", again, err)
	}
	drain, err := f.ecs.ListContainerInstances(ctxT(t), &ecs.ListContainerInstancesInput{Cluster: aws.String("ec2"), Status: "DRAINING"})
	if err != nil || drain.ContainerInstanceArns == nil || len(drain.ContainerInstanceArns) != 0 || drain.NextToken != nil {
		t.Errorf("DRAINING: %+v, %v", drain, err)
	}
	_, err = f.ecs.ListContainerInstances(ctxT(t), &ecs.ListContainerInstancesInput{Cluster: aws.String("ec2"), Status: "BOGUS"})
	if e := codeAndMessage(err); e != "InvalidParameterException: Invalid status BOGUS." {
		t.Errorf("bad status: %s", e)
	}
	// Checks come in order: maxResults, then the status, then the cluster.
	_, err = f.ecs.ListContainerInstances(ctxT(t), &ecs.ListContainerInstancesInput{Cluster: aws.String("nope"), Status: "BOGUS", MaxResults: aws.Int32(101)})
	if e := codeAndMessage(err); e != "InvalidParameterException: maxResults must be between 1 and 100." {
		t.Errorf("bad maxResults and status: %s", e)
	}
	_, err = f.ecs.ListContainerInstances(ctxT(t), &ecs.ListContainerInstancesInput{Cluster: aws.String("nope"), Status: "BOGUS"})
	if e := codeAndMessage(err); e != "InvalidParameterException: Invalid status BOGUS." {
		t.Errorf("bad status, no cluster: %s", e)
	}
	_, err = f.ecs.ListContainerInstances(ctxT(t), &ecs.ListContainerInstancesInput{Cluster: aws.String("ec2"), NextToken: aws.String("garbage")})
	if e := codeAndMessage(err); e != "InvalidParameterException: Invalid nextToken." {
		t.Errorf("bad token: %s", e)
	}

	// Services, two a page, and by launch type.
	s1, err := f.ecs.ListServices(ctxT(t), &ecs.ListServicesInput{Cluster: aws.String("ec2"), MaxResults: aws.Int32(2)})
	if err != nil || len(s1.ServiceArns) != 2 || s1.NextToken == nil {
		t.Fatalf("services page 1: %+v, %v", s1, err)
	}
	s2, err := f.ecs.ListServices(ctxT(t), &ecs.ListServicesInput{Cluster: aws.String("ec2"), MaxResults: aws.Int32(2), NextToken: s1.NextToken})
	if err != nil || len(s2.ServiceArns) != 1 || s2.NextToken != nil || s2.ServiceArns[0] != "arn:aws:ecs:us-east-1:000000000000:service/ec2/ecsdemo-nodejs" {
		t.Errorf("services page 2: %+v, %v", s2, err)
	}
	ec2, err := f.ecs.ListServices(ctxT(t), &ecs.ListServicesInput{Cluster: aws.String("ec2"), LaunchType: "EC2"})
	if err != nil || ec2.ServiceArns == nil || len(ec2.ServiceArns) != 0 {
		t.Errorf("EC2 services: %+v, %v", ec2, err)
	}

	// A missing cluster, for every call that names one.
	const notFound = "ClusterNotFoundException: Cluster not found."
	_, err = f.ecs.ListContainerInstances(ctxT(t), &ecs.ListContainerInstancesInput{Cluster: aws.String("nope")})
	if e := codeAndMessage(err); e != notFound {
		t.Errorf("ListContainerInstances: %s", e)
	}
	_, err = f.ecs.ListServices(ctxT(t), &ecs.ListServicesInput{Cluster: aws.String("nope")})
	if e := codeAndMessage(err); e != notFound {
		t.Errorf("ListServices: %s", e)
	}
	_, err = f.ecs.DescribeServices(ctxT(t), &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"x"}})
	if e := codeAndMessage(err); e != notFound {
		t.Errorf("DescribeServices: %s", e)
	}
}

// The answers of the lookups that the Logs calls share (logGroupLocked,
// logStreamLocked, groupAndLimit, eventTokenParam, withQuery).
func TestLogsSharedLookups(t *testing.T) {
	f := newFixture(t, Options{})
	if err := f.srv.CreateLogGroup("g"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.logs.CreateLogStream(ctxT(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	const (
		noGroup  = "ResourceNotFoundException: The specified log group does not exist."
		noStream = "ResourceNotFoundException: The specified log stream does not exist."
		badToken = "InvalidParameterException: The specified nextToken is invalid."
	)
	for _, c := range []struct {
		name string
		call func() error
		want string
	}{
		{"DeleteLogGroup, no group", func() error {
			_, err := f.logs.DeleteLogGroup(ctxT(t), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("nope")})
			return err
		}, noGroup},
		{"PutRetentionPolicy, no group", func() error {
			_, err := f.logs.PutRetentionPolicy(ctxT(t), &cloudwatchlogs.PutRetentionPolicyInput{LogGroupName: aws.String("nope"), RetentionInDays: aws.Int32(7)})
			return err
		}, noGroup},
		{"CreateLogStream, no group", func() error {
			_, err := f.logs.CreateLogStream(ctxT(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("nope"), LogStreamName: aws.String("s")})
			return err
		}, noGroup},
		{"DeleteLogStream, no group", func() error {
			_, err := f.logs.DeleteLogStream(ctxT(t), &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("nope"), LogStreamName: aws.String("s")})
			return err
		}, noGroup},
		{"DeleteLogStream, no stream", func() error {
			_, err := f.logs.DeleteLogStream(ctxT(t), &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("nope")})
			return err
		}, noStream},
		{"GetLogEvents, no group (by ARN)", func() error {
			_, err := f.logs.GetLogEvents(ctxT(t), &cloudwatchlogs.GetLogEventsInput{LogGroupIdentifier: aws.String("arn:aws:logs:us-east-1:000000000000:log-group:nope"), LogStreamName: aws.String("s")})
			return err
		}, noGroup},
		{"GetLogEvents, no stream", func() error {
			_, err := f.logs.GetLogEvents(ctxT(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("nope")})
			return err
		}, noStream},
		{"GetLogEvents, bad token", func() error {
			_, err := f.logs.GetLogEvents(ctxT(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: aws.String("x/garbage")})
			return err
		}, badToken},
		{"GetLogEvents, limit before group", func() error {
			_, err := f.logs.GetLogEvents(ctxT(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogGroupIdentifier: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(10001)})
			return err
		}, "InvalidParameterException: 1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000"},
		{"FilterLogEvents, name and ARN", func() error {
			_, err := f.logs.FilterLogEvents(ctxT(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), LogGroupIdentifier: aws.String("g")})
			return err
		}, "InvalidParameterException: LogGroup name and LogGroup ARN are mutually exclusive parameters."},
		{"FilterLogEvents, bad token", func() error {
			_, err := f.logs.FilterLogEvents(ctxT(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), NextToken: aws.String("garbage")})
			return err
		}, badToken},
		{"FilterLogEvents, no group", func() error {
			_, err := f.logs.FilterLogEvents(ctxT(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")})
			return err
		}, noGroup},
		{"DescribeLogStreams, bad token", func() error {
			_, err := f.logs.DescribeLogStreams(ctxT(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), NextToken: aws.String("garbage")})
			return err
		}, badToken},
		{"DescribeLogStreams, limit", func() error {
			_, err := f.logs.DescribeLogStreams(ctxT(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(51)})
			return err
		}, "InvalidParameterException: 1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value between 1 and 50"},
		{"DescribeLogStreams, no group", func() error {
			_, err := f.logs.DescribeLogStreams(ctxT(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("nope")})
			return err
		}, noGroup},
		{"GetQueryResults, no query", func() error {
			_, err := f.logs.GetQueryResults(ctxT(t), &cloudwatchlogs.GetQueryResultsInput{QueryId: aws.String("nope")})
			return err
		}, "ResourceNotFoundException: Query nope does not exist."},
		{"StopQuery, no query", func() error {
			_, err := f.logs.StopQuery(ctxT(t), &cloudwatchlogs.StopQueryInput{QueryId: aws.String("nope")})
			return err
		}, "ResourceNotFoundException: Query nope does not exist."},
	} {
		if e := codeAndMessage(c.call()); e != c.want {
			t.Errorf("%s: %s, want %s", c.name, e, c.want)
		}
	}

	// A query stopped twice names itself and its state.
	st, err := f.logs.StartQuery(ctxT(t), &cloudwatchlogs.StartQueryInput{LogGroupName: aws.String("g"), QueryString: aws.String("fields @message"),
		StartTime: aws.Int64(t0.Unix()), EndTime: aws.Int64(t0.Unix() + 60)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.logs.StopQuery(ctxT(t), &cloudwatchlogs.StopQueryInput{QueryId: st.QueryId}); err != nil {
		t.Fatal(err)
	}
	_, err = f.logs.StopQuery(ctxT(t), &cloudwatchlogs.StopQueryInput{QueryId: st.QueryId})
	if e, want := codeAndMessage(err), "InvalidParameterException: Query "+aws.ToString(st.QueryId)+" is not running (it is Cancelled)."; e != want {
		t.Errorf("stopped twice: %s, want %s", e, want)
	}

	// A stream deleted is gone from its group.
	if _, err := f.logs.DeleteLogStream(ctxT(t), &cloudwatchlogs.DeleteLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	ds, err := f.logs.DescribeLogStreams(ctxT(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g")})
	if err != nil || len(ds.LogStreams) != 0 {
		t.Errorf("after DeleteLogStream: %+v, %v", ds, err)
	}
}
