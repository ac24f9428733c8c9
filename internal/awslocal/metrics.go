package awslocal

import (
	"encoding/json"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// Metric store limits: data older than retention is dropped, and the number
// of series and of samples per series is capped, so memory stays bounded.
const (
	retention        = 3 * time.Hour
	maxSeries        = 10000
	maxSamples       = 200000
	maxDatums        = 1000
	maxValuesInDatum = 150
	maxDims          = 30
	maxQueries       = 500
	maxPoints        = 100800
)

type dim struct{ Name, Value string }

// sample is one PutMetricData datum, reduced to a statistic set. vals/cnts
// keep the raw values when the datum carried them, for percentiles.
type sample struct {
	t              time.Time
	n, sum, lo, hi float64
	vals, cnts     []float64
	raw            bool
	unit           string
}

type series struct {
	ns, name string
	dims     []dim
	samples  []sample // sorted by t
}

// seriesKey identifies a series: namespace, name and the sorted dimensions.
func seriesKey(ns, name string, dims []dim) string {
	ds := append([]dim(nil), dims...)
	sort.Slice(ds, func(i, j int) bool { return ds[i].Name < ds[j].Name })
	var b strings.Builder
	b.WriteString(ns)
	b.WriteByte(0)
	b.WriteString(name)
	for _, d := range ds {
		b.WriteByte(0)
		b.WriteString(d.Name)
		b.WriteByte('=')
		b.WriteString(d.Value)
	}
	return b.String()
}

func sortedDims(dims []dim) []dim {
	ds := append([]dim(nil), dims...)
	sort.Slice(ds, func(i, j int) bool { return ds[i].Name < ds[j].Name })
	return ds
}

func (se *series) insert(sm sample, cutoff time.Time) {
	i := sort.Search(len(se.samples), func(i int) bool { return se.samples[i].t.After(sm.t) })
	if i == len(se.samples) {
		se.samples = append(se.samples, sm)
	} else {
		se.samples = append(se.samples, sample{})
		copy(se.samples[i+1:], se.samples[i:])
		se.samples[i] = sm
	}
	se.trim(cutoff)
}

// trim drops samples older than cutoff and the oldest beyond maxSamples.
func (se *series) trim(cutoff time.Time) {
	drop := sort.Search(len(se.samples), func(i int) bool { return !se.samples[i].t.Before(cutoff) })
	if over := len(se.samples) - maxSamples; over > drop {
		drop = over
	}
	if drop > 0 {
		se.samples = append(se.samples[:0], se.samples[drop:]...)
	}
}

// pruneLocked drops old data from every series, at most once a minute.
func (s *Server) pruneLocked(now time.Time) {
	if now.Sub(s.lastPrune) < time.Minute && !s.lastPrune.After(now) {
		return
	}
	s.lastPrune = now
	cutoff := now.Add(-retention)
	for k, se := range s.series {
		se.trim(cutoff)
		if len(se.samples) == 0 {
			delete(s.series, k)
		}
	}
}

var standardUnits = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true,
	"Megabits": true, "Gigabits": true, "Terabits": true, "Percent": true, "Count": true,
	"Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true,
	"Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true,
}

// readDims reads a Dimensions list, validating names, values and count.
func readDims(o obj, k string) ([]dim, *apiError) {
	var out []dim
	seen := map[string]bool{}
	items := o.objs(k)
	if len(items) > maxDims {
		return nil, errf("InvalidParameterValue", "The collection %s must not have more than %d members.", o.key(k), maxDims)
	}
	for _, it := range items {
		name, _ := it.str("Name")
		value, _ := it.str("Value")
		if name == "" {
			return nil, errf("MissingParameter", "The parameter %s.Name is required.", it.path)
		}
		if value == "" {
			return nil, errf("MissingParameter", "The parameter %s.Value is required.", it.path)
		}
		if len(name) > 255 || len(value) > 1024 {
			return nil, errf("InvalidParameterValue", "The dimension %s is too long.", it.path)
		}
		if seen[name] {
			return nil, errf("InvalidParameterValue", "The dimension name %s is specified more than once in %s.", name, o.key(k))
		}
		seen[name] = true
		out = append(out, dim{Name: name, Value: value})
	}
	return out, nil
}

func cDims(dims []dim) cbor.Value {
	l := make(cbor.List, 0, len(dims))
	for _, d := range dims {
		l = append(l, cbor.Map{"Name": cStr(d.Name), "Value": cStr(d.Value)})
	}
	return l
}

type pendingSample struct {
	ns, name string
	dims     []dim
	s        sample
}

// readDatum reads one MetricDatum into a sample.
func readDatum(o obj, ns string, now time.Time) (pendingSample, *apiError) {
	var p pendingSample
	name, _ := o.str("MetricName")
	if name == "" {
		return p, errf("MissingParameter", "The parameter %s.MetricName is required.", o.path)
	}
	dims, aerr := readDims(o, "Dimensions")
	if aerr != nil {
		return p, aerr
	}
	t, unit, aerr := readDatumTimeUnit(o, now)
	if aerr != nil {
		return p, aerr
	}
	sm, aerr := readDatumValues(o)
	if aerr != nil {
		return p, aerr
	}
	sm.t, sm.unit = t, unit
	return pendingSample{ns: ns, name: name, dims: dims, s: sm}, nil
}

// readDatumTimeUnit reads a datum's timestamp (now when absent), its unit
// (None when absent) and checks its storage resolution.
func readDatumTimeUnit(o obj, now time.Time) (time.Time, string, *apiError) {
	t, ok := o.time("Timestamp")
	if !ok {
		t = now
	}
	if t.After(now.Add(2 * time.Hour)) {
		return t, "", errf("InvalidParameterValue", "The parameter %s.Timestamp must specify a time no more than two hours in the future.", o.path)
	}
	unit, hasUnit := o.str("Unit")
	if hasUnit && !standardUnits[unit] {
		return t, "", errf("InvalidParameterValue", "The value %s for parameter %s.Unit is invalid.", unit, o.path)
	}
	if unit == "" {
		unit = "None" // as on AWS: data without a unit have unit None
	}
	if res, ok := o.int("StorageResolution"); ok && res != 1 && res != 60 {
		return t, "", errf("InvalidParameterValue", "The value %d for parameter %s.StorageResolution is invalid. Valid values are 1 and 60.", res, o.path)
	}
	return t, unit, nil
}

// readDatumValues reads what a datum measured, given in exactly one of
// three forms: one Value, a Values list (with Counts), or StatisticValues.
func readDatumValues(o obj) (sample, *apiError) {
	value, hasValue := o.float("Value")
	_, hasValuesKey := o.get("Values")
	values := o.floats("Values")
	counts := o.floats("Counts")
	stats, hasStats := o.sub("StatisticValues")
	given := 0
	for _, b := range []bool{hasValue, hasValuesKey, hasStats} {
		if b {
			given++
		}
	}
	switch {
	case given == 0:
		return sample{}, errf("InvalidParameterCombination", "At least one of the parameters %[1]s.Value, %[1]s.Values or %[1]s.StatisticValues must be specified.", o.path)
	case given > 1:
		return sample{}, errf("InvalidParameterCombination", "The parameters %[1]s.Value, %[1]s.Values and %[1]s.StatisticValues are mutually exclusive and you have specified more than one.", o.path)
	case hasValue:
		return valueSample(o, value)
	case hasValuesKey:
		return valuesSample(o, values, counts)
	default:
		return statisticsSample(o, stats)
	}
}

// valueSample is the sample of a datum's single Value.
func valueSample(o obj, value float64) (sample, *apiError) {
	if finite(value) != nil {
		return sample{}, errf("InvalidParameterValue", "The value %v for parameter %s.Value is invalid.", value, o.path)
	}
	return sample{n: 1, sum: value, lo: value, hi: value, vals: []float64{value}, cnts: []float64{1}, raw: true}, nil
}

// valuesSample is the sample of a datum's Values, each seen Counts times
// (once when Counts is absent).
func valuesSample(o obj, values, counts []float64) (sample, *apiError) {
	var sm sample
	if len(values) == 0 {
		return sm, errf("InvalidParameterValue", "The parameter %s.Values must not be empty.", o.path)
	}
	if len(values) > maxValuesInDatum {
		return sm, errf("InvalidParameterValue", "The collection %s.Values must not have more than %d members.", o.path, maxValuesInDatum)
	}
	if len(counts) == 0 {
		counts = make([]float64, len(values))
		for i := range counts {
			counts[i] = 1
		}
	}
	if len(counts) != len(values) {
		return sm, errf("InvalidParameterValue", "The parameters %[1]s.Values and %[1]s.Counts must be of the same size.", o.path)
	}
	sm.lo, sm.hi = math.Inf(1), math.Inf(-1)
	for i, v := range values {
		c := counts[i]
		if finite(v) != nil {
			return sample{}, errf("InvalidParameterValue", "The value %v for parameter %s.Values.member.%d is invalid.", v, o.path, i+1)
		}
		if finite(c) != nil || c < 0 {
			return sample{}, errf("InvalidParameterValue", "The value %v for parameter %s.Counts.member.%d is invalid.", c, o.path, i+1)
		}
		if c == 0 {
			continue
		}
		sm.n += c
		sm.sum += v * c
		sm.lo = math.Min(sm.lo, v)
		sm.hi = math.Max(sm.hi, v)
	}
	if sm.n == 0 {
		return sample{}, errf("InvalidParameterValue", "The parameter %s.Counts must include a positive count.", o.path)
	}
	sm.vals, sm.cnts, sm.raw = values, counts, true
	return sm, nil
}

// statisticsSample is the sample of a datum's StatisticValues, whose four
// members are all required.
func statisticsSample(o obj, stats obj) (sample, *apiError) {
	var sm sample
	var okN, okS, okLo, okHi bool
	sm.n, okN = stats.float("SampleCount")
	sm.sum, okS = stats.float("Sum")
	sm.lo, okLo = stats.float("Minimum")
	sm.hi, okHi = stats.float("Maximum")
	for _, m := range []struct {
		ok   bool
		name string
	}{{okN, "SampleCount"}, {okS, "Sum"}, {okLo, "Minimum"}, {okHi, "Maximum"}} {
		if !m.ok {
			return sample{}, errf("MissingParameter", "The parameter %s.StatisticValues.%s is required.", o.path, m.name)
		}
	}
	for _, f := range []float64{sm.n, sm.sum, sm.lo, sm.hi} {
		if finite(f) != nil {
			return sample{}, errf("InvalidParameterValue", "The parameter %s.StatisticValues contains a value that is not a finite number.", o.path)
		}
	}
	if sm.n <= 0 {
		return sample{}, errf("InvalidParameterValue", "The value %v for parameter %s.StatisticValues.SampleCount is invalid; it must be positive.", sm.n, o.path)
	}
	if sm.lo > sm.hi {
		return sample{}, errf("InvalidParameterValue", "The parameter %s.StatisticValues.Minimum must not be greater than Maximum.", o.path)
	}
	return sm, nil
}

func (s *Server) putMetricData(in obj) (cbor.Map, *apiError) {
	now := s.now()
	ns, _ := in.str("Namespace")
	datums := in.objs("MetricData")
	for _, e := range in.objs("EntityMetricData") {
		datums = append(datums, e.objs("MetricData")...)
	}
	if in.d.err != nil {
		return nil, in.d.err
	}
	if ns == "" {
		return nil, errf("MissingParameter", "The parameter Namespace is required.")
	}
	if len(ns) > 255 || strings.HasPrefix(ns, ":") {
		return nil, errf("InvalidParameterValue", "The value %s for parameter Namespace is invalid.", ns)
	}
	if len(datums) == 0 {
		return nil, errf("MissingParameter", "The parameter MetricData is required.")
	}
	if len(datums) > maxDatums {
		return nil, errf("InvalidParameterValue", "The collection MetricData must not have more than %d members.", maxDatums)
	}
	pend := make([]pendingSample, 0, len(datums))
	for _, d := range datums {
		p, aerr := readDatum(d, ns, now)
		if aerr == nil && in.d.err != nil {
			aerr = in.d.err
		}
		if aerr != nil {
			return nil, aerr
		}
		pend = append(pend, p)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cutoff := now.Add(-retention)
	for _, p := range pend {
		if p.s.t.Before(cutoff) {
			continue // older than the retention; AWS would keep it, nobody here reads it
		}
		k := seriesKey(p.ns, p.name, p.dims)
		se := s.series[k]
		if se == nil {
			if len(s.series) >= maxSeries {
				s.pruneLocked(now)
			}
			if len(s.series) >= maxSeries {
				return nil, errf("LimitExceeded", "awslocal holds at most %d metric series", maxSeries)
			}
			se = &series{ns: p.ns, name: p.name, dims: sortedDims(p.dims)}
			s.series[k] = se
		}
		se.insert(p.s, cutoff)
	}
	return nil, nil
}

// agg is a statistic set over one period bucket.
type agg struct {
	n, sum, lo, hi float64
	raw            bool // every sample carried raw values
	vals, cnts     []float64
}

func (a *agg) add(sm *sample) {
	if a.n == 0 {
		a.lo, a.hi, a.raw = sm.lo, sm.hi, true
	}
	a.n += sm.n
	a.sum += sm.sum
	a.lo = math.Min(a.lo, sm.lo)
	a.hi = math.Max(a.hi, sm.hi)
	if !sm.raw {
		a.raw = false
		a.vals, a.cnts = nil, nil
	} else if a.raw {
		a.vals = append(a.vals, sm.vals...)
		a.cnts = append(a.cnts, sm.cnts...)
	}
}

var percentileRE = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,10})?|100)$`)

var basicStats = map[string]bool{"Average": true, "Sum": true, "Minimum": true, "Maximum": true, "SampleCount": true}

func validStat(stat string) bool { return basicStats[stat] || percentileRE.MatchString(stat) }

// value computes stat over the bucket.
func (a *agg) value(stat string) (float64, bool) {
	if a.n <= 0 {
		return 0, false
	}
	switch stat {
	case "Average":
		return a.sum / a.n, true
	case "Sum":
		return a.sum, true
	case "Minimum":
		return a.lo, true
	case "Maximum":
		return a.hi, true
	case "SampleCount":
		return a.n, true
	}
	if !percentileRE.MatchString(stat) || !a.raw {
		return 0, false
	}
	p, err := strconv.ParseFloat(stat[1:], 64)
	if err != nil {
		return 0, false
	}
	idx := make([]int, len(a.vals))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return a.vals[idx[i]] < a.vals[idx[j]] })
	rank := math.Max(1, math.Ceil(p/100*a.n))
	var cum float64
	for _, i := range idx {
		cum += a.cnts[i]
		if cum >= rank {
			return a.vals[i], true
		}
	}
	return a.hi, true
}

// metricStat is a MetricStat: one metric, its period and statistic.
type metricStat struct {
	ns, name string
	dims     []dim
	period   int64
	stat     string
	unit     string
}

// buckets aggregates the metric's samples into period buckets whose start
// is in [from, to) (Unix seconds; from is aligned down to the period).
func (s *Server) bucketsLocked(ms *metricStat, from, to int64) map[int64]*agg {
	out := map[int64]*agg{}
	se := s.series[seriesKey(ms.ns, ms.name, ms.dims)]
	if se == nil || ms.period <= 0 {
		return out
	}
	from = alignDown(from, ms.period)
	lo := time.Unix(from, 0)
	i := sort.Search(len(se.samples), func(i int) bool { return !se.samples[i].t.Before(lo) })
	for ; i < len(se.samples); i++ {
		sm := &se.samples[i]
		sec := sm.t.Unix()
		b := alignDown(sec, ms.period)
		if b >= to {
			break
		}
		if ms.unit != "" && sm.unit != ms.unit {
			continue
		}
		a := out[b]
		if a == nil {
			a = &agg{}
			out[b] = a
		}
		a.add(sm)
	}
	return out
}

// mdq is a MetricDataQuery.
type mdq struct {
	id, label  string
	exprSrc    string
	expr       *exprNode
	ms         *metricStat
	period     int64 // the query's own Period (expressions), 0 if unset
	returnData *bool
	accountID  string
}

func (q *mdq) returns() bool { return q.returnData == nil || *q.returnData }

var queryIDRule = newName(`^[a-z][a-zA-Z0-9_]*$`, 255)

// readQueries reads and validates a list of MetricDataQuery structures.
func readQueries(items []obj, listName string) ([]*mdq, *apiError) {
	if len(items) > maxQueries {
		return nil, errf("InvalidParameterValue", "The collection %s must not have more than %d members.", listName, maxQueries)
	}
	qs := make([]*mdq, 0, len(items))
	byID := map[string]*mdq{}
	for _, it := range items {
		q, aerr := readQuery(it, listName, byID)
		if aerr != nil {
			return nil, aerr
		}
		byID[q.id] = q
		qs = append(qs, q)
	}
	if aerr := checkReferences(qs, byID); aerr != nil {
		return nil, aerr
	}
	return qs, nil
}

// readQuery reads one MetricDataQuery: a unique id, and either a MetricStat
// or an Expression. byID holds the queries read before it.
func readQuery(it obj, listName string, byID map[string]*mdq) (*mdq, *apiError) {
	q := &mdq{}
	q.id, _ = it.str("Id")
	q.label, _ = it.str("Label")
	q.exprSrc, _ = it.str("Expression")
	q.accountID, _ = it.str("AccountId")
	if p, ok := it.int("Period"); ok {
		q.period = p
	}
	if rd, ok := it.boolean("ReturnData"); ok {
		q.returnData = &rd
	}
	msObj, hasMS := it.sub("MetricStat")
	if it.d.err != nil {
		return nil, it.d.err
	}
	switch {
	case q.id == "":
		return nil, errf("MissingParameter", "The parameter %s.Id is required.", it.path)
	case !queryIDRule.ok(q.id):
		return nil, errf("ValidationError", "The value %s for parameter %s.Id is invalid: it must start with a lowercase letter and contain only letters, numbers and underscores.", q.id, it.path)
	case byID[q.id] != nil:
		return nil, errf("ValidationError", "The value %s for parameter %s.Id is not unique.", q.id, it.path)
	case hasMS == (q.exprSrc != ""):
		return nil, errf("ValidationError", "Exactly one of %[1]s.MetricStat and %[1]s.Expression must be specified.", it.path)
	}
	if hasMS {
		ms, aerr := readMetricStat(msObj, listName)
		if aerr != nil {
			return nil, aerr
		}
		q.ms = ms
		return q, nil
	}
	e, err := parseExpr(q.exprSrc)
	if err != nil {
		return nil, errf("ValidationError", "Error in expression '%s': %v", q.id, err)
	}
	q.expr = e
	if q.period != 0 {
		if aerr := checkPeriod(q.period, it.key("Period"), listName); aerr != nil {
			return nil, aerr
		}
	}
	return q, nil
}

// checkReferences checks that every id an expression names is a query of
// the list, and that no expression references itself, directly or not.
func checkReferences(qs []*mdq, byID map[string]*mdq) *apiError {
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(q *mdq) *apiError
	visit = func(q *mdq) *apiError {
		switch state[q.id] {
		case 1:
			return errf("ValidationError", "Expression '%s' references itself, directly or indirectly.", q.id)
		case 2:
			return nil
		}
		state[q.id] = 1
		if q.expr != nil {
			for _, ref := range q.expr.ids() {
				r := byID[ref]
				if r == nil {
					return errf("ValidationError", "Error in expression '%s': Unrecognized metric or expression id '%s'.", q.id, ref)
				}
				if aerr := visit(r); aerr != nil {
					return aerr
				}
			}
		}
		state[q.id] = 2
		return nil
	}
	for _, q := range qs {
		if aerr := visit(q); aerr != nil {
			return aerr
		}
	}
	return nil
}

// checkPeriod applies CloudWatch's rules on periods: an alarm's must be 10,
// 20, 30 or a multiple of 60 (PutMetricAlarm's ValidationError); a
// GetMetricData query's 1, 5, 10, 20, 30 or a multiple of 60. listName is
// "Metrics" for an alarm's queries, "MetricDataQueries" for GetMetricData's,
// "" for an alarm's own Period.
func checkPeriod(p int64, name, listName string) *apiError {
	if p <= 0 {
		return errf("InvalidParameterValue", "The parameter %s must be greater than 0.", name)
	}
	if p > 86400*7 {
		return errf("ValidationError", "The parameter %s must not exceed 604800 seconds.", name)
	}
	if p%60 == 0 {
		return nil
	}
	if listName == "MetricDataQueries" {
		switch p {
		case 1, 5, 10, 20, 30:
			return nil
		}
		return errf("ValidationError", "The parameter %s must be 1, 5, 10, 20, 30 or a multiple of 60.", name)
	}
	switch p {
	case 10, 20, 30:
		return nil
	}
	return errf("ValidationError", "Period must be 10, 20, 30 or a multiple of 60")
}

func readMetricStat(o obj, listName string) (*metricStat, *apiError) {
	m, ok := o.sub("Metric")
	if !ok {
		return nil, errf("MissingParameter", "The parameter %s.Metric is required.", o.path)
	}
	ms := &metricStat{}
	ms.ns, _ = m.str("Namespace")
	ms.name, _ = m.str("MetricName")
	dims, aerr := readDims(m, "Dimensions")
	if aerr != nil {
		return nil, aerr
	}
	ms.dims = sortedDims(dims)
	period, hasPeriod := o.int("Period")
	ms.stat, _ = o.str("Stat")
	ms.unit, _ = o.str("Unit")
	if o.d.err != nil {
		return nil, o.d.err
	}
	if ms.ns == "" {
		return nil, errf("MissingParameter", "The parameter %s.Namespace is required.", m.path)
	}
	if ms.name == "" {
		return nil, errf("MissingParameter", "The parameter %s.MetricName is required.", m.path)
	}
	if !hasPeriod {
		return nil, errf("MissingParameter", "The parameter %s.Period is required.", o.path)
	}
	if aerr := checkPeriod(period, o.key("Period"), listName); aerr != nil {
		return nil, aerr
	}
	ms.period = period
	if ms.stat == "" {
		return nil, errf("MissingParameter", "The parameter %s.Stat is required.", o.path)
	}
	if !validStat(ms.stat) {
		return nil, errf("InvalidParameterValue", "The value %s for parameter %s.Stat is invalid (awslocal supports Average, Sum, Minimum, Maximum, SampleCount and pNN).", ms.stat, o.path)
	}
	if ms.unit != "" && !standardUnits[ms.unit] {
		return nil, errf("InvalidParameterValue", "The value %s for parameter %s.Unit is invalid.", ms.unit, o.path)
	}
	return ms, nil
}

// point is one datapoint of a query result.
type point struct {
	t int64   // bucket start, Unix seconds
	v float64 // value
	n float64 // sample count behind it (metric stats only)
}

// computeLocked evaluates every query over buckets starting in [from, to)
// and returns each query's points keyed by bucket start.
func (s *Server) computeLocked(qs []*mdq, from, to int64) map[string]map[int64]point {
	byID := map[string]*mdq{}
	for _, q := range qs {
		byID[q.id] = q
	}
	out := map[string]map[int64]point{}
	var get func(q *mdq) map[int64]point
	get = func(q *mdq) map[int64]point {
		if r, ok := out[q.id]; ok {
			return r
		}
		res := map[int64]point{}
		out[q.id] = res // guards against (already rejected) cycles
		if q.ms != nil {
			for b, a := range s.bucketsLocked(q.ms, from, to) {
				if v, ok := a.value(q.ms.stat); ok {
					res[b] = point{t: b, v: v, n: a.n}
				}
			}
			return res
		}
		refs := q.expr.ids()
		if len(refs) == 0 {
			return res
		}
		inputs := make([]map[int64]point, 0, len(refs))
		for _, ref := range refs {
			if r := byID[ref]; r != nil {
				inputs = append(inputs, get(r))
			} else {
				return res
			}
		}
		vals := make(map[string]float64, len(refs))
	next:
		for t := range inputs[0] {
			for i, in := range inputs {
				p, ok := in[t]
				if !ok {
					continue next
				}
				vals[refs[i]] = p.v
			}
			if v, ok := q.expr.eval(vals); ok {
				res[t] = point{t: t, v: v}
			}
		}
		return res
	}
	for _, q := range qs {
		get(q)
	}
	return out
}

func defaultLabel(q *mdq) string {
	if q.label != "" {
		return q.label
	}
	if q.ms != nil {
		return q.ms.name
	}
	return q.id
}

type gmdToken struct {
	Offsets map[string]int `json:"o"`
}

// metricDataRequest is a GetMetricData input as read and checked: the
// queries (still unread), the time range, the order and the page.
type metricDataRequest struct {
	items      []obj
	start, end time.Time
	ascending  bool
	maxDP      int64
	offsets    map[string]int // per query id, the points sent by earlier pages
}

func (s *Server) getMetricData(in obj) (cbor.Map, *apiError) {
	req, aerr := readMetricDataRequest(in)
	if aerr != nil {
		return nil, aerr
	}
	qs, aerr := readQueries(req.items, "MetricDataQueries")
	if aerr != nil {
		return nil, aerr
	}
	if aerr := prepareDataQueries(qs); aerr != nil {
		return nil, aerr
	}
	// A bucket that starts before EndTime is in, even by a fraction of a
	// second (the current, partial period included).
	endSec := req.end.Unix()
	if req.end.Nanosecond() > 0 {
		endSec++
	}
	s.mu.Lock()
	pts := s.computeLocked(qs, req.start.Unix(), endSec)
	s.mu.Unlock()

	results, next := req.page(qs, pts, endSec)
	out := cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}
	if len(next.Offsets) > 0 {
		b, err := json.Marshal(next)
		if err != nil {
			return nil, errf("InternalServiceError", "encode NextToken: %v", err)
		}
		out["NextToken"] = cStr(encodeToken("gmd", string(b)))
	}
	return out, nil
}

// readMetricDataRequest reads and checks GetMetricData's input apart from
// the queries themselves.
func readMetricDataRequest(in obj) (metricDataRequest, *apiError) {
	var req metricDataRequest
	req.items = in.objs("MetricDataQueries")
	start, hasStart := in.time("StartTime")
	end, hasEnd := in.time("EndTime")
	scanBy, _ := in.str("ScanBy")
	maxDP, hasMax := in.int("MaxDatapoints")
	tok, _ := in.str("NextToken")
	if in.d.err != nil {
		return req, in.d.err
	}
	switch {
	case len(req.items) == 0:
		return req, errf("MissingParameter", "The parameter MetricDataQueries is required.")
	case !hasStart:
		return req, errf("MissingParameter", "The parameter StartTime is required.")
	case !hasEnd:
		return req, errf("MissingParameter", "The parameter EndTime is required.")
	case !start.Before(end):
		return req, errf("ValidationError", "The parameter StartTime must be less than the parameter EndTime.")
	case scanBy != "" && scanBy != "TimestampDescending" && scanBy != "TimestampAscending":
		return req, errf("ValidationError", "The value %s for parameter ScanBy is invalid.", scanBy)
	case hasMax && maxDP <= 0:
		return req, errf("InvalidParameterValue", "The parameter MaxDatapoints must be greater than 0.")
	}
	req.start, req.end = start, end
	req.ascending = scanBy == "TimestampAscending"
	req.maxDP = maxPoints
	if hasMax {
		req.maxDP = maxDP
	}
	req.offsets = map[string]int{}
	if tok != "" {
		raw, ok := decodeToken("gmd", tok)
		var t gmdToken
		if !ok || json.Unmarshal([]byte(raw), &t) != nil {
			return req, errf("InvalidNextToken", "The service couldn't process the NextToken.")
		}
		req.offsets = t.Offsets
	}
	return req, nil
}

// prepareDataQueries checks that at least one query returns data, and gives
// each expression without a Period that of the metrics it references.
func prepareDataQueries(qs []*mdq) *apiError {
	returned := 0
	for _, q := range qs {
		if q.returns() {
			returned++
		}
		if q.expr != nil && q.period == 0 {
			q.period = exprPeriod(q, qs)
		}
	}
	if returned == 0 {
		return errf("ValidationError", "At least one element of MetricDataQueries must have ReturnData set to true.")
	}
	return nil
}

// page renders the results of the queries that return data, at most
// MaxDatapoints points over all of them, from where the NextToken left off.
// next holds the offsets for the following page (none when all is sent).
func (req *metricDataRequest) page(qs []*mdq, pts map[string]map[int64]point, endSec int64) (results cbor.List, next gmdToken) {
	budget := int(min(req.maxDP, maxPoints))
	results = cbor.List{}
	next = gmdToken{Offsets: map[string]int{}}
	for _, q := range qs {
		if !q.returns() {
			continue
		}
		ps := req.ordered(q, pts[q.id], endSec)
		off := min(req.offsets[q.id], len(ps))
		ps = ps[off:]
		status := "Complete"
		if len(ps) > budget {
			status = "PartialData"
			next.Offsets[q.id] = off + budget
			ps = ps[:budget]
		}
		budget -= len(ps)
		results = append(results, metricDataResult(q, ps, status))
	}
	return results, next
}

// ordered returns the query's points whose buckets fall in the requested
// range, in the requested order.
func (req *metricDataRequest) ordered(q *mdq, pts map[int64]point, endSec int64) []point {
	from := alignDown(req.start.Unix(), periodOf(q))
	ps := make([]point, 0, len(pts))
	for _, p := range pts {
		if p.t >= from && p.t < endSec {
			ps = append(ps, p)
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		if req.ascending {
			return ps[i].t < ps[j].t
		}
		return ps[i].t > ps[j].t
	})
	return ps
}

// metricDataResult renders a query's points as a types.MetricDataResult.
func metricDataResult(q *mdq, ps []point, status string) cbor.Map {
	ts := make(cbor.List, 0, len(ps))
	vs := make(cbor.List, 0, len(ps))
	for _, p := range ps {
		ts = append(ts, cTime(time.Unix(p.t, 0)))
		vs = append(vs, cFloat(p.v))
	}
	return cbor.Map{
		"Id":         cStr(q.id),
		"Label":      cStr(defaultLabel(q)),
		"Timestamps": ts,
		"Values":     vs,
		"StatusCode": cStr(status),
	}
}

// periodOf is the bucket width of a query's points.
func periodOf(q *mdq) int64 {
	if q.ms != nil {
		return q.ms.period
	}
	if q.period > 0 {
		return q.period
	}
	return 1
}

// exprPeriod is the period of an expression: that of the first metric it
// (transitively) references.
func exprPeriod(q *mdq, qs []*mdq) int64 {
	byID := map[string]*mdq{}
	for _, x := range qs {
		byID[x.id] = x
	}
	seen := map[string]bool{}
	var find func(x *mdq) int64
	find = func(x *mdq) int64 {
		if x == nil || seen[x.id] {
			return 0
		}
		seen[x.id] = true
		if x.ms != nil {
			return x.ms.period
		}
		if x.period > 0 && x != q {
			return x.period
		}
		for _, ref := range x.expr.ids() {
			if p := find(byID[ref]); p > 0 {
				return p
			}
		}
		return 0
	}
	return find(q)
}

func (s *Server) listMetrics(in obj) (cbor.Map, *apiError) {
	ns, _ := in.str("Namespace")
	name, _ := in.str("MetricName")
	var filters []dim
	for _, f := range in.objs("Dimensions") {
		n, _ := f.str("Name")
		v, _ := f.str("Value")
		filters = append(filters, dim{Name: n, Value: v})
	}
	if in.d.err != nil {
		return nil, in.d.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.series))
	for k := range s.series {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	list := cbor.List{}
	for _, k := range keys {
		se := s.series[k]
		if (ns != "" && se.ns != ns) || (name != "" && se.name != name) || !dimsMatch(se.dims, filters) {
			continue
		}
		list = append(list, cbor.Map{"Namespace": cStr(se.ns), "MetricName": cStr(se.name), "Dimensions": cDims(se.dims)})
		if len(list) >= 500 {
			break
		}
	}
	return cbor.Map{"Metrics": list}, nil
}

func dimsMatch(have, filters []dim) bool {
	for _, f := range filters {
		found := false
		for _, d := range have {
			if d.Name == f.Name && (f.Value == "" || d.Value == f.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
