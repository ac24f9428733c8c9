package main

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/compare"
)

// compareCommand is `loadgen compare OLD NEW`: benchstat for load runs.
func (a *app) compareCommand() *cobra.Command {
	var (
		jsonOut bool
		maxReg  string
		alpha   float64
	)
	cmd := &cobra.Command{
		Use:   "compare OLD NEW",
		Short: "say whether the change between two sets of runs is real (exit 1 on a significant regression)",
		Long: `compare reads two sets of results, OLD and NEW, each a JSON report (-j, --json),
an HdrHistogram interval log (--hlog), a directory of them, or a quoted glob
pattern. Each file is one run; run the benchmark 5 times or more per side.
A single interval log per side contributes its one-second intervals instead,
with a warning: samples from one run are correlated.

For each metric (rate, p50, p90, p99, p99.9, errors, http_errors) it prints,
as benchstat does, the old and new medians ± their spread (95% confidence
interval), the change and the p-value of a Mann-Whitney U test, or ~ when
the difference is not significant at --alpha. When every file is an
interval log, the two merged latency distributions follow side by side.

Exit codes: 0 no significant regression (also when there are too few runs to
tell: it says how many are needed); 1 a metric got significantly worse by
more than --max-regression (latency or errors up, rate down); 2 a malformed
or empty input (named); 3 an unreadable file.

  for i in 1 2 3 4 5; do loadgen -c 50 -t 30S --json old/run$i.json URL; done
  # ... deploy the change ...
  for i in 1 2 3 4 5; do loadgen -c 50 -t 30S --json new/run$i.json URL; done
  loadgen compare old new`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr("compare: want OLD and NEW (each a file, a directory or a quoted glob), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return a.compare(args[0], args[1], jsonOut, maxReg, alpha)
		},
	}
	cmd.Flags().BoolVarP(&jsonOut, "json-output", "j", false, "the comparison as JSON on stdout")
	cmd.Flags().StringVar(&maxReg, "max-regression", "5%", "exit 1 when a metric got significantly worse by more than this percentage")
	cmd.Flags().Float64Var(&alpha, "alpha", 0.05, "significance level of the Mann-Whitney U test")
	return cmd
}

// compare loads both sides, prints the comparison and exits 1 on a
// significant regression.
func (a *app) compare(oldArg, newArg string, jsonOut bool, maxReg string, alpha float64) error {
	pct, err := parsePercent(maxReg)
	if err != nil {
		return usageErr("compare: --max-regression: %v", err)
	}
	if !(alpha > 0 && alpha < 1) {
		return usageErr("compare: --alpha: want a level between 0 and 1, got %v", alpha)
	}
	sides := make([]*compare.Side, 2)
	for i, arg := range []string{oldArg, newArg} {
		if sides[i], err = compare.LoadSide(arg); err != nil {
			var ie *compare.InputError
			if errors.As(err, &ie) {
				return usageErr("compare: %v", err)
			}
			return setupErr(fmt.Errorf("compare: %w", err))
		}
	}
	c := compare.Compare(sides[0], sides[1], compare.Options{Alpha: alpha, MaxRegression: pct})
	if jsonOut {
		err = c.WriteJSON(a.stdout)
	} else {
		err = c.WriteText(a.stdout)
	}
	if err != nil {
		return setupErr(err)
	}
	if c.Regressed {
		fmt.Fprintf(a.stderr, "loadgen: compare: significant regression over %g%%: %s\n", pct, strings.Join(c.Regressions, ", "))
		return &quietExit{exitFailed}
	}
	return nil
}

// parsePercent reads "5", "5%" or "2.5%".
func parsePercent(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("want a percentage like 5%%, got %q", s)
	}
	return v, nil
}
