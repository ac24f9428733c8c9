package workshop

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"

	"github.com/loadgen/loadgen/internal/awscfg"
)

// iamPrefix maps the SDK's service ids to IAM action prefixes.
var iamPrefix = map[string]string{
	"ECS": "ecs", "CloudWatch Logs": "logs", "SNS": "sns", "IAM": "iam", "STS": "sts",
	"CloudWatch": "cloudwatch", "CloudFormation": "cloudformation",
}

// failure turns an AWS error into a failed Result: the reason in one
// sentence (awscfg.Classify's), and a fix that fits the error: the IAM
// action to grant for access denied, a retry for throttling, fixes for
// anything else.
func failure(err error, fixes ...string) Result {
	err = awscfg.Classify(err)
	r := Result{Status: Fail, Detail: describe(err), setup: isSetup(err)}
	var ae *awscfg.Error
	if errors.As(err, &ae) {
		switch ae.Kind {
		case awscfg.KindAccessDenied:
			r.Fix = []string{"grant " + action(err) + " to the credentials in use (see step 1), or use a profile that has it"}
			return r
		case awscfg.KindThrottling:
			r.Fix = []string{"wait a minute, then run loadgen check again"}
			return r
		case awscfg.KindCredentials, awscfg.KindUnreachable:
			r.Fix = []string{"fix the credentials or the endpoint (step 1), then run loadgen check again"}
			return r
		}
	}
	r.Fix = fixes
	return r
}

// action names the IAM action of a failed SDK call, e.g. "ecs:ListClusters".
func action(err error) string {
	var oe *smithy.OperationError
	if !errors.As(err, &oe) {
		return "the permission"
	}
	p, ok := iamPrefix[oe.ServiceID]
	if !ok {
		p = strings.ToLower(strings.ReplaceAll(oe.ServiceID, " ", ""))
	}
	return p + ":" + oe.OperationName
}

// apiCode returns the AWS error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// isSetup reports whether err means nothing else can be checked: no or
// rejected credentials, or an unreachable endpoint.
func isSetup(err error) bool {
	var ae *awscfg.Error
	if !errors.As(awscfg.Classify(err), &ae) {
		return false
	}
	switch ae.Kind {
	case awscfg.KindCredentials, awscfg.KindUnreachable, awscfg.KindRegion, awscfg.KindProfile, awscfg.KindConfig:
		return true
	}
	return false
}

// describe renders an error in one line; an AWS API error as "<service>
// <operation>: <code>: <message>", without the SDK's request details.
func describe(err error) string {
	var ae smithy.APIError
	var oe *smithy.OperationError
	var se *awscfg.Error
	if errors.As(err, &se) || !errors.As(err, &ae) || !errors.As(err, &oe) {
		return oneLine(err)
	}
	return fmt.Sprintf("%s %s: %s: %s", oe.ServiceID, oe.OperationName, ae.ErrorCode(), ae.ErrorMessage())
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }
