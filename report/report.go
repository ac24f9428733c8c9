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

// Latency holds latency statistics in milliseconds.
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
	if res.Latency != nil && res.Latency.TotalCount() > 0 {
		h := res.Latency
		rp.LatencyMs = Latency{
			Min: ms(res.Shortest), Mean: round(h.Mean()/1000, 3),
			P50: ms(res.Percentile(50)), P90: ms(res.Percentile(90)), P95: ms(res.Percentile(95)), P99: ms(res.Percentile(99)),
			P999: ms(res.Percentile(99.9)), Max: ms(res.Longest),
		}
		if res.Rate != nil {
			// The open model's latency counts from the intended send time;
			// Longest is from the actual send, so the max comes from the
			// corrected histogram like the percentiles.
			rp.LatencyMs.Max = max(rp.LatencyMs.Max, ms(time.Duration(h.Max())*time.Microsecond))
		}
	}
	if h := res.LatencyUncorrected; h != nil && h.TotalCount() > 0 {
		rp.LatencyMsUncorrected = &Latency{
			Min: ms(time.Duration(h.Min()) * time.Microsecond), Mean: round(h.Mean()/1000, 3),
			P50: pct(h, 50), P90: pct(h, 90), P95: pct(h, 95), P99: pct(h, 99), P999: pct(h, 99.9),
			Max: ms(time.Duration(h.Max()) * time.Microsecond),
		}
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
	return rp
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
