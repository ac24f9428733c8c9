package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
)

// Stage is one row of the per-stage table: what a stage of the load shape
// (--stages) asked for and what it measured. The rows add up to the run's
// transactions, failures and HTTP errors.
type Stage struct {
	Stage  int     `json:"stage"`  // 1-based, into the --stages spec
	Of     int     `json:"of"`     // stages in the spec
	Start  float64 `json:"start"`  // seconds from the start of the load
	End    float64 `json:"end"`    // seconds; the last stage reached ends with the run
	From   float64 `json:"from"`   // target level at the stage's start
	Target float64 `json:"target"` // target level at its end
	Hold   bool    `json:"hold,omitempty"`
	Unit   string  `json:"unit"` // "users", or "req/s" in the open model
	// Users is the mean number of users running (not waiting) over the stage.
	Users float64 `json:"users"`
	// Rate is the achieved rate: transactions per second in the closed
	// model, scheduled requests sent per second in the open model.
	Rate         float64 `json:"rate"`
	Transactions int64   `json:"transactions"`
	Failed       int64   `json:"failed_transactions"`
	HTTPErrors   int64   `json:"http_errors"`
	Scheduled    int64   `json:"scheduled,omitempty"` // open model
	Sent         int64   `json:"sent,omitempty"`      // open model
	LatencyMs    Latency `json:"latency_ms"`
}

// stageRows turns a run's stage results into the report's rows.
func stageRows(res *loadgen.Result) []Stage {
	if len(res.Stages) == 0 {
		return nil
	}
	open := res.Rate != nil
	unit := "users"
	if open {
		unit = "req/s"
	}
	rows := make([]Stage, 0, len(res.Stages))
	for i := range res.Stages {
		s := &res.Stages[i]
		rows = append(rows, Stage{
			Stage: s.Stage, Of: res.StageCount, Start: round(s.Start.Seconds(), 3), End: round(s.End.Seconds(), 3),
			From: round(s.From, 3), Target: round(s.To, 3), Hold: s.Hold, Unit: unit,
			Users: round(s.Users, 2), Rate: round(s.Rate(open), 2),
			Transactions: s.Transactions, Failed: s.Failed, HTTPErrors: s.HTTPErrors, Scheduled: s.Scheduled, Sent: s.Sent,
			LatencyMs: latencyOf(s.Latency, 0, 0, 0),
		})
	}
	return rows
}

// stagesText renders the per-stage table.
func (rp *Report) stagesText() string {
	if len(rp.Stages) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nStages (%s):\n", rp.Stages[0].Unit)
	fmt.Fprintf(&b, "  %-7s %-15s %-16s %8s %9s %10s %9s %9s %8s\n", "stage", "time", "target", "users", "req/s", "trans", "p50 ms", "p99 ms", "errors")
	for _, s := range rp.Stages {
		fmt.Fprintf(&b, "  %-7s %-15s %-16s %8.1f %9.1f %10d %9.2f %9.2f %8d\n",
			fmt.Sprintf("%d/%d", s.Stage, s.Of), clock(s.Start)+"-"+clock(s.End), s.TargetText(" -> "),
			s.Users, s.Rate, s.Transactions, s.LatencyMs.P50, s.LatencyMs.P99, s.Failed+s.HTTPErrors)
	}
	return b.String()
}

// TargetText is the stage's shape for the text and HTML tables: "0 -> 50"
// (with arrow " -> "), or "hold 200" for a hold or a level that does not
// change.
func (s *Stage) TargetText(arrow string) string {
	if s.Hold || s.From == s.Target {
		return "hold " + level(s.Target)
	}
	return level(s.From) + arrow + level(s.Target)
}

// clock renders seconds as m:ss (or h:mm:ss).
func clock(secs float64) string {
	d := time.Duration(secs * float64(time.Second)).Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// level renders a level without needless decimals.
func level(v float64) string { return strconv.FormatFloat(round(v, 2), 'f', -1, 64) }

// Capacity is the load in force when the alarm's first breaching datapoint
// began: a plain value the caller fills from the alarm's verdict and the
// run's timeline.
type Capacity struct {
	BreachStart string  `json:"breach_start"` // when the breaching datapoint's period began (RFC 3339)
	Period      float64 `json:"period"`       // its length, seconds
	Offset      float64 `json:"offset"`       // seconds from the start of the load to BreachStart
	// Target is the level in force then: users, or requests/s in the open
	// model (Unit).
	Target float64 `json:"target"`
	Unit   string  `json:"unit"`
	Users  int     `json:"users"` // users running then
	// Rate is the transactions completed per second over the breaching
	// datapoint's period.
	Rate   float64 `json:"rate"`
	Stage  int     `json:"stage,omitempty"`
	Stages int     `json:"stages,omitempty"`
	// Outside is set when the period began before the load started (Offset
	// < 0) or after it ended: Target and Users are then the load's at its
	// start (end), and Rate is over the part of the period under load.
	Outside bool `json:"outside,omitempty"`
}

// text is the capacity line, e.g. "the breaching minute began at 14:02:00,
// at 140 users / 3,400 req/s (stage 2 of 3)".
func (c *Capacity) text() string {
	at, _ := time.Parse(time.RFC3339Nano, c.BreachStart)
	what := fmt.Sprintf("%s period", strconv.FormatFloat(c.Period, 'f', -1, 64)+" s")
	if c.Period == 60 {
		what = "minute"
	}
	load := fmt.Sprintf("%s users / %s req/s", group(c.Target), group(c.Rate))
	if c.Unit != "users" {
		load = fmt.Sprintf("%s req/s scheduled (%s req/s completed, %d users)", group(c.Target), group(c.Rate), c.Users)
	}
	stage := ""
	if c.Stages > 0 {
		stage = fmt.Sprintf(" (stage %d of %d)", c.Stage, c.Stages)
	}
	began := fmt.Sprintf("the breaching %s began at %s", what, at.Local().Format("15:04:05"))
	switch {
	case c.Outside && c.Offset < 0:
		// The datapoint includes time before the load: what the load did in
		// the rest of the period is all there is to say.
		return fmt.Sprintf("%s, %.1f s before the load started; in the rest of it the load reached %s%s", began, -c.Offset, load, stage)
	case c.Outside:
		return fmt.Sprintf("%s, after the load ended (at %s%s)", began, load, stage)
	}
	return fmt.Sprintf("%s, at %s%s", began, load, stage)
}

// group renders a number with thousands separators and no decimals
// (one under 10).
func group(v float64) string {
	if v < 10 && v != float64(int64(v)) {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return formatInt(int64(v + 0.5))
}
