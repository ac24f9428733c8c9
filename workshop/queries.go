package workshop

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

// QueryOptions bound the Logs Insights step.
type QueryOptions struct {
	// Range is the time range queried, ending now (default 1 hour, the
	// console's default).
	Range time.Duration
	// Poll is the GetQueryResults interval (default 1 s).
	Poll time.Duration
	// Timeout bounds each query (default 60 s).
	Timeout time.Duration
	// Rows is how many rows to show per query (default 5).
	Rows int
}

func (o QueryOptions) withDefaults() QueryOptions {
	if o.Range <= 0 {
		o.Range = time.Hour
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.Rows <= 0 {
		o.Rows = 5
	}
	return o
}

// QueryResult is a finished Logs Insights query.
type QueryResult struct {
	Query  string
	Status string
	// Columns are the result's field names in the order of the first row,
	// without @ptr.
	Columns []string
	Rows    [][]string
}

// RunQuery runs one Logs Insights query over group for the time range
// [start, end] and polls GetQueryResults until the query completes (the
// SDK has no waiter for queries).
func RunQuery(ctx context.Context, api InsightsAPI, group, query string, start, end time.Time, o QueryOptions) (QueryResult, error) {
	o = o.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	started, err := api.StartQuery(ctx, &cloudwatchlogs.StartQueryInput{
		LogGroupName: aws.String(group), QueryString: aws.String(query),
		StartTime: aws.Int64(start.Unix()), EndTime: aws.Int64(end.Unix()),
	})
	if err != nil {
		return QueryResult{}, err
	}
	for {
		out, err := api.GetQueryResults(ctx, &cloudwatchlogs.GetQueryResultsInput{QueryId: started.QueryId})
		if err != nil {
			return QueryResult{}, err
		}
		switch out.Status {
		case logtypes.QueryStatusScheduled, logtypes.QueryStatusRunning:
		default:
			return queryResult(query, out), nil
		}
		t := time.NewTimer(o.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return QueryResult{}, fmt.Errorf("query still running after %s: %w", o.Timeout, ctx.Err())
		case <-t.C:
		}
	}
}

func queryResult(query string, out *cloudwatchlogs.GetQueryResultsOutput) QueryResult {
	r := QueryResult{Query: query, Status: string(out.Status)}
	col := map[string]int{}
	for _, row := range out.Results {
		for _, f := range row {
			name := aws.ToString(f.Field)
			if _, ok := col[name]; !ok && name != "@ptr" {
				col[name] = len(r.Columns)
				r.Columns = append(r.Columns, name)
			}
		}
	}
	for _, row := range out.Results {
		vals := make([]string, len(r.Columns))
		for _, f := range row {
			if i, ok := col[aws.ToString(f.Field)]; ok {
				vals[i] = aws.ToString(f.Value)
			}
		}
		r.Rows = append(r.Rows, vals)
	}
	return r
}

// Table renders the first n rows as the console's table does: a # column,
// then the fields.
func (r QueryResult) Table(n int) []string {
	if len(r.Rows) == 0 {
		return []string{"(no rows)"}
	}
	head := append([]string{"#"}, r.Columns...)
	rows := [][]string{head}
	for i, row := range r.Rows {
		if i == n {
			break
		}
		rows = append(rows, append([]string{fmt.Sprint(i + 1)}, row...))
	}
	width := make([]int, len(head))
	for _, row := range rows {
		for i, v := range row {
			width[i] = max(width[i], len([]rune(v)))
		}
	}
	var lines []string
	for _, row := range rows {
		var b strings.Builder
		for i, v := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(v + strings.Repeat(" ", width[i]-len([]rune(v))))
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	if len(r.Rows) > n {
		lines = append(lines, fmt.Sprintf("... %d rows in all", len(r.Rows)))
	}
	return lines
}

// CheckQueries is step 11: the chapter's two Logs Insights queries, run as
// written against the cluster's performance log group, complete with rows.
// The rows are shown as the console shows them.
//
// The chapter's second query puts `filter Type="Task"` after `stats`. On
// AWS each command works on the output of the one before, and after a stats
// command only the fields it defines may be used (Avg_Memory, Avg_CPU,
// bin(5m)), so AWS rejects the query as written (MalformedQueryException),
// or, were it accepted, it could give no rows. In either case the step says
// so and runs it with the filter first, which is what the chapter's
// screenshot shows; that form must then give rows.
func CheckQueries(ctx context.Context, api InsightsAPI, c Cluster, service, region string, now time.Time, o QueryOptions) Result {
	o = o.withDefaults()
	group := PerformanceLogGroup(c.Name)
	res := Result{Status: Pass}
	var counts []string
	for _, q := range []string{QueryTasksPerService, QueryTaskAverages} {
		qr, err := runAsWritten(ctx, api, group, q, now, o, &res)
		if apiCode(err) == "ResourceNotFoundException" {
			return Result{Status: Fail, Detail: "no log group " + group + " to query (Container Insights creates it)", Fix: noDataFix(c, service, region)}
		}
		if err != nil {
			r := failure(err, noDataFix(c, service, region)...)
			r.Detail = fmt.Sprintf("%s: %s", firstLine(q), r.Detail)
			r.Output = res.Output
			return r
		}
		switch {
		case qr.Status != string(logtypes.QueryStatusComplete):
			res.Status, res.Fix = Fail, []string{"run loadgen check again; if it persists, run the query in the console (CloudWatch > Logs Insights)"}
			counts = append(counts, fmt.Sprintf("%q ended %s", firstLine(qr.Query), qr.Status))
		case len(qr.Rows) == 0:
			if res.Status == Pass {
				res.Status, res.Fix = Fail, noDataFix(c, service, region)
			}
			counts = append(counts, "no rows")
		default:
			counts = append(counts, fmt.Sprintf("%d %s", len(qr.Rows), plural(len(qr.Rows), "row", "rows")))
		}
	}
	res.Detail = fmt.Sprintf("the chapter's two queries over %s, last %s: %s", group, minutes(o.Range), strings.Join(counts, ", "))
	return res
}

// rewritten maps a chapter query to the form that works on AWS, where the
// query as written does not.
var rewritten = map[string]string{QueryTaskAverages: queryTaskAveragesFilterFirst}

// runAsWritten runs q and adds it and its rows to res.Output. When AWS
// rejects q as malformed, or it gives no rows, and q has a rewritten form,
// it says why in res.Output and runs that form instead.
func runAsWritten(ctx context.Context, api InsightsAPI, group, q string, now time.Time, o QueryOptions, res *Result) (QueryResult, error) {
	qr, err := RunQuery(ctx, api, group, q, now.Add(-o.Range), now, o)
	alt, ok := rewritten[q]
	res.Output = append(res.Output, indentQuery(q)...)
	switch {
	case ok && apiCode(err) == "MalformedQueryException":
		res.Output = append(res.Output, fmt.Sprintf("  AWS rejects it as written (%s):", apiMessage(err)),
			"  each command works on the output of the one before, and after stats only the fields it defines exist;",
			"  with the filter first, as the chapter's screenshot shows, it gives:")
	case ok && err == nil && qr.Status == string(logtypes.QueryStatusComplete) && len(qr.Rows) == 0:
		res.Output = append(res.Output, indent(qr.Table(o.Rows), "  ")...)
		res.Output = append(res.Output, "  no rows as written: its filter runs after stats, whose rows have no Type field;",
			"  with the filter first, as the chapter's screenshot shows, it gives:")
	case err != nil:
		return qr, err
	default:
		res.Output = append(res.Output, indent(qr.Table(o.Rows), "  ")...)
		return qr, nil
	}
	res.Output = append(res.Output, indentQuery(alt)...)
	qr, err = RunQuery(ctx, api, group, alt, now.Add(-o.Range), now, o)
	if err == nil {
		res.Output = append(res.Output, indent(qr.Table(o.Rows), "  ")...)
	}
	return qr, err
}

// apiMessage returns the AWS error message of err, or its text.
func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return oneLine(err)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func indentQuery(q string) []string {
	return indent(strings.Split(q, "\n"), "> ")
}

func indent(lines []string, prefix string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = prefix + l
	}
	return out
}
