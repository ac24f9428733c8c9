package awslocal

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// extraRange is how many periods beyond EvaluationPeriods the evaluator
// looks back (the user guide's "evaluation range": 5 datapoints for a
// 3-period alarm).
const extraRange = 2

// slot is one period of the evaluation range; index 0 is the newest.
type slot struct {
	t    int64 // period start, Unix seconds
	real bool
	v, n float64
}

// evalPoint is one datapoint that took part in a decision.
type evalPoint struct {
	slot
	breaching bool
	filled    bool // a missing datapoint filled per TreatMissingData
}

// decision is the outcome of one evaluation.
type decision struct {
	keep      bool   // leave the alarm as it is (TreatMissingData=ignore)
	state     string // new state
	points    []evalPoint
	filled    int  // missing datapoints filled per TreatMissingData
	noData    bool // every datapoint in the range was missing
	unknown   int  // datapoints that were unknown (INSUFFICIENT_DATA)
	breaching int  // breaching datapoints among points
}

func breaches(cmp string, v, threshold float64) bool {
	switch cmp {
	case "GreaterThanOrEqualToThreshold":
		return v >= threshold
	case "GreaterThanThreshold":
		return v > threshold
	case "LessThanThreshold":
		return v < threshold
	case "LessThanOrEqualToThreshold":
		return v <= threshold
	}
	return false
}

// decide applies the CloudWatch rules to an evaluation range (newest slot
// first): with at least N real datapoints the N most recent ones decide;
// with fewer, missing ones are filled per TreatMissingData, as few as
// possible; M breaching datapoints (DatapointsToAlarm) mean ALARM.
//
// For TreatMissingData missing and ignore, the user guide's tables are
// followed: enough breaching real datapoints give ALARM, any non-breaching
// one gives OK, and otherwise the state is INSUFFICIENT_DATA (missing) or
// unchanged (ignore) -- except for the rule that avoids premature
// transitions to ALARM (see premature), under which missing gives ALARM.
func decide(slots []slot, n, m int, cmp string, threshold float64, treat string) decision {
	var reals []evalPoint
	for _, s := range slots {
		if s.real {
			reals = append(reals, evalPoint{slot: s, breaching: breaches(cmp, s.v, threshold)})
		}
	}
	verdict := func(d decision) decision {
		d.breaching = countBreaching(d.points)
		if d.breaching >= m {
			d.state = stateAlarm
		} else {
			d.state = stateOK
		}
		return d
	}
	if len(reals) >= n {
		return verdict(decision{points: reals[:n]})
	}
	if treat == "breaching" || treat == "notBreaching" {
		d := decision{noData: len(reals) == 0}
		need := n - len(reals)
		for _, s := range slots {
			if len(d.points) == n {
				break
			}
			if s.real {
				d.points = append(d.points, evalPoint{slot: s, breaching: breaches(cmp, s.v, threshold)})
			} else if need > 0 {
				d.points = append(d.points, evalPoint{slot: s, breaching: treat == "breaching", filled: true})
				need--
				d.filled++
			}
		}
		return verdict(d)
	}
	// missing or ignore.
	if len(reals) == 0 {
		if treat == "ignore" {
			return decision{keep: true, noData: true}
		}
		return decision{state: stateInsufficient, noData: true, unknown: n}
	}
	d := decision{points: reals, breaching: countBreaching(reals)}
	switch {
	case d.breaching >= m:
		d.state = stateAlarm
	case d.breaching < len(reals):
		d.state = stateOK
	case treat == "ignore":
		return decision{keep: true}
	case premature(slots, n, m):
		d.state = stateAlarm
	default:
		d.state, d.unknown = stateInsufficient, n-len(reals)
	}
	return d
}

func countBreaching(ps []evalPoint) int {
	c := 0
	for _, p := range ps {
		if p.breaching {
			c++
		}
	}
	return c
}

// premature is the user guide's rule for avoiding premature transitions to
// ALARM, for a range whose real datapoints all breach but are fewer than M:
// the alarm goes to ALARM when the oldest breaching datapoint among the N
// most recent periods is at least M periods old ("- - X - -" for 3 of 3,
// "- - - X -" for 2 of 3), all more recent ones being breaching or missing.
// A breaching datapoint that is more recent than that ("- - - - X" for 3
// of 3) may yet be followed by a good one, so the alarm waits.
func premature(slots []slot, n, m int) bool {
	oldest := 0 // age of the oldest real datapoint in the N newest periods; 1 = newest
	for i := range min(n, len(slots)) {
		if slots[i].real {
			oldest = i + 1
		}
	}
	return oldest >= m
}

// fmtNum renders a number as CloudWatch does in reasons: 50.0, 70.9.
func fmtNum(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if math.Abs(v) >= 1e21 || (v != 0 && math.Abs(v) < 1e-6) {
		s = strconv.FormatFloat(v, 'E', -1, 64)
	}
	if !strings.ContainsAny(s, ".EN") {
		s += ".0"
	}
	return s
}

// jnum is a float that marshals like Java's Double (50.0, not 50).
type jnum float64

// MarshalJSON renders the number with a decimal point.
func (j jnum) MarshalJSON() ([]byte, error) {
	f := float64(j)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if math.Abs(f) >= 1e21 || (f != 0 && math.Abs(f) < 1e-6) {
		s = strconv.FormatFloat(f, 'E', -1, 64)
	}
	if !strings.ContainsAny(s, ".E") {
		s += ".0"
	}
	return []byte(s), nil
}

const reasonDataTime = "2006-01-02T15:04:05.000+0000"

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// reasonText words a decision the way CloudWatch does.
func reasonText(a *alarm, d decision, from string) string {
	n := len(d.points)
	switch {
	case d.state == stateInsufficient:
		return fmt.Sprintf("Insufficient Data: %d %s unknown.", d.unknown, plural(d.unknown, "datapoint was", "datapoints were"))
	case d.noData:
		as := "Breaching"
		if d.state == stateOK {
			as = "NonBreaching"
		}
		return fmt.Sprintf("Threshold Crossed: no datapoints were received for %d %s and %d missing %s treated as [%s].",
			n, plural(n, "period", "periods"), d.filled, plural(d.filled, "datapoint was", "datapoints were"), as)
	}
	op := staticOperators[a.cmp]
	wantBreach := d.state == stateAlarm
	var listed []string
	matched := 0
	for _, p := range d.points {
		if p.breaching != wantBreach {
			continue
		}
		matched++
		if !p.filled {
			listed = append(listed, fmt.Sprintf("%s (%s)", fmtNum(p.v), time.Unix(p.t, 0).UTC().Format("02/01/06 15:04:05")))
		}
	}
	verb := plural(matched, "was", "were")
	if !wantBreach {
		verb += " not"
	}
	minimum := int(a.dpToAlarm)
	if !wantBreach {
		minimum = int(a.evalPeriods-a.dpToAlarm) + 1
	}
	filled := ""
	if d.filled > 0 {
		as := "Breaching"
		if !wantBreach {
			as = "NonBreaching"
		}
		filled = fmt.Sprintf(" and %d missing %s treated as [%s]", d.filled, plural(d.filled, "datapoint was", "datapoints were"), as)
	}
	return fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] %s %s the threshold (%s)%s (minimum %d %s for %s -> %s transition).",
		matched, n, strings.Join(listed, ", "), verb, op, fmtNum(a.threshold), filled,
		minimum, plural(minimum, "datapoint", "datapoints"), from, d.state)
}

type evaluatedJSON struct {
	Timestamp   string `json:"timestamp"`
	SampleCount *jnum  `json:"sampleCount,omitempty"`
	Value       *jnum  `json:"value,omitempty"`
}

type reasonDataJSON struct {
	Version             string          `json:"version"`
	QueryDate           string          `json:"queryDate"`
	StartDate           string          `json:"startDate,omitempty"`
	Statistic           string          `json:"statistic,omitempty"`
	Unit                string          `json:"unit,omitempty"`
	Period              int64           `json:"period"`
	RecentDatapoints    []jnum          `json:"recentDatapoints"`
	Threshold           jnum            `json:"threshold"`
	EvaluatedDatapoints []evaluatedJSON `json:"evaluatedDatapoints,omitempty"`
}

// reasonData builds StateReasonData for a decision.
func reasonData(a *alarm, d decision, now time.Time, rangeStart int64) string {
	plain := len(a.metrics) == 0
	rd := reasonDataJSON{
		Version:          "1.0",
		QueryDate:        now.UTC().Format(reasonDataTime),
		Period:           a.evalPeriod(),
		RecentDatapoints: []jnum{},
		Threshold:        jnum(a.threshold),
	}
	if plain {
		rd.Statistic = a.statistic
		if rd.Statistic == "" {
			rd.Statistic = a.extStat
		}
		rd.Unit = a.unit
	}
	pts := append([]evalPoint(nil), d.points...)
	sort.Slice(pts, func(i, j int) bool { return pts[i].t > pts[j].t })
	start := rangeStart
	for i := len(pts) - 1; i >= 0; i-- {
		if !pts[i].filled {
			rd.RecentDatapoints = append(rd.RecentDatapoints, jnum(pts[i].v))
		}
	}
	for _, p := range pts {
		e := evaluatedJSON{Timestamp: time.Unix(p.t, 0).UTC().Format(reasonDataTime)}
		if !p.filled {
			v := jnum(p.v)
			e.Value = &v
			if plain {
				n := jnum(p.n)
				e.SampleCount = &n
			}
		}
		rd.EvaluatedDatapoints = append(rd.EvaluatedDatapoints, e)
		start = min(start, p.t)
	}
	rd.StartDate = time.Unix(start, 0).UTC().Format(reasonDataTime)
	b, err := json.Marshal(rd)
	if err != nil {
		return ""
	}
	return string(b)
}

// evaluateLocked evaluates every alarm whose next evaluation boundary has
// come, at the latest boundary not after now.
func (s *Server) evaluateLocked(now time.Time) {
	s.pruneLocked(now)
	names := make([]string, 0, len(s.alarms))
	for n := range s.alarms {
		names = append(names, n)
	}
	sort.Strings(names)
	sec := now.Unix()
	for _, n := range names {
		a := s.alarms[n]
		p := a.evalPeriod()
		if p <= 0 || sec < a.nextEval {
			continue
		}
		b := alignDown(sec, p)
		s.evaluateAlarmLocked(a, b, now)
		a.nextEval = b + p
	}
}

// evaluateAlarmLocked evaluates alarm a at boundary b over the complete
// periods before b.
func (s *Server) evaluateAlarmLocked(a *alarm, b int64, now time.Time) {
	p := a.evalPeriod()
	n := int(a.evalPeriods)
	r := n + extraRange
	qs, id := a.queries()
	pts := s.computeLocked(qs, b-int64(r)*p, b)[id]
	slots := make([]slot, r)
	for i := range slots {
		t := b - int64(i+1)*p
		slots[i] = slot{t: t}
		if pt, ok := pts[t]; ok {
			slots[i] = slot{t: t, real: true, v: pt.v, n: pt.n}
		}
	}
	d := decide(slots, n, int(a.dpToAlarm), a.cmp, a.threshold, a.treatMissing)
	if d.keep || d.state == a.state {
		return
	}
	reason := reasonText(a, d, a.state)
	data := reasonData(a, d, now, b-int64(n)*p)
	s.setStateLocked(a, d.state, reason, data, now)
}
