// Command loadgen is a siege-compatible HTTP load generator that can find its
// target in CloudFormation stack outputs and run until a CloudWatch alarm fires.
//
// It builds two ways. The default build is the whole command. With -tags
// lean (`make build`'s bin/loadgen) the files that call AWS are left out
// (they say //go:build !lean): the AWS SDK's package initialisers cost
// about 12 MB in every process that links them, which a plain load run
// should not pay, and the lean build hands every command that calls AWS to
// the full one, installed next to it as loadgen-aws (lean.go).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/loadgen/loadgen/loadgen"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	// As many connections as the system allows (Go's runtime already raises
	// the limit on Unix; a run that needs more says so before it starts).
	_, _ = loadgen.RaiseFileLimit()
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "\nloadgen: second interrupt, exiting at once")
		os.Exit(exitInterrupted)
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.LookupEnv)
	cancel()
	os.Exit(code)
}
