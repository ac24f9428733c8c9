package awslocal

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// The chapter's two Logs Insights queries, as written.
const (
	chapterQueryTasks = `stats count_distinct(TaskId) as Number_of_Tasks by ServiceName`
	chapterQueryCPU   = "stats avg(MemoryUtilized) as Avg_Memory, avg(CpuUtilized) as Avg_CPU by bin(5m)\n| filter Type=\"Task\""
)

// ciEvent is a Container Insights performance log event of type typ.
func ciEvent(typ, service, task string, cpu, mem float64, at time.Time) LogEvent {
	m := map[string]any{"Version": "0", "Type": typ, "ClusterName": "container-demo", "Timestamp": at.UnixMilli(),
		"CpuUtilized": cpu, "CpuReserved": 256.0, "MemoryUtilized": mem, "MemoryReserved": 512}
	if service != "" {
		m["ServiceName"] = service
	}
	if task != "" {
		m["TaskId"] = task
		m["TaskDefinitionFamily"] = service
	}
	b, _ := json.Marshal(m)
	return LogEvent{Time: at, Message: string(b)}
}

// seedPerformance fills the performance log group: for each of 12 minutes,
// one Task event per task (frontend 3, nodejs 3, crystal 2 tasks), one
// Service event per service and one Cluster event.
func seedPerformance(t *testing.T, s *Server) {
	t.Helper()
	if err := s.CreateLogGroup(perfGroup); err != nil {
		t.Fatal(err)
	}
	tasks := map[string]int{"ecsdemo-frontend": 3, "ecsdemo-nodejs": 3, "ecsdemo-crystal": 2}
	for minute := range 12 {
		at := t0.Add(time.Duration(minute) * time.Minute)
		var evs []LogEvent
		for svc, n := range tasks {
			for i := range n {
				cpu := float64(10 * (i + 1))
				if minute >= 5 && svc == "ecsdemo-frontend" {
					cpu += 100
				}
				evs = append(evs, ciEvent("Task", svc, fmt.Sprintf("%s-task-%d", svc, i), cpu, 100, at))
			}
			evs = append(evs, ciEvent("Service", svc, "", 999, 999, at))
		}
		evs = append(evs, ciEvent("Cluster", "", "", 999, 999, at))
		if err := s.PutLogEvents(perfGroup, "FargateTelemetry-"+fmt.Sprint(minute%2), evs...); err != nil {
			t.Fatal(err)
		}
	}
}

// runQuery runs a query through the SDK, polling until it completes, and
// returns its rows as "field=value" lists.
func runQuery(t *testing.T, f *fixture, query string) ([]string, *logtypes.QueryStatistics, error) {
	t.Helper()
	st, err := f.logs.StartQuery(ctxT(t), &cloudwatchlogs.StartQueryInput{
		LogGroupName: aws.String(perfGroup), QueryString: aws.String(query),
		StartTime: aws.Int64(t0.Add(-time.Hour).Unix()), EndTime: aws.Int64(t0.Add(time.Hour).Unix()),
	})
	if err != nil {
		return nil, nil, err
	}
	var statuses []string
	for range 5 {
		out, err := f.logs.GetQueryResults(ctxT(t), &cloudwatchlogs.GetQueryResultsInput{QueryId: st.QueryId})
		if err != nil {
			t.Fatalf("GetQueryResults: %v", err)
		}
		statuses = append(statuses, string(out.Status))
		if out.Status != logtypes.QueryStatusComplete {
			continue
		}
		if strings.Join(statuses, ",") != "Running,Complete" {
			t.Errorf("statuses %v", statuses)
		}
		var rows []string
		for _, r := range out.Results {
			var cells []string
			for _, c := range r {
				if aws.ToString(c.Field) != "@ptr" {
					cells = append(cells, aws.ToString(c.Field)+"="+aws.ToString(c.Value))
				}
			}
			rows = append(rows, strings.Join(cells, " "))
		}
		return rows, out.Statistics, nil
	}
	t.Fatalf("query never completed: %v", statuses)
	return nil, nil, nil
}

func TestChapterQueries(t *testing.T) {
	f := newFixture(t, Options{})
	seedPerformance(t, f.srv)

	rows, stats, err := runQuery(t, f, chapterQueryTasks)
	if err != nil {
		t.Fatalf("tasks query: %v", err)
	}
	want := "ServiceName=ecsdemo-crystal Number_of_Tasks=2|ServiceName=ecsdemo-frontend Number_of_Tasks=3|ServiceName=ecsdemo-nodejs Number_of_Tasks=3"
	if got := strings.Join(rows, "|"); got != want {
		t.Errorf("tasks query:\n got %s\nwant %s", got, want)
	}
	if stats.RecordsScanned != 12*12 || stats.RecordsMatched != 12*12 {
		t.Errorf("statistics %+v", stats)
	}

	// As written, the CPU query filters on Type after stats, where only
	// the fields stats defines exist: AWS's documented rule makes it
	// malformed. With the filter first it runs.
	_, _, err = runQuery(t, f, chapterQueryCPU)
	var mq *logtypes.MalformedQueryException
	if !errors.As(err, &mq) || !strings.Contains(mq.ErrorMessage(), "field Type is not defined after stats") ||
		mq.QueryCompileError == nil || mq.QueryCompileError.Location == nil {
		t.Fatalf("CPU query as written: %v (%T)", err, err)
	}
	rows, _, err = runQuery(t, f, "filter Type=\"Task\"\n| stats avg(MemoryUtilized) as Avg_Memory, avg(CpuUtilized) as Avg_CPU by bin(5m)")
	if err != nil {
		t.Fatal(err)
	}
	// Minutes 10-11, 5-9 (frontend +100 on 3 of 8 tasks), 0-4; newest first.
	want = "bin(5m)=2026-11-25 11:00:00.000 Avg_Memory=100 Avg_CPU=56.25|" +
		"bin(5m)=2026-11-25 10:55:00.000 Avg_Memory=100 Avg_CPU=56.25|" +
		"bin(5m)=2026-11-25 10:50:00.000 Avg_Memory=100 Avg_CPU=18.75"
	if got := strings.Join(rows, "|"); got != want {
		t.Errorf("CPU query:\n got %s\nwant %s", got, want)
	}
}

// insightsRows runs a query directly on events and renders its rows.
func insightsRows(t *testing.T, query string, evs []iqEvent) string {
	t.Helper()
	q, err := parseInsights(query)
	if err != nil {
		t.Fatalf("%q: %v", query, err)
	}
	var rows []string
	for _, r := range q.run(evs, 10000).resultFields() {
		var cells []string
		for _, c := range r {
			if c.Field != "@ptr" {
				cells = append(cells, c.Field+"="+c.Value)
			}
		}
		rows = append(rows, strings.Join(cells, " "))
	}
	return strings.Join(rows, "|")
}

func TestInsightsLanguage(t *testing.T) {
	var evs []iqEvent
	for i, m := range []string{
		`{"svc":"a","ms":10,"code":200,"nested":{"k":"x"}}`,
		`{"svc":"a","ms":30,"code":500}`,
		`{"svc":"b","ms":20,"code":200,"list":[1,2]}`,
		`plain text line with ERROR inside`,
	} {
		evs = append(evs, iqEvent{group: "g", stream: "s", e: logEvent{ts: t0.Add(time.Duration(i) * time.Second).UnixMilli(), seq: uint64(i + 1), msg: m}})
	}
	for _, tc := range []struct{ query, want string }{
		{"stats count(*) as n, count(code), sum(ms), min(ms) as lo, max(ms) as hi, avg(ms) by svc",
			"svc=a n=2 count(code)=2 sum(ms)=40 lo=10 hi=30 avg(ms)=20|svc=b n=1 count(code)=1 sum(ms)=20 lo=20 hi=20 avg(ms)=20"},
		{"filter code != 200 | fields svc, ms * 2 as double", "svc=a double=60"},
		{"filter code >= 200 and not (svc = 'b') | sort ms desc | fields ms", "ms=30|ms=10"},
		{"filter @message like /ERROR/ | fields @message", "@message=plain text line with ERROR inside"},
		{"filter @message like '\"svc\":\"b\"' or nested.k = \"x\" | sort ms | display ms, svc", "ms=10 svc=a|ms=20 svc=b"},
		{"filter ispresent(list.1) | fields list.1", "list.1=2"},
		{"fields svc | filter svc not like /a/ | limit 5", "svc=b"},
		{"sort @timestamp asc | limit 1 | fields @timestamp", "@timestamp=2026-11-25 10:50:00.000"},
		{"stats count() as n by bin(1s) | sort n desc | limit 1", "bin(1s)=2026-11-25 10:50:03.000 n=1"},
		{"STATS sum(ms) AS total BY svc | STATS max(total) AS top", "top=40"},
		{"stats count(*) as n by svc | filter n > 1", "svc=a n=2"},
		{"# a comment\nfilter svc = \"a\" # another\n| stats count(*)", "count(*)=2"},
		{"filter `svc` = 'zzz'", ""},
	} {
		if got := insightsRows(t, tc.query, evs); got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.query, got, tc.want)
		}
	}
	// Without fields, rows are the default fields, newest first.
	if got := insightsRows(t, "filter svc = 'b'", evs); got != `@timestamp=2026-11-25 10:50:02.000 @message={"svc":"b","ms":20,"code":200,"list":[1,2]} @logStream=s @log=000000000000:g` {
		t.Errorf("default fields: %s", got)
	}
}

func TestInsightsMalformed(t *testing.T) {
	for query, want := range map[string]string{
		"":                                   "expected a command",
		"parse @message 'a*' as x":           "does not support the parse command",
		"stats avg(ms) by svc | filter code": "field code is not defined after stats",
		"stats count(*) by svc | sort ms":    "field ms is not defined after stats",
		"stats count(*) as n | stats sum(n) as n | stats sum(n)": "at most two stats",
		"stats count(*) as n by svc | limit 1 | stats sum(n)":    "sort and limit must come after the second stats",
		"stats count(*) as n by svc | stats sum(n) by bin(5m)":   "bin() in a second stats",
		"stats avg()":                "avg needs a field",
		"stats sum(x)/count(*)":      "arithmetic on aggregates",
		"stats pct(x, 95)":           "expected an aggregation function",
		"stats count(*) by bin(1mo)": "unit",
		"filter x like 5":            "like takes",
		"filter x like /(/":          "bad regular expression",
		"filter strlen(x) > 1":       "does not support the function strlen",
		"filter x = 'unterminated":   "unterminated string",
		"limit 0":                    "limit takes",
		"fields a b":                 "unexpected",
		"filter (a = 1":              "expected \")\"",
		"filter a ~ 1":               "unexpected character",
	} {
		_, err := parseInsights(query)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", query, err, want)
		}
	}
}

func TestStartQueryErrors(t *testing.T) {
	f := newFixture(t, Options{})
	seedPerformance(t, f.srv)
	start, end := aws.Int64(t0.Unix()), aws.Int64(t0.Add(time.Hour).Unix())
	_, err := f.logs.StartQuery(ctxT(t), &cloudwatchlogs.StartQueryInput{LogGroupName: aws.String("/nope"), QueryString: aws.String("fields @message"), StartTime: start, EndTime: end})
	var rnf *logtypes.ResourceNotFoundException
	if !errors.As(err, &rnf) {
		t.Errorf("missing group: %v", err)
	}
	_, err = f.logs.StartQuery(ctxT(t), &cloudwatchlogs.StartQueryInput{LogGroupName: aws.String(perfGroup), QueryString: aws.String("fields @message"), StartTime: end, EndTime: start})
	var ipe *logtypes.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Errorf("end before start: %v", err)
	}
	st, err := f.logs.StartQuery(ctxT(t), &cloudwatchlogs.StartQueryInput{LogGroupIdentifiers: []string{"arn:aws:logs:us-east-1:000000000000:log-group:" + perfGroup + ":*"},
		QueryString: aws.String("fields @message | limit 3"), StartTime: start, EndTime: end})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.logs.StopQuery(ctxT(t), &cloudwatchlogs.StopQueryInput{QueryId: st.QueryId}); err != nil {
		t.Fatalf("StopQuery: %v", err)
	}
	out, err := f.logs.GetQueryResults(ctxT(t), &cloudwatchlogs.GetQueryResultsInput{QueryId: st.QueryId})
	if err != nil || out.Status != logtypes.QueryStatusCancelled {
		t.Errorf("after StopQuery: %+v %v", out, err)
	}
	if _, err := f.logs.StopQuery(ctxT(t), &cloudwatchlogs.StopQueryInput{QueryId: st.QueryId}); !errors.As(err, &ipe) {
		t.Errorf("StopQuery twice: %v", err)
	}
	if _, err := f.logs.GetQueryResults(ctxT(t), &cloudwatchlogs.GetQueryResultsInput{QueryId: aws.String("nope")}); !errors.As(err, &rnf) {
		t.Errorf("unknown query: %v", err)
	}
}

// FuzzInsightsQuery parses and runs arbitrary queries over a few events:
// no panics; a query either fails to parse with a located error or runs.
func FuzzInsightsQuery(f *testing.F) {
	for _, q := range []string{
		chapterQueryTasks, chapterQueryCPU,
		"filter Type=\"Task\" | stats avg(MemoryUtilized) as Avg_Memory, avg(CpuUtilized) as Avg_CPU by bin(5m)",
		"fields @timestamp, @message | sort @timestamp desc | limit 20",
		"filter @message like /(?i)error/ or x.y != 3 and not ispresent(z) | fields a + b * -c / 2 % 3 as v",
		"stats count(*) as n by svc | stats max(n) as m | sort m", "display `odd name`, @log",
		"filter a =~ /[/", "stats count(*) by bin(0m)", "limit 99999", "|||", "'", "/", "`",
	} {
		f.Add(q)
	}
	evs := []iqEvent{
		{group: "g", stream: "s", e: logEvent{ts: t0.UnixMilli(), seq: 1, msg: `{"Type":"Task","TaskId":"t1","ServiceName":"a","CpuUtilized":1.5,"MemoryUtilized":10,"x":{"y":3}}`}},
		{group: "g", stream: "s", e: logEvent{ts: t0.Add(time.Minute).UnixMilli(), seq: 2, msg: `{"Type":"Service","ServiceName":"a","a":1,"b":"2","c":null,"z":[true,{"w":1}]}`}},
		{group: "g", stream: "s", e: logEvent{ts: t0.Add(-time.Minute).UnixMilli(), seq: 3, msg: `not json {`}},
	}
	f.Fuzz(func(t *testing.T, query string) {
		q, err := parseInsights(query)
		if err != nil {
			var se *iqSyntaxError
			if !errors.As(err, &se) || se.start < 0 || se.end < se.start || se.end > len(query) {
				t.Fatalf("%q: error %v without a location inside the query", query, err)
			}
			return
		}
		res := q.run(evs, 100)
		if len(res.rows) > 100 {
			t.Fatalf("%q: %d rows over the limit", query, len(res.rows))
		}
		for _, r := range res.resultFields() {
			for _, c := range r {
				if c.Field == "" {
					t.Fatalf("%q: a result without a field name", query)
				}
			}
		}
	})
}
