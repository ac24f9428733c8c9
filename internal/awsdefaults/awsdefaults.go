// Package awsdefaults holds the AWS-related defaults that the command line
// shows in its flags. It imports nothing, so that the lean build of
// cmd/loadgen (-tags lean, without the AWS SDK) registers the same flags
// with the same defaults as the full one; internal/awscfg and verify define
// their public defaults from these constants.
package awsdefaults

import "time"

const (
	// Timeout bounds each AWS start-up step and each call (awscfg.DefaultTimeout).
	Timeout = 30 * time.Second
	// AlarmPoll is how often an alarm is polled (verify.DefaultPoll).
	AlarmPoll = 10 * time.Second
	// AlarmTimeout is how long a watch waits for ALARM (verify.DefaultTimeout).
	AlarmTimeout = 15 * time.Minute
)
