//go:build !lean

package main

import (
	"math"
	"time"

	"github.com/loadgen/loadgen/report"
	"github.com/loadgen/loadgen/verify"
)

// alarmReport renders a watch's verdict as the report's plain alarm value.
func alarmReport(v verify.Verdict) *report.Alarm {
	a := &report.Alarm{
		Name: v.Alarm, Fired: v.Fired, FinalState: v.FinalState, FinalReason: v.FinalReason,
		Threshold: v.Threshold, Comparison: v.Comparison, Period: v.Period,
		EvaluationPeriods: v.EvaluationPeriods, DatapointsToAlarm: v.DatapointsToAlarm,
		LastValues: v.LastValues, Diagnosis: v.Diagnosis, Changes: []report.AlarmChange{},
	}
	if v.Fired {
		a.FiredAt = v.FiredAt.UTC().Format(time.RFC3339Nano)
		a.TimeToAlarm = math.Round(v.TimeToAlarm.Seconds()*1000) / 1000
	}
	for _, c := range v.Changes {
		a.Changes = append(a.Changes, report.AlarmChange{Time: c.Time.UTC().Format(time.RFC3339Nano), From: c.From, To: c.To, Reason: c.Reason})
	}
	return a
}
