package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/internal/weburl"
)

// app holds what a command invocation reads and writes, so tests can run
// the whole command line in-process.
type app struct {
	stdin     io.Reader
	stdout    io.Writer
	stderr    io.Writer
	lookupEnv func(string) (string, bool)
	// isTerminal reports whether stderr is a terminal (progress line).
	isTerminal bool
	// args is the command line, without the program name (for --html).
	args []string
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, lookupEnv: lookupEnv, args: args}
	if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			a.isTerminal = true
		}
	}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var q *quietExit
	if errors.As(err, &q) {
		return q.code
	}
	if ctx.Err() != nil {
		// Ctrl+C: whatever was under way failed because of it.
		fmt.Fprintln(stderr, "loadgen: interrupted")
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "loadgen: %s\n", weburl.RedactText(err.Error()))
	return codeOf(err)
}

// quietExit ends the command with a code, its message already printed.
type quietExit struct{ code int }

func (q *quietExit) Error() string { return fmt.Sprintf("exit %d", q.code) }

func (a *app) getenv(k string) string {
	if a.lookupEnv == nil {
		return ""
	}
	v, _ := a.lookupEnv(k)
	return v
}

// isFile reports whether path names a file that is not a folder.
func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

func (a *app) rootCommand() *cobra.Command {
	f := &runFlags{}
	root := &cobra.Command{
		Use:   "loadgen [flags] [URL]",
		Short: "siege-compatible HTTP load generator that proves a CloudWatch alarm fires",
		Long: `loadgen sends HTTP load like siege (same flags), records every latency in
HdrHistogram, and can find its target in CloudFormation stack outputs and run
until a CloudWatch alarm reaches ALARM.

  loadgen -c 200 -i http://my-alb.example.com     # the workshop's siege command
  loadgen -c 200 --until-alarm                    # URL from stack outputs, stop when the alarm fires
  loadgen -c 50 -t 30S -f urls.txt -j             # a URL file, JSON on stdout
  loadgen -c 50 -t 1M --fail-on 'p99 > 250ms' --fail-on 'errors > 1%' URL   # a CI verdict

Exit codes: 0 done (and the alarm fired, with --until-alarm; no --fail-on threshold
crossed); 1 the alarm did not fire in time, or a threshold was crossed; 2 usage
error or bad URL file; 3 the run could not start; 130 Ctrl+C.`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runLoad(cmd.Context(), cmd.Flags(), f, args)
		},
	}
	root.SetFlagErrorFunc(flagError)
	f.register(root.Flags())
	root.Flags().SortFlags = false
	// Subcommands inherit the root's flag-error function and silence.
	root.AddCommand(a.subcommands()...)
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// subcommands lists the commands besides the load run; each file adds its own.
func (a *app) subcommands() []*cobra.Command {
	cmds := []*cobra.Command{a.versionCommand(), a.crawlCommand(), a.mergeCommand(), a.compareCommand(), a.reportCommand()}
	return append(cmds, a.awsCommands()...)
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "print the version",
		Args:  cobra.NoArgs,
		Run:   func(*cobra.Command, []string) { fmt.Fprintf(a.stdout, "loadgen %s\n", version) },
	}
}

// flagError makes a flag parsing error a usage error. Errors of loadgen's
// own flag syntaxes (values.go), which quote the value themselves, are worded
// as the rest of loadgen's: "-t/--time: invalid time "5X": ...".
func flagError(_ *cobra.Command, err error) error {
	var iv *pflag.InvalidValueError
	if errors.As(err, &iv) && strings.Contains(errors.Unwrap(err).Error(), strconv.Quote(iv.GetValue())) {
		name := "--" + iv.GetFlag().Name
		if sh := iv.GetFlag().Shorthand; sh != "" {
			name = "-" + sh + "/" + name
		}
		return usageErr("%s: %v", name, errors.Unwrap(err))
	}
	return usageErr("%v", err)
}
