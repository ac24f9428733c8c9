// Package report renders a run's result as siege's summary block plus what
// siege lacks (percentiles, status codes, error classes), and as JSON.
package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen"
)

// Schema is the JSON report's schema identifier; it changes only when a
// field changes meaning or disappears.
const Schema = "loadgen.report/v1"

// Report is the facts of one run, computed once and rendered as text or JSON.
// Times in the siege-compatible fields are seconds, as in siege's -j output.
type Report struct {
	Schema  string `json:"schema"`
	Version string `json:"version"`
	Target  string `json:"target,omitempty"`
	Targets int    `json:"targets"`
	Users   int    `json:"users"`
	Start   string `json:"start"`
	End     string `json:"end"`
	EndedBy string `json:"ended_by"`

	Transactions           int64   `json:"transactions"`
	Availability           float64 `json:"availability"`
	ElapsedTime            float64 `json:"elapsed_time"`
	DataTransferred        float64 `json:"data_transferred"`
	ResponseTime           float64 `json:"response_time"`
	TransactionRate        float64 `json:"transaction_rate"`
	Throughput             float64 `json:"throughput"`
	Concurrency            float64 `json:"concurrency"`
	SuccessfulTransactions int64   `json:"successful_transactions"`
	FailedTransactions     int64   `json:"failed_transactions"`
	LongestTransaction     float64 `json:"longest_transaction"`
	ShortestTransaction    float64 `json:"shortest_transaction"`

	Bytes         int64             `json:"bytes"`
	LatencyMs     Latency           `json:"latency_ms"`
	HTTPErrors    int64             `json:"http_errors"`
	StatusClasses map[string]int64  `json:"status_classes"`
	Status        map[string]int64  `json:"status"`
	Errors        map[string]int64  `json:"errors"`
	ErrorSamples  map[string]string `json:"error_samples,omitempty"`
	// Addresses is what each address of the target hosts served, by
	// ip:port (absent in merged reports).
	Addresses map[string]Address `json:"addresses,omitempty"`
	// InFlightAtEnd is the number of requests the end of the run cut short:
	// they are in no other count.
	InFlightAtEnd int64 `json:"in_flight_at_end"`
	// NothingSucceeded is true when no request got a successful response
	// (every one failed, or was an HTTP error, or none completed in time).
	NothingSucceeded bool `json:"nothing_succeeded"`

	Alarm *Alarm   `json:"alarm,omitempty"`
	Notes []string `json:"notes,omitempty"`

	// Rate describes the open model (--rate); absent in the closed model.
	// LatencyMs then counts from each request's intended send time.
	Rate *Rate `json:"rate,omitempty"`
	// LatencyMsUncorrected is, in the open model, the latency from the
	// actual send (what a closed-loop tool reports). loadgen shows it with
	// --uncorrected.
	LatencyMsUncorrected *Latency `json:"latency_ms_uncorrected,omitempty"`
	// Merged is set by `loadgen merge`: where the figures came from.
	Merged *Merged `json:"merged,omitempty"`
	// Stages has a row per stage of the load shape (--stages) that the run
	// reached; absent without stages.
	Stages []Stage `json:"stages,omitempty"`
	// Fleet is set by `loadgen fleet`: its shards and whether it is complete.
	Fleet *Fleet `json:"fleet,omitempty"`
	// Thresholds are the --fail-on expressions decided on this report.
	Thresholds []ThresholdResult `json:"thresholds,omitempty"`
}

// Rate is the open model's schedule and how well it was kept.
type Rate struct {
	Target    float64 `json:"target"`   // requests per second asked for
	Achieved  float64 `json:"achieved"` // scheduled requests sent per second of schedule
	Corrected bool    `json:"corrected"`
	Scheduled int64   `json:"scheduled"`
	Sent      int64   `json:"sent"`
	MaxLagMs  float64 `json:"max_lag_ms"` // the latest a request went out after its intended time
	Users     int     `json:"users"`      // users at the end
	MaxUsers  int     `json:"max_users"`
	// Short is true when the achieved rate fell more than 1% short of the target.
	Short bool `json:"short"`
}

// Address is what one address of a target host served.
type Address struct {
	Host     string `json:"host"`     // the name it was resolved from
	Requests int64  `json:"requests"` // responses on connections to it
	Errors   int64  `json:"errors"`   // socket errors dialling it or on its connections
}

// Latency holds latency statistics in milliseconds. Every report keeps
// min <= p50 <= p90 <= p95 <= p99 <= p99.9 <= max and min <= mean <= max.
type Latency struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// New computes a Report from a result.
func New(res *loadgen.Result, version string, targets int) *Report {
	el := res.Elapsed.Seconds()
	rp := &Report{
		Schema: Schema, Version: version, Targets: targets, Users: res.Users,
		Start: res.Start.UTC().Format(time.RFC3339Nano), End: res.End.UTC().Format(time.RFC3339Nano),
		EndedBy:                res.Reason,
		Transactions:           res.Transactions,
		ElapsedTime:            round(el, 3),
		DataTransferred:        round(float64(res.Bytes)/(1024*1024), 3),
		SuccessfulTransactions: res.Successful,
		FailedTransactions:     res.Failed,
		LongestTransaction:     round(res.Longest.Seconds(), 6),
		ShortestTransaction:    round(res.Shortest.Seconds(), 6),
		Bytes:                  res.Bytes,
		HTTPErrors:             res.HTTPErrors,
		StatusClasses:          map[string]int64{},
		Status:                 map[string]int64{},
		Errors:                 res.Errors,
		ErrorSamples:           res.ErrorSamples,
		InFlightAtEnd:          res.InFlight,
	}
	if res.Successful == 0 {
		rp.NothingSucceeded = true
		rp.Notes = append(rp.Notes, fmt.Sprintf("Nothing succeeded: no request got a successful response (%d failed, %d HTTP errors, %d in flight at the end)",
			res.Failed, res.HTTPErrors, res.InFlight))
	}
	if res.Transactions+res.Failed > 0 {
		rp.Availability = round(100*float64(res.Transactions)/float64(res.Transactions+res.Failed), 2)
	}
	if res.Transactions > 0 {
		rp.ResponseTime = round(res.SumLatency.Seconds()/float64(res.Transactions), 6)
	}
	if el > 0 {
		rp.TransactionRate = round(float64(res.Transactions)/el, 2)
		rp.Throughput = round(float64(res.Bytes)/(1024*1024)/el, 3)
		rp.Concurrency = round(res.SumLatency.Seconds()/el, 2)
	}
	ms := func(d time.Duration) float64 { return round(float64(d)/1e6, 3) }
	if rr := res.Rate; rr != nil {
		rp.LatencyMs = latencyOf(res.Latency, rr.MinLatency, rr.MaxLatency, rr.SumLatency)
		if h := res.LatencyUncorrected; h != nil && h.TotalCount() > 0 {
			l := latencyOf(h, res.Shortest, res.Longest, res.SumLatency)
			rp.LatencyMsUncorrected = &l
		}
	} else {
		rp.LatencyMs = latencyOf(res.Latency, res.Shortest, res.Longest, res.SumLatency)
	}
	if rr := res.Rate; rr != nil {
		rp.Rate = &Rate{Target: rr.Target, Achieved: round(rr.Achieved, 2), Corrected: true, Scheduled: rr.Scheduled, Sent: rr.Sent,
			MaxLagMs: ms(rr.MaxLag), Users: rr.Users, MaxUsers: rr.MaxUsers, Short: rr.Short()}
	}
	rp.Stages = stageRows(res)
	for code, n := range res.Status {
		rp.Status[strconv.Itoa(code)] = n
		rp.StatusClasses[fmt.Sprintf("%dxx", code/100)] += n
	}
	if len(res.Addresses) > 0 {
		rp.Addresses = map[string]Address{}
		for _, a := range res.Addresses {
			cur := rp.Addresses[a.Address]
			if cur.Host == "" {
				cur.Host = a.Host
			}
			cur.Requests += a.Requests
			cur.Errors += a.Errors
			rp.Addresses[a.Address] = cur
		}
	}
	if res.Errors[loadgen.ErrPorts.String()] > 0 {
		rp.Notes = append(rp.Notes, loadgen.PortsAdvice)
	}
	return rp
}

// latencyOf is the statistics of the microsecond histogram h. lo, hi and
// sum are the exact minimum, maximum and sum of the values h holds, when
// known (lo > 0); the percentiles come from h (the highest value of their
// bucket, as HdrHistogram reports them) and are kept within [min, max], so
// the figures are consistent: a bucket's upper edge can lie above the
// largest value in it. Without exact values, min, mean and max are h's.
func latencyOf(h *hdrhistogram.Histogram, lo, hi, sum time.Duration) Latency {
	if h == nil || h.TotalCount() == 0 {
		return Latency{}
	}
	n := h.TotalCount()
	var minMs, maxMs, meanMs float64
	if lo > 0 && hi >= lo && sum >= 0 {
		minMs, maxMs, meanMs = float64(lo)/1e6, float64(hi)/1e6, float64(sum)/1e6/float64(n)
	} else {
		minMs, maxMs, meanMs = float64(h.Min())/1e3, float64(h.Max())/1e3, h.Mean()/1e3
	}
	within := func(v float64) float64 { return round(min(max(v, minMs), maxMs), 3) }
	p := func(q float64) float64 { return within(float64(h.ValueAtPercentile(q)) / 1e3) }
	return Latency{
		Min: round(minMs, 3), Mean: within(meanMs), Max: round(maxMs, 3),
		P50: p(50), P90: p(90), P95: p(95), P99: p(99), P999: p(99.9),
	}
}

// pct is the value at percentile p of a microsecond histogram, in ms.
func pct(h *hdrhistogram.Histogram, p float64) float64 {
	return round(float64(h.ValueAtPercentile(p))/1000, 3)
}

func round(v float64, places int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow10(places)
	return math.Round(v*p) / p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
