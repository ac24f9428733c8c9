package awslocal

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
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

var stackNameRule = newName(`^[a-zA-Z][-a-zA-Z0-9]*$`, 128)

type xmlCreateStackResult struct {
	XMLName xml.Name `xml:"CreateStackResult"`
	StackID string   `xml:"StackId"`
}

func (s *Server) createStack(form url.Values) (any, *queryError) {
	name := form.Get("StackName")
	if name == "" {
		return nil, validationError("1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null")
	}
	if !stackNameRule.ok(name) {
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
