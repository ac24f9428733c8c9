package demoapp

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"
)

// childEnv selects a child mode when the test binary re-executes itself.
const childEnv = "DEMOAPP_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "site":
		os.Exit(ChildMain())
	case "fail":
		fmt.Fprintln(os.Stderr, "boom: refusing to start")
		os.Exit(3)
	case "garbage":
		// Writes a first line that is not the ready line, then idles.
		fmt.Println("hello")
		time.Sleep(30 * time.Second)
		os.Exit(1)
	case "mute":
		// Closes its stdout without a line, then idles.
		os.Stdout.Close()
		time.Sleep(30 * time.Second)
		os.Exit(1)
	case "stubborn":
		// Ignores SIGTERM, so that only SIGKILL ends it.
		signal.Ignore(syscall.SIGTERM, syscall.SIGINT)
		cfg, err := ConfigFromEnv(os.Getenv)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := Serve(context.Background(), cfg, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "unknown child mode")
		os.Exit(2)
	}
}
