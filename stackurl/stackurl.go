// Package stackurl finds the workshop's load-balancer URL in CloudFormation
// stack outputs, walking a chain of (stack, output key) sources the way the
// workshop's shell one-liner does, but falling back both when a stack is
// missing and when it lacks the output.
package stackurl

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/smithy-go"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/weburl"
)

// ErrSetup is matched (errors.Is) by every error of this package that means
// the AWS setup keeps the run from starting: no region or credentials,
// credentials rejected, access denied, throttling that outlasted the SDK's
// retries, an unreachable endpoint, or no source giving a URL
// (*NotFoundError). loadgen's command line exits 3 on it. It is the same
// value as verify.ErrSetup, so one check serves both packages.
var ErrSetup = awscfg.ErrSetup

// API is the part of the CloudFormation client that Resolve needs.
type API interface {
	DescribeStacks(ctx context.Context, in *cloudformation.DescribeStacksInput, optFns ...func(*cloudformation.Options)) (*cloudformation.DescribeStacksOutput, error)
}

// Source is one place to look for the URL: an output of a stack. Key is
// matched exactly, or as a substring when Contains is set. An empty Key
// picks the stack's best URL-like output (see Resolve).
type Source struct {
	Stack    string
	Key      string
	Contains bool
}

// String renders the source the way ParseSource reads it.
func (s Source) String() string {
	switch {
	case s.Key == "":
		return s.Stack
	case s.Contains:
		return s.Stack + ":~" + s.Key
	}
	return s.Stack + ":" + s.Key
}

// The workshop's stacks and output keys.
const (
	// ALBStack is the stack of the CloudFormation path (brentley/container-demo).
	ALBStack = "container-demo-alb"
	// ALBKey is ALBStack's output holding http://<alb-dns>.
	ALBKey = "ExternalUrl"
	// FrontendStack is the CDK path's frontend stack (ecsdemo-frontend).
	FrontendStack = "ecsworkshop-frontend"
	// FrontendKey is the prefix of FrontendStack's URL output; CDK appends
	// an 8-hex logical-ID hash to it.
	FrontendKey = "FrontendFargateLBServiceServiceURL"
)

// DefaultSources returns the workshop's chain: container-demo-alb's
// ExternalUrl (exact), then the ecsworkshop-frontend output whose key
// contains FrontendFargateLBServiceServiceURL.
func DefaultSources() []Source {
	return []Source{
		{Stack: ALBStack, Key: ALBKey},
		{Stack: FrontendStack, Key: FrontendKey, Contains: true},
	}
}

// stackNameRE and maxStackName are CloudFormation's rule for stack names:
// a letter, then letters, digits and hyphens, 128 characters at most. The
// length is checked apart: `{0,127}` in the pattern would compile into 127
// copies of the class, ≈ 100 KB at every start-up of every binary.
var stackNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]*$`)

const maxStackName = 128

// ParseSource reads a source as the --stack flag takes it:
//
//	NAME         the stack's URL output: a workshop key (ExternalUrl, *ServiceURL*,
//	             *LoadBalancerDNS*) or else the first output whose value looks like a URL
//	NAME:KEY     the output named exactly KEY
//	NAME:~SUB    the first output whose key contains SUB
//
// NAME is a stack name or a stack ARN (arn:...:stack/NAME/ID, whose own
// colons are not taken as the separator).
func ParseSource(s string) (Source, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Source{}, errors.New("empty stack source: want NAME, NAME:KEY or NAME:~SUBSTRING")
	}
	name, key, hasKey := s, "", false
	if strings.HasPrefix(s, "arn:") {
		// An ARN has six colon-separated fields; a seventh is the key.
		parts := strings.SplitN(s, ":", 7)
		if len(parts) < 6 || !strings.HasPrefix(parts[5], "stack/") || len(parts[5]) <= len("stack/") {
			return Source{}, fmt.Errorf("stack source %q: not a CloudFormation stack ARN", s)
		}
		name = strings.Join(parts[:6], ":")
		if len(parts) == 7 {
			key, hasKey = parts[6], true
		}
	} else {
		name, key, hasKey = strings.Cut(s, ":")
		if len(name) > maxStackName || !stackNameRE.MatchString(name) {
			return Source{}, fmt.Errorf("stack source %q: stack name %q must start with a letter and hold only letters, digits and hyphens (at most 128)", s, name)
		}
	}
	src := Source{Stack: name}
	if !hasKey {
		return src, nil
	}
	if strings.HasPrefix(key, "~") {
		key = key[1:]
		src.Contains = true
	}
	if key == "" || strings.TrimSpace(key) != key {
		return Source{}, fmt.Errorf("stack source %q: empty or padded output key after ':'", s)
	}
	src.Key = key
	return src, nil
}

// Resolved is the URL found and where it came from.
type Resolved struct {
	URL       string
	Stack     string
	OutputKey string
}

// Attempt records why one source gave no URL.
type Attempt struct {
	Source Source
	// Exists is false when the stack does not exist.
	Exists bool
	// Outputs lists the stack's output keys, in the stack's order.
	Outputs []string
	// Reason says why the source gave nothing, e.g. "stack does not exist".
	Reason string
}

// NotFoundError says that no source gave a URL. It matches ErrSetup.
type NotFoundError struct {
	Tried []Attempt
}

// Error names every source tried and, for stacks that exist, their output keys.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("no URL found:")
	if len(e.Tried) == 0 {
		b.WriteString(" no stack sources given")
	}
	for i, a := range e.Tried {
		if i > 0 {
			b.WriteByte(';')
		}
		fmt.Fprintf(&b, " %s: %s", a.Source.Stack, a.Reason)
		if a.Exists {
			if len(a.Outputs) == 0 {
				b.WriteString(" (stack has no outputs)")
			} else {
				fmt.Fprintf(&b, " (outputs: %s)", strings.Join(a.Outputs, ", "))
			}
		}
	}
	return b.String()
}

// Is reports whether target is ErrSetup: without a URL the run
// cannot start.
func (e *NotFoundError) Is(target error) bool { return target == awscfg.ErrSetup }

// Resolve walks sources in order (DefaultSources when empty) and returns
// the first URL found. It falls through to the next source when a stack
// does not exist (CloudFormation's ValidationError "... does not exist")
// or lacks the output; any other error (access denied, no credentials,
// unreachable endpoint, cancellation) stops the walk at once, classified
// by awscfg.Classify and wrapped with the stack's name. When no source
// gives a URL the error is a *NotFoundError.
//
// A source without a key takes the stack's first output named like the
// workshop's (ExternalUrl, containing ServiceURL, containing
// LoadBalancerDNS), else its first output whose value starts with http://
// or https://. Values get http:// when they have no scheme (a bare DNS
// name); a lone trailing slash is dropped.
func Resolve(ctx context.Context, api API, sources []Source) (Resolved, error) {
	if len(sources) == 0 {
		sources = DefaultSources()
	}
	nf := &NotFoundError{}
	for _, src := range sources {
		outputs, err := describe(ctx, api, src.Stack)
		if errors.Is(err, errStackMissing) {
			nf.Tried = append(nf.Tried, Attempt{Source: src, Reason: "stack does not exist"})
			continue
		}
		if err != nil {
			return Resolved{}, fmt.Errorf("look up stack %s: %w", src.Stack, err)
		}
		att := Attempt{Source: src, Exists: true}
		for _, o := range outputs {
			att.Outputs = append(att.Outputs, aws.ToString(o.OutputKey))
		}
		o, ok := pick(src, outputs)
		if !ok {
			att.Reason = missingReason(src)
			nf.Tried = append(nf.Tried, att)
			continue
		}
		u, err := NormalizeURL(aws.ToString(o.OutputValue))
		if err != nil {
			att.Reason = fmt.Sprintf("output %s is not a URL: %v", aws.ToString(o.OutputKey), err)
			nf.Tried = append(nf.Tried, att)
			continue
		}
		return Resolved{URL: u, Stack: src.Stack, OutputKey: aws.ToString(o.OutputKey)}, nil
	}
	return Resolved{}, nf
}

var errStackMissing = errors.New("stack does not exist")

// describe returns the outputs of one stack, or errStackMissing.
func describe(ctx context.Context, api API, stack string) ([]types.Output, error) {
	out, err := api.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if err != nil {
		if stackMissing(err) {
			return nil, errStackMissing
		}
		return nil, awscfg.Classify(err)
	}
	// By ARN, DescribeStacks still answers for a deleted stack.
	if out == nil || len(out.Stacks) == 0 || out.Stacks[0].StackStatus == types.StackStatusDeleteComplete {
		return nil, errStackMissing
	}
	return out.Stacks[0].Outputs, nil
}

// stackMissing reports CloudFormation's answer for a missing stack: HTTP 400
// ValidationError "Stack with id X does not exist".
func stackMissing(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" &&
		strings.Contains(ae.ErrorMessage(), "does not exist")
}

func missingReason(src Source) string {
	switch {
	case src.Key == "":
		return "no output that looks like a URL"
	case src.Contains:
		return fmt.Sprintf("no output key containing %q", src.Key)
	}
	return fmt.Sprintf("no output key %q", src.Key)
}

// pick chooses the output a source names.
func pick(src Source, outputs []types.Output) (types.Output, bool) {
	find := func(match func(types.Output) bool) (types.Output, bool) {
		for _, o := range outputs {
			if match(o) {
				return o, true
			}
		}
		return types.Output{}, false
	}
	key := func(o types.Output) string { return aws.ToString(o.OutputKey) }
	switch {
	case src.Key != "" && src.Contains:
		return find(func(o types.Output) bool { return strings.Contains(key(o), src.Key) })
	case src.Key != "":
		return find(func(o types.Output) bool { return key(o) == src.Key })
	}
	for _, match := range []func(types.Output) bool{
		func(o types.Output) bool { return key(o) == ALBKey },
		func(o types.Output) bool { return strings.Contains(key(o), "ServiceURL") },
		func(o types.Output) bool { return strings.Contains(key(o), "LoadBalancerDNS") },
		func(o types.Output) bool {
			v := strings.ToLower(strings.TrimSpace(aws.ToString(o.OutputValue)))
			return strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://")
		},
	} {
		if o, ok := find(match); ok {
			return o, true
		}
	}
	return types.Output{}, false
}

// NormalizeURL turns an output value into a URL with the module's one URL
// normalizer (internal/weburl), so the URL printed is the URL loaded: spaces
// trimmed, http:// added to a bare DNS name, scheme and host lower-cased, no
// default port, "/" for an empty path. Only http and https URLs with a host
// and no user info are accepted.
func NormalizeURL(v string) (string, error) {
	u, err := weburl.Parse(v)
	if err != nil {
		return "", err
	}
	if u.User != nil {
		return "", fmt.Errorf("%q: user info is not allowed", u.Redacted())
	}
	return u.String(), nil
}
