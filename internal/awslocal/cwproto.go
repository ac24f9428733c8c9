package awslocal

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// apiError is a CloudWatch error answer.
type apiError struct {
	code    string // AWS query error code, e.g. "InvalidParameterValue"
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errf(code, format string, a ...any) *apiError {
	return &apiError{code: code, message: fmt.Sprintf(format, a...)}
}

// cwErrorShapes maps AWS query error codes to the modelled CloudWatch error
// shape the SDK decodes them into, and the HTTP status AWS uses.
var cwErrorShapes = map[string]struct {
	shape  string
	status int
}{
	"InvalidParameterValue":       {"InvalidParameterValueException", 400},
	"MissingParameter":            {"MissingRequiredParameterException", 400},
	"InvalidParameterCombination": {"InvalidParameterCombinationException", 400},
	"ResourceNotFound":            {"ResourceNotFound", 404},
	"ValidationError":             {"ValidationException", 400},
	"InvalidNextToken":            {"InvalidNextToken", 400},
	"InvalidFormat":               {"InvalidFormatFault", 400},
	"LimitExceeded":               {"LimitExceededFault", 400},
	"InternalServiceError":        {"InternalServiceFault", 500},
}

// cwErrorInfo maps an error code to what CloudWatch answers: the modelled
// error shape (as __type), the HTTP status and the fault.
func cwErrorInfo(code string) (typ string, status int, fault string) {
	typ, status = code, injectedStatus(code)
	if sh, ok := cwErrorShapes[code]; ok {
		typ = "com.amazonaws.cloudwatch#" + sh.shape
		status = sh.status
	}
	fault = "Sender"
	if status >= 500 {
		fault = "Receiver"
	}
	return typ, status, fault
}

// writeCWError answers with a CBOR {"__type","message"} map and the
// X-Amzn-Query-Error header, as the awsQuery-compatible service does: the
// SDK turns modelled codes into typed errors (e.g. *types.ResourceNotFound)
// whose ErrorCode() is the query code, and anything else into a
// *smithy.GenericAPIError with that code.
func writeCWError(w http.ResponseWriter, reqID string, e *apiError) {
	typ, status, fault := cwErrorInfo(e.code)
	body := cbor.Encode(cbor.Map{"__type": cbor.String(typ), "message": cbor.String(e.message)})
	h := w.Header()
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("Content-Type", "application/cbor")
	h.Set("X-Amzn-Query-Error", e.code+";"+fault)
	h.Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeCWResult(w http.ResponseWriter, reqID string, out cbor.Map) {
	if out == nil {
		out = cbor.Map{}
	}
	body := cbor.Encode(out)
	h := w.Header()
	h.Set("Smithy-Protocol", "rpc-v2-cbor")
	h.Set("Content-Type", "application/cbor")
	h.Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// readCWBody reads a request body, gunzipping it when Content-Encoding says
// gzip, within maxBody bytes either way.
func readCWBody(r *http.Request) ([]byte, *apiError) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errf("SerializationException", "read request body: %v", err)
	}
	if len(raw) > maxBody {
		return nil, errf("RequestEntityTooLarge", "request body larger than %d bytes", maxBody)
	}
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	switch enc {
	case "", "identity":
		return raw, nil
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, errf("SerializationException", "gzip body: %v", err)
		}
		plain, err := io.ReadAll(io.LimitReader(zr, maxBody+1))
		if err != nil {
			return nil, errf("SerializationException", "gzip body: %v", err)
		}
		if len(plain) > maxBody {
			return nil, errf("RequestEntityTooLarge", "decompressed request body larger than %d bytes", maxBody)
		}
		return plain, nil
	default:
		return nil, errf("SerializationException", "unsupported Content-Encoding %q", enc)
	}
}

// decodeRequest decodes a CBOR request body into its top-level map. An
// empty body is an empty input.
func decodeRequest(body []byte) (m cbor.Map, aerr *apiError) {
	if len(body) == 0 {
		return cbor.Map{}, nil
	}
	defer func() {
		if r := recover(); r != nil {
			m, aerr = nil, errf("SerializationException", "malformed CBOR body: %v", r)
		}
	}()
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, errf("SerializationException", "malformed CBOR body: %v", err)
	}
	m, ok := v.(cbor.Map)
	if !ok {
		return nil, errf("SerializationException", "request body is a %T, want a CBOR map", v)
	}
	return m, nil
}

// wireMode is the protocol an input was decoded from. The operation
// handlers read every input through obj, whatever the protocol: CBOR
// values as they are; awsJson values are the same tree except timestamps,
// which are plain epoch-second numbers; awsQuery values are all strings
// (numbers, booleans and ISO 8601 timestamps as text), and an empty string
// stands for an empty list.
type wireMode uint8

const (
	modeCBOR wireMode = iota
	modeJSON
	modeQuery
)

// dec accumulates the first decoding error while reading an input.
type dec struct {
	err  *apiError
	mode wireMode
}

func (d *dec) fail(path, want string, v cbor.Value) {
	if d.err == nil {
		d.err = errf("SerializationException", "member %s: expected %s, got %s", path, want, describeValue(v))
	}
}

// describeValue names a decoded value for error messages.
func describeValue(v cbor.Value) string {
	switch v := v.(type) {
	case cbor.String:
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return fmt.Sprintf("the string %q", string(v))
	case cbor.Map:
		return "a structure"
	case cbor.List:
		return "a list"
	case cbor.Bool:
		return "a boolean"
	case cbor.Uint, cbor.NegInt, cbor.Float32, cbor.Float64:
		return "a number"
	case *cbor.Tag:
		return fmt.Sprintf("a CBOR tag %d", v.ID)
	}
	return fmt.Sprintf("a %T", v)
}

// obj is one map of the input being read, with its path for messages.
type obj struct {
	m    cbor.Map
	path string
	d    *dec
}

func newObj(m cbor.Map) obj { return obj{m: m, d: &dec{}} }

func newObjMode(m cbor.Map, mode wireMode) obj { return obj{m: m, d: &dec{mode: mode}} }

func (o obj) key(k string) string {
	if o.path == "" {
		return k
	}
	return o.path + "." + k
}

// get returns the member k, treating CBOR null/undefined as absent.
func (o obj) get(k string) (cbor.Value, bool) {
	v, ok := o.m[k]
	if !ok || v == nil {
		return nil, false
	}
	switch v.(type) {
	case *cbor.Nil, *cbor.Undefined:
		return nil, false
	}
	return v, true
}

func (o obj) str(k string) (string, bool) {
	v, ok := o.get(k)
	if !ok {
		return "", false
	}
	s, isStr := v.(cbor.String)
	if !isStr {
		o.d.fail(o.key(k), "string", v)
		return "", false
	}
	return string(s), true
}

// asInt reads an integer value (in awsQuery, its text).
func (o obj) asInt(v cbor.Value) (int64, bool) {
	if s, ok := v.(cbor.String); ok && o.d.mode == modeQuery {
		n, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
		return n, err == nil
	}
	n, err := cbor.AsInt64(v)
	return n, err == nil
}

func (o obj) int(k string) (int64, bool) {
	v, ok := o.get(k)
	if !ok {
		return 0, false
	}
	n, isInt := o.asInt(v)
	if !isInt {
		o.d.fail(o.key(k), "integer", v)
		return 0, false
	}
	return n, true
}

func toFloat(v cbor.Value) (float64, bool) {
	f, err := cbor.AsFloat64(v)
	if err != nil {
		return 0, false
	}
	return f, true
}

// asFloat reads a number (in awsQuery, its text).
func (o obj) asFloat(v cbor.Value) (float64, bool) {
	if s, ok := v.(cbor.String); ok && o.d.mode == modeQuery {
		f, err := strconv.ParseFloat(strings.TrimSpace(string(s)), 64)
		return f, err == nil
	}
	return toFloat(v)
}

func (o obj) float(k string) (float64, bool) {
	v, ok := o.get(k)
	if !ok {
		return 0, false
	}
	f, isNum := o.asFloat(v)
	if !isNum {
		o.d.fail(o.key(k), "number", v)
		return 0, false
	}
	return f, true
}

func (o obj) boolean(k string) (bool, bool) {
	v, ok := o.get(k)
	if !ok {
		return false, false
	}
	if s, isStr := v.(cbor.String); isStr && o.d.mode == modeQuery {
		b, err := strconv.ParseBool(string(s))
		if err != nil {
			o.d.fail(o.key(k), "boolean", v)
		}
		return b, err == nil
	}
	b, isBool := v.(cbor.Bool)
	if !isBool {
		o.d.fail(o.key(k), "boolean", v)
		return false, false
	}
	return bool(b), true
}

// epochTime converts epoch seconds to a time, with millisecond precision.
func epochTime(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC(), true
}

func (o obj) time(k string) (time.Time, bool) {
	v, ok := o.get(k)
	if !ok {
		return time.Time{}, false
	}
	switch o.d.mode {
	case modeJSON:
		if f, isNum := toFloat(v); isNum {
			if t, ok := epochTime(f); ok {
				return t, true
			}
		}
		o.d.fail(o.key(k), "timestamp (epoch seconds)", v)
		return time.Time{}, false
	case modeQuery:
		if s, isStr := v.(cbor.String); isStr {
			if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(s))); err == nil {
				return t.UTC(), true
			}
		}
		o.d.fail(o.key(k), "timestamp (ISO 8601)", v)
		return time.Time{}, false
	}
	tag, isTag := v.(*cbor.Tag)
	if !isTag || tag.ID != 1 {
		o.d.fail(o.key(k), "timestamp (CBOR tag 1)", v)
		return time.Time{}, false
	}
	f, isNum := toFloat(tag.Value)
	t, inRange := epochTime(f)
	if !isNum || !inRange {
		o.d.fail(o.key(k), "epoch seconds", tag.Value)
		return time.Time{}, false
	}
	return t, true
}

func (o obj) list(k string) (cbor.List, bool) {
	v, ok := o.get(k)
	if !ok {
		return nil, false
	}
	if s, isStr := v.(cbor.String); isStr && s == "" && o.d.mode == modeQuery {
		return cbor.List{}, true
	}
	l, isList := v.(cbor.List)
	if !isList {
		o.d.fail(o.key(k), "list", v)
		return nil, false
	}
	return l, true
}

func (o obj) strs(k string) []string {
	l, _ := o.list(k)
	out := make([]string, 0, len(l))
	for i, v := range l {
		s, ok := v.(cbor.String)
		if !ok {
			o.d.fail(fmt.Sprintf("%s.member.%d", o.key(k), i+1), "string", v)
			return nil
		}
		out = append(out, string(s))
	}
	return out
}

func (o obj) floats(k string) []float64 {
	l, _ := o.list(k)
	out := make([]float64, 0, len(l))
	for i, v := range l {
		f, ok := o.asFloat(v)
		if !ok {
			o.d.fail(fmt.Sprintf("%s.member.%d", o.key(k), i+1), "number", v)
			return nil
		}
		out = append(out, f)
	}
	return out
}

func (o obj) sub(k string) (obj, bool) {
	v, ok := o.get(k)
	if !ok {
		return obj{}, false
	}
	m, isMap := v.(cbor.Map)
	if !isMap {
		o.d.fail(o.key(k), "structure", v)
		return obj{}, false
	}
	return obj{m: m, path: o.key(k), d: o.d}, true
}

func (o obj) objs(k string) []obj {
	l, _ := o.list(k)
	out := make([]obj, 0, len(l))
	for i, v := range l {
		m, ok := v.(cbor.Map)
		if !ok {
			o.d.fail(fmt.Sprintf("%s.member.%d", o.key(k), i+1), "structure", v)
			return nil
		}
		out = append(out, obj{m: m, path: fmt.Sprintf("%s.member.%d", o.key(k), i+1), d: o.d})
	}
	return out
}

// Response value helpers.

func cStr(s string) cbor.Value { return cbor.String(s) }

func cTime(t time.Time) cbor.Value {
	return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(t.UnixMilli()) / 1e3)}
}

func cInt(n int64) cbor.Value {
	if n >= 0 {
		return cbor.Uint(uint64(n))
	}
	return cbor.NegInt(uint64(-n))
}

func cFloat(f float64) cbor.Value { return cbor.Float64(f) }

func cStrs(ss []string) cbor.Value {
	l := make(cbor.List, 0, len(ss))
	for _, s := range ss {
		l = append(l, cbor.String(s))
	}
	return l
}

// cwHandler is one CloudWatch operation.
type cwHandler func(s *Server, in obj) (cbor.Map, *apiError)

var cwOps = map[string]cwHandler{
	"PutMetricAlarm":       (*Server).putMetricAlarm,
	"DescribeAlarms":       (*Server).describeAlarms,
	"DeleteAlarms":         (*Server).deleteAlarms,
	"SetAlarmState":        (*Server).setAlarmState,
	"DescribeAlarmHistory": (*Server).describeAlarmHistory,
	"PutMetricData":        (*Server).putMetricData,
	"GetMetricData":        (*Server).getMetricData,
	"ListMetrics":          (*Server).listMetrics,
}

// callCW runs CloudWatch operation op on a decoded input, whatever the
// protocol it came in.
func (s *Server) callCW(op string, in obj) (cbor.Map, *apiError) {
	h, ok := cwOps[op]
	if !ok {
		return nil, errf("UnknownOperationException", "awslocal does not implement CloudWatch operation %q", op)
	}
	out, aerr := h(s, in)
	if aerr == nil && in.d.err != nil {
		aerr = in.d.err
	}
	return out, aerr
}

func (s *Server) serveCloudWatch(w http.ResponseWriter, r *http.Request, op string) {
	code, reqID := s.enter(op)
	if r.Method != http.MethodPost {
		writeCWError(w, reqID, errf("UnknownOperationException", "method %s not allowed; use POST", r.Method))
		return
	}
	if code != "" {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
		writeCWError(w, reqID, errf(code, "%s", injectedMessage(code)))
		return
	}
	if _, ok := cwOps[op]; !ok {
		writeCWError(w, reqID, errf("UnknownOperationException", "awslocal does not implement CloudWatch operation %q", op))
		return
	}
	body, aerr := readCWBody(r)
	if aerr != nil {
		writeCWError(w, reqID, aerr)
		return
	}
	m, aerr := decodeRequest(body)
	if aerr != nil {
		writeCWError(w, reqID, aerr)
		return
	}
	out, aerr := s.callCW(op, newObj(m))
	if aerr != nil {
		writeCWError(w, reqID, aerr)
		return
	}
	writeCWResult(w, reqID, out)
}

// errNotFinite reports a NaN or infinite number.
var errNotFinite = errors.New("not a finite number")

func finite(f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return errNotFinite
	}
	return nil
}
