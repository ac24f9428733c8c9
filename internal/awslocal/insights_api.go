package awslocal

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"
)

// StartQuery, GetQueryResults and StopQuery: Logs Insights queries over
// the log groups. A query runs on the events present when it starts; it is
// reported Running on the first GetQueryResults and Complete (with its
// results) from the second on, so clients exercise their polling.

type insightsQuery struct {
	id      string
	status  string // Running, Complete, Cancelled
	polls   int
	started time.Time
	res     iqResult
}

// maxInsightsQueries bounds the queries kept; the oldest are forgotten first.
const maxInsightsQueries = 1000

func (s *Server) logsStartQuery(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName        string   `json:"logGroupName"`
		LogGroupNames       []string `json:"logGroupNames"`
		LogGroupIdentifiers []string `json:"logGroupIdentifiers"`
		StartTime           *int64   `json:"startTime"`
		EndTime             *int64   `json:"endTime"`
		QueryString         string   `json:"queryString"`
		QueryLanguage       string   `json:"queryLanguage"`
		Limit               *int     `json:"limit"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	limit, jerr := limitParam(in.Limit, 10000)
	if jerr != nil {
		return nil, jerr
	}
	groups, jerr := queryGroups(in.LogGroupName, in.LogGroupNames, in.LogGroupIdentifiers)
	if jerr != nil {
		return nil, jerr
	}
	switch {
	case in.StartTime == nil:
		return nil, jerrf("InvalidParameterException", "1 validation error detected: Value null at 'startTime' failed to satisfy constraint: Member must not be null")
	case in.EndTime == nil:
		return nil, jerrf("InvalidParameterException", "1 validation error detected: Value null at 'endTime' failed to satisfy constraint: Member must not be null")
	case *in.EndTime < *in.StartTime:
		return nil, jerrf("InvalidParameterException", "End time must be greater than or equal to start time.")
	case in.QueryString == "" || len(in.QueryString) > 10000:
		return nil, jerrf("InvalidParameterException", "1 validation error detected: Value at 'queryString' failed to satisfy constraint: Member must have length between 1 and 10000")
	case in.QueryLanguage != "" && in.QueryLanguage != "CWLI":
		return nil, jerrf("InvalidParameterException", "awslocal runs only the Logs Insights query language (CWLI), not %s.", in.QueryLanguage)
	}
	q, err := parseInsights(in.QueryString)
	if err != nil {
		return nil, malformedQuery(err)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	from, to := *in.StartTime*1000, (*in.EndTime+1)*1000 // the end second is included
	var events []iqEvent
	for _, name := range groups {
		g := s.logGroups[name]
		if g == nil {
			return nil, jerrf("ResourceNotFoundException", "Log group '%s' does not exist for account ID '%s'", name, accountID)
		}
		for _, st := range g.streams {
			for _, e := range st.events {
				if e.ts >= from && e.ts < to {
					events = append(events, iqEvent{group: name, stream: st.name, e: e})
				}
			}
		}
	}
	sort.Slice(events, func(i, j int) bool { return events[i].e.key().less(events[j].e.key()) })
	s.querySeq++
	iq := &insightsQuery{id: fmt.Sprintf("%08x-0000-4000-8000-%012x", now.Unix()&0xffffffff, s.querySeq), status: "Running", started: now, res: q.run(events, limit)}
	if len(s.queries) >= maxInsightsQueries {
		s.forgetOldestQueryLocked()
	}
	s.queries[iq.id] = iq
	return struct {
		QueryID string `json:"queryId"`
	}{iq.id}, nil
}

// queryGroups resolves StartQuery's three ways of naming log groups, of
// which exactly one must be used.
func queryGroups(name string, names, idents []string) ([]string, *jsonError) {
	used := 0
	for _, b := range []bool{name != "", len(names) > 0, len(idents) > 0} {
		if b {
			used++
		}
	}
	if used != 1 {
		return nil, jerrf("InvalidParameterException", "Exactly one of logGroupName, logGroupNames and logGroupIdentifiers must be given.")
	}
	switch {
	case name != "":
		return []string{name}, nil
	case len(names) > 0:
		return names, nil
	}
	out := make([]string, 0, len(idents))
	for _, id := range idents {
		n, jerr := groupRef("", id)
		if jerr != nil {
			return nil, jerr
		}
		out = append(out, n)
	}
	return out, nil
}

func malformedQuery(err error) *jsonError {
	var se *iqSyntaxError
	start, end := 0, 0
	if errors.As(err, &se) {
		start, end = se.start, se.end
	}
	return &jsonError{status: http.StatusBadRequest, typ: "MalformedQueryException", message: err.Error(),
		extra: map[string]any{"queryCompileError": map[string]any{
			"location": map[string]int{"startCharOffset": start, "endCharOffset": end},
			"message":  err.Error(),
		}}}
}

func (s *Server) forgetOldestQueryLocked() {
	var oldest *insightsQuery
	for _, q := range s.queries {
		if oldest == nil || q.started.Before(oldest.started) {
			oldest = q
		}
	}
	if oldest != nil {
		delete(s.queries, oldest.id)
	}
}

type queryStatistics struct {
	RecordsMatched float64 `json:"recordsMatched"`
	RecordsScanned float64 `json:"recordsScanned"`
	BytesScanned   float64 `json:"bytesScanned"`
}

// withQuery answers a request that names a query by its queryId
// (GetQueryResults, StopQuery): f answers for the query, under s.mu, or
// the answer is ResourceNotFoundException.
func (s *Server) withQuery(body []byte, f func(q *insightsQuery) (any, *jsonError)) (any, *jsonError) {
	var in struct {
		QueryID string `json:"queryId"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.queries[in.QueryID]
	if q == nil {
		return nil, jerrf("ResourceNotFoundException", "Query %s does not exist.", in.QueryID)
	}
	return f(q)
}

func (s *Server) logsGetQueryResults(body []byte) (any, *jsonError) {
	return s.withQuery(body, func(q *insightsQuery) (any, *jsonError) {
		q.polls++
		if q.status == "Running" && q.polls > 1 {
			q.status = "Complete"
		}
		out := struct {
			Results    [][]resultField `json:"results"`
			Statistics queryStatistics `json:"statistics"`
			Status     string          `json:"status"`
		}{Results: [][]resultField{}, Status: q.status}
		if q.status == "Complete" {
			out.Results = q.res.resultFields()
			out.Statistics = queryStatistics{float64(q.res.matched), float64(q.res.scanned), float64(q.res.bytes)}
		}
		return out, nil
	})
}

func (s *Server) logsStopQuery(body []byte) (any, *jsonError) {
	return s.withQuery(body, func(q *insightsQuery) (any, *jsonError) {
		if q.status != "Running" {
			return nil, jerrf("InvalidParameterException", "Query %s is not running (it is %s).", q.id, q.status)
		}
		q.status = "Cancelled"
		return struct {
			Success bool `json:"success"`
		}{true}, nil
	})
}
