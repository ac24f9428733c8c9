package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/loadgen/loadgen/internal/awscfg"
	"github.com/loadgen/loadgen/internal/awsdefaults"
)

// ErrSetup is matched (errors.Is) by every error of this package that means
// the AWS setup keeps the run from starting or the watch from going on: no
// region or credentials, credentials rejected, access denied, throttling
// that outlasted the SDK's retries, an unreachable endpoint, or the alarm not
// found or ambiguous (*AlarmNotFoundError, *AmbiguousAlarmError). loadgen's
// command line exits 3 on it. It is the same value as stackurl.ErrSetup.
var ErrSetup = awscfg.ErrSetup

// Watch defaults and bounds.
const (
	DefaultPoll    = awsdefaults.AlarmPoll
	MinPoll        = time.Second
	MaxBackoff     = 60 * time.Second
	DefaultTimeout = awsdefaults.AlarmTimeout
	// sampleWindow is how many periods GetMetricData looks back.
	sampleWindow = 5
	// maxLastValues is how many sampled values Verdict.LastValues keeps.
	maxLastValues = 5
	// maxHistoryPages bounds DescribeAlarmHistory pages per poll.
	maxHistoryPages = 10
	// changeTolerance is how far apart a polled transition and a history
	// item may be and still be the same change.
	changeTolerance = 2 * time.Second
)

// The alarm states.
const (
	StateOK               = string(types.StateValueOk)
	StateAlarm            = string(types.StateValueAlarm)
	StateInsufficientData = string(types.StateValueInsufficientData)
)

// Options tunes Watch. The zero value polls every 10 s for up to 15 min.
type Options struct {
	// Poll is the interval between polls: default 10 s, at least 1 s,
	// jittered by ±20%.
	Poll time.Duration
	// Since is the start of the load: history items at or after it count.
	// Zero means the time Watch starts.
	Since time.Time
	// UntilAlarm makes Watch return as soon as ALARM is reached.
	UntilAlarm bool
	// Timeout ends the watch this long after it started (with UntilAlarm:
	// the alarm did not fire in time, Fired=false and a Diagnosis). Zero means 15 min;
	// negative means no timeout (only the context ends the watch).
	Timeout time.Duration
	// OnEvent, if set, receives every state change, sample and notice, on
	// the goroutine that runs Watch.
	OnEvent func(Event)
	// Now is the clock, default time.Now.
	Now func() time.Time

	// wait sleeps d or until ctx ends (tests replace it to drive a fake
	// clock instead of sleeping).
	wait func(ctx context.Context, d time.Duration) error
}

// EventKind says what an Event reports.
type EventKind int

// The kinds of events.
const (
	// EventStateChange: the alarm went From -> To (Reason says why).
	EventStateChange EventKind = iota + 1
	// EventSample: the alarm is in state To and its latest value is Value (when HasValue).
	EventSample
	// EventNotice: something the user should know (Text), e.g. history unavailable.
	EventNotice
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case EventStateChange:
		return "state"
	case EventSample:
		return "sample"
	case EventNotice:
		return "notice"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one thing the watcher saw.
type Event struct {
	Time  time.Time
	Kind  EventKind
	Alarm string
	// From and To are the states of a StateChange; a Sample carries the
	// current state in To.
	From, To, Reason string
	Value            float64
	HasValue         bool
	// ValueTime is the timestamp of Value's datapoint (the start of its
	// period), when CloudWatch gave one; Time is when it was polled.
	ValueTime  time.Time
	Threshold  float64
	Comparison string
	Text       string
}

// String renders the event for a progress line, e.g.
// "alarm cpu-high: OK, 37.2 > 50?" for a sample.
func (e Event) String() string {
	switch e.Kind {
	case EventSample:
		sym := ComparisonSymbol(e.Comparison)
		if !e.HasValue {
			return fmt.Sprintf("alarm %s: %s, no data yet (%s %s?)", e.Alarm, e.To, sym, formatThreshold(e.Threshold))
		}
		return fmt.Sprintf("alarm %s: %s, %s %s %s?", e.Alarm, e.To, formatValue(e.Value), sym, formatThreshold(e.Threshold))
	case EventStateChange:
		s := fmt.Sprintf("alarm %s: %s -> %s at %s", e.Alarm, e.From, e.To, e.Time.Format("15:04:05"))
		if e.Reason != "" {
			s += ": " + e.Reason
		}
		return s
	case EventNotice:
		return fmt.Sprintf("alarm %s: %s", e.Alarm, e.Text)
	}
	return fmt.Sprintf("alarm %s: %s", e.Alarm, e.Kind)
}

// StateChange is one transition of the alarm.
type StateChange struct {
	Time     time.Time
	From, To string
	Reason   string
	// ReasonData is the new state's StateReasonData (JSON), when known.
	ReasonData string
}

// Verdict is what the watch found.
type Verdict struct {
	Alarm string
	// Fired is set when the alarm was in ALARM at a poll, or its history
	// shows a change to ALARM at or after Since.
	Fired bool
	// FiredAt is the first change to ALARM seen (or when the alarm entered
	// the ALARM state it was found in).
	FiredAt time.Time
	// TimeToAlarm is FiredAt - Since, not below zero.
	TimeToAlarm time.Duration
	// Breach dates the datapoints that made the alarm fire: when the period
	// of the first breaching one began (from the ALARM transition's
	// StateReasonData, see ParseBreach), so that the load in force then can
	// be looked up. Zero when the alarm's data does not say.
	Breach Breach
	// Changes are the transitions seen, from history and polls,
	// deduplicated, oldest first.
	Changes []StateChange
	// FinalState and FinalReason are from the last poll.
	FinalState, FinalReason string

	Threshold         float64
	Comparison        string
	Period            int32
	EvaluationPeriods int32
	DatapointsToAlarm int32
	TreatMissingData  string

	// LastValues are the values of the latest sample, newest last.
	LastValues []float64
	// Diagnosis says in plain words why the alarm did not fire (empty when
	// it fired).
	Diagnosis string
}

// Watch polls the alarm every opts.Poll (DescribeAlarms, and
// DescribeAlarmHistory since opts.Since so that a brief ALARM between two
// polls counts), samples its metric with GetMetricData for progress, and
// reports through opts.OnEvent. It returns when ALARM is reached (with
// UntilAlarm), when opts.Timeout passes, or when ctx ends: cancellation is
// not an error, the Verdict says the watch stopped before the alarm fired.
//
// Throttling that outlasts the SDK's retries makes Watch double its
// interval (up to MaxBackoff) and carry on, with one Notice. If history or
// GetMetricData fails otherwise (e.g. access denied), Watch says so once and
// goes on without it. Any other persistent DescribeAlarms error ends the
// watch with an error (classified by awscfg.Classify) and the Verdict so far.
func Watch(ctx context.Context, api API, alarm types.MetricAlarm, opts Options) (Verdict, error) {
	name := aws.ToString(alarm.AlarmName)
	if name == "" {
		return Verdict{}, errors.New("watch alarm: the alarm has no name")
	}
	w := newWatcher(api, alarm, opts)
	return w.run(ctx)
}

type watcher struct {
	api   API
	opts  Options
	name  string
	alarm types.MetricAlarm
	v     Verdict

	lastState   string
	polls       int
	seenHistory map[string]bool
	// fromPoll marks changes derived from polls (which history may replace).
	fromPoll []bool

	historyOff, sampleOff bool
	historyErr, sampleErr string
	throttleNoticed       bool
	samples               int
	valuesSeen            int
	breachesSeen          int
}

func newWatcher(api API, alarm types.MetricAlarm, opts Options) *watcher {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch {
	case opts.Poll == 0:
		opts.Poll = DefaultPoll
	case opts.Poll < MinPoll:
		opts.Poll = MinPoll
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Since.IsZero() {
		opts.Since = opts.Now()
	}
	if opts.wait == nil {
		opts.wait = sleep
	}
	w := &watcher{api: api, opts: opts, name: aws.ToString(alarm.AlarmName), seenHistory: map[string]bool{}}
	w.v.Alarm = w.name
	w.setAlarm(alarm)
	return w
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// jitter spreads d by ±20%.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func (w *watcher) emit(e Event) {
	if w.opts.OnEvent == nil {
		return
	}
	e.Alarm = w.name
	if e.Time.IsZero() {
		e.Time = w.opts.Now()
	}
	e.Threshold = w.v.Threshold
	e.Comparison = w.v.Comparison
	w.opts.OnEvent(e)
}

func (w *watcher) notice(text string) { w.emit(Event{Kind: EventNotice, Text: text}) }

func (w *watcher) run(ctx context.Context) (Verdict, error) {
	var deadline time.Time
	if w.opts.Timeout > 0 {
		deadline = w.opts.Now().Add(w.opts.Timeout)
	}
	interval := w.opts.Poll
	for {
		err := w.round(ctx)
		if ctx.Err() != nil {
			return w.stopped(), nil
		}
		switch {
		case err == nil:
			interval = w.opts.Poll
		case awscfg.IsThrottle(err):
			interval = min(2*interval, max(MaxBackoff, interval))
			if !w.throttleNoticed {
				w.throttleNoticed = true
				w.notice(fmt.Sprintf("CloudWatch throttled the watcher even after retries: backing off (next poll in about %s, doubling up to %s while it lasts)", interval, max(MaxBackoff, w.opts.Poll)))
			}
		default:
			w.finish()
			return w.v, fmt.Errorf("watch alarm %s: %w", w.name, awscfg.Classify(err))
		}
		if w.opts.UntilAlarm && w.v.Fired {
			w.finish()
			return w.v, nil
		}
		now := w.opts.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			w.finish()
			return w.v, nil
		}
		d := jitter(interval)
		if !deadline.IsZero() && now.Add(d).After(deadline) {
			d = deadline.Sub(now)
		}
		if err := w.opts.wait(ctx, d); err != nil || ctx.Err() != nil {
			return w.stopped(), nil
		}
	}
}

// round polls the state, the history and a sample once. It returns the
// first error that should change the pace (throttling) or end the watch.
func (w *watcher) round(ctx context.Context) error {
	if err := w.pollState(ctx); err != nil {
		return err
	}
	var throttled error
	if !w.historyOff {
		if err := w.pollHistory(ctx); err != nil {
			switch {
			case ctx.Err() != nil:
				return err
			case awscfg.IsThrottle(err):
				throttled = err
			default:
				w.historyOff = true
				w.historyErr = oneLine(awscfg.Classify(err))
				w.notice("alarm history unavailable (" + w.historyErr + "): relying on the alarm state alone, so a brief ALARM between two polls may be missed")
			}
		}
	}
	w.updateFired()
	if throttled != nil {
		return throttled
	}
	if !w.sampleOff {
		if err := w.sample(ctx); err != nil {
			switch {
			case ctx.Err() != nil, awscfg.IsThrottle(err):
				return err
			default:
				w.sampleOff = true
				w.sampleErr = oneLine(awscfg.Classify(err))
				w.notice("cannot read the alarm's metric (" + w.sampleErr + "): progress shows the state only")
			}
		}
	}
	return nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

// setAlarm records the alarm's configuration and state in the verdict.
func (w *watcher) setAlarm(a types.MetricAlarm) {
	w.alarm = a
	w.v.Threshold = aws.ToFloat64(a.Threshold)
	w.v.Comparison = string(a.ComparisonOperator)
	w.v.Period = alarmPeriod(a)
	w.v.EvaluationPeriods = aws.ToInt32(a.EvaluationPeriods)
	w.v.DatapointsToAlarm = aws.ToInt32(a.DatapointsToAlarm)
	if w.v.DatapointsToAlarm == 0 {
		w.v.DatapointsToAlarm = w.v.EvaluationPeriods
	}
	w.v.TreatMissingData = aws.ToString(a.TreatMissingData)
	if w.v.TreatMissingData == "" {
		w.v.TreatMissingData = "missing"
	}
	w.v.FinalState = string(a.StateValue)
	w.v.FinalReason = aws.ToString(a.StateReason)
}

func (w *watcher) pollState(ctx context.Context) error {
	out, err := w.api.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{w.name}})
	if err != nil {
		return fmt.Errorf("describe alarm: %w", err)
	}
	var a *types.MetricAlarm
	for i := range out.MetricAlarms {
		if aws.ToString(out.MetricAlarms[i].AlarmName) == w.name {
			a = &out.MetricAlarms[i]
			break
		}
	}
	if a == nil {
		return &AlarmNotFoundError{Name: w.name}
	}
	now := w.opts.Now()
	w.setAlarm(*a)
	state := string(a.StateValue)
	w.polls++
	switch {
	case w.polls == 1:
		if state == StateAlarm {
			at := transitionTime(*a, now)
			if at.Before(w.opts.Since) {
				w.notice(fmt.Sprintf("already in ALARM before the load started (since %s)", at.Format(time.RFC3339)))
			}
			w.markFired(at, aws.ToString(a.StateReasonData))
		}
	case state != w.lastState:
		w.addChange(StateChange{Time: transitionTime(*a, now), From: w.lastState, To: state, Reason: aws.ToString(a.StateReason),
			ReasonData: aws.ToString(a.StateReasonData)}, true)
	}
	w.lastState = state
	return nil
}

// transitionTime is when the alarm entered its current state, or now.
func transitionTime(a types.MetricAlarm, now time.Time) time.Time {
	switch {
	case a.StateTransitionedTimestamp != nil && !a.StateTransitionedTimestamp.IsZero():
		return *a.StateTransitionedTimestamp
	case a.StateUpdatedTimestamp != nil && !a.StateUpdatedTimestamp.IsZero():
		return *a.StateUpdatedTimestamp
	}
	return now
}

func (w *watcher) pollHistory(ctx context.Context) error {
	in := &cloudwatch.DescribeAlarmHistoryInput{
		AlarmName:       aws.String(w.name),
		HistoryItemType: types.HistoryItemTypeStateUpdate,
		StartDate:       aws.Time(w.opts.Since),
		MaxRecords:      aws.Int32(100),
	}
	var items []types.AlarmHistoryItem
	for page := 0; page < maxHistoryPages; page++ {
		out, err := w.api.DescribeAlarmHistory(ctx, in)
		if err != nil {
			return fmt.Errorf("describe alarm history: %w", err)
		}
		items = append(items, out.AlarmHistoryItems...)
		if aws.ToString(out.NextToken) == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	// The service answers newest first; take them oldest first.
	for i, j := 0, len(items)-1; i < j; i, j = i+1, j-1 {
		items[i], items[j] = items[j], items[i]
	}
	sort.SliceStable(items, func(i, j int) bool {
		return aws.ToTime(items[i].Timestamp).Before(aws.ToTime(items[j].Timestamp))
	})
	for _, it := range items {
		if it.HistoryItemType != "" && it.HistoryItemType != types.HistoryItemTypeStateUpdate {
			continue
		}
		ts := aws.ToTime(it.Timestamp)
		if ts.Before(w.opts.Since) {
			continue
		}
		key := fmt.Sprintf("%d\x00%s\x00%s", ts.UnixNano(), aws.ToString(it.HistorySummary), aws.ToString(it.HistoryData))
		if w.seenHistory[key] {
			continue
		}
		w.seenHistory[key] = true
		ch, ok := ParseHistoryItem(aws.ToString(it.HistoryData), aws.ToString(it.HistorySummary))
		if !ok {
			continue
		}
		ch.Time = ts
		w.addChange(ch, false)
	}
	return nil
}

// addChange merges one change into the verdict: a polled change and a
// history item for the same transition (same target state, timestamps
// within changeTolerance) are one change, and history's version wins.
func (w *watcher) addChange(ch StateChange, fromPoll bool) {
	for i, c := range w.v.Changes {
		if c.To != ch.To || absDuration(c.Time.Sub(ch.Time)) > changeTolerance || w.fromPoll[i] == fromPoll {
			continue
		}
		if fromPoll {
			return // history already has it
		}
		w.v.Changes[i] = ch
		w.fromPoll[i] = false
		w.sortChanges()
		return
	}
	w.v.Changes = append(w.v.Changes, ch)
	w.fromPoll = append(w.fromPoll, fromPoll)
	w.sortChanges()
	w.emit(Event{Time: ch.Time, Kind: EventStateChange, From: ch.From, To: ch.To, Reason: ch.Reason})
}

func (w *watcher) sortChanges() {
	idx := make([]int, len(w.v.Changes))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return w.v.Changes[idx[a]].Time.Before(w.v.Changes[idx[b]].Time) })
	changes := make([]StateChange, len(idx))
	fromPoll := make([]bool, len(idx))
	for i, j := range idx {
		changes[i], fromPoll[i] = w.v.Changes[j], w.fromPoll[j]
	}
	w.v.Changes, w.fromPoll = changes, fromPoll
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// updateFired sets Fired/FiredAt from the changes and the current state.
func (w *watcher) updateFired() {
	for _, c := range w.v.Changes {
		if c.To == StateAlarm && !c.Time.Before(w.opts.Since) {
			w.markFired(c.Time, c.ReasonData)
			break
		}
	}
	if w.lastState == StateAlarm && !w.v.Fired {
		w.markFired(transitionTime(w.alarm, w.opts.Now()), aws.ToString(w.alarm.StateReasonData))
	}
}

// markFired records ALARM at t, keeping the earliest time seen, and when
// its datapoints breached (from data, the transition's StateReasonData).
// The same transition seen again (by a poll and in history) fills in the
// breach if the first sighting lacked it.
func (w *watcher) markFired(t time.Time, data string) {
	b, ok := ParseBreach(data, w.v.Comparison, w.v.Threshold, w.v.TreatMissingData, time.Duration(w.v.Period)*time.Second)
	same := w.v.Fired && absDuration(t.Sub(w.v.FiredAt)) <= changeTolerance
	if same && ok && w.v.Breach.Start.IsZero() {
		w.v.Breach = b
	}
	if w.v.Fired && !t.Before(w.v.FiredAt) {
		return
	}
	w.v.Fired = true
	w.v.FiredAt = t
	w.v.TimeToAlarm = max(t.Sub(w.opts.Since), 0)
	if ok || !same {
		w.v.Breach = b
	}
}

// historyData is the JSON in AlarmHistoryItem.HistoryData.
type historyData struct {
	OldState struct {
		StateValue  string `json:"stateValue"`
		StateReason string `json:"stateReason"`
	} `json:"oldState"`
	NewState struct {
		StateValue      string          `json:"stateValue"`
		StateReason     string          `json:"stateReason"`
		StateReasonData json.RawMessage `json:"stateReasonData"`
	} `json:"newState"`
}

var summaryRE = regexp.MustCompile(`from ([A-Za-z_]+) to ([A-Za-z_]+)`)

// ParseHistoryItem reads a StateUpdate history item: the HistoryData JSON
// (oldState/newState stateValue and stateReason), falling back to the
// summary "Alarm updated from OK to ALARM". It reports false when neither
// names the new state. Time is left zero; ReasonData is the new state's
// stateReasonData object.
func ParseHistoryItem(data, summary string) (StateChange, bool) {
	var hd historyData
	if data != "" && json.Unmarshal([]byte(data), &hd) == nil && hd.NewState.StateValue != "" {
		ch := StateChange{From: hd.OldState.StateValue, To: hd.NewState.StateValue, Reason: hd.NewState.StateReason}
		if raw := strings.TrimSpace(string(hd.NewState.StateReasonData)); strings.HasPrefix(raw, "{") {
			ch.ReasonData = raw
		}
		return ch, true
	}
	if m := summaryRE.FindStringSubmatch(summary); m != nil {
		return StateChange{From: m[1], To: m[2]}, true
	}
	return StateChange{}, false
}

// queries returns the GetMetricData queries that compute the alarm's value
// and the id of the one that returns it.
func (w *watcher) queries() ([]types.MetricDataQuery, string) {
	a := w.alarm
	if len(a.Metrics) > 0 {
		id := ""
		for _, q := range a.Metrics {
			if aws.ToBool(q.ReturnData) {
				id = aws.ToString(q.Id)
				break
			}
		}
		return a.Metrics, id
	}
	if a.MetricName == nil {
		return nil, ""
	}
	stat := string(a.Statistic)
	if a.ExtendedStatistic != nil {
		stat = aws.ToString(a.ExtendedStatistic)
	}
	if stat == "" {
		stat = string(types.StatisticAverage)
	}
	q := types.MetricDataQuery{
		Id: aws.String("m1"),
		MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: a.Namespace, MetricName: a.MetricName, Dimensions: a.Dimensions},
			Period: aws.Int32(alarmPeriod(a)),
			Stat:   aws.String(stat),
			Unit:   a.Unit,
		},
		ReturnData: aws.Bool(true),
	}
	return []types.MetricDataQuery{q}, "m1"
}

func (w *watcher) sample(ctx context.Context) error {
	queries, id := w.queries()
	if len(queries) == 0 {
		w.sampleOff = true
		return nil
	}
	now := w.opts.Now()
	period := time.Duration(alarmPeriod(w.alarm)) * time.Second
	out, err := w.api.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
		MetricDataQueries: queries,
		StartTime:         aws.Time(now.Add(-sampleWindow * period)),
		EndTime:           aws.Time(now),
		ScanBy:            types.ScanByTimestampAscending,
	})
	if err != nil {
		return fmt.Errorf("get metric data: %w", err)
	}
	var res *types.MetricDataResult
	for i := range out.MetricDataResults {
		if r := &out.MetricDataResults[i]; aws.ToString(r.Id) == id || (id == "" && res == nil) {
			res = r
		}
	}
	var values []float64
	var latest time.Time
	if res != nil {
		values = sortedValues(res.Timestamps, res.Values)
		if len(res.Timestamps) == len(res.Values) {
			for _, ts := range res.Timestamps {
				if ts.After(latest) {
					latest = ts
				}
			}
		}
	}
	if len(values) > maxLastValues {
		values = values[len(values)-maxLastValues:]
	}
	w.v.LastValues = values
	w.samples++
	for _, v := range values {
		w.valuesSeen++
		if b, _ := breaches(w.v.Comparison, v, w.v.Threshold); b {
			w.breachesSeen++
		}
	}
	e := Event{Time: now, Kind: EventSample, To: w.lastState}
	if len(values) > 0 {
		e.Value, e.HasValue, e.ValueTime = values[len(values)-1], true, latest
	}
	w.emit(e)
	return nil
}

// sortedValues returns values ordered by their timestamps, oldest first.
func sortedValues(ts []time.Time, vs []float64) []float64 {
	if len(ts) != len(vs) {
		return append([]float64(nil), vs...)
	}
	n := len(vs)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ts[idx[a]].Before(ts[idx[b]]) })
	out := make([]float64, n)
	for i, j := range idx {
		out[i] = vs[j]
	}
	return out
}

// stopped finishes a watch ended by its context.
func (w *watcher) stopped() Verdict {
	w.finish()
	if !w.v.Fired {
		w.v.Diagnosis = "stopped before the alarm fired: " + w.v.Diagnosis
	}
	return w.v
}

// finish fills the diagnosis.
func (w *watcher) finish() {
	if w.v.Fired {
		w.v.Diagnosis = ""
		return
	}
	w.v.Diagnosis = w.diagnose()
}

// diagnose says why the alarm did not fire.
func (w *watcher) diagnose() string {
	v := &w.v
	sym := ComparisonSymbol(v.Comparison)
	th := formatThreshold(v.Threshold)
	needs := fmt.Sprintf("needs %d of %d datapoints over %ds %s %s", v.DatapointsToAlarm, v.EvaluationPeriods, v.Period, sym, th)
	if w.polls == 0 {
		return fmt.Sprintf("alarm %s was never read (%s)", w.name, needs)
	}
	state := v.FinalState
	if state == "" {
		state = "unknown"
	}
	verb := "stayed"
	if len(v.Changes) > 0 {
		verb = "ended in"
	}
	head := fmt.Sprintf("alarm %s %s %s", w.name, verb, state)
	switch {
	case w.sampleErr != "":
		return fmt.Sprintf("%s: its metric could not be read (%s) (%s)", head, w.sampleErr, needs)
	case w.samples == 0:
		return fmt.Sprintf("%s (%s)", head, needs)
	case w.valuesSeen == 0:
		return fmt.Sprintf("%s: no datapoints for %s: %s (%s)", head, metricsDescription(alarmMetrics(w.alarm)), missingHint(w.alarm), needs)
	case len(v.LastValues) == 0:
		return fmt.Sprintf("%s: no datapoints in the last %d periods, though earlier samples had values (%s)", head, sampleWindow, needs)
	}
	vals := make([]string, len(v.LastValues))
	for i, x := range v.LastValues {
		vals[i] = formatValue(x)
	}
	list := strings.Join(vals, ", ")
	_, static := breaches(v.Comparison, 0, v.Threshold)
	switch {
	case !static:
		return fmt.Sprintf("%s: latest values %s (%s)", head, list, needs)
	case w.breachesSeen == 0:
		return fmt.Sprintf("%s: latest values %s never %s %s (%s)", head, list, neverVerb(v.Comparison), th, needs)
	}
	return fmt.Sprintf("%s: latest values %s; %d sampled value(s) crossed %s but the alarm %s, and CloudWatch evaluates once per period, so it may still fire", head, list, w.breachesSeen, th, needs)
}

// neverVerb says what the values never did: "exceeded" for ">".
func neverVerb(op string) string {
	switch types.ComparisonOperator(op) {
	case types.ComparisonOperatorGreaterThanThreshold:
		return "exceeded"
	case types.ComparisonOperatorGreaterThanOrEqualToThreshold:
		return "reached"
	case types.ComparisonOperatorLessThanThreshold:
		return "fell below"
	case types.ComparisonOperatorLessThanOrEqualToThreshold:
		return "fell to"
	}
	return "crossed"
}

// missingHint suggests why an alarm's metric has no data.
func missingHint(a types.MetricAlarm) string {
	for _, m := range alarmMetrics(a) {
		switch m.Namespace {
		case NamespaceContainerInsights:
			return "is Container Insights enabled on the cluster, and is the service running?"
		case NamespaceECS:
			return "is the service running in that cluster?"
		}
	}
	return "is anything publishing this metric?"
}
