package verify

import (
	"encoding/json"
	"math"
	"time"
)

// reasonData is the part of an alarm's StateReasonData that dates its
// datapoints: CloudWatch's JSON for a threshold crossing, e.g.
// {"version":"1.0","period":60,"threshold":50.0,
// "evaluatedDatapoints":[{"timestamp":"2026-11-25T14:02:00.000+0000","value":70.9}]}.
// Each datapoint's timestamp is the start of its period.
type reasonData struct {
	Period              *float64 `json:"period"`
	Threshold           *float64 `json:"threshold"`
	EvaluatedDatapoints []struct {
		Timestamp string   `json:"timestamp"`
		Value     *float64 `json:"value"`
	} `json:"evaluatedDatapoints"`
}

// reasonDataTimes are the timestamp layouts CloudWatch writes in
// StateReasonData (and RFC 3339, to be lenient).
var reasonDataTimes = []string{"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano}

// Breach is when the datapoints behind an ALARM transition were measured.
type Breach struct {
	// Start is when the period of the first (earliest) breaching datapoint
	// began.
	Start time.Time
	// Period is the datapoints' period.
	Period time.Duration
}

// ParseBreach reads an ALARM transition's StateReasonData and returns when
// its first breaching datapoint's period began: the earliest datapoint in
// evaluatedDatapoints whose value crosses the threshold (comparison and
// threshold are the alarm's; the data's own threshold wins when present).
// A datapoint without a value (missing data filled) counts as breaching
// when treatMissing is "breaching". For a comparison that cannot be judged
// from a value (anomaly bands) the earliest datapoint counts. period is
// used when the data gives none. ok is false when the data names no
// breaching datapoint.
func ParseBreach(data, comparison string, threshold float64, treatMissing string, period time.Duration) (b Breach, ok bool) {
	var rd reasonData
	if data == "" || json.Unmarshal([]byte(data), &rd) != nil {
		return Breach{}, false
	}
	if rd.Threshold != nil && !math.IsNaN(*rd.Threshold) {
		threshold = *rd.Threshold
	}
	b.Period = period
	if rd.Period != nil && *rd.Period > 0 && *rd.Period < 1e7 {
		b.Period = time.Duration(*rd.Period * float64(time.Second))
	}
	for _, dp := range rd.EvaluatedDatapoints {
		at, good := parseReasonTime(dp.Timestamp)
		if !good {
			continue
		}
		breach := treatMissing == "breaching"
		if dp.Value != nil {
			var known bool
			if breach, known = breaches(comparison, *dp.Value, threshold); !known {
				breach = true
			}
		}
		if breach && (!ok || at.Before(b.Start)) {
			b.Start, ok = at, true
		}
	}
	if !ok {
		return Breach{}, false
	}
	return b, true
}

func parseReasonTime(s string) (time.Time, bool) {
	for _, layout := range reasonDataTimes {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
