package verify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/loadgen/loadgen/internal/testsupport/awstest"
	"github.com/loadgen/loadgen/stackurl"
	"github.com/loadgen/loadgen/verify"
)

// TestErrSetupIsPublic: a program outside the module tells a setup error
// (here: no alarm, no stack) from any other with the packages' own sentinel.
func TestErrSetupIsPublic(t *testing.T) {
	ep := awstest.Start(t, nil, 1)
	ctx := context.Background()
	_, err := verify.FindAlarm(ctx, ep.CloudWatch(), "")
	if !errors.Is(err, verify.ErrSetup) || !errors.Is(err, stackurl.ErrSetup) {
		t.Errorf("FindAlarm with no alarm: %v does not match ErrSetup", err)
	}
	var nf *verify.AlarmNotFoundError
	if !errors.As(err, &nf) {
		t.Errorf("FindAlarm: %T, want *AlarmNotFoundError", err)
	}
	_, err = stackurl.Resolve(ctx, ep.CloudFormation(), stackurl.DefaultSources())
	if !errors.Is(err, stackurl.ErrSetup) {
		t.Errorf("Resolve with no stack: %v does not match ErrSetup", err)
	}
	if errors.Is(errors.New("other"), verify.ErrSetup) {
		t.Error("an unrelated error matches ErrSetup")
	}
}
