package awslocal

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Output is one CloudFormation stack output.
type Output struct{ Key, Value, Description, ExportName string }

type param struct{ Key, Value string }

type stack struct {
	name    string
	id      string
	created time.Time
	desc    string
	outputs []Output
	params  []param
	status  string
}

// maxStacks bounds CreateStack, as the account quota does on AWS.
const maxStacks = 2000

const cfnXMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

// PutStack seeds or replaces stack name with the given outputs, in status
// CREATE_COMPLETE. Replacing keeps the stack id and creation time.
func (s *Server) PutStack(name string, outputs ...Output) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.stacks[name]
	if !ok {
		st = s.newStackLocked(name, now)
	}
	st.outputs = append([]Output(nil), outputs...)
	st.status = "CREATE_COMPLETE"
}

func (s *Server) newStackLocked(name string, now time.Time) *stack {
	s.stackSeq++
	st := &stack{
		name:    name,
		id:      fmt.Sprintf("arn:aws:cloudformation:%s:%s:stack/%s/%08x-0000-4000-8000-%012x", s.region, accountID, name, s.stackSeq, s.stackSeq),
		created: now.UTC(),
		status:  "CREATE_COMPLETE",
	}
	s.stacks[name] = st
	return st
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

func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request) {
	form, err := parseQueryForm(r)
	if err != nil {
		writeQueryError(w, "", &queryError{status: http.StatusBadRequest, code: "MalformedQueryString", message: err.Error()})
		return
	}
	action := form.Get("Action")
	code, reqID := s.enter(action)
	if code != "" {
		writeQueryError(w, reqID, &queryError{status: injectedStatus(code), code: code, message: injectedMessage(code)})
		return
	}
	if v := form.Get("Version"); v != "" && v != "2010-05-15" {
		writeQueryError(w, reqID, &queryError{status: http.StatusBadRequest, code: "InvalidAction",
			message: fmt.Sprintf("Could not find operation %s for version %s (awslocal serves CloudFormation 2010-05-15 over awsQuery; CloudWatch only over rpc-v2-cbor)", action, v)})
		return
	}
	var result any
	var qerr *queryError
	switch action {
	case "DescribeStacks":
		result, qerr = s.describeStacks(form)
	case "CreateStack":
		result, qerr = s.createStack(form)
	case "DeleteStack":
		result, qerr = s.deleteStack(form)
	case "":
		qerr = &queryError{status: http.StatusBadRequest, code: "MissingAction", message: "Missing Action"}
	default:
		qerr = &queryError{status: http.StatusBadRequest, code: "InvalidAction",
			message: fmt.Sprintf("Could not find operation %s for version 2010-05-15", action)}
	}
	if qerr != nil {
		writeQueryError(w, reqID, qerr)
		return
	}
	writeQueryResult(w, reqID, action, result)
}

type xmlErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	XMLNS     string   `xml:"xmlns,attr"`
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	RequestID string   `xml:"RequestId"`
}

func writeQueryError(w http.ResponseWriter, reqID string, e *queryError) {
	typ := "Sender"
	if e.status >= 500 {
		typ = "Receiver"
	}
	body, err := xml.Marshal(xmlErrorResponse{XMLNS: cfnXMLNS, Type: typ, Code: e.code, Message: e.message, RequestID: reqID})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", reqID)
	w.WriteHeader(e.status)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

// writeQueryResult wraps result as <ActionResponse><ActionResult>...
func writeQueryResult(w http.ResponseWriter, reqID, action string, result any) {
	inner := []byte("<" + action + "Result/>")
	if result != nil {
		var err error
		if inner, err = xml.Marshal(result); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	var b strings.Builder
	b.WriteString(xml.Header)
	fmt.Fprintf(&b, `<%sResponse xmlns="%s">`, action, cfnXMLNS)
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

type xmlOutput struct {
	OutputKey   string `xml:"OutputKey"`
	OutputValue string `xml:"OutputValue"`
	Description string `xml:"Description,omitempty"`
	ExportName  string `xml:"ExportName,omitempty"`
}

type xmlParam struct {
	ParameterKey   string `xml:"ParameterKey"`
	ParameterValue string `xml:"ParameterValue"`
}

type xmlStack struct {
	StackName    string      `xml:"StackName"`
	StackID      string      `xml:"StackId"`
	Description  string      `xml:"Description,omitempty"`
	CreationTime string      `xml:"CreationTime"`
	StackStatus  string      `xml:"StackStatus"`
	Parameters   *[]xmlParam `xml:"Parameters>member,omitempty"`
	Outputs      []xmlOutput `xml:"Outputs>member"`
	DisableRB    bool        `xml:"DisableRollback"`
}

type xmlDescribeStacksResult struct {
	XMLName   xml.Name   `xml:"DescribeStacksResult"`
	Stacks    []xmlStack `xml:"Stacks>member"`
	NextToken string     `xml:"NextToken,omitempty"`
}

func (st *stack) toXML() xmlStack {
	x := xmlStack{
		StackName:    st.name,
		StackID:      st.id,
		Description:  st.desc,
		CreationTime: st.created.Format("2006-01-02T15:04:05.000Z"),
		StackStatus:  st.status,
		Outputs:      []xmlOutput{},
	}
	for _, o := range st.outputs {
		x.Outputs = append(x.Outputs, xmlOutput{OutputKey: o.Key, OutputValue: o.Value, Description: o.Description, ExportName: o.ExportName})
	}
	if len(st.params) > 0 {
		ps := make([]xmlParam, 0, len(st.params))
		for _, p := range st.params {
			ps = append(ps, xmlParam{ParameterKey: p.Key, ParameterValue: p.Value})
		}
		x.Parameters = &ps
	}
	return x
}

func (s *Server) lookupStackLocked(nameOrID string) *stack {
	if st, ok := s.stacks[nameOrID]; ok {
		return st
	}
	for _, st := range s.stacks {
		if st.id == nameOrID {
			return st
		}
	}
	return nil
}

func encodeToken(kind, v string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + v))
}

func decodeToken(kind, tok string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", false
	}
	v, ok := strings.CutPrefix(string(b), kind+":")
	return v, ok
}

func (s *Server) describeStacks(form url.Values) (any, *queryError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	res := xmlDescribeStacksResult{Stacks: []xmlStack{}}
	if name := form.Get("StackName"); name != "" {
		st := s.lookupStackLocked(name)
		if st == nil {
			return nil, validationError("Stack with id %s does not exist", name)
		}
		res.Stacks = append(res.Stacks, st.toXML())
		return res, nil
	}
	names := make([]string, 0, len(s.stacks))
	for n := range s.stacks {
		names = append(names, n)
	}
	sort.Strings(names)
	start := 0
	if tok := form.Get("NextToken"); tok != "" {
		after, ok := decodeToken("stacks", tok)
		if !ok {
			return nil, validationError("Invalid NextToken")
		}
		start = sort.Search(len(names), func(i int) bool { return names[i] > after })
	}
	end := min(start+s.stackPageSize, len(names))
	for _, n := range names[start:end] {
		res.Stacks = append(res.Stacks, s.stacks[n].toXML())
	}
	if end < len(names) {
		res.NextToken = encodeToken("stacks", names[end-1])
	}
	return res, nil
}

var stackNameRE = regexp.MustCompile(`^[a-zA-Z][-a-zA-Z0-9]{0,127}$`)

type xmlCreateStackResult struct {
	XMLName xml.Name `xml:"CreateStackResult"`
	StackID string   `xml:"StackId"`
}

func (s *Server) createStack(form url.Values) (any, *queryError) {
	name := form.Get("StackName")
	if name == "" {
		return nil, validationError("1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	if !stackNameRE.MatchString(name) {
		return nil, validationError("1 validation error detected: Value '%s' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*", name)
	}
	var params []param
	for _, m := range formList(form, "Parameters") {
		if m["ParameterKey"] == "" {
			return nil, validationError("Parameters: ParameterKey must not be empty")
		}
		params = append(params, param{Key: m["ParameterKey"], Value: m["ParameterValue"]})
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.stacks[name]; ok {
		return nil, &queryError{status: http.StatusBadRequest, code: "AlreadyExistsException", message: fmt.Sprintf("Stack [%s] already exists", name)}
	}
	if len(s.stacks) >= maxStacks {
		return nil, &queryError{status: http.StatusBadRequest, code: "LimitExceededException", message: fmt.Sprintf("Limit on the number of stacks (%d) exceeded", maxStacks)}
	}
	st := s.newStackLocked(name, now)
	st.params = params
	st.desc = templateDescription(form.Get("TemplateBody"))
	return xmlCreateStackResult{StackID: st.id}, nil
}

// templateDescription extracts a top-level Description from a template body
// (YAML "Description: x" at the start of a line, or JSON "Description": "x"),
// best effort.
func templateDescription(body string) string {
	for line := range strings.SplitSeq(body, "\n") {
		v, ok := strings.CutPrefix(line, "Description:")
		if !ok {
			v, ok = strings.CutPrefix(strings.TrimSpace(line), `"Description":`)
		}
		if ok {
			v = strings.TrimSuffix(strings.TrimSpace(v), ",")
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

func (s *Server) deleteStack(form url.Values) (any, *queryError) {
	name := form.Get("StackName")
	if name == "" {
		return nil, validationError("1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.lookupStackLocked(name); st != nil {
		delete(s.stacks, st.name)
	}
	return nil, nil
}
