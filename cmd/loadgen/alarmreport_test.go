//go:build !lean

package main

import (
	"testing"
	"time"

	"github.com/loadgen/loadgen/verify"
)

func TestAlarmReportFromVerdict(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 7, 0, time.FixedZone("x", 3600))
	a := alarmReport(verify.Verdict{
		Alarm: "cpu-high", Fired: true, FiredAt: at, TimeToAlarm: 7123456 * time.Microsecond, FinalState: "ALARM",
		Changes:   []verify.StateChange{{Time: at, From: "OK", To: "ALARM", Reason: "Threshold Crossed"}},
		Threshold: 50, Comparison: "GreaterThanThreshold", Period: 60, EvaluationPeriods: 1, DatapointsToAlarm: 1,
	})
	if a.TimeToAlarm != 7.123 || a.FiredAt != "2026-11-25T09:00:07Z" || len(a.Changes) != 1 || a.Changes[0].Time != "2026-11-25T09:00:07Z" {
		t.Errorf("%+v", a)
	}
	if a := alarmReport(verify.Verdict{Alarm: "x", FinalState: "OK", Diagnosis: "never"}); a.FiredAt != "" || a.Changes == nil || a.Diagnosis != "never" {
		t.Errorf("%+v", a)
	}
}
