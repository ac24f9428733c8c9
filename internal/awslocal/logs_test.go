package awslocal

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

const perfGroup = "/aws/ecs/containerinsights/container-demo/performance"

func TestLogGroups(t *testing.T) {
	f := newFixture(t, Options{Region: "us-west-2"})
	for _, n := range []string{perfGroup, "ecsworkshop-frontend-FrontendLogs-1", "ecsworkshop-nodejs-Logs-2", "ecsworkshop-crystal-Logs-3", "/other"} {
		if _, err := f.logs.CreateLogGroup(ctxT(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(n)}); err != nil {
			t.Fatalf("CreateLogGroup(%s): %v", n, err)
		}
	}
	_, err := f.logs.CreateLogGroup(ctxT(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/other")})
	var exists *logtypes.ResourceAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("duplicate: %v (%T)", err, err)
	}
	_, err = f.logs.CreateLogGroup(ctxT(t), &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("bad name!")})
	var ipe *logtypes.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Errorf("bad name: %v (%T)", err, err)
	}
	if f.srv.CreateLogGroup("/other") == nil || f.srv.CreateLogGroup("") == nil {
		t.Error("CreateLogGroup seeded a duplicate or an empty name")
	}

	// The chapter's cleanup: describe by prefix (paged), delete each.
	var names []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(f.logs, &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("ecsworkshop-"), Limit: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctxT(t))
		if err != nil {
			t.Fatalf("DescribeLogGroups: %v", err)
		}
		for _, g := range out.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
			if aws.ToString(g.Arn) != "arn:aws:logs:us-west-2:000000000000:log-group:"+aws.ToString(g.LogGroupName)+":*" || aws.ToInt64(g.CreationTime) != t0.UnixMilli() {
				t.Errorf("group = %+v", g)
			}
		}
	}
	if strings.Join(names, ",") != "ecsworkshop-crystal-Logs-3,ecsworkshop-frontend-FrontendLogs-1,ecsworkshop-nodejs-Logs-2" {
		t.Errorf("by prefix: %v", names)
	}
	for _, n := range names {
		if _, err := f.logs.DeleteLogGroup(ctxT(t), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(n)}); err != nil {
			t.Errorf("DeleteLogGroup: %v", err)
		}
	}
	_, err = f.logs.DeleteLogGroup(ctxT(t), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(names[0])})
	var rnf *logtypes.ResourceNotFoundException
	if !errors.As(err, &rnf) || rnf.ErrorMessage() != "The specified log group does not exist." {
		t.Errorf("delete twice: %v", err)
	}
	out, err := f.logs.DescribeLogGroups(ctxT(t), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePattern: aws.String("CONTAINERINSIGHTS")})
	if err != nil || len(out.LogGroups) != 1 || aws.ToString(out.LogGroups[0].LogGroupName) != perfGroup {
		t.Errorf("by pattern: %+v, %v", out, err)
	}
	if !f.srv.DeleteLogGroup("/other") || f.srv.DeleteLogGroup("/other") {
		t.Error("DeleteLogGroup reported wrongly")
	}
}

// putEvents puts messages at the given offsets (seconds after t0).
func putEvents(t *testing.T, f *fixture, group, stream string, at ...int) {
	t.Helper()
	var evs []logtypes.InputLogEvent
	for _, s := range at {
		evs = append(evs, logtypes.InputLogEvent{Timestamp: aws.Int64(t0.Add(time.Duration(s) * time.Second).UnixMilli()), Message: aws.String(fmt.Sprintf("event %d", s))})
	}
	if _, err := f.logs.PutLogEvents(ctxT(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: evs}); err != nil {
		t.Fatalf("PutLogEvents: %v", err)
	}
}

func messages(evs []logtypes.OutputLogEvent) string {
	var l []string
	for _, e := range evs {
		l = append(l, aws.ToString(e.Message))
	}
	return strings.Join(l, ",")
}

func TestLogStreamsAndEvents(t *testing.T) {
	f := newFixture(t, Options{})
	f.clock.Set(t0.Add(time.Hour))
	if err := f.srv.CreateLogGroup("g"); err != nil {
		t.Fatal(err)
	}
	_, err := f.logs.PutLogEvents(ctxT(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		LogEvents: []logtypes.InputLogEvent{{Timestamp: aws.Int64(t0.UnixMilli()), Message: aws.String("x")}}})
	var rnf *logtypes.ResourceNotFoundException
	if !errors.As(err, &rnf) || rnf.ErrorMessage() != "The specified log stream does not exist." {
		t.Errorf("no stream: %v", err)
	}
	for _, s := range []string{"s", "t"} {
		if _, err := f.logs.CreateLogStream(ctxT(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String(s)}); err != nil {
			t.Fatal(err)
		}
	}
	putEvents(t, f, "g", "s", 1, 2, 3)
	putEvents(t, f, "g", "t", 10)

	// GetLogEvents from the head, two at a time, then the forward token
	// repeats until new events arrive.
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true), Limit: aws.Int32(2)}
	out, err := f.logs.GetLogEvents(ctxT(t), in)
	if err != nil || messages(out.Events) != "event 1,event 2" {
		t.Fatalf("first page: %+v %v", out, err)
	}
	in.NextToken = out.NextForwardToken
	out, _ = f.logs.GetLogEvents(ctxT(t), in)
	if messages(out.Events) != "event 3" {
		t.Fatalf("second page: %s", messages(out.Events))
	}
	tok := aws.ToString(out.NextForwardToken)
	in.NextToken = out.NextForwardToken
	out, _ = f.logs.GetLogEvents(ctxT(t), in)
	if len(out.Events) != 0 || aws.ToString(out.NextForwardToken) != tok {
		t.Fatalf("at the end: %d events, token %s then %s", len(out.Events), tok, aws.ToString(out.NextForwardToken))
	}
	putEvents(t, f, "g", "s", 4)
	out, _ = f.logs.GetLogEvents(ctxT(t), in)
	if messages(out.Events) != "event 4" || aws.ToString(out.NextForwardToken) == tok {
		t.Fatalf("after a new event: %s", messages(out.Events))
	}

	// Without startFromHead: the newest events; backward from them.
	out, _ = f.logs.GetLogEvents(ctxT(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(2)})
	if messages(out.Events) != "event 3,event 4" {
		t.Fatalf("tail: %s", messages(out.Events))
	}
	out, _ = f.logs.GetLogEvents(ctxT(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(2), NextToken: out.NextBackwardToken})
	if messages(out.Events) != "event 1,event 2" {
		t.Fatalf("backward: %s", messages(out.Events))
	}
	// A time window: [2 s, 4 s).
	out, _ = f.logs.GetLogEvents(ctxT(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true),
		StartTime: aws.Int64(t0.Add(2 * time.Second).UnixMilli()), EndTime: aws.Int64(t0.Add(4 * time.Second).UnixMilli())})
	if messages(out.Events) != "event 2,event 3" {
		t.Errorf("window: %s", messages(out.Events))
	}
	_, err = f.logs.GetLogEvents(ctxT(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: aws.String("f/garbage")})
	var ipe *logtypes.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Errorf("bad token: %v", err)
	}

	// DescribeLogStreams by last event time, newest first.
	ds, err := f.logs.DescribeLogStreams(ctxT(t), &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), OrderBy: logtypes.OrderByLastEventTime, Descending: aws.Bool(true)})
	if err != nil || len(ds.LogStreams) != 2 || aws.ToString(ds.LogStreams[0].LogStreamName) != "t" ||
		aws.ToInt64(ds.LogStreams[1].LastEventTimestamp) != t0.Add(4*time.Second).UnixMilli() || aws.ToInt64(ds.LogStreams[1].FirstEventTimestamp) != t0.Add(time.Second).UnixMilli() {
		t.Errorf("DescribeLogStreams = %+v, %v", ds, err)
	}

	// FilterLogEvents across streams, with a pattern and paging.
	fe, err := f.logs.FilterLogEvents(ctxT(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String(`?"event 1" ?"event 10"`), Limit: aws.Int32(1)})
	if err != nil || len(fe.Events) != 1 || aws.ToString(fe.Events[0].Message) != "event 1" || fe.NextToken == nil {
		t.Fatalf("FilterLogEvents: %+v %v", fe, err)
	}
	fe, err = f.logs.FilterLogEvents(ctxT(t), &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), FilterPattern: aws.String(`?"event 1" ?"event 10"`), NextToken: fe.NextToken})
	if err != nil || len(fe.Events) != 1 || aws.ToString(fe.Events[0].Message) != "event 10" || aws.ToString(fe.Events[0].LogStreamName) != "t" {
		t.Fatalf("FilterLogEvents page 2: %+v %v", fe, err)
	}
}

func TestPutLogEventsRules(t *testing.T) {
	f := newFixture(t, Options{})
	f.clock.Set(t0.Add(15 * 24 * time.Hour))
	if err := f.srv.CreateLogGroup("g"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.logs.CreateLogStream(ctxT(t), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	ev := func(at time.Time) logtypes.InputLogEvent {
		return logtypes.InputLogEvent{Timestamp: aws.Int64(at.UnixMilli()), Message: aws.String("m")}
	}
	// Older than 14 days, then fine; fine, then more than 2 h ahead.
	put := func(evs ...logtypes.InputLogEvent) *logtypes.RejectedLogEventsInfo {
		t.Helper()
		out, err := f.logs.PutLogEvents(ctxT(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: evs})
		if err != nil {
			t.Fatal(err)
		}
		return out.RejectedLogEventsInfo
	}
	if r := put(ev(now.Add(-14*24*time.Hour-time.Minute)), ev(now.Add(-14*24*time.Hour+time.Minute))); r == nil || aws.ToInt32(r.TooOldLogEventEndIndex) != 0 || r.TooNewLogEventStartIndex != nil {
		t.Errorf("too old: rejected = %+v", r)
	}
	if r := put(ev(now.Add(time.Hour)), ev(now.Add(3*time.Hour))); r == nil || aws.ToInt32(r.TooNewLogEventStartIndex) != 1 || r.TooOldLogEventEndIndex != nil {
		t.Errorf("too new: rejected = %+v", r)
	}
	for name, evs := range map[string][]logtypes.InputLogEvent{
		"out of order": {ev(now), ev(now.Add(-time.Minute))},
		"over 24 h":    {ev(now.Add(-25 * time.Hour)), ev(now)},
		"empty":        {},
	} {
		_, err := f.logs.PutLogEvents(ctxT(t), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: evs})
		var ipe *logtypes.InvalidParameterException
		if !errors.As(err, &ipe) {
			t.Errorf("%s: %v", name, err)
		}
	}
	g, _ := f.logs.GetLogEvents(ctxT(t), &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")})
	if len(g.Events) != 2 {
		t.Errorf("stored %d events, want 2", len(g.Events))
	}
}
