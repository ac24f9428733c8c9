package report

import (
	"sort"
	"time"
)

// AlarmSample is one value of the alarm's metric (or metric-math
// expression) seen while the alarm was watched.
type AlarmSample struct {
	// Time is the datapoint's timestamp (the start of its period), or when
	// it was polled if CloudWatch gave none; RFC 3339.
	Time  string  `json:"time"`
	Value float64 `json:"value"`
}

// NewAlarmSample makes a sample of value at t.
func NewAlarmSample(t time.Time, value float64) AlarmSample {
	return AlarmSample{Time: t.UTC().Format(time.RFC3339Nano), Value: value}
}

// SetSamples keeps the samples in time order, one per datapoint: polls
// see the newest datapoint again while its period fills, so for each time
// the last sample given (the latest poll) wins.
func (a *Alarm) SetSamples(samples []AlarmSample) {
	byTime := map[string]int{}
	var out []AlarmSample
	for _, s := range samples {
		if _, err := time.Parse(time.RFC3339Nano, s.Time); err != nil || !finite(s.Value) {
			continue
		}
		if i, ok := byTime[s.Time]; ok {
			out[i] = s
			continue
		}
		byTime[s.Time] = len(out)
		out = append(out, s)
	}
	sort.SliceStable(out, func(i, j int) bool { return sampleTime(out[i]).Before(sampleTime(out[j])) })
	a.Samples = out
}

func sampleTime(s AlarmSample) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s.Time)
	return t
}
