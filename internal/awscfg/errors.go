package awscfg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// ErrSetup is matched (errors.Is) by every error that means the run cannot
// start because of the AWS setup: no region, no or rejected credentials,
// access denied, throttling that outlasted the retries, an unreachable
// endpoint. The command line maps it to exit code 3. Errors of other
// packages that mean the same (stack or alarm not found) match it too.
var ErrSetup = errors.New("AWS setup error")

// Kind says which setup problem an Error describes.
type Kind int

// The kinds of setup problems.
const (
	KindConfig       Kind = iota // the shared config could not be loaded
	KindRegion                   // no region configured
	KindProfile                  // the named profile does not exist
	KindCredentials              // no credentials, or AWS rejected them
	KindAccessDenied             // the credentials lack a permission
	KindThrottling               // throttled even after the SDK's retries
	KindUnreachable              // the endpoint could not be reached
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindConfig:
		return "config"
	case KindRegion:
		return "region"
	case KindProfile:
		return "profile"
	case KindCredentials:
		return "credentials"
	case KindAccessDenied:
		return "access denied"
	case KindThrottling:
		return "throttling"
	case KindUnreachable:
		return "unreachable"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is a setup problem in one sentence (Msg), keeping the SDK's error
// (Err) for errors.As/Is. It matches ErrSetup.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

// Error returns the one-sentence message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the SDK's error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is ErrSetup.
func (e *Error) Is(target error) bool { return target == ErrSetup }

// NoCredentialsMessage is the sentence shown when no credentials are found.
const NoCredentialsMessage = "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run aws configure"

func noCredentials(err error) *Error {
	return &Error{Kind: KindCredentials, Msg: NoCredentialsMessage, Err: err}
}

// missingCredentials reports whether a credentials error means that the
// default chain found nothing (it ends at the instance metadata service).
func missingCredentials(err error) bool {
	var empty *credentials.StaticCredentialsEmptyError
	if errors.As(err, &empty) {
		return true
	}
	s := err.Error()
	for _, sub := range []string{"no EC2 IMDS role found", "EC2 IMDS", "AnonymousCredentials", "static credentials are empty"} {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

var (
	accessDeniedCodes = map[string]bool{
		"AccessDenied": true, "AccessDeniedException": true, "UnauthorizedOperation": true,
		"UnauthorizedAccess": true, "AuthorizationError": true, "NotAuthorized": true,
	}
	badCredentialCodes = map[string]bool{
		"InvalidClientTokenId": true, "UnrecognizedClientException": true, "SignatureDoesNotMatch": true,
		"IncompleteSignature": true, "AuthFailure": true, "ExpiredToken": true, "ExpiredTokenException": true,
		"InvalidSignatureException": true, "InvalidAccessKeyId": true, "RequestExpired": true,
	}
	throttleCodes = map[string]bool{
		"Throttling": true, "ThrottlingException": true, "ThrottledException": true,
		"RequestThrottledException": true, "TooManyRequestsException": true,
		"RequestLimitExceeded": true, "RequestThrottled": true, "SlowDown": true,
		"ProvisionedThroughputExceededException": true, "BandwidthLimitExceeded": true,
		"LimitExceededException": true, "EC2ThrottledException": true, "PriorRequestNotComplete": true,
	}
)

// IsThrottle reports whether err is a throttling error of an AWS API.
func IsThrottle(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && throttleCodes[ae.ErrorCode()]
}

// IsAccessDenied reports whether err says the credentials lack a permission.
func IsAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && accessDeniedCodes[ae.ErrorCode()]
}

// Classify turns an SDK error into an *Error (matching ErrSetup) with one
// clear sentence when it is a setup problem: missing or rejected
// credentials, access denied, throttling, an unreachable endpoint. Context
// cancellation and every other error come back unchanged, as does nil and
// an error that already is an *Error.
func Classify(err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return err
	}
	what := "AWS"
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		what = oe.ServiceID + " " + oe.OperationName
	}

	// Credentials fail before the request is sent: the SDK wraps the
	// provider's error in "get identity: ..." (or a v4.SigningError).
	var se *v4.SigningError
	if errors.As(err, &se) || strings.Contains(err.Error(), "get identity: ") {
		if missingCredentials(err) || errors.Is(err, context.DeadlineExceeded) {
			return noCredentials(err)
		}
		cause := err.Error()
		if _, after, ok := strings.Cut(cause, "get identity: "); ok {
			cause = after
		}
		return &Error{Kind: KindCredentials, Err: err,
			Msg: fmt.Sprintf("could not get AWS credentials for %s: %s", what, cause)}
	}

	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		detail := ae.ErrorMessage()
		if detail == "" {
			detail = code
		} else {
			detail = code + ": " + detail
		}
		switch {
		case accessDeniedCodes[code]:
			return &Error{Kind: KindAccessDenied, Err: err,
				Msg: fmt.Sprintf("AWS denied access to %s (%s): grant the permission to the credentials in use or pick another AWS_PROFILE", what, detail)}
		case badCredentialCodes[code]:
			return &Error{Kind: KindCredentials, Err: err,
				Msg: fmt.Sprintf("AWS rejected the credentials for %s (%s): refresh them or check AWS_PROFILE and AWS_ACCESS_KEY_ID", what, detail)}
		case throttleCodes[code]:
			return &Error{Kind: KindThrottling, Err: err,
				Msg: fmt.Sprintf("AWS throttled %s even after retries (%s): wait a minute and try again, or poll less often", what, detail)}
		}
		return err
	}

	if where, cause, ok := connectionProblem(err); ok {
		return &Error{Kind: KindUnreachable, Err: err,
			Msg: fmt.Sprintf("cannot reach %s%s (%s): check the network, --endpoint-url and AWS_ENDPOINT_URL", what, where, cause)}
	}
	return err
}

// connectionProblem reports whether err failed to reach the endpoint, with
// " at <scheme://host>" and the innermost cause.
func connectionProblem(err error) (where, cause string, ok bool) {
	var rse *smithyhttp.RequestSendError
	var ne net.Error
	var oe *net.OpError
	var de *net.DNSError
	if !errors.As(err, &rse) && !errors.As(err, &oe) && !errors.As(err, &de) && !errors.As(err, &ne) {
		return "", "", false
	}
	cause = err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			where = " at " + u.Scheme + "://" + u.Host
		}
		cause = ue.Err.Error()
	}
	switch {
	case errors.As(err, &oe):
		cause = oe.Error()
	case errors.As(err, &de):
		cause = de.Error()
	}
	return where, cause, true
}
