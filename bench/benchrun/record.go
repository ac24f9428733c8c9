package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"
)

// recorder keeps loadgen's JSON report of every run, one directory per
// setting, and compares them with the previous recording with `loadgen
// compare`, so the project's own regressions are caught the way a user
// catches theirs:
//
//	out/runs/<page>-c<conns>-<duration>/roundN.json      the baseline (the last accepted recording)
//	out/runs.new/...                                    this recording
//	out/runs.prev/...                                   the baseline before the last accepted one
//
// A setting's runs without a significant regression become its baseline;
// with one, they stay in runs.new and the baseline is kept.
type recorder struct {
	out string // the harness's output directory
}

// errRegression is returned by finish when loadgen compare exits 1.
var errRegression = errors.New("loadgen compare found a significant regression against the previous recording")

func (rc *recorder) base() string { return filepath.Join(rc.out, "runs") }
func (rc *recorder) next() string { return filepath.Join(rc.out, "runs.new") }

// start clears what a previous, unfinished recording left.
func (rc *recorder) start() error {
	return os.RemoveAll(rc.next())
}

func settingDir(page string, conns int, d time.Duration) string {
	return fmt.Sprintf("%s-c%d-%s", page, conns, d)
}

// save writes a loadgen run's report; other tools' runs are not kept.
func (rc *recorder) save(cfg *config, r *runResult) error {
	if r.Tool != "loadgen" || r.Err != "" || len(r.report) == 0 {
		return nil
	}
	dir := filepath.Join(rc.next(), settingDir(r.Page, r.Conns, cfg.duration))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, fmt.Sprintf("round%d.json", r.Round)), r.report, 0o644)
}

// finish compares each setting recorded now with the baseline's, prints
// loadgen compare's table, and makes each setting without a significant
// regression the baseline; settings with one stay in runs.new
// (errRegression then).
func (rc *recorder) finish(ctx context.Context, cfg *config) error {
	settings, err := filepath.Glob(filepath.Join(rc.next(), "*"))
	if err != nil || len(settings) == 0 {
		return err
	}
	sort.Strings(settings)
	var regressed []string
	for _, dir := range settings {
		name := filepath.Base(dir)
		old := filepath.Join(rc.base(), name)
		if _, err := os.Stat(old); err == nil {
			worse, err := rc.compare(ctx, cfg, old, dir)
			if err != nil {
				return err
			}
			if worse {
				regressed = append(regressed, name)
				continue
			}
		} else {
			fmt.Printf("\nrecorded loadgen's runs in %s; the next make bench compares against them\n", filepath.Join(rc.base(), name))
		}
		if err := rc.accept(name); err != nil {
			return err
		}
	}
	if len(regressed) > 0 {
		fmt.Printf("\nthe baseline is kept for %v; the new runs stay in %s (to accept them, move them into %s)\n", regressed, rc.next(), rc.base())
		return errRegression
	}
	return os.RemoveAll(rc.next())
}

// compare runs loadgen compare OLD NEW and prints its table; worse is its
// exit code 1.
func (rc *recorder) compare(ctx context.Context, cfg *config, old, new string) (worse bool, err error) {
	fmt.Printf("\n## loadgen compare %s %s\n\n", old, new)
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cfg.loadgen, "compare", old, new)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	fmt.Print(out.String())
	var ee *exec.ExitError
	switch {
	case err == nil:
		return false, nil
	case errors.As(err, &ee) && ee.ExitCode() == 1:
		return true, nil
	}
	return false, fmt.Errorf("loadgen compare: %w", err)
}

// accept makes a setting's new runs its baseline and keeps the one before
// in runs.prev.
func (rc *recorder) accept(name string) error {
	base, prev := filepath.Join(rc.base(), name), filepath.Join(rc.out, "runs.prev", name)
	if _, err := os.Stat(base); err == nil {
		if err := os.RemoveAll(prev); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(prev), 0o755); err != nil {
			return err
		}
		if err := os.Rename(base, prev); err != nil {
			return fmt.Errorf("keep the previous recording: %w", err)
		}
	}
	if err := os.MkdirAll(rc.base(), 0o755); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(rc.next(), name), base); err != nil {
		return fmt.Errorf("make the recording the baseline: %w", err)
	}
	return nil
}
