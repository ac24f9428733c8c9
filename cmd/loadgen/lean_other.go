//go:build lean && !unix

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
)

const exeSuffix = ".exe"

// execFull runs the full build as a child with this process's standard
// streams and returns its exit code (Windows cannot replace a process).
// Ctrl+C reaches the child from the console, which ends with its report:
// the context is not used to kill it.
func execFull(_ context.Context, path string, args []string, env ...string) error {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ee):
		return &quietExit{ee.ExitCode()}
	}
	return setupErr(fmt.Errorf("run %s: %w", path, err))
}
