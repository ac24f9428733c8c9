package compare

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// samplesEqual is the U test's remark when both sides hold one value; the
// row's `~` already says it.
const samplesEqual = "all samples are equal"

// WriteText writes the comparison in benchstat's shape: per metric the old
// and new medians ± their spread, then the change and the p-value, or `~`
// when the difference is not significant; the merged latency distributions
// side by side when both sides have them; notes; and the verdict.
func (c *Comparison) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "old: %s (%s)\nnew: %s (%s)\n\n", c.Old.Label, c.Old.What(), c.New.Label, c.New.What())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "\told\tnew\n")
	fmt.Fprintf(tw, "\tmedian ± spread\tmedian ± spread\tvs old\n")
	notes := map[string][]string{}
	var order []string
	for _, r := range c.Rows {
		fmt.Fprintf(tw, "%s %s\t%s ± %s\t%s ± %s\t%s\t%s\n", r.Metric, r.Unit, num(r.Old.Median), r.Old.Spread,
			num(r.New.Median), r.New.Spread, r.change(), r.mark())
		for _, wn := range r.Warnings {
			if wn == samplesEqual || (c.NeedRuns > 0 && strings.Contains(wn, "to detect a difference")) {
				continue // the row's ~, or the too-few-runs note, says it
			}
			if notes[wn] == nil {
				order = append(order, wn)
			}
			notes[wn] = append(notes[wn], r.Metric)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(c.Distribution) > 0 {
		b.WriteString("\nlatency distribution, each side's histograms merged (ms):\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "  percentile\told\tnew\tchange\t\n")
		for _, q := range c.Distribution {
			name := "p" + strconv.FormatFloat(q.Percentile, 'f', -1, 64)
			if q.Percentile == 100 {
				name = "max"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t\n", name, num(q.OldMs), num(q.NewMs), pct(q.ChangePct))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	b.WriteString("\n")
	for _, n := range order {
		fmt.Fprintf(&b, "note: %s (%s)\n", n, strings.Join(notes[n], ", "))
	}
	for _, n := range c.Warnings {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	b.WriteString(c.verdict())
	// tabwriter pads the cell before an empty last one.
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// What says how many samples a side contributed.
func (s SideInfo) What() string {
	if s.Intervals {
		return "one run's intervals"
	}
	if s.Runs == 1 {
		return "1 run"
	}
	return fmt.Sprintf("%d runs", s.Runs)
}

// change is benchstat's delta column: `~` when not significant.
func (r Row) change() string {
	n := "n=" + strconv.Itoa(r.Old.N)
	if r.Old.N != r.New.N {
		n += "+" + strconv.Itoa(r.New.N)
	}
	p := fmt.Sprintf("(p=%.3f %s)", r.P, n)
	if !r.Significant {
		return "~ " + p
	}
	if r.Old.Median == r.New.Median {
		return "0.00% " + p
	}
	return pct(r.ChangePct) + " " + p
}

func (r Row) mark() string {
	switch {
	case r.Regression:
		return "worse: regression"
	case r.Worse:
		return "worse"
	case r.Better:
		return "better"
	}
	return ""
}

func (c *Comparison) verdict() string {
	if c.Regressed {
		var parts []string
		for _, r := range c.Rows {
			if r.Regression {
				parts = append(parts, fmt.Sprintf("%s %s (p=%.3f)", r.Metric, pct(r.ChangePct), r.P))
			}
		}
		return fmt.Sprintf("verdict: REGRESSION: %s: significantly worse by more than %g%%\n", strings.Join(parts, ", "), c.MaxRegression)
	}
	if c.NeedRuns > 0 {
		return fmt.Sprintf("verdict: too few runs to tell (%d runs per side needed); no regression found\n", c.NeedRuns)
	}
	var better []string
	for _, r := range c.Rows {
		if r.Better {
			better = append(better, fmt.Sprintf("%s %s", r.Metric, pct(r.ChangePct)))
		}
	}
	s := fmt.Sprintf("verdict: no significant regression over %g%%", c.MaxRegression)
	if len(better) > 0 {
		s += "; significantly better: " + strings.Join(better, ", ")
	}
	return s + "\n"
}

func pct(p *float64) string {
	if p == nil {
		return "?"
	}
	return fmt.Sprintf("%+.2f%%", *p)
}

// num prints 4 significant digits, with k and M for large values.
func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 4, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'g', 4, 64) + "k"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// WriteJSON writes the comparison as indented JSON.
func (c *Comparison) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}
