package awslocal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The awsJson protocols (POST / with X-Amz-Target: <Service>.<Operation>,
// JSON in and out): ECS and CloudWatch Logs speak awsJson1_1; CloudWatch
// speaks awsJson1_0 to current botocore.

// jsonHandler is one awsJson operation: it decodes body (a JSON object, or
// empty) and returns a value to marshal as the answer (nil means {}).
type jsonHandler func(s *Server, body []byte) (any, *jsonError)

// jsonService is one service served over awsJson.
type jsonService struct {
	target      string // the X-Amz-Target prefix
	contentType string
	ops         map[string]jsonHandler // nil for CloudWatch (cwOps through the codec)
}

const cwTarget = "GraniteServiceVersion20100801"

// jsonServices are the awsJson services by X-Amz-Target prefix.
var jsonServices = map[string]*jsonService{}

func init() {
	for _, svc := range []*jsonService{
		{target: cwTarget, contentType: "application/x-amz-json-1.0"},
		{target: "AmazonEC2ContainerServiceV20141113", contentType: "application/x-amz-json-1.1", ops: ecsOps},
		{target: "Logs_20140328", contentType: "application/x-amz-json-1.1", ops: logsOps},
	} {
		jsonServices[svc.target] = svc
	}
}

// jsonError is an awsJson error answer: {"__type": typ, "message": ...}
// plus any extra members of the modelled error.
type jsonError struct {
	status  int
	typ     string
	message string
	extra   map[string]any
}

func (e *jsonError) Error() string { return e.typ + ": " + e.message }

// jerrf is a 400 error of type typ.
func jerrf(typ, format string, a ...any) *jsonError {
	return &jsonError{status: http.StatusBadRequest, typ: typ, message: fmt.Sprintf(format, a...)}
}

// decodeJSON decodes a request body into v; an empty body is an empty input.
func decodeJSON(body []byte, v any) *jsonError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return jerrf("SerializationException", "malformed request body: %v", err)
	}
	if dec.More() {
		return jerrf("SerializationException", "malformed request body: data after the JSON object")
	}
	return nil
}

// readJSONBody reads a bounded request body.
func readJSONBody(r *http.Request) ([]byte, *jsonError) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, jerrf("SerializationException", "read request body: %v", err)
	}
	if len(body) > maxBody {
		return nil, &jsonError{status: http.StatusRequestEntityTooLarge, typ: "RequestEntityTooLargeException", message: fmt.Sprintf("request body larger than %d bytes", maxBody)}
	}
	return body, nil
}

// serveJSON answers an awsJson request whose X-Amz-Target is target.
func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, target string) {
	prefix, op, _ := strings.Cut(target, ".")
	svc := jsonServices[prefix]
	ct := "application/x-amz-json-1.1"
	if svc != nil {
		ct = svc.contentType
	}
	code, reqID := s.enter(op)
	if r.Method != http.MethodPost {
		writeJSONError(w, ct, reqID, &jsonError{status: http.StatusMethodNotAllowed, typ: "UnknownOperationException", message: "method " + r.Method + " not allowed; use POST"})
		return
	}
	if svc == nil {
		writeJSONError(w, ct, reqID, jerrf("UnknownOperationException", "awslocal does not serve X-Amz-Target %q", target))
		return
	}
	if code != "" {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
		writeJSONError(w, ct, reqID, &jsonError{status: injectedStatus(code), typ: code, message: injectedMessage(code)})
		return
	}
	body, jerr := readJSONBody(r)
	if jerr != nil {
		writeJSONError(w, ct, reqID, jerr)
		return
	}
	if svc.target == cwTarget {
		s.serveCloudWatchJSON(w, reqID, op, body)
		return
	}
	h, ok := svc.ops[op]
	if !ok {
		writeJSONError(w, ct, reqID, jerrf("UnknownOperationException", "awslocal does not implement %s", target))
		return
	}
	out, jerr := h(s, body)
	if jerr != nil {
		writeJSONError(w, ct, reqID, jerr)
		return
	}
	writeJSONResult(w, ct, reqID, out)
}

func writeJSONResult(w http.ResponseWriter, contentType, reqID string, out any) {
	body := []byte("{}")
	if out != nil {
		b, err := json.Marshal(out)
		if err != nil {
			writeJSONError(w, contentType, reqID, &jsonError{status: http.StatusInternalServerError, typ: "InternalFailure", message: "marshal answer: " + err.Error()})
			return
		}
		body = b
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

func writeJSONError(w http.ResponseWriter, contentType, reqID string, e *jsonError) {
	m := map[string]any{}
	for k, v := range e.extra {
		m[k] = v
	}
	m["__type"] = e.typ
	m["message"] = e.message
	body, err := json.Marshal(m)
	if err != nil {
		body = []byte(`{"__type":"InternalFailure"}`)
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// epochSeconds is a timestamp that marshals as awsJson does: a number of
// seconds since the epoch, with milliseconds.
type epochSeconds time.Time

// MarshalJSON renders the time as fractional epoch seconds.
func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1e3, 'f', -1, 64)), nil
}
