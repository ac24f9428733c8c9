// Package awslocal is a local AWS endpoint, for tests and `loadgen demo`,
// that the real AWS SDKs and the AWS CLI talk to over HTTP. It never talks
// to AWS.
//
// It serves each service in the protocols its clients speak, with AWS's
// error shapes:
//
//   - CloudWatch over Smithy RPCv2 CBOR (aws-sdk-go-v2), awsJson1_0 (current
//     botocore) and awsQuery (AWS CLI v2 before 2.13), from one model of
//     the data: metric alarms (plain and metric-math), alarm history,
//     PutMetricData, GetMetricData, ListMetrics. An evaluator, driven by an
//     injectable clock, moves alarms between OK, ALARM and
//     INSUFFICIENT_DATA at every period boundary with the M-out-of-N,
//     TreatMissingData and premature-ALARM rules of the CloudWatch user
//     guide; periods are those PutMetricAlarm accepts (10, 20, 30 or a
//     multiple of 60 s).
//   - CloudFormation, SNS, IAM and STS over awsQuery, routed by the SigV4
//     signing name (their Action names collide): stacks, topics and
//     subscriptions (e-mail ones wait for confirmation), roles, the caller.
//   - ECS and CloudWatch Logs over awsJson1_1: clusters with their Container
//     Insights setting, container instances and services; log groups,
//     streams, events, and Logs Insights queries (a small engine for the
//     workshop's subset of the language, in insights.go).
//
// Tests and the demo seed state through Go methods (PutStack, PutCluster,
// SetContainerInsights, CreateLogGroup, PutLogEvents, CreateTopic,
// Subscribe, PutServiceLinkedRole, SetCallerIdentity, ...) and change it
// through the same APIs a participant uses.
package awslocal

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a Server.
type Options struct {
	// Now is the clock; nil means time.Now. Tests inject a fake clock.
	Now func() time.Time
	// Region is used in ARNs; default "us-east-1".
	Region string
	// StackPageSize is how many stacks DescribeStacks returns per page when
	// it lists all stacks; default 100.
	StackPageSize int
	// TaskBinary is the program every ECS task's container runs, with the
	// container's command as its arguments (ecstasks.go); "" makes tasks
	// fail to start.
	TaskBinary string
}

// Server is a local AWS endpoint. It implements http.Handler and is safe
// for concurrent use.
type Server struct {
	now           func() time.Time
	region        string
	stackPageSize int

	mu        sync.Mutex
	calls     map[string]int
	inject    map[string][]injection
	reqSeq    uint64
	stacks    map[string]*stack
	stackSeq  int
	alarms    map[string]*alarm
	history   map[string][]historyItem // by alarm name; survives DeleteAlarms
	histSeq   uint64
	series    map[string]*series
	lastPrune time.Time

	identity CallerIdentity   // STS
	roles    map[string]*role // IAM, by name
	roleSeq  int
	clusters map[string]*cluster // ECS, by name
	ecsTasks *ecsTaskState       // ECS task definitions and tasks (ecstasks.go)

	taskBinary string

	logGroups map[string]*logGroup // CloudWatch Logs, by name
	logSeq    uint64
	queries   map[string]*insightsQuery // Logs Insights, by id
	querySeq  uint64

	topics map[string]*snsTopic // SNS, by ARN
	subs   map[string]*snsSub   // by ARN
	subSeq uint64
}

type injection struct {
	code string
	left int
}

// accountID is the fixed account used in ARNs.
const accountID = "000000000000"

// New returns a Server configured by opts.
func New(opts Options) *Server {
	s := &Server{
		now:           opts.Now,
		region:        opts.Region,
		stackPageSize: opts.StackPageSize,
		taskBinary:    opts.TaskBinary,
		calls:         map[string]int{},
		inject:        map[string][]injection{},
		stacks:        map[string]*stack{},
		alarms:        map[string]*alarm{},
		history:       map[string][]historyItem{},
		series:        map[string]*series{},
		identity:      defaultIdentity,
		roles:         map[string]*role{},
		clusters:      map[string]*cluster{},
		logGroups:     map[string]*logGroup{},
		queries:       map[string]*insightsQuery{},
		topics:        map[string]*snsTopic{},
		subs:          map[string]*snsSub{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.region == "" {
		s.region = "us-east-1"
	}
	if s.stackPageSize <= 0 {
		s.stackPageSize = 100
	}
	return s
}

// InjectError makes the next n calls of operation op (an operation name
// such as "DescribeAlarms", "DescribeStacks", "DescribeClusters" or
// "StartQuery", whatever the service and protocol) fail with the AWS error
// code code. The HTTP status
// follows AWS: 400 for Throttling and most codes, 403 for AccessDenied-like
// codes, 404 for ResourceNotFound, 500/503 for service faults.
func (s *Server) InjectError(op, code string, n int) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inject[op] = append(s.inject[op], injection{code: code, left: n})
}

// Calls reports how many times operation op was called, failed calls
// included.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// enter counts a call of op and returns an injected error code, if any.
// It also returns a fresh request id.
func (s *Server) enter(op string) (code, requestID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[op]++
	s.reqSeq++
	requestID = fmt.Sprintf("00000000-0000-4000-8000-%012x", s.reqSeq)
	q := s.inject[op]
	if len(q) == 0 {
		return "", requestID
	}
	code = q[0].code
	q[0].left--
	if q[0].left <= 0 {
		q = q[1:]
	}
	if len(q) == 0 {
		delete(s.inject, op)
	} else {
		s.inject[op] = q
	}
	return code, requestID
}

// injectedStatus maps an AWS error code to the HTTP status AWS uses for it.
func injectedStatus(code string) int {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnrecognizedClientException",
		"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException":
		return http.StatusForbidden
	case "ResourceNotFound", "ResourceNotFoundException", "DashboardNotFoundError":
		return http.StatusNotFound
	case "InternalFailure", "InternalServiceError", "InternalServiceFault", "InternalError":
		return http.StatusInternalServerError
	case "ServiceUnavailable", "ServiceUnavailableException":
		return http.StatusServiceUnavailable
	case "ConcurrentModificationException", "TooManyRequestsException":
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

func injectedMessage(code string) string {
	switch code {
	case "Throttling", "ThrottlingException":
		return "Rate exceeded"
	case "InvalidClientTokenId", "UnrecognizedClientException":
		return "The security token included in the request is invalid."
	case "ExpiredToken", "ExpiredTokenException":
		return "The security token included in the request is expired"
	}
	return "awslocal: injected " + code
}

// cwPathPrefix is the RPCv2 CBOR path prefix for CloudWatch operations.
const cwPathPrefix = "/service/GraniteServiceVersion20100801/operation/"

// maxBody bounds request bodies, compressed or not (PutMetricData allows 1 MB).
const maxBody = 4 << 20

// ServeHTTP routes a request by protocol: RPCv2 CBOR by its path,
// awsJson by its X-Amz-Target, awsQuery (a form) by its signing name.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if op, ok := strings.CutPrefix(r.URL.Path, cwPathPrefix); ok {
		s.serveCloudWatch(w, r, op)
		return
	}
	if r.URL.Path == "/" || r.URL.Path == "" {
		if target := r.Header.Get("X-Amz-Target"); target != "" {
			s.serveJSON(w, r, target)
			return
		}
		s.serveQuery(w, r)
		return
	}
	http.NotFound(w, r)
}

// Evaluate runs one evaluator pass at s.Now(): every alarm whose next
// evaluation time has come is evaluated over its most recent complete
// periods.
func (s *Server) Evaluate() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evaluateLocked(now)
}

// evalTick is how often Run calls Evaluate.
const evalTick = 200 * time.Millisecond

// Run calls Evaluate every ~200ms on the real clock until ctx is done.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(evalTick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Evaluate()
		}
	}
}

// Start serves s on addr (use "127.0.0.1:0" for a free port; non-loopback
// addresses are refused), runs the evaluator loop, and shuts everything down
// when ctx ends. It returns the base URL, e.g. "http://127.0.0.1:43121".
func Start(ctx context.Context, addr string, s *Server) (baseURL string, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("awslocal: address %q: %w", addr, err)
	}
	if !isLoopbackHost(host) {
		return "", fmt.Errorf("awslocal: refusing non-loopback address %q", addr)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("awslocal: listen: %w", err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			// The listener is gone; nothing else to do but stop.
			_ = ln.Close()
		}
	}()
	go s.Run(ctx)
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close()
		}
	}()
	return "http://" + ln.Addr().String(), nil
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// alignDown returns the start (Unix seconds) of the period-aligned bucket
// holding t.
func alignDown(t int64, period int64) int64 {
	r := t % period
	if r < 0 {
		r += period
	}
	return t - r
}
