package awslocal

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch is served over three protocols from one model: the handlers
// of cwOps read their input through obj and answer a cbor.Map. Smithy
// RPCv2 CBOR (cwproto.go) uses that tree as it is; the codecs here turn an
// awsJson1_0 body or an awsQuery form into the same tree, and the answer
// into JSON or XML.

// serveCloudWatchJSON answers an awsJson1_0 CloudWatch request (current
// botocore): X-Amz-Target GraniteServiceVersion20100801.<Op>.
func (s *Server) serveCloudWatchJSON(w http.ResponseWriter, reqID, op string, body []byte) {
	const ct = "application/x-amz-json-1.0"
	m := cbor.Map{}
	if len(bytes.TrimSpace(body)) > 0 {
		v, err := jsonToCBOR(body)
		mm, isMap := v.(cbor.Map)
		if err != nil || !isMap {
			writeCWJSONError(w, reqID, errf("SerializationException", "request body is not a JSON object: %v", err))
			return
		}
		m = mm
	}
	out, aerr := s.callCW(op, newObjMode(m, modeJSON))
	if aerr != nil {
		writeCWJSONError(w, reqID, aerr)
		return
	}
	if out == nil {
		out = cbor.Map{}
	}
	b, err := json.Marshal(cborToJSON(out))
	if err != nil {
		writeCWJSONError(w, reqID, errf("InternalServiceError", "marshal answer: %v", err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// writeCWJSONError answers {"__type","message"} with the query error code
// in X-Amzn-Query-Error, which awsQuery-compatible clients read.
func writeCWJSONError(w http.ResponseWriter, reqID string, e *apiError) {
	typ, status, fault := cwErrorInfo(e.code)
	b, _ := json.Marshal(map[string]string{"__type": typ, "message": e.message})
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amzn-Query-Error", e.code+";"+fault)
	h.Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// jsonToCBOR decodes a JSON document into the tree the handlers read:
// integers become CBOR integers, other numbers float64.
func jsonToCBOR(body []byte) (cbor.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return anyToCBOR(v), nil
}

func anyToCBOR(v any) cbor.Value {
	switch v := v.(type) {
	case map[string]any:
		m := make(cbor.Map, len(v))
		for k, x := range v {
			m[k] = anyToCBOR(x)
		}
		return m
	case []any:
		l := make(cbor.List, 0, len(v))
		for _, x := range v {
			l = append(l, anyToCBOR(x))
		}
		return l
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return cInt(n)
		}
		f, _ := v.Float64()
		return cbor.Float64(f)
	case string:
		return cbor.String(v)
	case bool:
		return cbor.Bool(v)
	}
	return &cbor.Nil{}
}

// cborToJSON turns an answer tree into values encoding/json marshals as
// awsJson1_0 does: timestamps as epoch seconds.
func cborToJSON(v cbor.Value) any {
	switch v := v.(type) {
	case cbor.Map:
		m := make(map[string]any, len(v))
		for k, x := range v {
			if x != nil {
				m[k] = cborToJSON(x)
			}
		}
		return m
	case cbor.List:
		l := make([]any, 0, len(v))
		for _, x := range v {
			l = append(l, cborToJSON(x))
		}
		return l
	case cbor.String:
		return string(v)
	case cbor.Bool:
		return bool(v)
	case cbor.Uint:
		return uint64(v)
	case cbor.NegInt:
		return -int64(v)
	case cbor.Float64:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 64))
	case cbor.Float32:
		return json.Number(strconv.FormatFloat(float64(v), 'g', -1, 32))
	case *cbor.Tag:
		return cborToJSON(v.Value)
	}
	return nil
}

// serveCloudWatchQuery answers an awsQuery CloudWatch request (AWS CLI v2
// before 2.13): Action=<Op>&Version=2010-08-01, XML answers.
func (s *Server) serveCloudWatchQuery(w http.ResponseWriter, svc *queryService, reqID, action string, form url.Values) {
	m, err := formToCBOR(form)
	if err != nil {
		writeQueryError(w, svc.xmlns, reqID, qerrf(http.StatusBadRequest, "MalformedQueryString", "%v", err))
		return
	}
	out, aerr := s.callCW(action, newObjMode(m, modeQuery))
	if aerr != nil {
		code := aerr.code
		if code == "UnknownOperationException" {
			code = "InvalidAction"
		}
		_, status, _ := cwErrorInfo(aerr.code)
		writeQueryError(w, svc.xmlns, reqID, qerrf(status, code, "%s", aerr.message))
		return
	}
	var b strings.Builder
	writeXMLValue(&b, action+"Result", out)
	writeQueryResult(w, svc.xmlns, reqID, action, []byte(b.String()))
}

// Bounds of awsQuery forms: list indexes and nesting.
const (
	maxFormIndex = 10000
	maxFormDepth = 16
)

// formNode is a member of an awsQuery form being rebuilt into a tree.
type formNode struct {
	val  *string
	kids map[string]*formNode
}

// formToCBOR rebuilds the input structure of an awsQuery form: "A.B=x" is
// a member of a structure, "A.member.N..." the Nth element of a list.
// Leaves stay strings; obj reads them as the operation expects.
func formToCBOR(form url.Values) (cbor.Map, error) {
	root := &formNode{kids: map[string]*formNode{}}
	for k, vs := range form {
		if k == "Action" || k == "Version" || len(vs) == 0 {
			continue
		}
		parts := strings.Split(k, ".")
		if len(parts) > maxFormDepth {
			return nil, fmt.Errorf("parameter %q is nested too deeply", k)
		}
		n := root
		for _, p := range parts {
			if p == "" {
				return nil, fmt.Errorf("parameter %q has an empty part", k)
			}
			if n.kids == nil {
				n.kids = map[string]*formNode{}
			}
			c := n.kids[p]
			if c == nil {
				c = &formNode{}
				n.kids[p] = c
			}
			n = c
		}
		v := vs[0]
		n.val = &v
	}
	v, err := root.toCBOR("")
	if err != nil {
		return nil, err
	}
	return v.(cbor.Map), nil
}

func (n *formNode) toCBOR(path string) (cbor.Value, error) {
	if len(n.kids) == 0 {
		if n.val == nil { // the root of a form with no members
			return cbor.Map{}, nil
		}
		return cbor.String(*n.val), nil
	}
	if n.val != nil && *n.val != "" {
		return nil, fmt.Errorf("parameter %s is both a value and a structure", path)
	}
	if mem, ok := n.kids["member"]; ok && len(n.kids) == 1 && path != "" {
		return mem.listToCBOR(path + ".member")
	}
	m := make(cbor.Map, len(n.kids))
	for k, c := range n.kids {
		p := k
		if path != "" {
			p = path + "." + k
		}
		v, err := c.toCBOR(p)
		if err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, nil
}

// listToCBOR reads the members N=1, 2, ... of a list, in index order.
func (n *formNode) listToCBOR(path string) (cbor.Value, error) {
	idx := make([]int, 0, len(n.kids))
	for k := range n.kids {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || i > maxFormIndex || strconv.Itoa(i) != k {
			return nil, fmt.Errorf("parameter %s.%s: list index must be 1 to %d", path, k, maxFormIndex)
		}
		idx = append(idx, i)
	}
	sort.Ints(idx)
	l := make(cbor.List, 0, len(idx))
	for _, i := range idx {
		k := strconv.Itoa(i)
		v, err := n.kids[k].toCBOR(path + "." + k)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
	}
	return l, nil
}

// writeXMLValue renders an answer tree as awsQuery XML: structure members
// as elements, lists as <member> elements, timestamps in ISO 8601.
func writeXMLValue(b *strings.Builder, name string, v cbor.Value) {
	if v == nil {
		return
	}
	switch v := v.(type) {
	case *cbor.Nil, *cbor.Undefined:
		return
	case cbor.Map:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("<" + name + ">")
		for _, k := range keys {
			writeXMLValue(b, k, v[k])
		}
		b.WriteString("</" + name + ">")
		return
	case cbor.List:
		b.WriteString("<" + name + ">")
		for _, x := range v {
			writeXMLValue(b, "member", x)
		}
		b.WriteString("</" + name + ">")
		return
	}
	b.WriteString("<" + name + ">")
	_ = xml.EscapeText(b, []byte(xmlScalar(v)))
	b.WriteString("</" + name + ">")
}

func xmlScalar(v cbor.Value) string {
	switch v := v.(type) {
	case cbor.String:
		return string(v)
	case cbor.Bool:
		return strconv.FormatBool(bool(v))
	case cbor.Uint:
		return strconv.FormatUint(uint64(v), 10)
	case cbor.NegInt:
		return "-" + strconv.FormatUint(uint64(v), 10)
	case cbor.Float64:
		return strconv.FormatFloat(float64(v), 'g', -1, 64)
	case cbor.Float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case *cbor.Tag:
		if f, ok := toFloat(v.Value); ok {
			if t, ok := epochTime(f); ok {
				return t.Format("2006-01-02T15:04:05.000Z")
			}
		}
	}
	return ""
}
