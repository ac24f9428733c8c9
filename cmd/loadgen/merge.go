package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/report"
)

// mergeCommand is `loadgen merge A.hlog B.hlog ...`: interval logs from
// several runs (machines) added on absolute time into one report.
func (a *app) mergeCommand() *cobra.Command {
	var (
		jsonOut  bool
		jsonFile string
		window   time.Duration
		failOn   failOnFlags
	)
	cmd := &cobra.Command{
		Use:   "merge LOG.hlog...",
		Short: "combine HdrHistogram interval logs (--hlog) from several runs or machines into one report",
		Long: `merge reads HdrHistogram interval logs written with --hlog (or by other
HdrHistogram tools), adds their histograms on absolute time and prints the
combined report: counts are exact and percentiles come from the union
histogram. A per-window timeline follows. loadgen's logs also carry the runs'
counters (transactions, failures, bytes, status codes), so those add up too.

  loadgen -c 100 -t 5M --hlog a.hlog URL      # on machine A
  loadgen -c 100 -t 5M --hlog b.hlog URL      # on machine B, at the same time
  loadgen merge a.hlog b.hlog
  loadgen merge --fail-on 'p99 > 250ms' a.hlog b.hlog   # one verdict for the fleet (exit 1 when crossed)`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("merge: give one or more interval log files")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			thresholds, err := failOn.parse()
			if err != nil {
				return err
			}
			logs, err := readHlogs(args)
			if err != nil {
				return err
			}
			res, m, err := report.MergeHlogs(logs, window)
			if err != nil {
				return usageErr("merge: %v", err)
			}
			rp := report.New(res, version, 0)
			rp.Merged = m
			thresholdsOK := rp.CheckThresholds(thresholds)
			var errs []error
			if jsonFile != "" {
				if err := report.WriteFileAtomic(jsonFile, rp.WriteJSON); err != nil {
					errs = append(errs, fmt.Errorf("write JSON report: %w", err))
				}
			}
			if jsonOut {
				errs = append(errs, rp.WriteJSON(a.stdout))
			} else {
				errs = append(errs, rp.WriteText(a.stdout))
			}
			if err := errors.Join(errs...); err != nil {
				return setupErr(err)
			}
			if !thresholdsOK {
				return a.assertionFailed(rp, false)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&jsonOut, "json-output", "j", false, "the combined report as JSON on stdout")
	cmd.Flags().StringVar(&jsonFile, "json", "", "also write the JSON report to this file")
	cmd.Flags().DurationVar(&window, "window", time.Second, "timeline window")
	failOn.register(cmd.Flags())
	return cmd
}

// readHlogs reads interval logs: an unreadable file cannot start the merge
// (exit 3), a malformed one is a usage error (exit 2).
func readHlogs(paths []string) ([]*report.Hlog, error) {
	var logs []*report.Hlog
	for _, path := range paths {
		fh, err := os.Open(path)
		if err != nil {
			return nil, setupErr(fmt.Errorf("merge: %w", err))
		}
		lg, err := report.ReadHlog(fh, path)
		fh.Close()
		if err != nil {
			return nil, usageErr("merge: %v", err)
		}
		logs = append(logs, lg)
	}
	return logs, nil
}
