package awslocal

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CloudWatch Logs over awsJson1_1: log groups, log streams and their
// events. Logs Insights queries are in insights*.go.

// LogEvent is one log event to seed.
type LogEvent struct {
	Time    time.Time
	Message string
}

type logGroup struct {
	name      string
	created   time.Time
	retention int // days; 0 = never expire
	streams   map[string]*logStream
}

// streamLocked returns the stream named name, creating it (at now) on
// first use, as PutLogEvents and the awslogs driver do. s.mu is held.
func (g *logGroup) streamLocked(name string, now time.Time) *logStream {
	st := g.streams[name]
	if st == nil {
		st = &logStream{name: name, created: now.UTC()}
		g.streams[name] = st
	}
	return st
}

type logStream struct {
	name       string
	created    time.Time
	events     []logEvent // sorted by key
	lastIngest int64      // ms
	bytes      int64
}

// logEvent is a stored event; (ts, seq) is its key, unique and ordered.
type logEvent struct {
	ts     int64 // ms
	seq    uint64
	ingest int64 // ms
	msg    string
}

// eventKey orders events within a stream: by timestamp, then arrival.
type eventKey struct {
	ts  int64
	seq uint64
}

func (e logEvent) key() eventKey { return eventKey{e.ts, e.seq} }

func (k eventKey) less(o eventKey) bool {
	return k.ts < o.ts || (k.ts == o.ts && k.seq < o.seq)
}

// Bounds on what awslocal keeps: events per stream (the oldest go first),
// log groups, streams per group.
const (
	maxStreamEvents = 50000
	maxLogGroups    = 10000
	maxLogStreams   = 10000
)

var (
	logGroupNameRule  = newName(`^[.\-_/#A-Za-z0-9]+$`, 512)
	logStreamNameRule = newName(`^[^:*]+$`, 512)
)

// CreateLogGroup seeds an empty log group; it fails if the name is invalid
// or taken.
func (s *Server) CreateLogGroup(name string) error {
	if !logGroupNameRule.ok(name) {
		return fmt.Errorf("awslocal: log group name %q is invalid", name)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logGroups[name] != nil {
		return fmt.Errorf("awslocal: log group %q already exists", name)
	}
	s.logGroups[name] = &logGroup{name: name, created: now.UTC(), streams: map[string]*logStream{}}
	return nil
}

// DeleteLogGroup removes a log group and its events; it reports whether it
// existed.
func (s *Server) DeleteLogGroup(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.logGroups[name]
	delete(s.logGroups, name)
	return ok
}

// PutLogEvents seeds events into a stream of an existing log group,
// creating the stream if needed. Unlike the API it takes events in any order
// and of any age.
func (s *Server) PutLogEvents(group, stream string, events ...LogEvent) error {
	if !logStreamNameRule.ok(stream) {
		return fmt.Errorf("awslocal: log stream name %q is invalid", stream)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.logGroups[group]
	if g == nil {
		return fmt.Errorf("awslocal: log group %q does not exist", group)
	}
	st := g.streamLocked(stream, now)
	for _, e := range events {
		s.appendEventLocked(st, e.Time.UnixMilli(), e.Message, now.UnixMilli())
	}
	return nil
}

// appendEventLocked stores one event in key order, dropping the oldest
// event when the stream is full.
func (s *Server) appendEventLocked(st *logStream, ts int64, msg string, ingest int64) {
	s.logSeq++
	e := logEvent{ts: ts, seq: s.logSeq, ingest: ingest, msg: msg}
	i := len(st.events)
	if i > 0 && e.key().less(st.events[i-1].key()) {
		i = sort.Search(len(st.events), func(j int) bool { return e.key().less(st.events[j].key()) })
	}
	st.events = append(st.events, logEvent{})
	copy(st.events[i+1:], st.events[i:])
	st.events[i] = e
	if len(st.events) > maxStreamEvents {
		st.bytes -= int64(len(st.events[0].msg))
		st.events = append(st.events[:0], st.events[1:]...)
	}
	st.bytes += int64(len(msg))
	st.lastIngest = ingest
}

var logsOps = map[string]jsonHandler{
	"CreateLogGroup":     (*Server).logsCreateLogGroup,
	"DeleteLogGroup":     (*Server).logsDeleteLogGroup,
	"DescribeLogGroups":  (*Server).logsDescribeLogGroups,
	"PutRetentionPolicy": (*Server).logsPutRetentionPolicy,
	"CreateLogStream":    (*Server).logsCreateLogStream,
	"DeleteLogStream":    (*Server).logsDeleteLogStream,
	"DescribeLogStreams": (*Server).logsDescribeLogStreams,
	"PutLogEvents":       (*Server).logsPutLogEvents,
	"GetLogEvents":       (*Server).logsGetLogEvents,
	"FilterLogEvents":    (*Server).logsFilterLogEvents,
	"StartQuery":         (*Server).logsStartQuery,
	"GetQueryResults":    (*Server).logsGetQueryResults,
	"StopQuery":          (*Server).logsStopQuery,
}

func errNoLogGroup() *jsonError {
	return jerrf("ResourceNotFoundException", "The specified log group does not exist.")
}

func errNoLogStream() *jsonError {
	return jerrf("ResourceNotFoundException", "The specified log stream does not exist.")
}

func errBadNextToken() *jsonError {
	return jerrf("InvalidParameterException", "The specified nextToken is invalid.")
}

// logGroupLocked finds a log group or answers ResourceNotFoundException.
// s.mu is held.
func (s *Server) logGroupLocked(name string) (*logGroup, *jsonError) {
	g := s.logGroups[name]
	if g == nil {
		return nil, errNoLogGroup()
	}
	return g, nil
}

// logStreamLocked finds a log stream and its group or answers
// ResourceNotFoundException for the one missing. s.mu is held.
func (s *Server) logStreamLocked(group, stream string) (*logGroup, *logStream, *jsonError) {
	g, jerr := s.logGroupLocked(group)
	if jerr != nil {
		return nil, nil, jerr
	}
	st := g.streams[stream]
	if st == nil {
		return nil, nil, errNoLogStream()
	}
	return g, st, nil
}

// groupAndLimit reads what the calls on one log group's events take: the
// limit (1..hi, hi when absent), then the group by logGroupName or
// logGroupIdentifier (see groupRef).
func groupAndLimit(name, ident string, n *int, hi int) (string, int, *jsonError) {
	limit, jerr := limitParam(n, hi)
	if jerr != nil {
		return "", 0, jerr
	}
	group, jerr := groupRef(name, ident)
	if jerr != nil {
		return "", 0, jerr
	}
	return group, limit, nil
}

// groupRef resolves a logGroupName or logGroupIdentifier (a name or an ARN).
func groupRef(name, ident string) (string, *jsonError) {
	if name != "" && ident != "" {
		return "", jerrf("InvalidParameterException", "LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	}
	if ident != "" {
		if _, rest, ok := strings.Cut(ident, ":log-group:"); ok && strings.HasPrefix(ident, "arn:") {
			return strings.TrimSuffix(rest, ":*"), nil
		}
		return ident, nil
	}
	if name == "" {
		return "", jerrf("InvalidParameterException", "Either logGroupName or logGroupIdentifier is required.")
	}
	return name, nil
}

func (s *Server) logGroupARN(name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", s.region, accountID, name)
}

func (s *Server) logsCreateLogGroup(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if !logGroupNameRule.ok(in.LogGroupName) {
		return nil, jerrf("InvalidParameterException", "1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", in.LogGroupName)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logGroups[in.LogGroupName] != nil {
		return nil, jerrf("ResourceAlreadyExistsException", "The specified log group already exists")
	}
	if len(s.logGroups) >= maxLogGroups {
		return nil, jerrf("LimitExceededException", "Resource limit exceeded: awslocal holds at most %d log groups.", maxLogGroups)
	}
	s.logGroups[in.LogGroupName] = &logGroup{name: in.LogGroupName, created: now.UTC(), streams: map[string]*logStream{}}
	return nil, nil
}

func (s *Server) logsDeleteLogGroup(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, jerr := s.logGroupLocked(in.LogGroupName); jerr != nil {
		return nil, jerr
	}
	delete(s.logGroups, in.LogGroupName)
	return nil, nil
}

var retentionDays = map[int]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true,
	180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true, 2557: true, 2922: true, 3288: true, 3653: true}

func (s *Server) logsPutRetentionPolicy(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName    string `json:"logGroupName"`
		RetentionInDays int    `json:"retentionInDays"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if !retentionDays[in.RetentionInDays] {
		return nil, jerrf("InvalidParameterException", "1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]", in.RetentionInDays)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, jerr := s.logGroupLocked(in.LogGroupName)
	if jerr != nil {
		return nil, jerr
	}
	g.retention = in.RetentionInDays
	return nil, nil
}

type logGroupJSON struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   int    `json:"retentionInDays,omitempty"`
	MetricFilterCount int    `json:"metricFilterCount"`
	Arn               string `json:"arn"`
	LogGroupArn       string `json:"logGroupArn"`
	StoredBytes       int64  `json:"storedBytes"`
	LogGroupClass     string `json:"logGroupClass"`
}

// limitParam validates an optional limit in [1, hi], defaulting to hi.
func limitParam(n *int, hi int) (int, *jsonError) {
	if n == nil {
		return hi, nil
	}
	if *n < 1 || *n > hi {
		return 0, jerrf("InvalidParameterException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and %d", *n, hi)
	}
	return *n, nil
}

func (s *Server) logsDescribeLogGroups(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupNamePrefix  string `json:"logGroupNamePrefix"`
		LogGroupNamePattern string `json:"logGroupNamePattern"`
		NextToken           string `json:"nextToken"`
		Limit               *int   `json:"limit"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	limit, jerr := limitParam(in.Limit, 50)
	if jerr != nil {
		return nil, jerr
	}
	if in.LogGroupNamePrefix != "" && in.LogGroupNamePattern != "" {
		return nil, jerrf("InvalidParameterException", "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	pattern := strings.ToLower(in.LogGroupNamePattern)
	for n := range s.logGroups {
		if strings.HasPrefix(n, in.LogGroupNamePrefix) && strings.Contains(strings.ToLower(n), pattern) {
			names = append(names, n)
		}
	}
	sel, next, jerr := page(names, "loggroups", in.NextToken, limit)
	if jerr != nil {
		return nil, jerr
	}
	out := struct {
		LogGroups []logGroupJSON `json:"logGroups"`
		NextToken string         `json:"nextToken,omitempty"`
	}{LogGroups: []logGroupJSON{}, NextToken: next}
	for _, n := range sel {
		g := s.logGroups[n]
		var stored int64
		for _, st := range g.streams {
			stored += st.bytes
		}
		arn := s.logGroupARN(n)
		out.LogGroups = append(out.LogGroups, logGroupJSON{LogGroupName: n, CreationTime: g.created.UnixMilli(), RetentionInDays: g.retention,
			Arn: arn + ":*", LogGroupArn: arn, StoredBytes: stored, LogGroupClass: "STANDARD"})
	}
	return out, nil
}

func (s *Server) logsCreateLogStream(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if !logStreamNameRule.ok(in.LogStreamName) {
		return nil, jerrf("InvalidParameterException", "1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", in.LogStreamName)
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, jerr := s.logGroupLocked(in.LogGroupName)
	if jerr != nil {
		return nil, jerr
	}
	if g.streams[in.LogStreamName] != nil {
		return nil, jerrf("ResourceAlreadyExistsException", "The specified log stream already exists")
	}
	if len(g.streams) >= maxLogStreams {
		return nil, jerrf("LimitExceededException", "Resource limit exceeded: awslocal holds at most %d streams per log group.", maxLogStreams)
	}
	g.streams[in.LogStreamName] = &logStream{name: in.LogStreamName, created: now.UTC()}
	return nil, nil
}

func (s *Server) logsDeleteLogStream(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName  string `json:"logGroupName"`
		LogStreamName string `json:"logStreamName"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, _, jerr := s.logStreamLocked(in.LogGroupName, in.LogStreamName)
	if jerr != nil {
		return nil, jerr
	}
	delete(g.streams, in.LogStreamName)
	return nil, nil
}

type logStreamJSON struct {
	LogStreamName       string `json:"logStreamName"`
	CreationTime        int64  `json:"creationTime"`
	FirstEventTimestamp *int64 `json:"firstEventTimestamp,omitempty"`
	LastEventTimestamp  *int64 `json:"lastEventTimestamp,omitempty"`
	LastIngestionTime   *int64 `json:"lastIngestionTime,omitempty"`
	UploadSequenceToken string `json:"uploadSequenceToken"`
	Arn                 string `json:"arn"`
	StoredBytes         int64  `json:"storedBytes"`
}

func (s *Server) streamJSON(g *logGroup, st *logStream) logStreamJSON {
	out := logStreamJSON{LogStreamName: st.name, CreationTime: st.created.UnixMilli(),
		UploadSequenceToken: strconv.FormatUint(uint64(len(st.events))+1, 10),
		Arn:                 s.logGroupARN(g.name) + ":log-stream:" + st.name}
	if n := len(st.events); n > 0 {
		first, last, ingest := st.events[0].ts, st.events[n-1].ts, st.lastIngest
		out.FirstEventTimestamp, out.LastEventTimestamp, out.LastIngestionTime = &first, &last, &ingest
	}
	return out
}

func (s *Server) logsDescribeLogStreams(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName        string `json:"logGroupName"`
		LogGroupIdentifier  string `json:"logGroupIdentifier"`
		LogStreamNamePrefix string `json:"logStreamNamePrefix"`
		OrderBy             string `json:"orderBy"`
		Descending          bool   `json:"descending"`
		NextToken           string `json:"nextToken"`
		Limit               *int   `json:"limit"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	name, limit, jerr := groupAndLimit(in.LogGroupName, in.LogGroupIdentifier, in.Limit, 50)
	if jerr != nil {
		return nil, jerr
	}
	switch {
	case in.OrderBy != "" && in.OrderBy != "LogStreamName" && in.OrderBy != "LastEventTime":
		return nil, jerrf("InvalidParameterException", "1 validation error detected: Value '%s' at 'orderBy' failed to satisfy constraint: Member must satisfy enum value set: [LogStreamName, LastEventTime]", in.OrderBy)
	case in.OrderBy == "LastEventTime" && in.LogStreamNamePrefix != "":
		return nil, jerrf("InvalidParameterException", "Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	offset := 0
	if in.NextToken != "" {
		v, ok := decodeToken("streams", in.NextToken)
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return nil, errBadNextToken()
		}
		offset = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, jerr := s.logGroupLocked(name)
	if jerr != nil {
		return nil, jerr
	}
	var sts []*logStream
	for _, st := range g.streams {
		if strings.HasPrefix(st.name, in.LogStreamNamePrefix) {
			sts = append(sts, st)
		}
	}
	byTime := in.OrderBy == "LastEventTime"
	sort.Slice(sts, func(i, j int) bool {
		a, b := sts[i], sts[j]
		if in.Descending {
			a, b = b, a
		}
		if byTime && lastTS(a) != lastTS(b) {
			return lastTS(a) < lastTS(b)
		}
		return a.name < b.name
	})
	out := struct {
		LogStreams []logStreamJSON `json:"logStreams"`
		NextToken  string          `json:"nextToken,omitempty"`
	}{LogStreams: []logStreamJSON{}}
	sts = sts[min(offset, len(sts)):]
	if len(sts) > limit {
		sts = sts[:limit]
		out.NextToken = encodeToken("streams", strconv.Itoa(offset+limit))
	}
	for _, st := range sts {
		out.LogStreams = append(out.LogStreams, s.streamJSON(g, st))
	}
	return out, nil
}

func lastTS(st *logStream) int64 {
	if len(st.events) == 0 {
		return math.MinInt64
	}
	return st.events[len(st.events)-1].ts
}

// Time bounds of PutLogEvents, as on AWS.
const (
	maxEventAge    = 14 * 24 * time.Hour
	maxEventFuture = 2 * time.Hour
	maxBatchSpan   = 24 * time.Hour
	maxBatchBytes  = 1048576
	eventOverhead  = 26 // bytes counted per event against maxBatchBytes
)

type inputLogEvent struct {
	Timestamp *int64 `json:"timestamp"`
	Message   string `json:"message"`
}

type rejectedInfo struct {
	TooNewLogEventStartIndex *int `json:"tooNewLogEventStartIndex,omitempty"`
	TooOldLogEventEndIndex   *int `json:"tooOldLogEventEndIndex,omitempty"`
	ExpiredLogEventEndIndex  *int `json:"expiredLogEventEndIndex,omitempty"`
}

// checkBatch validates a PutLogEvents batch as AWS does.
func checkBatch(events []inputLogEvent) *jsonError {
	if len(events) < 1 || len(events) > 10000 {
		return jerrf("InvalidParameterException", "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length between 1 and 10000")
	}
	size := 0
	for i, e := range events {
		if e.Timestamp == nil {
			return jerrf("InvalidParameterException", "1 validation error detected: Value null at 'logEvents.%d.member.timestamp' failed to satisfy constraint: Member must not be null", i+1)
		}
		if e.Message == "" {
			return jerrf("InvalidParameterException", "1 validation error detected: Value '' at 'logEvents.%d.member.message' failed to satisfy constraint: Member must have length greater than or equal to 1", i+1)
		}
		if i > 0 && *e.Timestamp < *events[i-1].Timestamp {
			return jerrf("InvalidParameterException", "Log events in a single PutLogEvents request must be in chronological order.")
		}
		size += len(e.Message) + eventOverhead
	}
	if size > maxBatchBytes {
		return jerrf("InvalidParameterException", "Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	if time.Duration(*events[len(events)-1].Timestamp-*events[0].Timestamp)*time.Millisecond > maxBatchSpan {
		return jerrf("InvalidParameterException", "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	return nil
}

func (s *Server) logsPutLogEvents(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName  string          `json:"logGroupName"`
		LogStreamName string          `json:"logStreamName"`
		LogEvents     []inputLogEvent `json:"logEvents"`
		SequenceToken string          `json:"sequenceToken"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	if jerr := checkBatch(in.LogEvents); jerr != nil {
		return nil, jerr
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g, st, jerr := s.logStreamLocked(in.LogGroupName, in.LogStreamName)
	if jerr != nil {
		return nil, jerr
	}
	oldest := now.Add(-maxEventAge).UnixMilli()
	if g.retention > 0 {
		oldest = max(oldest, now.Add(-time.Duration(g.retention)*24*time.Hour).UnixMilli())
	}
	newest := now.Add(maxEventFuture).UnixMilli()
	var rej rejectedInfo
	for i, e := range in.LogEvents {
		switch ts := *e.Timestamp; {
		case ts < oldest:
			idx := i
			rej.TooOldLogEventEndIndex = &idx
		case ts > newest:
			if rej.TooNewLogEventStartIndex == nil {
				idx := i
				rej.TooNewLogEventStartIndex = &idx
			}
		default:
			s.appendEventLocked(st, ts, e.Message, now.UnixMilli())
		}
	}
	out := struct {
		NextSequenceToken     string        `json:"nextSequenceToken"`
		RejectedLogEventsInfo *rejectedInfo `json:"rejectedLogEventsInfo,omitempty"`
	}{NextSequenceToken: strconv.FormatUint(uint64(len(st.events))+1, 10)}
	if rej != (rejectedInfo{}) {
		out.RejectedLogEventsInfo = &rej
	}
	return out, nil
}

// timeWindow is an optional [start, end) window in epoch milliseconds.
type timeWindow struct{ start, end *int64 }

func (w timeWindow) has(ts int64) bool {
	return (w.start == nil || ts >= *w.start) && (w.end == nil || ts < *w.end)
}

// Event tokens are "f/<40 digits>/s" (read forward from after a key) and
// "b/<40 digits>/s" (read backward from before a key), shaped like AWS's.
// The timestamp is stored with its sign bit flipped, so tokens of negative
// times still order before positive ones.
func encodeEventToken(dir byte, k eventKey) string {
	return fmt.Sprintf("%c/%020d%020d/s", dir, uint64(k.ts)^(1<<63), k.seq)
}

// Keys before and after every event.
var (
	firstKey = eventKey{math.MinInt64, 0}
	lastKey  = eventKey{math.MaxInt64, math.MaxUint64}
)

// eventTokenParam reads a request's nextToken of events: its direction
// and key, or, when there is none, forward and firstKey.
func eventTokenParam(tok string, forward bool) (bool, eventKey, *jsonError) {
	if tok == "" {
		return forward, firstKey, nil
	}
	dir, k, ok := decodeEventToken(tok)
	if !ok {
		return false, eventKey{}, errBadNextToken()
	}
	return dir == 'f', k, nil
}

func decodeEventToken(tok string) (byte, eventKey, bool) {
	if len(tok) != 44 || (tok[0] != 'f' && tok[0] != 'b') || tok[1] != '/' || tok[42:] != "/s" {
		return 0, eventKey{}, false
	}
	ts, err1 := strconv.ParseUint(tok[2:22], 10, 64)
	seq, err2 := strconv.ParseUint(tok[22:42], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, eventKey{}, false
	}
	return tok[0], eventKey{int64(ts ^ (1 << 63)), seq}, true
}

// before returns the greatest key less than k (firstKey for firstKey).
func (k eventKey) before() eventKey {
	if k == firstKey {
		return k
	}
	if k.seq > 0 {
		return eventKey{k.ts, k.seq - 1}
	}
	return eventKey{k.ts - 1, math.MaxUint64}
}

type outputLogEvent struct {
	Timestamp     int64  `json:"timestamp"`
	Message       string `json:"message"`
	IngestionTime int64  `json:"ingestionTime"`
}

// readEvents pages through a stream's events in win: forward from after
// key (oldest first) or backward from before it (the newest before it,
// still returned oldest first). It returns the next forward and backward
// tokens; reading forward past the end returns the same forward token, so
// a poller repeats it until new events arrive.
func readEvents(evs []logEvent, win timeWindow, forward bool, k eventKey, limit int) (sel []logEvent, fwd, back string) {
	if forward {
		i := sort.Search(len(evs), func(j int) bool { return k.less(evs[j].key()) })
		for ; i < len(evs) && len(sel) < limit; i++ {
			if win.has(evs[i].ts) {
				sel = append(sel, evs[i])
			}
		}
	} else {
		i := sort.Search(len(evs), func(j int) bool { return !evs[j].key().less(k) }) - 1
		for ; i >= 0 && len(sel) < limit; i-- {
			if win.has(evs[i].ts) {
				sel = append(sel, evs[i])
			}
		}
		slices.Reverse(sel)
	}
	switch {
	case len(sel) > 0:
		return sel, encodeEventToken('f', sel[len(sel)-1].key()), encodeEventToken('b', sel[0].key())
	case forward:
		return sel, encodeEventToken('f', k), encodeEventToken('b', k.next())
	default:
		return sel, encodeEventToken('f', k.before()), encodeEventToken('b', k)
	}
}

// next returns the least key greater than k (lastKey for lastKey).
func (k eventKey) next() eventKey {
	if k == lastKey {
		return k
	}
	if k.seq < math.MaxUint64 {
		return eventKey{k.ts, k.seq + 1}
	}
	return eventKey{k.ts + 1, 0}
}

func outputEvents(sel []logEvent) []outputLogEvent {
	out := make([]outputLogEvent, 0, len(sel))
	for _, e := range sel {
		out = append(out, outputLogEvent{Timestamp: e.ts, Message: e.msg, IngestionTime: e.ingest})
	}
	return out
}

func (s *Server) logsGetLogEvents(body []byte) (any, *jsonError) {
	var in struct {
		LogGroupName       string `json:"logGroupName"`
		LogGroupIdentifier string `json:"logGroupIdentifier"`
		LogStreamName      string `json:"logStreamName"`
		StartTime          *int64 `json:"startTime"`
		EndTime            *int64 `json:"endTime"`
		NextToken          string `json:"nextToken"`
		Limit              *int   `json:"limit"`
		StartFromHead      bool   `json:"startFromHead"`
	}
	if err := decodeJSON(body, &in); err != nil {
		return nil, err
	}
	name, limit, jerr := groupAndLimit(in.LogGroupName, in.LogGroupIdentifier, in.Limit, 10000)
	if jerr != nil {
		return nil, jerr
	}
	forward, k, jerr := eventTokenParam(in.NextToken, in.StartFromHead)
	if jerr != nil {
		return nil, jerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, st, jerr := s.logStreamLocked(name, in.LogStreamName)
	if jerr != nil {
		return nil, jerr
	}
	win := timeWindow{in.StartTime, in.EndTime}
	var evs []logEvent
	var fwd, back string
	if in.NextToken == "" && !in.StartFromHead {
		// The newest events; reading forward continues after them, or from
		// the start when there are none yet.
		evs, fwd, back = readEvents(st.events, win, false, lastKey, limit)
		if len(evs) == 0 {
			fwd = encodeEventToken('f', firstKey)
		}
	} else {
		evs, fwd, back = readEvents(st.events, win, forward, k, limit)
	}
	return struct {
		Events            []outputLogEvent `json:"events"`
		NextForwardToken  string           `json:"nextForwardToken"`
		NextBackwardToken string           `json:"nextBackwardToken"`
	}{outputEvents(evs), fwd, back}, nil
}
