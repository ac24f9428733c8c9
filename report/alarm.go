package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/loadgen/loadgen/verify"
)

// Alarm is the alarm verdict in the report.
type Alarm struct {
	Name              string        `json:"name"`
	Fired             bool          `json:"fired"`
	FiredAt           string        `json:"fired_at,omitempty"`
	TimeToAlarm       float64       `json:"time_to_alarm,omitempty"` // seconds from the start of the load
	FinalState        string        `json:"final_state"`
	FinalReason       string        `json:"final_reason,omitempty"`
	Threshold         float64       `json:"threshold"`
	Comparison        string        `json:"comparison"`
	Period            int32         `json:"period"`
	EvaluationPeriods int32         `json:"evaluation_periods"`
	DatapointsToAlarm int32         `json:"datapoints_to_alarm"`
	LastValues        []float64     `json:"last_values,omitempty"`
	Changes           []AlarmChange `json:"changes"`
	Diagnosis         string        `json:"diagnosis,omitempty"`
	// Samples are the alarm's metric as polled during the run (see SetSamples).
	Samples []AlarmSample `json:"samples,omitempty"`
}

// AlarmChange is one state transition.
type AlarmChange struct {
	Time   string `json:"time"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
}

// SetAlarm adds the verdict of an alarm watch to the report.
func (rp *Report) SetAlarm(v verify.Verdict) { rp.Alarm = NewAlarm(v) }

// NewAlarm renders a verdict for the report.
func NewAlarm(v verify.Verdict) *Alarm {
	a := &Alarm{
		Name: v.Alarm, Fired: v.Fired, FinalState: v.FinalState, FinalReason: v.FinalReason,
		Threshold: v.Threshold, Comparison: v.Comparison, Period: v.Period,
		EvaluationPeriods: v.EvaluationPeriods, DatapointsToAlarm: v.DatapointsToAlarm,
		LastValues: v.LastValues, Diagnosis: v.Diagnosis, Changes: []AlarmChange{},
	}
	if v.Fired {
		a.FiredAt = v.FiredAt.UTC().Format(time.RFC3339Nano)
		a.TimeToAlarm = round(v.TimeToAlarm.Seconds(), 3)
	}
	for _, c := range v.Changes {
		a.Changes = append(a.Changes, AlarmChange{Time: c.Time.UTC().Format(time.RFC3339Nano), From: c.From, To: c.To, Reason: c.Reason})
	}
	return a
}

// Text renders the state changes and the verdict.
func (a *Alarm) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nAlarm %s:\n", a.Name)
	for _, c := range a.Changes {
		t, _ := time.Parse(time.RFC3339Nano, c.Time)
		fmt.Fprintf(&b, "  %s  %s -> %s", t.Local().Format("15:04:05"), c.From, c.To)
		if c.Reason != "" {
			fmt.Fprintf(&b, "  %s", c.Reason)
		}
		b.WriteString("\n")
	}
	if a.Fired {
		fmt.Fprintf(&b, "Verdict:\t\tALARM reached %.1f s after the load started\n", a.TimeToAlarm)
	} else {
		fmt.Fprintf(&b, "Verdict:\t\tthe alarm did not reach ALARM (state %s)\n", a.FinalState)
		if a.Diagnosis != "" {
			fmt.Fprintf(&b, "Why:\t\t\t%s\n", a.Diagnosis)
		}
	}
	return b.String()
}
