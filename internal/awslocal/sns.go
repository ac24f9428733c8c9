package awslocal

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// SNS over awsQuery: topics and their subscriptions. An e-mail (or HTTP)
// subscription waits for confirmation, as on AWS, until ConfirmSubscription
// is called with its token (SubscriptionToken gives it, since no e-mail is
// sent) or it is seeded confirmed.

type snsTopic struct {
	arn, name string
	subs      []string // subscription ARNs, in creation order
}

type snsSub struct {
	arn, topicARN      string
	protocol, endpoint string
	pending            bool
	token              string
	authenticated      bool
}

var topicNameRule = newName(`^[A-Za-z0-9_-]+$`, 256)

// snsProtocols are the subscription protocols, and whether a subscription
// of that protocol needs confirming.
var snsProtocols = map[string]bool{
	"email": true, "email-json": true, "http": true, "https": true,
	"sqs": false, "lambda": false, "sms": false, "application": false, "firehose": false,
}

// CreateTopic seeds a topic (or finds the existing one) and returns its ARN.
func (s *Server) CreateTopic(name string) (string, error) {
	if !topicNameRule.ok(name) {
		return "", fmt.Errorf("awslocal: topic name %q: want 1-256 letters, digits, hyphens or underscores", name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createTopicLocked(name).arn, nil
}

func (s *Server) createTopicLocked(name string) *snsTopic {
	arn := fmt.Sprintf("arn:aws:sns:%s:%s:%s", s.region, accountID, name)
	t := s.topics[arn]
	if t == nil {
		t = &snsTopic{arn: arn, name: name}
		s.topics[arn] = t
	}
	return t
}

// Subscribe seeds a subscription of topicARN, confirmed or pending
// confirmation, and returns its ARN. Subscribing an endpoint twice returns
// the existing subscription.
func (s *Server) Subscribe(topicARN, protocol, endpoint string, confirmed bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, qerr := s.subscribeLocked(topicARN, protocol, endpoint)
	if qerr != nil {
		return "", fmt.Errorf("awslocal: %s", qerr.message)
	}
	if confirmed {
		sub.pending = false
	}
	return sub.arn, nil
}

// SubscriptionToken returns the confirmation token of a pending
// subscription: what the confirmation e-mail's link carries.
func (s *Server) SubscriptionToken(subARN string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[subARN]
	if sub == nil || !sub.pending {
		return "", false
	}
	return sub.token, true
}

// ConfirmSubscription confirms a subscription, as the link in its e-mail
// would.
func (s *Server) ConfirmSubscription(subARN string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[subARN]
	if sub == nil {
		return fmt.Errorf("awslocal: no subscription %q", subARN)
	}
	sub.pending = false
	return nil
}

func (s *Server) subscribeLocked(topicARN, protocol, endpoint string) (*snsSub, *queryError) {
	t := s.topics[topicARN]
	if t == nil {
		return nil, qerrf(http.StatusNotFound, "NotFound", "Topic does not exist")
	}
	needsConfirm, ok := snsProtocols[protocol]
	if !ok {
		return nil, qerrf(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Amazon SNS does not support this protocol string: %s", protocol)
	}
	if endpoint == "" || (strings.HasPrefix(protocol, "email") && !strings.Contains(endpoint, "@")) {
		return nil, qerrf(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Endpoint")
	}
	for _, arn := range t.subs {
		if sub := s.subs[arn]; sub.protocol == protocol && sub.endpoint == endpoint {
			return sub, nil
		}
	}
	s.subSeq++
	sub := &snsSub{
		arn:      fmt.Sprintf("%s:%08x-0000-4000-8000-%012x", t.arn, s.subSeq, s.subSeq),
		topicARN: t.arn, protocol: protocol, endpoint: endpoint, pending: needsConfirm,
		token: fmt.Sprintf("2336412f37fb687f5d51e6e2425f004a%016x", s.subSeq),
	}
	s.subs[sub.arn] = sub
	t.subs = append(t.subs, sub.arn)
	return sub, nil
}

var snsOps = map[string]queryHandler{
	"CreateTopic":               (*Server).snsCreateTopic,
	"ListTopics":                (*Server).snsListTopics,
	"GetTopicAttributes":        (*Server).snsGetTopicAttributes,
	"DeleteTopic":               (*Server).snsDeleteTopic,
	"Subscribe":                 (*Server).snsSubscribe,
	"ConfirmSubscription":       (*Server).snsConfirmSubscription,
	"Unsubscribe":               (*Server).snsUnsubscribe,
	"ListSubscriptionsByTopic":  (*Server).snsListSubscriptionsByTopic,
	"ListSubscriptions":         (*Server).snsListSubscriptions,
	"GetSubscriptionAttributes": (*Server).snsGetSubscriptionAttributes,
}

// snsPageSize is how many topics or subscriptions a List answers at most.
const snsPageSize = 100

func snsParamError(name string) *queryError {
	return qerrf(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: %s", name)
}

func (s *Server) snsCreateTopic(form url.Values) (any, *queryError) {
	name := form.Get("Name")
	if !topicNameRule.ok(name) {
		return nil, qerrf(http.StatusBadRequest, "InvalidParameter", "Invalid parameter: Topic Name")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return struct {
		XMLName  xml.Name `xml:"CreateTopicResult"`
		TopicArn string   `xml:"TopicArn"`
	}{TopicArn: s.createTopicLocked(name).arn}, nil
}

type xmlTopicArn struct {
	TopicArn string `xml:"TopicArn"`
}

// pageOffset reads an offset NextToken of kind.
func pageOffset(form url.Values, kind string) (int, *queryError) {
	tok := form.Get("NextToken")
	if tok == "" {
		return 0, nil
	}
	v, ok := decodeToken(kind, tok)
	n, err := strconv.Atoi(v)
	if !ok || err != nil || n < 0 {
		return 0, snsParamError("NextToken")
	}
	return n, nil
}

func (s *Server) snsListTopics(form url.Values) (any, *queryError) {
	off, qerr := pageOffset(form, "topics")
	if qerr != nil {
		return nil, qerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	arns := make([]string, 0, len(s.topics))
	for arn := range s.topics {
		arns = append(arns, arn)
	}
	sort.Strings(arns)
	out := struct {
		XMLName   xml.Name      `xml:"ListTopicsResult"`
		Topics    []xmlTopicArn `xml:"Topics>member"`
		NextToken string        `xml:"NextToken,omitempty"`
	}{Topics: []xmlTopicArn{}}
	arns = arns[min(off, len(arns)):]
	if len(arns) > snsPageSize {
		arns = arns[:snsPageSize]
		out.NextToken = encodeToken("topics", strconv.Itoa(off+snsPageSize))
	}
	for _, a := range arns {
		out.Topics = append(out.Topics, xmlTopicArn{a})
	}
	return out, nil
}

type xmlEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func (s *Server) topicLocked(form url.Values) (*snsTopic, *queryError) {
	arn := form.Get("TopicArn")
	if !strings.HasPrefix(arn, "arn:aws:sns:") {
		return nil, snsParamError("TopicArn")
	}
	t := s.topics[arn]
	if t == nil {
		return nil, qerrf(http.StatusNotFound, "NotFound", "Topic does not exist")
	}
	return t, nil
}

func (s *Server) snsGetTopicAttributes(form url.Values) (any, *queryError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, qerr := s.topicLocked(form)
	if qerr != nil {
		return nil, qerr
	}
	confirmed, pending := 0, 0
	for _, a := range t.subs {
		if s.subs[a].pending {
			pending++
		} else {
			confirmed++
		}
	}
	return struct {
		XMLName    xml.Name   `xml:"GetTopicAttributesResult"`
		Attributes []xmlEntry `xml:"Attributes>entry"`
	}{Attributes: []xmlEntry{
		{"TopicArn", t.arn}, {"Owner", accountID}, {"DisplayName", ""},
		{"SubscriptionsConfirmed", strconv.Itoa(confirmed)}, {"SubscriptionsPending", strconv.Itoa(pending)},
		{"SubscriptionsDeleted", "0"},
	}}, nil
}

func (s *Server) snsDeleteTopic(form url.Values) (any, *queryError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, qerr := s.topicLocked(form)
	if qerr != nil {
		if qerr.code == "NotFound" {
			return nil, nil // deleting a missing topic succeeds, as on AWS
		}
		return nil, qerr
	}
	for _, a := range t.subs {
		delete(s.subs, a)
	}
	delete(s.topics, t.arn)
	return nil, nil
}

func (s *Server) snsSubscribe(form url.Values) (any, *queryError) {
	returnARN := form.Get("ReturnSubscriptionArn") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, qerr := s.topicLocked(form); qerr != nil {
		return nil, qerr
	}
	sub, qerr := s.subscribeLocked(form.Get("TopicArn"), form.Get("Protocol"), form.Get("Endpoint"))
	if qerr != nil {
		return nil, qerr
	}
	arn := sub.arn
	if sub.pending && !returnARN {
		arn = "pending confirmation"
	}
	return struct {
		XMLName         xml.Name `xml:"SubscribeResult"`
		SubscriptionArn string   `xml:"SubscriptionArn"`
	}{SubscriptionArn: arn}, nil
}

func (s *Server) snsConfirmSubscription(form url.Values) (any, *queryError) {
	token := form.Get("Token")
	s.mu.Lock()
	defer s.mu.Unlock()
	t, qerr := s.topicLocked(form)
	if qerr != nil {
		return nil, qerr
	}
	for _, a := range t.subs {
		if sub := s.subs[a]; sub.token == token && token != "" {
			sub.pending = false
			sub.authenticated = form.Get("AuthenticateOnUnsubscribe") == "true"
			return struct {
				XMLName         xml.Name `xml:"ConfirmSubscriptionResult"`
				SubscriptionArn string   `xml:"SubscriptionArn"`
			}{SubscriptionArn: sub.arn}, nil
		}
	}
	return nil, qerrf(http.StatusBadRequest, "InvalidParameter", "Invalid token")
}

func (s *Server) snsUnsubscribe(form url.Values) (any, *queryError) {
	arn := form.Get("SubscriptionArn")
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[arn]
	if sub == nil {
		return nil, qerrf(http.StatusNotFound, "NotFound", "Subscription does not exist")
	}
	delete(s.subs, arn)
	if t := s.topics[sub.topicARN]; t != nil {
		t.subs = slicesDelete(t.subs, arn)
	}
	return nil, nil
}

func slicesDelete(l []string, v string) []string {
	out := l[:0]
	for _, x := range l {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

type xmlSubscription struct {
	SubscriptionArn string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicArn        string `xml:"TopicArn"`
}

// listSubs pages through subscription ARNs as ListSubscriptions* answer:
// a pending subscription's ARN reads "PendingConfirmation".
func (s *Server) listSubs(arns []string, off int) ([]xmlSubscription, string) {
	arns = arns[min(off, len(arns)):]
	next := ""
	if len(arns) > snsPageSize {
		arns = arns[:snsPageSize]
		next = encodeToken("subs", strconv.Itoa(off+snsPageSize))
	}
	out := []xmlSubscription{}
	for _, a := range arns {
		sub := s.subs[a]
		arn := sub.arn
		if sub.pending {
			arn = "PendingConfirmation"
		}
		out = append(out, xmlSubscription{SubscriptionArn: arn, Owner: accountID, Protocol: sub.protocol, Endpoint: sub.endpoint, TopicArn: sub.topicARN})
	}
	return out, next
}

type xmlListSubsResult struct {
	Subscriptions []xmlSubscription `xml:"Subscriptions>member"`
	NextToken     string            `xml:"NextToken,omitempty"`
}

func (s *Server) snsListSubscriptionsByTopic(form url.Values) (any, *queryError) {
	off, qerr := pageOffset(form, "subs")
	if qerr != nil {
		return nil, qerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, qerr := s.topicLocked(form)
	if qerr != nil {
		return nil, qerr
	}
	subs, next := s.listSubs(t.subs, off)
	return struct {
		XMLName xml.Name `xml:"ListSubscriptionsByTopicResult"`
		xmlListSubsResult
	}{xmlListSubsResult: xmlListSubsResult{subs, next}}, nil
}

func (s *Server) snsListSubscriptions(form url.Values) (any, *queryError) {
	off, qerr := pageOffset(form, "subs")
	if qerr != nil {
		return nil, qerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var arns []string
	for _, t := range s.topics {
		arns = append(arns, t.subs...)
	}
	sort.Strings(arns)
	subs, next := s.listSubs(arns, off)
	return struct {
		XMLName xml.Name `xml:"ListSubscriptionsResult"`
		xmlListSubsResult
	}{xmlListSubsResult: xmlListSubsResult{subs, next}}, nil
}

func (s *Server) snsGetSubscriptionAttributes(form url.Values) (any, *queryError) {
	arn := form.Get("SubscriptionArn")
	if !strings.HasPrefix(arn, "arn:aws:sns:") {
		return nil, snsParamError("SubscriptionArn")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sub := s.subs[arn]
	if sub == nil {
		return nil, qerrf(http.StatusNotFound, "NotFound", "Subscription does not exist")
	}
	return struct {
		XMLName    xml.Name   `xml:"GetSubscriptionAttributesResult"`
		Attributes []xmlEntry `xml:"Attributes>entry"`
	}{Attributes: []xmlEntry{
		{"SubscriptionArn", sub.arn}, {"TopicArn", sub.topicARN}, {"Owner", accountID},
		{"Protocol", sub.protocol}, {"Endpoint", sub.endpoint},
		{"PendingConfirmation", strconv.FormatBool(sub.pending)},
		{"ConfirmationWasAuthenticated", strconv.FormatBool(sub.authenticated)},
		{"RawMessageDelivery", "false"},
	}}, nil
}
