package report

import (
	"fmt"
	"strings"
	"time"
)

// Alarm is the alarm verdict in the report: a plain value that the caller
// fills (the command line from verify.Verdict), so this package needs no AWS.
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
	// Capacity is the load in force when the alarm's first breaching
	// datapoint began; absent when the alarm did not fire or its data did
	// not date the datapoint.
	Capacity *Capacity `json:"capacity,omitempty"`
}

// AlarmChange is one state transition.
type AlarmChange struct {
	Time   string `json:"time"`
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason,omitempty"`
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
		if c := a.Capacity; c != nil {
			at, _ := time.Parse(time.RFC3339Nano, a.FiredAt)
			fmt.Fprintf(&b, "Capacity:\t\tALARM at %s; %s\n", at.Local().Format("15:04:05"), c.text())
		}
	} else {
		fmt.Fprintf(&b, "Verdict:\t\tthe alarm did not reach ALARM (state %s)\n", a.FinalState)
		if a.Diagnosis != "" {
			fmt.Fprintf(&b, "Why:\t\t\t%s\n", a.Diagnosis)
		}
	}
	return b.String()
}
