package main

import (
	"errors"
	"fmt"
)

// Exit codes: a contract for scripts (see README).
const (
	exitOK          = 0
	exitAlarm       = 1 // the alarm did not reach ALARM in time
	exitUsage       = 2 // bad flags, arguments or URL file
	exitSetup       = 3 // the run could not start: no target, AWS setup, stack or alarm not found
	exitInterrupted = 130
)

// exitError carries an exit code with the message to print.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, a...)}
}

func setupErr(err error) error { return &exitError{exitSetup, err} }

func codeOf(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return exitSetup
}
