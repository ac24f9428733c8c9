//go:build lean && unix

package main

import (
	"context"
	"fmt"
	"os"
	"syscall"
)

const exeSuffix = ""

// execFull replaces this process with the full build: the same process,
// terminal, signals and exit code, and none of this build's memory.
func execFull(_ context.Context, path string, args []string, env ...string) error {
	err := syscall.Exec(path, append([]string{path}, args...), append(os.Environ(), env...))
	return setupErr(fmt.Errorf("run %s: %w", path, err))
}
