package awscfg

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/loadgen/loadgen/internal/testsupport/awstest"
)

// TestClassifyAPIErrors sends real SDK requests to awslocal, which answers
// with injected AWS error codes, and checks the sentence for each.
func TestClassifyAPIErrors(t *testing.T) {
	ep := awstest.Start(t, nil, 1)
	srv := ep.Server
	cw := NewCloudWatch(ep.Config, ep.URL)
	cfn := NewCloudFormation(ep.Config, ep.URL)
	ctx := context.Background()

	tests := []struct {
		op, code string
		call     func() error
		kind     Kind
		want     []string
	}{
		{"DescribeAlarms", "AccessDenied", func() error {
			_, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
			return err
		}, KindAccessDenied, []string{"AWS denied access to CloudWatch DescribeAlarms (AccessDenied", "grant the permission"}},
		{"DescribeStacks", "AccessDenied", func() error {
			_, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("x")})
			return err
		}, KindAccessDenied, []string{"AWS denied access to CloudFormation DescribeStacks (AccessDenied"}},
		{"DescribeAlarms", "Throttling", func() error {
			_, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
			return err
		}, KindThrottling, []string{"AWS throttled CloudWatch DescribeAlarms even after retries (Throttling", "try again"}},
		{"DescribeStacks", "ExpiredToken", func() error {
			_, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("x")})
			return err
		}, KindCredentials, []string{"AWS rejected the credentials for CloudFormation DescribeStacks (ExpiredToken", "refresh them"}},
		{"DescribeAlarmHistory", "InvalidClientTokenId", func() error {
			_, err := cw.DescribeAlarmHistory(ctx, &cloudwatch.DescribeAlarmHistoryInput{})
			return err
		}, KindCredentials, []string{"AWS rejected the credentials for CloudWatch DescribeAlarmHistory (InvalidClientTokenId"}},
	}
	for _, tt := range tests {
		t.Run(tt.op+"/"+tt.code, func(t *testing.T) {
			srv.InjectError(tt.op, tt.code, 1)
			err := tt.call()
			if err == nil {
				t.Fatal("call succeeded despite the injected error")
			}
			got := Classify(err)
			e := asError(t, got)
			if e.Kind != tt.kind {
				t.Errorf("kind = %v, want %v (%v)", e.Kind, tt.kind, got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got.Error(), w) {
					t.Errorf("message %q lacks %q", got, w)
				}
			}
			if IsThrottle(err) != (tt.kind == KindThrottling) {
				t.Errorf("IsThrottle = %v for %s", IsThrottle(err), tt.code)
			}
			if IsAccessDenied(err) != (tt.kind == KindAccessDenied) {
				t.Errorf("IsAccessDenied = %v for %s", IsAccessDenied(err), tt.code)
			}
		})
	}

	// A missing stack is not a setup problem: Classify leaves it alone.
	_, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String("nope")})
	if err == nil {
		t.Fatal("DescribeStacks of a missing stack succeeded")
	}
	if got := Classify(err); got != err {
		t.Errorf("Classify(missing stack) = %v, want the error unchanged", got)
	}
}
