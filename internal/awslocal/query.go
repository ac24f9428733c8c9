package awslocal

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// The awsQuery protocol (form-encoded POST /, XML answers) is spoken by
// CloudFormation, CloudWatch (to older clients), SNS, IAM and STS. Their
// Action names collide (every one of them has a List or Describe of
// something), so a request is routed by the service name in its SigV4
// credential scope (".../us-east-1/monitoring/aws4_request"), and, for
// unsigned requests, by its Version.

// queryHandler is one awsQuery operation of a service other than CloudWatch.
// It returns a value that xml-marshals to the <ActionResult> element, or nil
// for an empty result.
type queryHandler func(s *Server, form url.Values) (any, *queryError)

// queryService is one service served over awsQuery.
type queryService struct {
	signingName string // the SigV4 service name
	version     string // the API version the clients send
	xmlns       string // the namespace of its answers
	ops         map[string]queryHandler
}

// queryServices are the awsQuery services, by SigV4 signing name. CloudWatch
// ("monitoring") has no ops here: its operations are the protocol-neutral
// cwOps, reached through the query codec in cwcodec.go.
var queryServices = map[string]*queryService{
	"cloudformation": {signingName: "cloudformation", version: "2010-05-15", xmlns: cfnXMLNS, ops: map[string]queryHandler{
		"DescribeStacks": (*Server).describeStacks,
		"CreateStack":    (*Server).createStack,
		"DeleteStack":    (*Server).deleteStack,
	}},
	"monitoring": {signingName: "monitoring", version: "2010-08-01", xmlns: "http://monitoring.amazonaws.com/doc/2010-08-01/"},
	"sns":        {signingName: "sns", version: "2010-03-31", xmlns: "http://sns.amazonaws.com/doc/2010-03-31/", ops: snsOps},
	"iam":        {signingName: "iam", version: "2010-05-08", xmlns: "https://iam.amazonaws.com/doc/2010-05-08/", ops: iamOps},
	"sts":        {signingName: "sts", version: "2011-06-15", xmlns: "https://sts.amazonaws.com/doc/2011-06-15/", ops: stsOps},
}

// queryServiceFor picks the service of an awsQuery request: by its signing
// name, else by its Version, else CloudFormation (the first service served).
func queryServiceFor(r *http.Request, form url.Values) *queryService {
	if svc := queryServices[signingService(r)]; svc != nil {
		return svc
	}
	v := form.Get("Version")
	for _, svc := range queryServices {
		if svc.version == v {
			return svc
		}
	}
	return queryServices["cloudformation"]
}

// signingService returns the service name of the request's SigV4 credential
// scope (Authorization header, or X-Amz-Credential of a presigned URL), or "".
func signingService(r *http.Request) string {
	cred := ""
	if auth := r.Header.Get("Authorization"); auth != "" {
		_, after, ok := strings.Cut(auth, "Credential=")
		if !ok {
			return ""
		}
		cred, _, _ = strings.Cut(after, ",")
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || parts[4] != "aws4_request" {
		return ""
	}
	return parts[3]
}

// queryError is an awsQuery error answer.
type queryError struct {
	status  int
	code    string
	message string
}

func (e *queryError) Error() string { return e.code + ": " + e.message }

func validationError(format string, a ...any) *queryError {
	return &queryError{status: http.StatusBadRequest, code: "ValidationError", message: fmt.Sprintf(format, a...)}
}

func qerrf(status int, code, format string, a ...any) *queryError {
	return &queryError{status: status, code: code, message: fmt.Sprintf(format, a...)}
}

// parseQueryForm reads an awsQuery request: the form body of a POST (or the
// URL query of a GET). It bounds the body size.
func parseQueryForm(r *http.Request) (url.Values, error) {
	if r.Method == http.MethodGet {
		return r.URL.Query(), nil
	}
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("method %s not allowed", r.Method)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("body larger than %d bytes", maxBody)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("parse form: %w", err)
	}
	return v, nil
}

// formList collects prefix.member.N (N = 1, 2, ...) entries of an awsQuery
// form; each entry is the map of its sub-keys (or "" for scalar members).
func formList(form url.Values, prefix string) []map[string]string {
	byIndex := map[int]map[string]string{}
	p := prefix + ".member."
	for k, vs := range form {
		rest, ok := strings.CutPrefix(k, p)
		if !ok || len(vs) == 0 {
			continue
		}
		idx, sub, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if err != nil || n < 1 || n > 1000 {
			continue
		}
		m := byIndex[n]
		if m == nil {
			m = map[string]string{}
			byIndex[n] = m
		}
		m[sub] = vs[0]
	}
	idxs := make([]int, 0, len(byIndex))
	for n := range byIndex {
		idxs = append(idxs, n)
	}
	sort.Ints(idxs)
	out := make([]map[string]string, 0, len(idxs))
	for _, n := range idxs {
		out = append(out, byIndex[n])
	}
	return out
}

// formStrings returns the scalar members prefix.member.1, .2, ... in order.
func formStrings(form url.Values, prefix string) []string {
	var out []string
	for _, m := range formList(form, prefix) {
		if v, ok := m[""]; ok {
			out = append(out, v)
		}
	}
	return out
}

// serveQuery answers an awsQuery request for whichever service it is meant.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	form, err := parseQueryForm(r)
	svc := queryServiceFor(r, form)
	if err != nil {
		writeQueryError(w, svc.xmlns, "", qerrf(http.StatusBadRequest, "MalformedQueryString", "%v", err))
		return
	}
	action := form.Get("Action")
	code, reqID := s.enter(action)
	if code != "" {
		writeQueryError(w, svc.xmlns, reqID, qerrf(injectedStatus(code), code, "%s", injectedMessage(code)))
		return
	}
	if v := form.Get("Version"); v != "" && v != svc.version {
		writeQueryError(w, svc.xmlns, reqID, qerrf(http.StatusBadRequest, "InvalidAction",
			"Could not find operation %s for version %s (awslocal serves %s version %s over awsQuery)", action, v, svc.signingName, svc.version))
		return
	}
	if action == "" {
		writeQueryError(w, svc.xmlns, reqID, qerrf(http.StatusBadRequest, "MissingAction", "Missing Action"))
		return
	}
	if svc.signingName == "monitoring" {
		s.serveCloudWatchQuery(w, svc, reqID, action, form)
		return
	}
	h, ok := svc.ops[action]
	if !ok {
		writeQueryError(w, svc.xmlns, reqID, qerrf(http.StatusBadRequest, "InvalidAction",
			"Could not find operation %s for version %s", action, svc.version))
		return
	}
	result, qerr := h(s, form)
	if qerr != nil {
		writeQueryError(w, svc.xmlns, reqID, qerr)
		return
	}
	inner := []byte("<" + action + "Result/>")
	if result != nil {
		if inner, err = xml.Marshal(result); err != nil {
			writeQueryError(w, svc.xmlns, reqID, qerrf(http.StatusInternalServerError, "InternalFailure", "marshal result: %v", err))
			return
		}
	}
	writeQueryResult(w, svc.xmlns, reqID, action, inner)
}

type xmlErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	XMLNS     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func writeQueryError(w http.ResponseWriter, xmlns, reqID string, e *queryError) {
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	body, err := xml.Marshal(xmlErrorResponse{XMLNS: xmlns, Type: typ, Code: e.code, Message: e.message, RequestID: reqID})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(e.status)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

// writeQueryResult wraps the <ActionResult> element inner as
// <ActionResponse><ActionResult>...</ActionResult><ResponseMetadata>...
func writeQueryResult(w http.ResponseWriter, xmlns, reqID, action string, inner []byte) {
	var b strings.Builder
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, xmlns)
	b.Write(inner)
	b.WriteString("<ResponseMetadata><RequestId>")
	_ = xml.EscapeText(&b, []byte(reqID))
	b.WriteString("</RequestId></ResponseMetadata>")
	fmt.Fprintf(&b, "</%sResponse>", action)
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, b.String())
}
