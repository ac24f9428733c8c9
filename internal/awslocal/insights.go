package awslocal

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A small CloudWatch Logs Insights engine: the language subset that the
// workshop's queries use, with AWS's documented semantics.
//
//	fields  expr [as name], ...          (field references, literals, + - * / %)
//	display field, ...
//	filter  condition                    (= != < <= > >=, like / =~ with "substring"
//	                                      or /regex/, not like, and, or, not, (),
//	                                      ispresent(field))
//	stats   agg(arg) [as name], ... [by field|bin(period) [as name], ...]
//	                                     (count(*), count(), count(f), count_distinct(f),
//	                                      sum, avg, min, max; at most two stats)
//	sort    field [asc|desc], ...        (ascending by default)
//	limit   n
//
// Commands are joined with |, keywords are case-insensitive, # starts a
// comment. Fields are @timestamp, @message, @logStream, @log,
// @ingestionTime and, when @message is a JSON object, its members (nested
// ones as a.b.c). After stats only the fields that stats defines exist: any
// later reference to another field makes the query malformed, as the Logs
// Insights documentation says ("Any fields that you reference after the
// first stats command must be defined in that first stats command").
// Anything outside this subset is a MalformedQueryException that names it.

// iqQuery is a parsed query.
type iqQuery struct {
	cmds []iqCmd
}

// iqCmd is one command of the pipeline.
type iqCmd interface{ cmdName() string }

type iqProj struct {
	e    iqExpr
	name string
}

type iqFields struct {
	items   []iqProj
	display bool
}

type iqFilter struct{ e iqExpr }

type iqAgg struct {
	fn   string // count, count_distinct, sum, avg, min, max
	arg  string // field; "" for count(*) / count()
	name string
}

type iqGroup struct {
	field string // the field grouped by, or ""
	bin   int64  // bin period in ms, when field is ""
	name  string
}

type iqStats struct {
	aggs []iqAgg
	by   []iqGroup
}

type iqSortKey struct {
	field string
	desc  bool
}

type iqSort struct{ keys []iqSortKey }

type iqLimit struct{ n int }

func (*iqFields) cmdName() string { return "fields" }
func (*iqFilter) cmdName() string { return "filter" }
func (*iqStats) cmdName() string  { return "stats" }
func (*iqSort) cmdName() string   { return "sort" }
func (*iqLimit) cmdName() string  { return "limit" }

// iqSyntaxError is a query compile error at a byte range of the query.
type iqSyntaxError struct {
	start, end int
	msg        string
}

func (e *iqSyntaxError) Error() string { return e.msg }

// Tokens.

type iqTokKind int

const (
	tkEOF iqTokKind = iota
	tkIdent
	tkString
	tkNumber
	tkRegex
	tkOp
)

type iqTok struct {
	kind       iqTokKind
	text       string // identifier, unquoted string, number, regex body, or operator
	start, end int
}

// lexInsights splits a query into tokens; a regular expression is /.../
// where an operand is expected.
func lexInsights(src string) ([]iqTok, error) {
	var toks []iqTok
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'':
			j, s, err := lexQuoted(src, i)
			if err != nil {
				return nil, err
			}
			toks, i = append(toks, iqTok{tkString, s, i, j}), j
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j < 0 {
				return nil, &iqSyntaxError{i, len(src), "unterminated backtick field name"}
			}
			toks, i = append(toks, iqTok{tkIdent, src[i+1 : i+1+j], i, i + j + 2}), i+j+2
		case c == '/' && regexAllowed(toks):
			j := i + 1
			for j < len(src) && src[j] != '/' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(src) {
				return nil, &iqSyntaxError{i, len(src), "unterminated regular expression"}
			}
			toks, i = append(toks, iqTok{tkRegex, src[i+1 : j], i, j + 1}), j+1
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks, i = append(toks, iqTok{tkIdent, src[i:j], i, j}), j
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			j := i
			for j < len(src) && (isIdentPart(src[j]) && src[j] != '@') {
				j++
			}
			toks, i = append(toks, iqTok{tkNumber, src[i:j], i, j}), j
		default:
			op := lexOp(src[i:])
			if op == "" {
				return nil, &iqSyntaxError{i, i + 1, fmt.Sprintf("unexpected character %q", c)}
			}
			toks, i = append(toks, iqTok{tkOp, op, i, i + len(op)}), i+len(op)
		}
	}
	return append(toks, iqTok{tkEOF, "", len(src), len(src)}), nil
}

func lexQuoted(src string, i int) (int, string, error) {
	q := src[i]
	var b strings.Builder
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if j+1 < len(src) {
				j++
				b.WriteByte(src[j])
			}
		case q:
			return j + 1, b.String(), nil
		default:
			b.WriteByte(src[j])
		}
	}
	return 0, "", &iqSyntaxError{i, len(src), "unterminated string"}
}

func lexOp(s string) string {
	for _, op := range []string{"!=", "<=", ">=", "=~", "=", "<", ">", "(", ")", ",", "|", "*", "+", "-", "/", "%", "[", "]"} {
		if strings.HasPrefix(s, op) {
			return op
		}
	}
	return ""
}

// regexAllowed reports whether a / after toks starts a regular expression
// (after like, =~, or an opening operator) rather than dividing.
func regexAllowed(toks []iqTok) bool {
	if len(toks) == 0 {
		return true
	}
	t := toks[len(toks)-1]
	switch t.kind {
	case tkIdent:
		return strings.EqualFold(t.text, "like")
	case tkOp:
		return t.text == "=~" || t.text == "(" || t.text == "," || t.text == "|"
	}
	return false
}

func isIdentStart(c byte) bool {
	return c == '@' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool {
	return isIdentStart(c) || c >= '0' && c <= '9' || c == '.'
}

// The parser.

type iqParser struct {
	src  string
	toks []iqTok
	pos  int
}

func (p *iqParser) peek() iqTok { return p.toks[p.pos] }

func (p *iqParser) next() iqTok {
	t := p.toks[p.pos]
	if t.kind != tkEOF {
		p.pos++
	}
	return t
}

func (p *iqParser) errAt(t iqTok, format string, a ...any) error {
	end := max(t.end, t.start+1)
	return &iqSyntaxError{t.start, min(end, len(p.src)), fmt.Sprintf(format, a...)}
}

// isKeyword reports whether t is the identifier kw (case-insensitive).
func isKeyword(t iqTok, kw string) bool {
	return t.kind == tkIdent && strings.EqualFold(t.text, kw)
}

func (p *iqParser) accept(op string) bool {
	if t := p.peek(); t.kind == tkOp && t.text == op {
		p.pos++
		return true
	}
	return false
}

func (p *iqParser) acceptKeyword(kw string) bool {
	if isKeyword(p.peek(), kw) {
		p.pos++
		return true
	}
	return false
}

func (p *iqParser) expect(op string) error {
	if !p.accept(op) {
		t := p.peek()
		return p.errAt(t, "expected %q, found %s", op, describeTok(t))
	}
	return nil
}

func describeTok(t iqTok) string {
	if t.kind == tkEOF {
		return "the end of the query"
	}
	return strconv.Quote(t.text)
}

// fieldName reads a field reference.
func (p *iqParser) fieldName() (string, error) {
	t := p.next()
	if t.kind != tkIdent {
		return "", p.errAt(t, "expected a field name, found %s", describeTok(t))
	}
	return t.text, nil
}

// parseInsights parses a query of the supported subset.
func parseInsights(src string) (*iqQuery, error) {
	toks, err := lexInsights(src)
	if err != nil {
		return nil, err
	}
	p := &iqParser{src: src, toks: toks}
	q := &iqQuery{}
	for {
		cmd, err := p.command()
		if err != nil {
			return nil, err
		}
		q.cmds = append(q.cmds, cmd)
		if p.accept("|") {
			continue
		}
		if t := p.peek(); t.kind != tkEOF {
			return nil, p.errAt(t, "unexpected %s after the %s command", describeTok(t), cmd.cmdName())
		}
		break
	}
	if err := checkPipeline(src, q); err != nil {
		return nil, err
	}
	return q, nil
}

func (p *iqParser) command() (iqCmd, error) {
	t := p.next()
	if t.kind != tkIdent {
		return nil, p.errAt(t, "expected a command (fields, display, filter, stats, sort or limit), found %s", describeTok(t))
	}
	switch strings.ToLower(t.text) {
	case "fields":
		return p.fields(false)
	case "display":
		return p.fields(true)
	case "filter":
		e, err := p.orExpr()
		return &iqFilter{e}, err
	case "stats":
		return p.stats()
	case "sort":
		return p.sortCmd()
	case "limit":
		n := p.next()
		v, err := strconv.Atoi(n.text)
		if n.kind != tkNumber || err != nil || v < 1 || v > 10000 {
			return nil, p.errAt(n, "limit takes a whole number from 1 to 10000, found %s", describeTok(n))
		}
		return &iqLimit{v}, nil
	}
	return nil, p.errAt(t, "awslocal's Logs Insights does not support the %s command (it supports fields, display, filter, stats, sort and limit)", t.text)
}

func (p *iqParser) fields(display bool) (iqCmd, error) {
	f := &iqFields{display: display}
	for {
		start := p.peek()
		var item iqProj
		if display {
			name, err := p.fieldName()
			if err != nil {
				return nil, err
			}
			item = iqProj{e: &iqField{name}, name: name}
		} else {
			e, err := p.addExpr()
			if err != nil {
				return nil, err
			}
			item = iqProj{e: e, name: strings.TrimSpace(p.src[start.start:p.toks[p.pos-1].end])}
			if p.acceptKeyword("as") {
				if item.name, err = p.fieldName(); err != nil {
					return nil, err
				}
			}
		}
		f.items = append(f.items, item)
		if !p.accept(",") {
			return f, nil
		}
	}
}

var iqAggFuncs = map[string]bool{"count": true, "count_distinct": true, "sum": true, "avg": true, "min": true, "max": true}

func (p *iqParser) stats() (iqCmd, error) {
	st := &iqStats{}
	for {
		start := p.peek()
		fn := p.next()
		if fn.kind != tkIdent || !iqAggFuncs[strings.ToLower(fn.text)] {
			return nil, p.errAt(fn, "expected an aggregation function (count, count_distinct, sum, avg, min, max), found %s", describeTok(fn))
		}
		agg := iqAgg{fn: strings.ToLower(fn.text)}
		if err := p.expect("("); err != nil {
			return nil, err
		}
		switch {
		case p.accept("*"):
		case p.peek().kind == tkOp && p.peek().text == ")":
		default:
			name, err := p.fieldName()
			if err != nil {
				return nil, err
			}
			agg.arg = name
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		if agg.arg == "" && agg.fn != "count" {
			return nil, p.errAt(start, "%s needs a field", agg.fn)
		}
		if t := p.peek(); t.kind == tkOp && strings.Contains("+-*/%", t.text) {
			return nil, p.errAt(t, "awslocal's Logs Insights does not support arithmetic on aggregates")
		}
		agg.name = strings.TrimSpace(p.src[start.start:p.toks[p.pos-1].end])
		if p.acceptKeyword("as") {
			var err error
			if agg.name, err = p.fieldName(); err != nil {
				return nil, err
			}
		}
		st.aggs = append(st.aggs, agg)
		if !p.accept(",") {
			break
		}
	}
	if !p.acceptKeyword("by") {
		return st, nil
	}
	for {
		g, err := p.group()
		if err != nil {
			return nil, err
		}
		st.by = append(st.by, g)
		if !p.accept(",") {
			return st, nil
		}
	}
}

func (p *iqParser) group() (iqGroup, error) {
	start := p.peek()
	var g iqGroup
	if isKeyword(start, "bin") && p.toks[p.pos+1].kind == tkOp && p.toks[p.pos+1].text == "(" {
		p.pos += 2
		t := p.next()
		d, err := parseBinPeriod(t.text)
		if t.kind != tkNumber || err != nil {
			return g, p.errAt(t, "bin takes a period such as 5m or 1h: %v", err)
		}
		if err := p.expect(")"); err != nil {
			return g, err
		}
		g.bin = d.Milliseconds()
	} else {
		name, err := p.fieldName()
		if err != nil {
			return g, err
		}
		g.field = name
	}
	g.name = strings.TrimSpace(p.src[start.start:p.toks[p.pos-1].end])
	if p.acceptKeyword("as") {
		var err error
		if g.name, err = p.fieldName(); err != nil {
			return g, err
		}
	}
	return g, nil
}

// binUnits are the fixed-length units of bin(); months, quarters and years
// are calendar units that awslocal does not support.
var binUnits = map[string]time.Duration{
	"ms": time.Millisecond, "msec": time.Millisecond, "millisecond": time.Millisecond,
	"s": time.Second, "sec": time.Second, "second": time.Second,
	"m": time.Minute, "min": time.Minute, "minute": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hour": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour,
}

func parseBinPeriod(s string) (time.Duration, error) {
	i := strings.IndexFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	if i <= 0 {
		return 0, fmt.Errorf("%q has no number", s)
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n < 1 || n > 1000000 {
		return 0, fmt.Errorf("%q: bad number", s)
	}
	unit := strings.ToLower(s[i:])
	d, ok := binUnits[unit]
	if !ok {
		d, ok = binUnits[strings.TrimSuffix(unit, "s")]
	}
	if !ok {
		return 0, fmt.Errorf("%q: unit %q is not one of ms, s, m, h, d, w", s, s[i:])
	}
	return time.Duration(n) * d, nil
}

func (p *iqParser) sortCmd() (iqCmd, error) {
	st := &iqSort{}
	for {
		name, err := p.fieldName()
		if err != nil {
			return nil, err
		}
		k := iqSortKey{field: name}
		if p.acceptKeyword("desc") {
			k.desc = true
		} else {
			p.acceptKeyword("asc")
		}
		st.keys = append(st.keys, k)
		if !p.accept(",") {
			return st, nil
		}
	}
}

// Expressions.

func (p *iqParser) orExpr() (iqExpr, error) {
	l, err := p.andExpr()
	for err == nil && p.acceptKeyword("or") {
		var r iqExpr
		if r, err = p.andExpr(); err == nil {
			l = &iqBinary{op: "or", l: l, r: r}
		}
	}
	return l, err
}

func (p *iqParser) andExpr() (iqExpr, error) {
	l, err := p.notExpr()
	for err == nil && p.acceptKeyword("and") {
		var r iqExpr
		if r, err = p.notExpr(); err == nil {
			l = &iqBinary{op: "and", l: l, r: r}
		}
	}
	return l, err
}

func (p *iqParser) notExpr() (iqExpr, error) {
	if p.acceptKeyword("not") {
		e, err := p.notExpr()
		return &iqNot{e}, err
	}
	return p.cmpExpr()
}

func (p *iqParser) cmpExpr() (iqExpr, error) {
	l, err := p.addExpr()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	switch {
	case t.kind == tkOp && (t.text == "=" || t.text == "!=" || t.text == "<" || t.text == "<=" || t.text == ">" || t.text == ">="):
		p.pos++
		r, err := p.addExpr()
		return &iqBinary{op: t.text, l: l, r: r}, err
	case t.kind == tkOp && t.text == "=~", isKeyword(t, "like"):
		p.pos++
		return p.likeOperand(l, false)
	case isKeyword(t, "not") && isKeyword(p.toks[p.pos+1], "like"):
		p.pos += 2
		return p.likeOperand(l, true)
	}
	return l, nil
}

func (p *iqParser) likeOperand(l iqExpr, negate bool) (iqExpr, error) {
	t := p.next()
	switch t.kind {
	case tkString:
		return &iqLike{e: l, substr: t.text, negate: negate}, nil
	case tkRegex:
		re, err := regexp.Compile(t.text)
		if err != nil {
			return nil, p.errAt(t, "bad regular expression: %v", err)
		}
		return &iqLike{e: l, re: re, negate: negate}, nil
	}
	return nil, p.errAt(t, "like takes a \"string\" or a /regular expression/, found %s", describeTok(t))
}

func (p *iqParser) addExpr() (iqExpr, error) {
	l, err := p.mulExpr()
	for err == nil {
		t := p.peek()
		if t.kind != tkOp || (t.text != "+" && t.text != "-") {
			break
		}
		p.pos++
		var r iqExpr
		if r, err = p.mulExpr(); err == nil {
			l = &iqBinary{op: t.text, l: l, r: r}
		}
	}
	return l, err
}

func (p *iqParser) mulExpr() (iqExpr, error) {
	l, err := p.unary()
	for err == nil {
		t := p.peek()
		if t.kind != tkOp || (t.text != "*" && t.text != "/" && t.text != "%") {
			break
		}
		p.pos++
		var r iqExpr
		if r, err = p.unary(); err == nil {
			l = &iqBinary{op: t.text, l: l, r: r}
		}
	}
	return l, err
}

func (p *iqParser) unary() (iqExpr, error) {
	if p.accept("-") {
		e, err := p.unary()
		return &iqBinary{op: "-", l: &iqLit{numVal(0)}, r: e}, err
	}
	return p.primary()
}

func (p *iqParser) primary() (iqExpr, error) {
	t := p.next()
	switch t.kind {
	case tkNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, p.errAt(t, "bad number %s", describeTok(t))
		}
		return &iqLit{numVal(f)}, nil
	case tkString:
		return &iqLit{strVal(t.text)}, nil
	case tkOp:
		if t.text == "(" {
			e, err := p.orExpr()
			if err == nil {
				err = p.expect(")")
			}
			return e, err
		}
	case tkIdent:
		if nt := p.peek(); nt.kind == tkOp && nt.text == "(" {
			return p.call(t)
		}
		return &iqField{t.text}, nil
	}
	return nil, p.errAt(t, "expected a field, a number or a string, found %s", describeTok(t))
}

func (p *iqParser) call(fn iqTok) (iqExpr, error) {
	if !strings.EqualFold(fn.text, "ispresent") {
		return nil, p.errAt(fn, "awslocal's Logs Insights does not support the function %s here (it supports ispresent; aggregations belong in stats, bin in stats ... by)", fn.text)
	}
	p.pos++ // (
	name, err := p.fieldName()
	if err != nil {
		return nil, err
	}
	if err := p.expect(")"); err != nil {
		return nil, err
	}
	return &iqPresent{name}, nil
}

// checkPipeline applies the documented rules on the order of commands:
// at most two stats; sort and limit only after the second stats; after a
// stats, only the fields it defines may be referenced; bin() needs
// @timestamp, which a first stats does not pass on.
func checkPipeline(src string, q *iqQuery) error {
	var schema map[string]bool // nil: every event field
	statsSeen, sortOrLimit := 0, false
	for _, c := range q.cmds {
		refs := cmdRefs(c)
		for _, r := range refs {
			if schema != nil && !schema[r] {
				return &iqSyntaxError{0, len(src), fmt.Sprintf("field %s is not defined after stats: any field referenced after a stats command must be defined in that stats command (by or as)", r)}
			}
		}
		switch c := c.(type) {
		case *iqStats:
			statsSeen++
			if statsSeen > 2 {
				return &iqSyntaxError{0, len(src), "a query can have at most two stats commands"}
			}
			if statsSeen == 2 && sortOrLimit {
				return &iqSyntaxError{0, len(src), "sort and limit must come after the second stats command"}
			}
			for _, g := range c.by {
				if g.field == "" && schema != nil {
					return &iqSyntaxError{0, len(src), "bin() in a second stats command needs @timestamp, which the first stats command does not define"}
				}
			}
			schema = map[string]bool{}
			for _, n := range statsOutput(c) {
				schema[n] = true
			}
		case *iqFields:
			if schema != nil {
				for _, it := range c.items {
					schema[it.name] = true
				}
			}
		case *iqSort, *iqLimit:
			sortOrLimit = true
		}
	}
	return nil
}

// statsOutput is the ordered list of fields a stats command defines.
func statsOutput(st *iqStats) []string {
	var out []string
	for _, g := range st.by {
		out = append(out, g.name)
	}
	for _, a := range st.aggs {
		out = append(out, a.name)
	}
	return out
}

// cmdRefs lists the fields a command reads.
func cmdRefs(c iqCmd) []string {
	var refs []string
	switch c := c.(type) {
	case *iqFields:
		for _, it := range c.items {
			it.e.refs(&refs)
		}
	case *iqFilter:
		c.e.refs(&refs)
	case *iqStats:
		for _, a := range c.aggs {
			if a.arg != "" {
				refs = append(refs, a.arg)
			}
		}
		for _, g := range c.by {
			if g.field != "" {
				refs = append(refs, g.field)
			}
		}
	case *iqSort:
		for _, k := range c.keys {
			refs = append(refs, k.field)
		}
	}
	return refs
}
