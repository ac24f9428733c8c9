package awslocal

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// FilterLogEvents with the simple forms of CloudWatch Logs filter patterns:
// terms that must all appear ("ERROR Exception"), quoted phrases, ?terms of
// which one must appear, -terms that must not, and a single JSON comparison
// such as { $.Type = "Task" } or { $.CpuUtilized > 50 }.

// eventFilter decides whether a message matches a filter pattern.
type eventFilter func(msg string) bool

var jsonPatternRE = regexp.MustCompile(`^\{\s*\$\.([A-Za-z0-9_.]+)\s*(=|!=|<=|>=|<|>)\s*("(?:[^"\\]|\\.)*"|[-+0-9.eE]+|[A-Za-z0-9_*.-]+)\s*\}$`)

// parseFilterPattern compiles the supported filter pattern forms.
func parseFilterPattern(p string) (eventFilter, error) {
	p = strings.TrimSpace(p)
	if p == "" {
		return func(string) bool { return true }, nil
	}
	if strings.HasPrefix(p, "{") {
		return parseJSONPattern(p)
	}
	if strings.HasPrefix(p, "[") || strings.HasPrefix(p, "%") {
		return nil, fmt.Errorf("space-delimited and regular-expression filter patterns are not supported by awslocal")
	}
	var all, anyOf, none []string
	for p != "" {
		var term string
		prefix := byte(0)
		if p[0] == '?' || p[0] == '-' {
			prefix, p = p[0], p[1:]
		}
		if strings.HasPrefix(p, `"`) {
			end := strings.Index(p[1:], `"`)
			if end < 0 {
				return nil, fmt.Errorf("unterminated quoted term")
			}
			term, p = p[1:end+1], p[end+2:]
		} else {
			i := strings.IndexAny(p, " \t")
			if i < 0 {
				i = len(p)
			}
			term, p = p[:i], p[i:]
		}
		p = strings.TrimSpace(p)
		switch prefix {
		case '?':
			anyOf = append(anyOf, term)
		case '-':
			none = append(none, term)
		default:
			all = append(all, term)
		}
	}
	return func(msg string) bool {
		for _, t := range all {
			if !strings.Contains(msg, t) {
				return false
			}
		}
		for _, t := range none {
			if strings.Contains(msg, t) {
				return false
			}
		}
		if len(anyOf) == 0 {
			return true
		}
		for _, t := range anyOf {
			if strings.Contains(msg, t) {
				return true
			}
		}
		return false
	}, nil
}

func parseJSONPattern(p string) (eventFilter, error) {
	m := jsonPatternRE.FindStringSubmatch(p)
	if m == nil {
		return nil, fmt.Errorf("awslocal supports JSON filter patterns of one comparison, such as { $.Type = \"Task\" }")
	}
	path, op, lit := strings.Split(m[1], "."), m[2], m[3]
	quoted := strings.HasPrefix(lit, `"`)
	if quoted {
		var err error
		if lit, err = strconv.Unquote(lit); err != nil {
			return nil, fmt.Errorf("bad string %s: %w", m[3], err)
		}
	}
	num, numErr := strconv.ParseFloat(lit, 64)
	if !quoted && numErr != nil && op != "=" && op != "!=" {
		return nil, fmt.Errorf("operator %s needs a number", op)
	}
	return func(msg string) bool {
		var v any
		if json.Unmarshal([]byte(msg), &v) != nil {
			return false
		}
		for _, k := range path {
			obj, ok := v.(map[string]any)
			if !ok {
				return false
			}
			if v, ok = obj[k]; !ok {
				return false
			}
		}
		if f, ok := v.(float64); ok && numErr == nil && !quoted {
			return compareNum(op, f, num)
		}
		s, ok := v.(string)
		if !ok {
			return false
		}
		eq := s == lit
		if strings.HasSuffix(lit, "*") {
			eq = strings.HasPrefix(s, strings.TrimSuffix(lit, "*"))
		}
		switch op {
		case "=":
			return eq
		case "!=":
			return !eq
		}
		return false
	}, nil
}

func compareNum(op string, a, b float64) bool {
	switch op {
	case "=":
		return a == b
	case "!=":
		return a != b
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	}
	return false
}

type filteredEvent struct {
	LogStreamName string `json:"logStreamName"`
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
	EventID       string `json:"eventId"`
}

func (s *Server) logsFilterLogEvents(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName        string   `json:"logGroupName"`
		LogGroupIdentifier  string   `json:"logGroupIdentifier"`
		LogStreamNames      []string `json:"logStreamNames"`
		LogStreamNamePrefix string   `json:"logStreamNamePrefix"`
		StartTime           *int64   `json:"startTime"`
		EndTime             *int64   `json:"endTime"`
		FilterPattern       string   `json:"filterPattern"`
		NextToken           string   `json:"nextToken"`
		Limit               *int     `json:"limit"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	name, limit, jerr := groupAndLimit(in.LogGroupName, in.LogGroupIdentifier, in.Limit, 10000)
	if jerr != nil {
		return nil, jerr
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != "" {
		return nil, jerrf("InvalidParameterException", "You cannot specify both LogStreamNames and LogStreamNamePrefix.")
	}
	match, err := parseFilterPattern(in.FilterPattern)
	if err != nil {
		return nil, jerrf("InvalidParameterException", "Invalid filter pattern: %v", err)
	}
	_, after, jerr := eventTokenParam(in.NextToken, true) // FilterLogEvents reads forward only
	if jerr != nil {
		return nil, jerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, jerr := s.logGroupLocked(name)
	if jerr != nil {
		return nil, jerr
	}
	wanted := map[string]bool{}
	for _, n := range in.LogStreamNames {
		wanted[n] = true
	}
	type hit struct {
		stream string
		e      logEvent
	}
	var hits []hit
	win := timeWindow{in.StartTime, in.EndTime}
	for _, st := range g.streams {
		if (len(wanted) > 0 && !wanted[st.name]) || !strings.HasPrefix(st.name, in.LogStreamNamePrefix) {
			continue
		}
		for _, e := range st.events {
			if after.less(e.key()) && win.has(e.ts) && match(e.msg) {
				hits = append(hits, hit{st.name, e})
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].e.key().less(hits[j].e.key()) })
	out := struct {
		Events    []filteredEvent `json:"events"`
		NextToken string          `json:"nextToken,omitempty"`
	}{Events: []filteredEvent{}}
	if len(hits) > limit {
		hits = hits[:limit]
		out.NextToken = encodeEventToken('f', hits[limit-1].e.key())
	}
	for _, h := range hits {
		out.Events = append(out.Events, filteredEvent{LogStreamName: h.stream, Timestamp: h.e.ts, Message: h.e.msg,
			IngestionTime: h.e.ingest, EventID: strconv.FormatUint(h.e.seq, 10)})
	}
	return out, nil
}
