package report

import (
	"time"
)

// alarmOf is the alarm's samples, threshold and states over time. The
// state before the first change is that change's From; with no change, the
// final state held throughout.
func alarmOf(a *Alarm) *alarmData {
	if a == nil {
		return nil
	}
	// T and V are never null: the page reads their length (an alarm whose
	// metric could not be sampled has none).
	d := &alarmData{Name: a.Name, Threshold: a.Threshold, Cmp: comparisonSymbol(a.Comparison), Period: a.Period, T: []num{}, V: []num{}}
	for _, s := range a.Samples {
		if t, err := time.Parse(time.RFC3339Nano, s.Time); err == nil {
			d.T = append(d.T, unix(t))
			d.V = append(d.V, num(s.Value))
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, a.FiredAt); a.Fired && err == nil {
		at := unix(t)
		d.FiredAt = &at
	}
	// Bands are open at both ends (null): the page extends them to its
	// time axis.
	state := a.FinalState
	if len(a.Changes) > 0 {
		state = a.Changes[0].From
	}
	from := num(nan())
	for _, c := range a.Changes {
		t, err := time.Parse(time.RFC3339Nano, c.Time)
		if err != nil {
			continue
		}
		d.Bands = append(d.Bands, alarmBand{From: from, To: unix(t), State: state})
		from, state = unix(t), c.To
	}
	d.Bands = append(d.Bands, alarmBand{From: from, To: num(nan()), State: state})
	return d
}

// comparisonSymbol is CloudWatch's comparison operator as a symbol.
func comparisonSymbol(op string) string {
	switch op {
	case "GreaterThanThreshold":
		return ">"
	case "GreaterThanOrEqualToThreshold":
		return ">="
	case "LessThanThreshold":
		return "<"
	case "LessThanOrEqualToThreshold":
		return "<="
	}
	return op
}
