package awslocal

import (
	"fmt"
	"math"
	"strconv"
)

// A metric-math expression: + - * / with the usual precedence, unary minus,
// parentheses, numbers and query ids (e.g. "mm1m1 * 100 / mm0m1"). Functions
// (SUM, METRICS(), FILL ...) are not supported.

// maxExprLen and maxExprDepth bound what the parser accepts (AWS allows
// 2048 characters).
const (
	maxExprLen   = 2048
	maxExprDepth = 64
)

type exprNode struct {
	op    byte // 0 = number, 'i' = id, '+', '-', '*', '/', 'n' = negate
	num   float64
	id    string
	left  *exprNode
	right *exprNode
}

type exprParser struct {
	src   string
	pos   int
	depth int
}

// parseExpr parses a metric-math expression.
func parseExpr(src string) (*exprNode, error) {
	if len(src) > maxExprLen {
		return nil, fmt.Errorf("expression longer than %d characters", maxExprLen)
	}
	p := &exprParser{src: src}
	n, err := p.sum()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return nil, fmt.Errorf("unexpected %q at position %d", p.src[p.pos], p.pos+1)
	}
	return n, nil
}

func (p *exprParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *exprParser) sum() (*exprNode, error) {
	l, err := p.product()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || (p.src[p.pos] != '+' && p.src[p.pos] != '-') {
			return l, nil
		}
		op := p.src[p.pos]
		p.pos++
		r, err := p.product()
		if err != nil {
			return nil, err
		}
		l = &exprNode{op: op, left: l, right: r}
	}
}

func (p *exprParser) product() (*exprNode, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		p.skipSpace()
		if p.pos >= len(p.src) || (p.src[p.pos] != '*' && p.src[p.pos] != '/') {
			return l, nil
		}
		op := p.src[p.pos]
		p.pos++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &exprNode{op: op, left: l, right: r}
	}
}

func (p *exprParser) unary() (*exprNode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxExprDepth {
		return nil, fmt.Errorf("expression nested deeper than %d", maxExprDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, fmt.Errorf("unexpected end of expression")
	}
	switch c := p.src[p.pos]; {
	case c == '-':
		p.pos++
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &exprNode{op: 'n', left: x}, nil
	case c == '+':
		p.pos++
		return p.unary()
	case c == '(':
		p.pos++
		x, err := p.sum()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.src) || p.src[p.pos] != ')' {
			return nil, fmt.Errorf("missing ) at position %d", p.pos+1)
		}
		p.pos++
		return x, nil
	case c >= '0' && c <= '9' || c == '.':
		start := p.pos
		for p.pos < len(p.src) && (isDigit(p.src[p.pos]) || p.src[p.pos] == '.') {
			p.pos++
		}
		if p.pos < len(p.src) && (p.src[p.pos] == 'e' || p.src[p.pos] == 'E') {
			q := p.pos + 1
			if q < len(p.src) && (p.src[q] == '+' || p.src[q] == '-') {
				q++
			}
			if q < len(p.src) && isDigit(p.src[q]) {
				for q < len(p.src) && isDigit(p.src[q]) {
					q++
				}
				p.pos = q
			}
		}
		f, err := strconv.ParseFloat(p.src[start:p.pos], 64)
		if err != nil || math.IsInf(f, 0) {
			return nil, fmt.Errorf("bad number %q", p.src[start:p.pos])
		}
		return &exprNode{num: f}, nil
	case isIDStart(c):
		start := p.pos
		for p.pos < len(p.src) && isIDChar(p.src[p.pos]) {
			p.pos++
		}
		id := p.src[start:p.pos]
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '(' {
			return nil, fmt.Errorf("function %s is not supported by awslocal", id)
		}
		return &exprNode{op: 'i', id: id}, nil
	default:
		return nil, fmt.Errorf("unexpected %q at position %d", c, p.pos+1)
	}
}

func isDigit(c byte) bool   { return c >= '0' && c <= '9' }
func isIDStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isIDChar(c byte) bool  { return isIDStart(c) || isDigit(c) }

// ids returns the query ids the expression references, once each.
func (n *exprNode) ids() []string {
	seen := map[string]bool{}
	var out []string
	var walk func(*exprNode)
	walk = func(x *exprNode) {
		if x == nil {
			return
		}
		if x.op == 'i' && !seen[x.id] {
			seen[x.id] = true
			out = append(out, x.id)
		}
		walk(x.left)
		walk(x.right)
	}
	walk(n)
	return out
}

// eval computes the expression with the given id values. ok is false when
// an id has no value or the result is not finite (e.g. division by zero).
func (n *exprNode) eval(vals map[string]float64) (float64, bool) {
	var f func(*exprNode) (float64, bool)
	f = func(x *exprNode) (float64, bool) {
		switch x.op {
		case 0:
			return x.num, true
		case 'i':
			v, ok := vals[x.id]
			return v, ok
		case 'n':
			v, ok := f(x.left)
			return -v, ok
		}
		a, ok := f(x.left)
		if !ok {
			return 0, false
		}
		b, ok := f(x.right)
		if !ok {
			return 0, false
		}
		switch x.op {
		case '+':
			return a + b, true
		case '-':
			return a - b, true
		case '*':
			return a * b, true
		default:
			return a / b, true
		}
	}
	v, ok := f(n)
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}
