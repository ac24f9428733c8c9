package awslocal

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// STS and IAM, over awsQuery: who is calling (GetCallerIdentity), and the
// roles the workshop needs (GetRole, CreateServiceLinkedRole).

// CallerIdentity is what STS GetCallerIdentity answers.
type CallerIdentity struct {
	Account string // 12 digits
	ARN     string // e.g. arn:aws:iam::000000000000:user/workshop
	UserID  string // e.g. AIDA... for a user, AROA...:session for a role
}

// defaultIdentity is the caller until SetCallerIdentity says otherwise.
var defaultIdentity = CallerIdentity{
	Account: accountID,
	ARN:     "arn:aws:iam::" + accountID + ":user/awslocal",
	UserID:  "AIDAAWSLOCAL000000001",
}

// SetCallerIdentity sets what GetCallerIdentity answers. Empty fields keep
// their default (account 000000000000, user "awslocal").
func (s *Server) SetCallerIdentity(id CallerIdentity) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id.Account == "" {
		id.Account = defaultIdentity.Account
	}
	if id.ARN == "" {
		id.ARN = "arn:aws:iam::" + id.Account + ":user/awslocal"
	}
	if id.UserID == "" {
		id.UserID = defaultIdentity.UserID
	}
	s.identity = id
}

var stsOps = map[string]queryHandler{
	"GetCallerIdentity": (*Server).getCallerIdentity,
}

type xmlCallerIdentity struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

func (s *Server) getCallerIdentity(url.Values) (any, *queryError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.identity
	return xmlCallerIdentity{Arn: id.ARN, UserID: id.UserID, Account: id.Account}, nil
}

// Role is an IAM role.
type Role struct {
	Name        string // e.g. AWSServiceRoleForECS
	Path        string // default "/"
	Description string
	// AssumeRolePolicyDocument is the trust policy (JSON); default: one
	// that lets the service of a service-linked role assume it.
	AssumeRolePolicyDocument string
}

type role struct {
	Role
	id      string
	created time.Time
}

// The workshop's service-linked roles, by the service that owns them.
const (
	RoleELB = "AWSServiceRoleForElasticLoadBalancing"
	RoleECS = "AWSServiceRoleForECS"
)

// serviceLinkedRoles names the service-linked role of each AWS service
// awslocal knows, with the description AWS gives it.
var serviceLinkedRoles = map[string]struct{ name, desc string }{
	"ecs.amazonaws.com":                  {RoleECS, "Role to enable Amazon ECS to manage your cluster."},
	"elasticloadbalancing.amazonaws.com": {RoleELB, "Allows ELB to call AWS services on your behalf."},
}

// PutServiceLinkedRole seeds the service-linked role of awsService (e.g.
// "ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com") and returns its
// name.
func (s *Server) PutServiceLinkedRole(awsService string) (string, error) {
	sl, ok := serviceLinkedRoles[awsService]
	if !ok {
		return "", fmt.Errorf("awslocal: no service-linked role known for %q", awsService)
	}
	s.PutRole(Role{Name: sl.name, Path: "/aws-service-role/" + awsService + "/", Description: sl.desc,
		AssumeRolePolicyDocument: trustPolicy(awsService)})
	return sl.name, nil
}

func trustPolicy(service string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"` + service + `"},"Action":"sts:AssumeRole"}]}`
}

// PutRole seeds or replaces an IAM role.
func (s *Server) PutRole(r Role) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.putRoleLocked(r, now)
}

func (s *Server) putRoleLocked(r Role, now time.Time) *role {
	if r.Path == "" {
		r.Path = "/"
	}
	if r.AssumeRolePolicyDocument == "" {
		r.AssumeRolePolicyDocument = trustPolicy("ec2.amazonaws.com")
	}
	old := s.roles[r.Name]
	nr := &role{Role: r, created: now.UTC()}
	if old != nil {
		nr.id, nr.created = old.id, old.created
	} else {
		s.roleSeq++
		nr.id = fmt.Sprintf("AROAAWSLOCAL%09d", s.roleSeq)
	}
	s.roles[r.Name] = nr
	return nr
}

// DeleteRole removes an IAM role; it reports whether it existed.
func (s *Server) DeleteRole(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.roles[name]
	delete(s.roles, name)
	return ok
}

var iamOps = map[string]queryHandler{
	"GetRole":                 (*Server).getRole,
	"CreateServiceLinkedRole": (*Server).createServiceLinkedRole,
}

type xmlRole struct {
	Path                     string `xml:"Path"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
	RoleID                   string `xml:"RoleId"`
	RoleName                 string `xml:"RoleName"`
	Description              string `xml:"Description,omitempty"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
}

type xmlGetRoleResult struct {
	XMLName xml.Name `xml:"GetRoleResult"`
	Role    xmlRole  `xml:"Role"`
}

type xmlCreateSLRResult struct {
	XMLName xml.Name `xml:"CreateServiceLinkedRoleResult"`
	Role    xmlRole  `xml:"Role"`
}

func (r *role) toXML() xmlRole {
	return xmlRole{
		Path: r.Path,
		// IAM answers the policy document URL-encoded (RFC 3986).
		AssumeRolePolicyDocument: strings.ReplaceAll(url.QueryEscape(r.AssumeRolePolicyDocument), "+", "%20"),
		MaxSessionDuration:       3600,
		RoleID:                   r.id,
		RoleName:                 r.Name,
		Description:              r.Description,
		Arn:                      "arn:aws:iam::" + accountID + ":role" + r.Path + r.Name,
		CreateDate:               r.created.Format(time.RFC3339),
	}
}

var roleNameRule = newName(`^[\w+=,.@-]+$`, 64)

func (s *Server) getRole(form url.Values) (any, *queryError) {
	name := form.Get("RoleName")
	if name == "" {
		return nil, validationError("1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null")
	}
	if !roleNameRule.ok(name) {
		return nil, validationError("1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roles[name]
	if r == nil {
		return nil, qerrf(http.StatusNotFound, "NoSuchEntity", "The role with name %s cannot be found.", name)
	}
	return xmlGetRoleResult{Role: r.toXML()}, nil
}

func (s *Server) createServiceLinkedRole(form url.Values) (any, *queryError) {
	svc := form.Get("AWSServiceName")
	if svc == "" {
		return nil, validationError("1 validation error detected: Value null at 'aWSServiceName' failed to satisfy constraint: Member must not be null")
	}
	sl, ok := serviceLinkedRoles[svc]
	if !ok {
		return nil, qerrf(http.StatusBadRequest, "InvalidInput", "Service role name for %s is not known to awslocal (it knows %s and %s).",
			svc, "ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com")
	}
	desc := form.Get("Description")
	if desc == "" {
		desc = sl.desc
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.roles[sl.name] != nil {
		return nil, qerrf(http.StatusBadRequest, "InvalidInput", "Service role name %s has been taken in this account, please try a different suffix.", sl.name)
	}
	r := s.putRoleLocked(Role{Name: sl.name, Path: "/aws-service-role/" + svc + "/", Description: desc, AssumeRolePolicyDocument: trustPolicy(svc)}, now)
	return xmlCreateSLRResult{Role: r.toXML()}, nil
}
