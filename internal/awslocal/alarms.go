package awslocal

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Alarm states.
const (
	stateOK           = "OK"
	stateAlarm        = "ALARM"
	stateInsufficient = "INSUFFICIENT_DATA"
)

// Bounds: history items kept per alarm name, alarm names with history
// (deleted alarms keep theirs, as on AWS), and alarms.
const (
	maxHistory      = 1000
	maxHistoryNames = 10000
	maxAlarms       = 10000
)

var staticOperators = map[string]string{
	"GreaterThanOrEqualToThreshold": "greater than or equal to",
	"GreaterThanThreshold":          "greater than",
	"LessThanThreshold":             "less than",
	"LessThanOrEqualToThreshold":    "less than or equal to",
}

var anomalyOperators = map[string]bool{
	"LessThanLowerOrGreaterThanUpperThreshold": true,
	"LessThanLowerThreshold":                   true,
	"GreaterThanUpperThreshold":                true,
}

var treatments = map[string]bool{"missing": true, "notBreaching": true, "breaching": true, "ignore": true}

type alarm struct {
	name, arn, desc string

	// Plain alarms.
	ns, metricName string
	dims           []dim
	statistic      string
	extStat        string
	period         int64
	unit           string
	// Metric-math alarms.
	metrics []*mdq

	evalPeriods, dpToAlarm int64
	threshold              float64
	cmp                    string
	treatMissing           string
	evalLowSample          string
	actionsEnabled         bool
	alarmActions           []string
	okActions              []string
	insufActions           []string

	state, reason, reasonData       string
	stateUpdated, stateTransitioned time.Time
	configUpdated                   time.Time
	nextEval                        int64 // Unix seconds of the next evaluation boundary
}

// evalPeriod is the alarm's period in seconds.
func (a *alarm) evalPeriod() int64 {
	if len(a.metrics) == 0 {
		return a.period
	}
	for _, q := range a.metrics {
		if q.ms != nil {
			return q.ms.period
		}
	}
	for _, q := range a.metrics {
		if q.period > 0 {
			return q.period
		}
	}
	return 60
}

// queries returns the alarm as metric data queries and the id whose result
// the alarm watches.
func (a *alarm) queries() ([]*mdq, string) {
	if len(a.metrics) == 0 {
		stat := a.statistic
		if stat == "" {
			stat = a.extStat
		}
		q := &mdq{id: "m1", ms: &metricStat{ns: a.ns, name: a.metricName, dims: sortedDims(a.dims), period: a.period, stat: stat, unit: a.unit}}
		return []*mdq{q}, q.id
	}
	for _, q := range a.metrics {
		if q.returns() {
			return a.metrics, q.id
		}
	}
	return a.metrics, a.metrics[0].id
}

type historyItem struct {
	alarmName string
	t         time.Time
	seq       uint64
	typ       string
	summary   string
	data      string
}

func (s *Server) addHistoryLocked(name string, t time.Time, typ, summary, data string) {
	if _, ok := s.history[name]; !ok && len(s.history) >= maxHistoryNames {
		s.evictHistoryLocked()
	}
	s.histSeq++
	h := append(s.history[name], historyItem{alarmName: name, t: t, seq: s.histSeq, typ: typ, summary: summary, data: data})
	if len(h) > maxHistory {
		h = append(h[:0], h[len(h)-maxHistory:]...)
	}
	s.history[name] = h
}

// evictHistoryLocked forgets the history of the deleted alarm whose latest
// item is the oldest.
func (s *Server) evictHistoryLocked() {
	victim, oldest := "", uint64(0)
	for n, h := range s.history {
		if s.alarms[n] != nil || len(h) == 0 {
			if len(h) == 0 {
				delete(s.history, n)
				return
			}
			continue
		}
		if last := h[len(h)-1].seq; victim == "" || last < oldest {
			victim, oldest = n, last
		}
	}
	if victim != "" {
		delete(s.history, victim)
	}
}

// alarmRequest is a PutMetricAlarm input as read, before validation: the
// alarm's own fields, and the members whose presence or range is checked.
type alarmRequest struct {
	a                       *alarm
	ep, dp, period          int64
	hasEP, hasDP, hasPeriod bool
	threshold               float64
	hasThreshold            bool
	treatMissing            string
	hasTreatMissing         bool
	hasDims                 bool
	metricItems             []obj
}

func (s *Server) putMetricAlarm(in obj) (cbor.Map, *apiError) {
	now := s.now()
	req, aerr := readAlarmRequest(in)
	if aerr != nil {
		return nil, aerr
	}
	a := req.a
	if aerr := checkAlarmName(a); aerr != nil {
		return nil, aerr
	}
	if aerr := req.applyEvaluation(); aerr != nil {
		return nil, aerr
	}
	if aerr := checkActionCounts(a); aerr != nil {
		return nil, aerr
	}
	if aerr := applyAlarmMetric(&req); aerr != nil {
		return nil, aerr
	}
	if p := a.evalPeriod(); p*a.evalPeriods > 86400 {
		return nil, errf("ValidationError", "The evaluation period (%d s) multiplied by the number of periods (%d) must not exceed one day.", p, a.evalPeriods)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return nil, s.saveAlarmLocked(a, now)
}

// readAlarmRequest reads every PutMetricAlarm member; a member of the wrong
// type fails here, before any rule is checked.
func readAlarmRequest(in obj) (alarmRequest, *apiError) {
	a := &alarm{actionsEnabled: true}
	req := alarmRequest{a: a}
	a.name, _ = in.str("AlarmName")
	a.desc, _ = in.str("AlarmDescription")
	if v, ok := in.boolean("ActionsEnabled"); ok {
		a.actionsEnabled = v
	}
	a.alarmActions = in.strs("AlarmActions")
	a.okActions = in.strs("OKActions")
	a.insufActions = in.strs("InsufficientDataActions")
	a.cmp, _ = in.str("ComparisonOperator")
	req.dp, req.hasDP = in.int("DatapointsToAlarm")
	req.ep, req.hasEP = in.int("EvaluationPeriods")
	a.evalLowSample, _ = in.str("EvaluateLowSampleCountPercentile")
	a.metricName, _ = in.str("MetricName")
	a.ns, _ = in.str("Namespace")
	a.statistic, _ = in.str("Statistic")
	a.extStat, _ = in.str("ExtendedStatistic")
	req.period, req.hasPeriod = in.int("Period")
	a.unit, _ = in.str("Unit")
	req.threshold, req.hasThreshold = in.float("Threshold")
	req.treatMissing, req.hasTreatMissing = in.str("TreatMissingData")
	_, req.hasDims = in.get("Dimensions")
	req.metricItems = in.objs("Metrics")
	if in.d.err != nil {
		return req, in.d.err
	}
	dims, aerr := readDims(in, "Dimensions")
	if aerr != nil {
		return req, aerr
	}
	a.dims = dims
	return req, nil
}

// checkAlarmName checks the alarm's name and description.
func checkAlarmName(a *alarm) *apiError {
	switch {
	case a.name == "":
		return errf("MissingParameter", "The parameter AlarmName is required.")
	case len(a.name) > 255:
		return errf("ValidationError", "1 validation error detected: Value at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255")
	case !isASCII(a.name):
		return errf("ValidationError", "Alarm names must contain only ASCII characters.")
	case len(a.desc) > 1024:
		return errf("ValidationError", "1 validation error detected: Value at 'alarmDescription' failed to satisfy constraint: Member must have length less than or equal to 1024")
	}
	return nil
}

// applyEvaluation checks how the alarm judges its data (periods, operator,
// threshold, datapoints to alarm, missing data) and sets those fields.
func (req *alarmRequest) applyEvaluation() *apiError {
	a, ep := req.a, req.ep
	switch {
	case !req.hasEP:
		return errf("MissingParameter", "The parameter EvaluationPeriods is required.")
	case ep < 1:
		return errf("ValidationError", "1 validation error detected: Value '%d' at 'evaluationPeriods' failed to satisfy constraint: Member must have value greater than or equal to 1", ep)
	case a.cmp == "":
		return errf("MissingParameter", "The parameter ComparisonOperator is required.")
	case anomalyOperators[a.cmp]:
		return errf("ValidationError", "ComparisonOperator %s needs an anomaly detection band, which awslocal does not implement.", a.cmp)
	case staticOperators[a.cmp] == "":
		return errf("ValidationError", "1 validation error detected: Value '%s' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [GreaterThanOrEqualToThreshold, GreaterThanThreshold, LessThanThreshold, LessThanOrEqualToThreshold, LessThanLowerOrGreaterThanUpperThreshold, LessThanLowerThreshold, GreaterThanUpperThreshold]", a.cmp)
	case !req.hasThreshold:
		return errf("ValidationError", "Comparison operator %s requires a Threshold.", a.cmp)
	case finite(req.threshold) != nil:
		return errf("InvalidParameterValue", "The value %v for parameter Threshold is invalid.", req.threshold)
	}
	a.evalPeriods, a.threshold = ep, req.threshold
	a.dpToAlarm = ep
	if req.hasDP {
		if req.dp < 1 || req.dp > ep {
			return errf("ValidationError", "DatapointsToAlarm (%d) must be between 1 and EvaluationPeriods (%d).", req.dp, ep)
		}
		a.dpToAlarm = req.dp
	}
	a.treatMissing = "missing"
	if req.hasTreatMissing {
		if !treatments[req.treatMissing] {
			return errf("ValidationError", "The value %s for parameter TreatMissingData is invalid. Valid values are breaching, notBreaching, ignore and missing.", req.treatMissing)
		}
		a.treatMissing = req.treatMissing
	}
	return nil
}

// checkActionCounts allows at most five actions of each kind.
func checkActionCounts(a *alarm) *apiError {
	for _, acts := range []struct {
		name string
		l    []string
	}{{"AlarmActions", a.alarmActions}, {"OKActions", a.okActions}, {"InsufficientDataActions", a.insufActions}} {
		if len(acts.l) > 5 {
			return errf("ValidationError", "The collection %s must not have more than 5 members.", acts.name)
		}
	}
	return nil
}

// applyAlarmMetric checks what the alarm watches: either Metrics (metric
// math) or one plain metric, never both.
func applyAlarmMetric(req *alarmRequest) *apiError {
	if len(req.metricItems) == 0 {
		return req.applyPlainMetric()
	}
	a := req.a
	if a.metricName != "" || a.ns != "" || a.statistic != "" || a.extStat != "" || req.hasPeriod || req.hasDims || a.unit != "" {
		return errf("InvalidParameterCombination", "Metrics cannot be combined with MetricName, Namespace, Dimensions, Statistic, ExtendedStatistic, Period or Unit.")
	}
	return readAlarmMetrics(a, req.metricItems)
}

// applyPlainMetric checks the members of an alarm on one metric and sets
// its period.
func (req *alarmRequest) applyPlainMetric() *apiError {
	a := req.a
	switch {
	case a.metricName == "":
		return errf("MissingParameter", "The parameter MetricName is required.")
	case a.ns == "":
		return errf("MissingParameter", "The parameter Namespace is required.")
	case !req.hasPeriod:
		return errf("MissingParameter", "The parameter Period is required.")
	case a.statistic == "" && a.extStat == "":
		return errf("MissingParameter", "The parameter Statistic or ExtendedStatistic is required.")
	case a.statistic != "" && a.extStat != "":
		return errf("InvalidParameterCombination", "The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.")
	case a.statistic != "" && !basicStats[a.statistic]:
		return errf("InvalidParameterValue", "The value %s for parameter Statistic is invalid.", a.statistic)
	case a.extStat != "" && !percentileRE.MatchString(a.extStat):
		return errf("InvalidParameterValue", "The value %s for parameter ExtendedStatistic is invalid.", a.extStat)
	case a.unit != "" && !standardUnits[a.unit]:
		return errf("InvalidParameterValue", "The value %s for parameter Unit is invalid.", a.unit)
	}
	if aerr := checkPeriod(req.period, "Period", ""); aerr != nil {
		return aerr
	}
	a.period = req.period
	return nil
}

// saveAlarmLocked stores a new alarm, or replaces the one of that name. A
// new alarm starts in INSUFFICIENT_DATA and is first evaluated at the next
// period boundary; a replaced one keeps its state, and its next evaluation
// unless the period changed or the new boundary comes sooner. Either way a
// ConfigurationUpdate history item records it.
func (s *Server) saveAlarmLocked(a *alarm, now time.Time) *apiError {
	a.arn = fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", s.region, accountID, a.name)
	a.configUpdated = now
	p := a.evalPeriod()
	first := alignDown(now.Unix(), p) + p
	old := s.alarms[a.name]
	if old == nil && len(s.alarms) >= maxAlarms {
		return errf("LimitExceeded", "awslocal holds at most %d alarms", maxAlarms)
	}
	if old == nil {
		a.state, a.reason = stateInsufficient, "Unchecked: Initial alarm creation"
		a.stateUpdated, a.stateTransitioned = now, now
		a.nextEval = first
		s.alarms[a.name] = a
		s.addHistoryLocked(a.name, now, "ConfigurationUpdate", fmt.Sprintf("Alarm %q created", a.name),
			mustJSON(map[string]any{"version": "1.0", "type": "Create", "createdAlarm": a.configJSON()}))
		return nil
	}
	a.state, a.reason, a.reasonData = old.state, old.reason, old.reasonData
	a.stateUpdated, a.stateTransitioned = old.stateUpdated, old.stateTransitioned
	a.nextEval = old.nextEval
	if old.evalPeriod() != p || first < a.nextEval {
		a.nextEval = first
	}
	s.alarms[a.name] = a
	s.addHistoryLocked(a.name, now, "ConfigurationUpdate", fmt.Sprintf("Alarm %q updated", a.name),
		mustJSON(map[string]any{"version": "1.0", "type": "Update", "updatedAlarm": a.configJSON(), "originalAlarm": old.configJSON()}))
	return nil
}

// readAlarmMetrics reads and validates the Metrics of a metric-math alarm.
func readAlarmMetrics(a *alarm, items []obj) *apiError {
	qs, aerr := readQueries(items, "Metrics")
	if aerr != nil {
		return aerr
	}
	var stats, returned int
	var period int64
	for _, q := range qs {
		if q.returns() {
			returned++
		}
		if q.ms == nil {
			continue
		}
		stats++
		if period != 0 && q.ms.period != period {
			return errf("ValidationError", "All metrics in an alarm must use the same period (%d and %d given).", period, q.ms.period)
		}
		period = q.ms.period
	}
	switch {
	case returned != 1:
		return errf("ValidationError", "Exactly one element of the metrics list should return data.")
	case stats == 0:
		return errf("ValidationError", "The Metrics list must contain at least one MetricStat.")
	case stats > 10:
		return errf("ValidationError", "A metric math alarm can use at most 10 metrics.")
	}
	for _, q := range qs {
		if q.expr != nil && q.period != 0 && q.period != period {
			return errf("ValidationError", "The Period of expression %s must match the period of its metrics (%d).", q.id, period)
		}
	}
	a.metrics = qs
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return `{"version":"1.0"}`
	}
	return string(b)
}

// configJSON is the alarm's configuration in ConfigurationUpdate history.
func (a *alarm) configJSON() map[string]any {
	m := map[string]any{
		"alarmName":          a.name,
		"alarmArn":           a.arn,
		"evaluationPeriods":  a.evalPeriods,
		"datapointsToAlarm":  a.dpToAlarm,
		"threshold":          a.threshold,
		"comparisonOperator": a.cmp,
		"treatMissingData":   a.treatMissing,
		"actionsEnabled":     a.actionsEnabled,
		"alarmActions":       nonNil(a.alarmActions),
		"okActions":          nonNil(a.okActions),
	}
	if a.desc != "" {
		m["alarmDescription"] = a.desc
	}
	if len(a.metrics) == 0 {
		m["namespace"], m["metricName"], m["period"] = a.ns, a.metricName, a.period
		if a.statistic != "" {
			m["statistic"] = a.statistic
		} else {
			m["extendedStatistic"] = a.extStat
		}
		ds := []map[string]string{}
		for _, d := range a.dims {
			ds = append(ds, map[string]string{"name": d.Name, "value": d.Value})
		}
		m["dimensions"] = ds
	} else {
		ms := []map[string]any{}
		for _, q := range a.metrics {
			e := map[string]any{"id": q.id, "returnData": q.returns()}
			if q.expr != nil {
				e["expression"] = q.exprSrc
			} else {
				e["metricStat"] = map[string]any{"metric": map[string]any{"namespace": q.ms.ns, "metricName": q.ms.name}, "period": q.ms.period, "stat": q.ms.stat}
			}
			if q.label != "" {
				e["label"] = q.label
			}
			ms = append(ms, e)
		}
		m["metrics"] = ms
	}
	return m
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func queryCBOR(q *mdq) cbor.Map {
	m := cbor.Map{"Id": cStr(q.id), "ReturnData": cbor.Bool(q.returns())}
	if q.label != "" {
		m["Label"] = cStr(q.label)
	}
	if q.accountID != "" {
		m["AccountId"] = cStr(q.accountID)
	}
	if q.expr != nil {
		m["Expression"] = cStr(q.exprSrc)
	}
	if q.period != 0 {
		m["Period"] = cInt(q.period)
	}
	if q.ms != nil {
		st := cbor.Map{
			"Metric": cbor.Map{"Namespace": cStr(q.ms.ns), "MetricName": cStr(q.ms.name), "Dimensions": cDims(q.ms.dims)},
			"Period": cInt(q.ms.period),
			"Stat":   cStr(q.ms.stat),
		}
		if q.ms.unit != "" {
			st["Unit"] = cStr(q.ms.unit)
		}
		m["MetricStat"] = st
	}
	return m
}

// toCBOR renders the alarm as a types.MetricAlarm.
func (a *alarm) toCBOR() cbor.Map {
	m := cbor.Map{
		"AlarmName":                          cStr(a.name),
		"AlarmArn":                           cStr(a.arn),
		"AlarmConfigurationUpdatedTimestamp": cTime(a.configUpdated),
		"ActionsEnabled":                     cbor.Bool(a.actionsEnabled),
		"AlarmActions":                       cStrs(a.alarmActions),
		"OKActions":                          cStrs(a.okActions),
		"InsufficientDataActions":            cStrs(a.insufActions),
		"StateValue":                         cStr(a.state),
		"StateReason":                        cStr(a.reason),
		"StateUpdatedTimestamp":              cTime(a.stateUpdated),
		"StateTransitionedTimestamp":         cTime(a.stateTransitioned),
		"EvaluationPeriods":                  cInt(a.evalPeriods),
		"DatapointsToAlarm":                  cInt(a.dpToAlarm),
		"Threshold":                          cFloat(a.threshold),
		"ComparisonOperator":                 cStr(a.cmp),
		"TreatMissingData":                   cStr(a.treatMissing),
	}
	if a.desc != "" {
		m["AlarmDescription"] = cStr(a.desc)
	}
	if a.reasonData != "" {
		m["StateReasonData"] = cStr(a.reasonData)
	}
	if a.evalLowSample != "" {
		m["EvaluateLowSampleCountPercentile"] = cStr(a.evalLowSample)
	}
	if len(a.metrics) == 0 {
		m["Namespace"] = cStr(a.ns)
		m["MetricName"] = cStr(a.metricName)
		m["Dimensions"] = cDims(a.dims)
		m["Period"] = cInt(a.period)
		if a.statistic != "" {
			m["Statistic"] = cStr(a.statistic)
		} else {
			m["ExtendedStatistic"] = cStr(a.extStat)
		}
		if a.unit != "" {
			m["Unit"] = cStr(a.unit)
		}
	} else {
		l := make(cbor.List, 0, len(a.metrics))
		for _, q := range a.metrics {
			l = append(l, queryCBOR(q))
		}
		m["Metrics"] = l
	}
	return m
}

var stateValues = map[string]bool{stateOK: true, stateAlarm: true, stateInsufficient: true}

// alarmFilter is a DescribeAlarms selection: which alarms, and the page.
type alarmFilter struct {
	names        map[string]bool // empty: any name
	prefix       string
	hasPrefix    bool
	actionPrefix string
	state        string
	hasState     bool
	wantMetric   bool   // metric alarms are asked for (the only kind here)
	after        string // the page starts after this name
	maxRec       int64
}

func (s *Server) describeAlarms(in obj) (cbor.Map, *apiError) {
	f, aerr := readAlarmFilter(in)
	if aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var sel []string
	if f.wantMetric {
		for n, a := range s.alarms {
			if f.matches(n, a) {
				sel = append(sel, n)
			}
		}
	}
	sort.Strings(sel)
	out := cbor.Map{"CompositeAlarms": cbor.List{}, "MetricAlarms": cbor.List{}}
	if len(sel) > int(f.maxRec) {
		sel = sel[:f.maxRec]
		out["NextToken"] = cStr(encodeToken("alarms", sel[len(sel)-1]))
	}
	l := make(cbor.List, 0, len(sel))
	for _, n := range sel {
		l = append(l, s.alarms[n].toCBOR())
	}
	out["MetricAlarms"] = l
	return out, nil
}

// readAlarmFilter reads and checks DescribeAlarms' input.
func readAlarmFilter(in obj) (alarmFilter, *apiError) {
	var f alarmFilter
	names := in.strs("AlarmNames")
	f.prefix, f.hasPrefix = in.str("AlarmNamePrefix")
	f.actionPrefix, _ = in.str("ActionPrefix")
	f.state, f.hasState = in.str("StateValue")
	types := in.strs("AlarmTypes")
	maxRec, hasMax := in.int("MaxRecords")
	tok, _ := in.str("NextToken")
	_, children := in.get("ChildrenOfAlarmName")
	_, parents := in.get("ParentsOfAlarmName")
	if in.d.err != nil {
		return f, in.d.err
	}
	if len(names) > 100 {
		return f, errf("ValidationError", "1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	if len(names) > 0 && f.hasPrefix {
		return f, errf("InvalidParameterCombination", "The parameters AlarmNames and AlarmNamePrefix are mutually exclusive.")
	}
	if f.hasState && !stateValues[f.state] {
		return f, errf("ValidationError", "1 validation error detected: Value '%s' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [OK, ALARM, INSUFFICIENT_DATA]", f.state)
	}
	var aerr *apiError
	if f.wantMetric, aerr = wantsMetricAlarms(types); aerr != nil {
		return f, aerr
	}
	if children || parents {
		f.wantMetric = false // no composite alarms here, so no children or parents
	}
	if f.maxRec, aerr = checkMaxRecords(maxRec, hasMax, 50); aerr != nil {
		return f, aerr
	}
	if tok != "" {
		v, ok := decodeToken("alarms", tok)
		if !ok {
			return f, errf("InvalidNextToken", "The service couldn't process the NextToken.")
		}
		f.after = v
	}
	f.names = map[string]bool{}
	for _, n := range names {
		f.names[n] = true
	}
	return f, nil
}

// wantsMetricAlarms checks DescribeAlarms' AlarmTypes and says whether
// they include metric alarms (no types: every type).
func wantsMetricAlarms(types []string) (bool, *apiError) {
	want := len(types) == 0
	for _, t := range types {
		switch t {
		case "MetricAlarm":
			want = true
		case "CompositeAlarm", "LogAlarm":
		default:
			return false, errf("ValidationError", "1 validation error detected: Value '%s' at 'alarmTypes' failed to satisfy constraint: Member must satisfy enum value set: [CompositeAlarm, MetricAlarm, LogAlarm]", t)
		}
	}
	return want, nil
}

// checkMaxRecords applies a describe call's MaxRecords: def when not
// given, else between 1 and 100.
func checkMaxRecords(n int64, given bool, def int64) (int64, *apiError) {
	if !given {
		n = def
	}
	if n < 1 || n > 100 {
		return 0, errf("ValidationError", "1 validation error detected: Value '%d' at 'maxRecords' failed to satisfy constraint: Member must have value between 1 and 100", n)
	}
	return n, nil
}

// matches says whether the alarm named n passes the filter and comes after
// the page's start.
func (f *alarmFilter) matches(n string, a *alarm) bool {
	switch {
	case len(f.names) > 0 && !f.names[n],
		f.hasPrefix && !strings.HasPrefix(n, f.prefix),
		f.hasState && a.state != f.state,
		f.actionPrefix != "" && !hasActionPrefix(a, f.actionPrefix),
		f.after != "" && n <= f.after:
		return false
	}
	return true
}

func hasActionPrefix(a *alarm, p string) bool {
	for _, l := range [][]string{a.alarmActions, a.okActions, a.insufActions} {
		for _, act := range l {
			if strings.HasPrefix(act, p) {
				return true
			}
		}
	}
	return false
}

func (s *Server) deleteAlarms(in obj) (cbor.Map, *apiError) {
	names := in.strs("AlarmNames")
	if in.d.err != nil {
		return nil, in.d.err
	}
	if len(names) == 0 {
		return nil, errf("MissingParameter", "The parameter AlarmNames is required.")
	}
	if len(names) > 100 {
		return nil, errf("ValidationError", "1 validation error detected: Value at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []string
	for _, n := range names {
		if s.alarms[n] == nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return nil, errf("ResourceNotFound", "%d/%d alarms not found: [%s]", len(missing), len(names), strings.Join(missing, ", "))
	}
	for _, n := range names {
		a := s.alarms[n]
		if a == nil {
			continue // named twice
		}
		delete(s.alarms, n)
		s.addHistoryLocked(n, now, "ConfigurationUpdate", fmt.Sprintf("Alarm %q deleted", n),
			mustJSON(map[string]any{"version": "1.0", "type": "Delete", "deletedAlarm": a.configJSON()}))
	}
	return nil, nil
}

func (s *Server) setAlarmState(in obj) (cbor.Map, *apiError) {
	name, _ := in.str("AlarmName")
	state, _ := in.str("StateValue")
	reason, hasReason := in.str("StateReason")
	data, _ := in.str("StateReasonData")
	if in.d.err != nil {
		return nil, in.d.err
	}
	switch {
	case name == "":
		return nil, errf("MissingParameter", "The parameter AlarmName is required.")
	case state == "":
		return nil, errf("MissingParameter", "The parameter StateValue is required.")
	case !stateValues[state]:
		return nil, errf("ValidationError", "1 validation error detected: Value '%s' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [OK, ALARM, INSUFFICIENT_DATA]", state)
	case !hasReason:
		return nil, errf("MissingParameter", "The parameter StateReason is required.")
	case len(reason) > 1023:
		return nil, errf("ValidationError", "1 validation error detected: Value at 'stateReason' failed to satisfy constraint: Member must have length less than or equal to 1023")
	case len(data) > 4000:
		return nil, errf("ValidationError", "1 validation error detected: Value at 'stateReasonData' failed to satisfy constraint: Member must have length less than or equal to 4000")
	case data != "" && !json.Valid([]byte(data)):
		return nil, errf("InvalidFormat", "StateReasonData is not valid JSON.")
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.alarms[name]
	if a == nil {
		return nil, errf("ResourceNotFound", "Alarm %s not found", name)
	}
	s.setStateLocked(a, state, reason, data, now)
	return nil, nil
}

// setStateLocked updates the alarm's state; a change of StateValue also
// moves StateTransitionedTimestamp and writes a StateUpdate history item.
func (s *Server) setStateLocked(a *alarm, state, reason, data string, now time.Time) {
	oldState, oldReason := a.state, a.reason
	a.state, a.reason, a.reasonData = state, reason, data
	a.stateUpdated = now
	if oldState == state {
		return
	}
	a.stateTransitioned = now
	newState := map[string]any{"stateValue": state, "stateReason": reason}
	if data != "" && json.Valid([]byte(data)) {
		newState["stateReasonData"] = json.RawMessage(data)
	}
	hd := map[string]any{
		"version":  "1.0",
		"oldState": map[string]any{"stateValue": oldState, "stateReason": oldReason},
		"newState": newState,
	}
	s.addHistoryLocked(a.name, now, "StateUpdate", fmt.Sprintf("Alarm updated from %s to %s", oldState, state), mustJSON(hd))
}

var historyTypes = map[string]bool{
	"ConfigurationUpdate": true, "StateUpdate": true, "Action": true,
	"AlarmContributorStateUpdate": true, "AlarmContributorAction": true,
}

// historyFilter is a DescribeAlarmHistory selection: which items, in which
// order, and the page.
type historyFilter struct {
	name       string
	hasName    bool
	typ        string
	hasType    bool
	start, end time.Time
	hasStart   bool
	hasEnd     bool
	ascending  bool
	wantMetric bool // metric alarms are asked for (the only kind here)
	offset     int  // items skipped by the earlier pages
	maxRec     int64
}

func (s *Server) describeAlarmHistory(in obj) (cbor.Map, *apiError) {
	f, aerr := readHistoryFilter(in)
	if aerr != nil {
		return nil, aerr
	}
	items := s.historyItems(&f)
	sortHistory(items, f.ascending)
	out := cbor.Map{}
	offset := min(f.offset, len(items))
	items = items[offset:]
	if len(items) > int(f.maxRec) {
		items = items[:f.maxRec]
		out["NextToken"] = cStr(encodeToken("history", strconv.Itoa(offset+int(f.maxRec))))
	}
	l := make(cbor.List, 0, len(items))
	for _, it := range items {
		l = append(l, it.toCBOR())
	}
	out["AlarmHistoryItems"] = l
	return out, nil
}

// readHistoryFilter reads and checks DescribeAlarmHistory's input.
func readHistoryFilter(in obj) (historyFilter, *apiError) {
	var f historyFilter
	f.name, f.hasName = in.str("AlarmName")
	f.typ, f.hasType = in.str("HistoryItemType")
	f.start, f.hasStart = in.time("StartDate")
	f.end, f.hasEnd = in.time("EndDate")
	scanBy, _ := in.str("ScanBy")
	maxRec, hasMax := in.int("MaxRecords")
	tok, _ := in.str("NextToken")
	types := in.strs("AlarmTypes")
	if in.d.err != nil {
		return f, in.d.err
	}
	if f.hasType && !historyTypes[f.typ] {
		return f, errf("ValidationError", "1 validation error detected: Value '%s' at 'historyItemType' failed to satisfy constraint: Member must satisfy enum value set: [ConfigurationUpdate, StateUpdate, Action, AlarmContributorStateUpdate, AlarmContributorAction]", f.typ)
	}
	if scanBy != "" && scanBy != "TimestampDescending" && scanBy != "TimestampAscending" {
		return f, errf("ValidationError", "1 validation error detected: Value '%s' at 'scanBy' failed to satisfy constraint: Member must satisfy enum value set: [TimestampDescending, TimestampAscending]", scanBy)
	}
	f.ascending = scanBy == "TimestampAscending"
	var aerr *apiError
	if f.maxRec, aerr = checkMaxRecords(maxRec, hasMax, 100); aerr != nil {
		return f, aerr
	}
	if tok != "" {
		v, ok := decodeToken("history", tok)
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return f, errf("InvalidNextToken", "The service couldn't process the NextToken.")
		}
		f.offset = n
	}
	f.wantMetric = len(types) == 0 || slices.Contains(types, "MetricAlarm")
	return f, nil
}

// historyItems collects the history items that pass the filter, unordered.
func (s *Server) historyItems(f *historyFilter) []historyItem {
	if !f.wantMetric {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var items []historyItem
	for n, h := range s.history {
		if f.hasName && n != f.name {
			continue
		}
		for _, it := range h {
			if (f.hasType && it.typ != f.typ) || (f.hasStart && it.t.Before(f.start)) || (f.hasEnd && it.t.After(f.end)) {
				continue
			}
			items = append(items, it)
		}
	}
	return items
}

// sortHistory orders items newest first, or oldest first when ascending;
// items of one instant go by the order they were written in, the same way.
func sortHistory(items []historyItem, ascending bool) {
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if ascending {
			a, b = b, a
		}
		if !a.t.Equal(b.t) {
			return a.t.After(b.t)
		}
		return a.seq > b.seq
	})
}

// toCBOR renders the item as a types.AlarmHistoryItem.
func (it historyItem) toCBOR() cbor.Map {
	return cbor.Map{
		"AlarmName":       cStr(it.alarmName),
		"AlarmType":       cStr("MetricAlarm"),
		"Timestamp":       cTime(it.t),
		"HistoryItemType": cStr(it.typ),
		"HistorySummary":  cStr(it.summary),
		"HistoryData":     cStr(it.data),
	}
}
