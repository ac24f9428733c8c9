package awslocal

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Values, expressions and the execution of a parsed Logs Insights query.

type iqKind uint8

const (
	vNull iqKind = iota
	vStr
	vNum
	vTime // n is epoch milliseconds
	vBool
)

// iqVal is a field value. Numbers keep the text they were read from, so
// results show them as written.
type iqVal struct {
	kind iqKind
	s    string
	n    float64
}

func strVal(s string) iqVal   { return iqVal{kind: vStr, s: s} }
func numVal(f float64) iqVal  { return iqVal{kind: vNum, n: f} }
func boolVal(b bool) iqVal    { return iqVal{kind: vBool, n: map[bool]float64{false: 0, true: 1}[b]} }
func timeVal(ms int64) iqVal  { return iqVal{kind: vTime, n: float64(ms)} }
func (v iqVal) isNull() bool  { return v.kind == vNull }
func (v iqVal) truthy() bool  { return v.kind == vBool && v.n != 0 }
func (v iqVal) numeric() bool { return v.kind == vNum || v.kind == vTime }
func fmtInsightsTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000")
}

// String renders a value as GetQueryResults does.
func (v iqVal) String() string {
	switch v.kind {
	case vStr:
		return v.s
	case vNum:
		if v.s != "" {
			return v.s
		}
		return strconv.FormatFloat(v.n, 'f', -1, 64)
	case vTime:
		return fmtInsightsTime(int64(v.n))
	case vBool:
		return strconv.FormatBool(v.n != 0)
	}
	return ""
}

// number returns v as a number: numbers and times as they are, strings
// that read as numbers.
func (v iqVal) number() (float64, bool) {
	switch v.kind {
	case vNum, vTime:
		return v.n, true
	case vStr:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// iqRow is one row of the pipeline: the fields of an event, or of a stats
// result.
type iqRow map[string]iqVal

// iqExpr is an expression over a row.
type iqExpr interface {
	eval(r iqRow) iqVal
	refs(out *[]string)
}

type iqField struct{ name string }

type iqLit struct{ v iqVal }

type iqBinary struct {
	op   string
	l, r iqExpr
}

type iqNot struct{ e iqExpr }

type iqLike struct {
	e      iqExpr
	substr string
	re     *regexp.Regexp
	negate bool
}

type iqPresent struct{ name string }

func (e *iqField) eval(r iqRow) iqVal   { return r[e.name] }
func (e *iqField) refs(out *[]string)   { *out = append(*out, e.name) }
func (e *iqLit) eval(iqRow) iqVal       { return e.v }
func (e *iqLit) refs(*[]string)         {}
func (e *iqNot) eval(r iqRow) iqVal     { return boolVal(!e.e.eval(r).truthy()) }
func (e *iqNot) refs(out *[]string)     { e.e.refs(out) }
func (e *iqPresent) eval(r iqRow) iqVal { return boolVal(!r[e.name].isNull()) }
func (e *iqPresent) refs(out *[]string) { *out = append(*out, e.name) }
func (e *iqLike) refs(out *[]string)    { e.e.refs(out) }
func (e *iqBinary) refs(out *[]string)  { e.l.refs(out); e.r.refs(out) }
func (e *iqLike) eval(r iqRow) iqVal {
	v := e.e.eval(r)
	if v.isNull() {
		return boolVal(false)
	}
	s := v.String()
	m := strings.Contains(s, e.substr)
	if e.re != nil {
		m = e.re.MatchString(s)
	}
	return boolVal(m != e.negate)
}

func (e *iqBinary) eval(r iqRow) iqVal {
	switch e.op {
	case "and":
		return boolVal(e.l.eval(r).truthy() && e.r.eval(r).truthy())
	case "or":
		return boolVal(e.l.eval(r).truthy() || e.r.eval(r).truthy())
	}
	l, rv := e.l.eval(r), e.r.eval(r)
	switch e.op {
	case "+", "-", "*", "/", "%":
		return arith(e.op, l, rv)
	}
	c, ok := compareVals(l, rv)
	if !ok {
		return boolVal(false)
	}
	return boolVal(map[string]bool{"=": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[e.op])
}

func arith(op string, l, r iqVal) iqVal {
	a, ok1 := l.number()
	b, ok2 := r.number()
	if !ok1 || !ok2 {
		return iqVal{}
	}
	var f float64
	switch op {
	case "+":
		f = a + b
	case "-":
		f = a - b
	case "*":
		f = a * b
	case "/":
		f = a / b
	case "%":
		f = math.Mod(a, b)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return iqVal{}
	}
	return numVal(f)
}

// compareVals compares two values: numerically when both read as numbers,
// else as strings; a comparison with a missing field is false.
func compareVals(a, b iqVal) (int, bool) {
	if a.isNull() || b.isNull() {
		return 0, false
	}
	if a.numeric() || b.numeric() {
		x, ok1 := a.number()
		y, ok2 := b.number()
		if ok1 && ok2 {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	return strings.Compare(a.String(), b.String()), true
}

// iqEvent is a log event as a query sees it.
type iqEvent struct {
	group, stream string
	e             logEvent
}

// eventRow builds the fields of an event, with the members of a JSON
// message flattened (a.b.c, arrays as a.0).
func eventRow(ev iqEvent) iqRow {
	r := iqRow{
		"@timestamp":     timeVal(ev.e.ts),
		"@message":       strVal(ev.e.msg),
		"@logStream":     strVal(ev.stream),
		"@log":           strVal(accountID + ":" + ev.group),
		"@ingestionTime": timeVal(ev.e.ingest),
		"@ptr":           strVal(base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s\x00%s\x00%d", ev.group, ev.stream, ev.e.seq))),
	}
	msg := strings.TrimSpace(ev.e.msg)
	if !strings.HasPrefix(msg, "{") {
		return r
	}
	dec := json.NewDecoder(strings.NewReader(msg))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return r
	}
	flattenJSON(r, "", v, 0)
	return r
}

func flattenJSON(r iqRow, prefix string, v any, depth int) {
	if depth > 16 {
		return
	}
	join := func(k string) string {
		if prefix == "" {
			return k
		}
		return prefix + "." + k
	}
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			flattenJSON(r, join(k), x, depth+1)
		}
	case []any:
		for i, x := range v {
			flattenJSON(r, join(strconv.Itoa(i)), x, depth+1)
		}
	case json.Number:
		f, err := v.Float64()
		if err == nil {
			r[prefix] = iqVal{kind: vNum, s: v.String(), n: f}
		} else {
			r[prefix] = strVal(v.String())
		}
	case string:
		r[prefix] = strVal(v)
	case bool:
		r[prefix] = boolVal(v)
	}
}

// iqResult is the outcome of a query.
type iqResult struct {
	rows    []iqRow
	columns []string // output fields in order; nil: the default event fields
	matched int64
	scanned int64
	bytes   int64
}

// defaultColumns are the fields of a query with no fields, display or stats.
var defaultColumns = []string{"@timestamp", "@message", "@logStream", "@log"}

// run executes the query over events (already limited to the time range);
// limit caps the rows returned.
func (q *iqQuery) run(events []iqEvent, limit int) iqResult {
	res := iqResult{scanned: int64(len(events))}
	rows := make([]iqRow, 0, len(events))
	for _, ev := range events {
		res.bytes += int64(len(ev.e.msg))
		rows = append(rows, eventRow(ev))
	}
	stats, sorted, limited := false, false, false
	for _, c := range q.cmds {
		switch c := c.(type) {
		case *iqFilter:
			kept := rows[:0]
			for _, r := range rows {
				if c.e.eval(r).truthy() {
					kept = append(kept, r)
				}
			}
			rows = kept
		case *iqFields:
			rows, res.columns = project(rows, c, res.columns, stats)
		case *iqStats:
			if !stats {
				res.matched = int64(len(rows))
			}
			rows, res.columns, stats = aggregate(rows, c), statsOutput(c), true
		case *iqSort:
			sortRows(rows, c.keys)
			sorted = true
		case *iqLimit:
			rows, limited = rows[:min(len(rows), c.n)], true
			limit = min(limit, c.n)
		}
	}
	if !stats {
		res.matched = int64(len(rows))
		if !sorted && !limited {
			sortRows(rows, []iqSortKey{{field: "@timestamp", desc: true}})
		}
	}
	res.rows = rows[:min(len(rows), limit)]
	return res
}

// project evaluates fields/display: the named values are added to each row
// (fields) and become the output columns.
func project(rows []iqRow, c *iqFields, cols []string, afterStats bool) ([]iqRow, []string) {
	var out []string
	if !c.display && (afterStats || cols != nil) {
		out = append(out, cols...)
	}
	for _, it := range c.items {
		for _, r := range rows {
			r[it.name] = it.e.eval(r)
		}
		if !containsStr(out, it.name) {
			out = append(out, it.name)
		}
	}
	return rows, out
}

func containsStr(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

type iqAggState struct {
	count    int64
	distinct map[string]struct{}
	sum      float64
	n        int64
	min, max float64
}

// aggregate runs stats: rows without a value for a by field are left out;
// groups come out in the order of their keys, time bins newest first.
func aggregate(rows []iqRow, st *iqStats) []iqRow {
	type group struct {
		keys []iqVal
		aggs []iqAggState
	}
	groups := map[string]*group{}
	var order []string
	for _, r := range rows {
		keys := make([]iqVal, len(st.by))
		var kb strings.Builder
		ok := true
		for i, g := range st.by {
			keys[i] = groupKey(r, g)
			ok = ok && !keys[i].isNull()
			kb.WriteString(keys[i].String())
			kb.WriteByte(0)
		}
		if !ok {
			continue
		}
		gr := groups[kb.String()]
		if gr == nil {
			gr = &group{keys: keys, aggs: make([]iqAggState, len(st.aggs))}
			groups[kb.String()] = gr
			order = append(order, kb.String())
		}
		for i, a := range st.aggs {
			gr.aggs[i].add(a, r)
		}
	}
	out := make([]iqRow, 0, len(order))
	for _, k := range order {
		gr := groups[k]
		row := iqRow{}
		for i, g := range st.by {
			row[g.name] = gr.keys[i]
		}
		for i, a := range st.aggs {
			row[a.name] = gr.aggs[i].result(a)
		}
		out = append(out, row)
	}
	var keys []iqSortKey
	for _, g := range st.by {
		keys = append(keys, iqSortKey{field: g.name, desc: g.field == ""})
	}
	sortRows(out, keys)
	return out
}

func groupKey(r iqRow, g iqGroup) iqVal {
	if g.field != "" {
		return r[g.field]
	}
	ts, ok := r["@timestamp"]
	if !ok {
		return iqVal{}
	}
	ms := int64(ts.n)
	b := ms - ((ms%g.bin)+g.bin)%g.bin
	return timeVal(b)
}

func (s *iqAggState) add(a iqAgg, r iqRow) {
	if a.arg == "" {
		s.count++
		return
	}
	v := r[a.arg]
	if v.isNull() {
		return
	}
	s.count++
	switch a.fn {
	case "count_distinct":
		if s.distinct == nil {
			s.distinct = map[string]struct{}{}
		}
		s.distinct[v.String()] = struct{}{}
	case "sum", "avg", "min", "max":
		f, ok := v.number()
		if !ok {
			return
		}
		if s.n == 0 || f < s.min {
			s.min = f
		}
		if s.n == 0 || f > s.max {
			s.max = f
		}
		s.sum += f
		s.n++
	}
}

func (s *iqAggState) result(a iqAgg) iqVal {
	switch a.fn {
	case "count":
		return numVal(float64(s.count))
	case "count_distinct":
		return numVal(float64(len(s.distinct)))
	}
	if s.n == 0 {
		return iqVal{}
	}
	switch a.fn {
	case "sum":
		return numVal(s.sum)
	case "avg":
		return numVal(s.sum / float64(s.n))
	case "min":
		return numVal(s.min)
	}
	return numVal(s.max)
}

// sortRows orders rows by keys: numbers numerically after every other
// value, strings by code point, missing values last.
func sortRows(rows []iqRow, keys []iqSortKey) {
	sort.SliceStable(rows, func(i, j int) bool {
		for _, k := range keys {
			a, b := rows[i][k.field], rows[j][k.field]
			if a.isNull() != b.isNull() {
				return b.isNull()
			}
			c := sortCompare(a, b)
			if c != 0 {
				return (c < 0) != k.desc
			}
		}
		return false
	})
}

func sortCompare(a, b iqVal) int {
	x, aNum := a.number()
	y, bNum := b.number()
	switch {
	case aNum && bNum:
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case aNum:
		return 1
	case bNum:
		return -1
	}
	return bytes.Compare([]byte(a.String()), []byte(b.String()))
}

// resultFields renders the rows as GetQueryResults' [[{field, value}]]:
// every output column a row has, then @ptr for event rows.
func (res iqResult) resultFields() [][]resultField {
	cols := res.columns
	withPtr := false
	if cols == nil {
		cols, withPtr = defaultColumns, true
	}
	out := make([][]resultField, 0, len(res.rows))
	for _, r := range res.rows {
		line := []resultField{}
		for _, c := range cols {
			if v, ok := r[c]; ok && !v.isNull() {
				line = append(line, resultField{Field: c, Value: v.String()})
			}
		}
		if p, ok := r["@ptr"]; ok && (withPtr || res.columns != nil) {
			line = append(line, resultField{Field: "@ptr", Value: p.s})
		}
		out = append(out, line)
	}
	return out
}

type resultField struct {
	Field string `json:"field"`
	Value string `json:"value"`
}
