package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/loadgen/loadgen/report"
)

// reportCommand is `loadgen report FILE... --html OUT`: the HTML report,
// rendered afterwards from saved results.
func (a *app) reportCommand() *cobra.Command {
	var (
		htmlFile string
		window   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "report FILE... --html OUT",
		Short: "render the HTML report from saved results: a JSON report (--json) and/or interval logs (--hlog)",
		Long: `report renders the page that --html writes during a run, from saved results:
a JSON report (--json or -j), interval logs (--hlog), or both. Several logs are
added on absolute time, as 'loadgen merge' does, so a fleet's logs give one
page. A JSON report alone holds no intervals: the page shows its totals, its
percentiles and its alarm, and says what is missing. With a JSON report and
its run's log, the summary and the alarm come from the report and the charts
over time from the log.

  loadgen -c 50 -t 5M --json run.json --hlog run.hlog URL
  loadgen report run.json run.hlog --html run.html
  loadgen report a.hlog b.hlog --html fleet.html`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("report: give one or more result files (a JSON report, interval logs)")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			if htmlFile == "" {
				return usageErr("report: give --html OUT, the page to write")
			}
			page, err := buildPage(args, window)
			if err != nil {
				return err
			}
			if err := report.WriteFileAtomic(htmlFile, page.WriteHTML); err != nil {
				return setupErr(fmt.Errorf("report: write %s: %w", htmlFile, err))
			}
			fmt.Fprintf(a.stderr, "wrote %s\n", htmlFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&htmlFile, "html", "", "write the HTML report to this file")
	cmd.Flags().DurationVar(&window, "window", time.Second, "with interval logs: the time each point over time covers (as merge's --window)")
	return cmd
}

// buildPage reads the files (a JSON report at most, any number of logs)
// and puts the page together.
func buildPage(paths []string, window time.Duration) (*report.Page, error) {
	var rp *report.Report
	var logs []*report.Hlog
	for _, path := range paths {
		jrp, lg, err := readResultFile(path)
		if err != nil {
			return nil, err
		}
		switch {
		case jrp != nil && rp != nil:
			return nil, usageErr("report: %s: one JSON report at most (runs cannot be added from their totals; give their --hlog logs)", path)
		case jrp != nil:
			rp = jrp
		default:
			logs = append(logs, lg)
		}
	}
	page := &report.Page{Sources: paths}
	if len(logs) > 0 {
		res, m, err := report.MergeHlogs(logs, window)
		if err != nil {
			return nil, usageErr("report: %v", err)
		}
		page.Latency, page.Uncorrected = res.Latency, res.LatencyUncorrected
		page.Intervals = report.HlogIntervals(logs, window)
		if rp == nil {
			rp = report.New(res, version, 0)
			rp.Merged = m
			rp.Merged.Timeline = nil // drawn from the logs instead
		} else if !overlaps(rp, res.Start, res.End) {
			page.Notes = append(page.Notes, "The interval logs do not cover the JSON report's run: they may be of another run.")
		}
	} else if rp.Merged != nil {
		page.Intervals = report.TimelineIntervals(rp.Merged)
	}
	page.Report = rp
	return page, nil
}

// readResultFile reads a JSON report or an interval log, telling them apart
// by their first byte.
func readResultFile(path string) (*report.Report, *report.Hlog, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, setupErr(fmt.Errorf("report: %w", err))
	}
	defer fh.Close()
	br := bufio.NewReader(fh)
	first, err := firstByte(br)
	if err != nil {
		return nil, nil, usageErr("report: %s: %v", path, err)
	}
	if first == '{' {
		rp, err := report.ReadJSON(br, path)
		if err != nil {
			return nil, nil, usageErr("report: %v", err)
		}
		return rp, nil, nil
	}
	lg, err := report.ReadHlog(br, path)
	if err != nil {
		return nil, nil, usageErr("report: %v", err)
	}
	if len(lg.Intervals) == 0 {
		return nil, nil, usageErr("report: %s: neither a JSON report nor an interval log with intervals", path)
	}
	return nil, lg, nil
}

// firstByte peeks at the first byte that is not white space.
func firstByte(br *bufio.Reader) (byte, error) {
	for n := 1; ; n++ {
		b, err := br.Peek(n)
		if errors.Is(err, io.EOF) {
			return 0, errors.New("empty file")
		}
		if err != nil {
			return 0, err
		}
		if c := b[n-1]; !bytes.ContainsRune([]byte(" \t\r\n"), rune(c)) {
			return c, nil
		}
		if n >= 4096 {
			return 0, errors.New("only white space")
		}
	}
}

// overlaps reports whether [start, end] meets the report's run.
func overlaps(rp *report.Report, start, end time.Time) bool {
	s, err1 := time.Parse(time.RFC3339Nano, rp.Start)
	e, err2 := time.Parse(time.RFC3339Nano, rp.End)
	if err1 != nil || err2 != nil {
		return true
	}
	return !end.Before(s.Add(-time.Second)) && !start.After(e.Add(time.Second))
}
