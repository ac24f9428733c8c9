package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
)

// WriteText writes siege's summary block, then percentiles, status codes,
// HTTP errors and socket errors by class.
func (rp *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	f := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	f("\n")
	f("Transactions:\t\t%12d hits\n", rp.Transactions)
	f("Availability:\t\t%12.2f %%\n", rp.Availability)
	f("Elapsed time:\t\t%12.2f secs\n", rp.ElapsedTime)
	f("Data transferred:\t%12.2f MB\n", rp.DataTransferred)
	f("Response time:\t\t%12.2f ms\n", rp.ResponseTime*1000)
	f("Transaction rate:\t%12.2f trans/sec\n", rp.TransactionRate)
	f("Throughput:\t\t%12.2f MB/sec\n", rp.Throughput)
	f("Concurrency:\t\t%12.2f\n", rp.Concurrency)
	f("Successful transactions:%12d\n", rp.SuccessfulTransactions)
	f("Failed transactions:\t%12d\n", rp.FailedTransactions)
	f("Longest transaction:\t%12.2f ms\n", rp.LongestTransaction*1000)
	f("Shortest transaction:\t%12.2f ms\n", rp.ShortestTransaction*1000)
	f("\n")
	l := rp.LatencyMs
	f("Latency percentiles:\tp50 %.2f ms   p90 %.2f ms   p99 %.2f ms   p99.9 %.2f ms   max %.2f ms\n", l.P50, l.P90, l.P99, l.P999, l.Max)
	if r := rp.Rate; r != nil {
		f("  (open model: from each request's intended send time, corrected for coordinated omission)\n")
		if u := rp.LatencyMsUncorrected; u != nil {
			f("Uncorrected percentiles:p50 %.2f ms   p90 %.2f ms   p99 %.2f ms   p99.9 %.2f ms   max %.2f ms   (from the actual send)\n", u.P50, u.P90, u.P99, u.P999, u.Max)
		}
		f("Request rate:\t\ttarget %.2f/s, achieved %.2f/s; %d of %d scheduled requests sent, latest %.2f ms late; %d users (max %d)\n",
			r.Target, r.Achieved, r.Sent, r.Scheduled, r.MaxLagMs, r.Users, r.MaxUsers)
		if r.Short {
			f("Warning: the achieved rate %.2f/s fell %.1f%% short of the target %.2f/s: the target (or this machine) did not keep up; see --max-users\n",
				r.Achieved, 100*(1-r.Achieved/r.Target), r.Target)
		}
	}
	f("HTTP responses:\t\t%s\n", joinCounts(rp.StatusClasses, sortedKeys(rp.StatusClasses), "none"))
	if len(rp.Status) > 0 {
		f("  by code:\t\t%s\n", joinCounts(rp.Status, sortedKeys(rp.Status), ""))
	}
	f("HTTP errors (4xx/5xx):\t%12d   (siege counts these as successful transactions)\n", rp.HTTPErrors)
	errKeys := errorClassNames()
	f("Socket errors:\t\t%s\n", joinCounts(rp.Errors, errKeys, ""))
	for _, k := range errKeys {
		if s := rp.ErrorSamples[k]; s != "" {
			f("  first %s:\t%s\n", k, s)
		}
	}
	b.WriteString(rp.addressesText())
	f("In flight at end:\t%12d   (cut short by the end of the run, not counted)\n", rp.InFlightAtEnd)
	b.WriteString(rp.stagesText())
	if rp.Alarm != nil {
		b.WriteString(rp.Alarm.Text())
	}
	if rp.Merged != nil {
		b.WriteString(rp.Merged.text())
	}
	if rp.Fleet != nil {
		b.WriteString(rp.Fleet.Text())
	}
	for _, n := range rp.Notes {
		f("Note: %s\n", n)
	}
	for _, t := range rp.Thresholds {
		b.WriteString(t.text())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// text says where a merged report's figures came from, with its timeline.
func (m *Merged) text() string {
	var b strings.Builder
	f := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	exact := "exact counters from every log"
	if !m.TotalsExact {
		exact = "counters from the histograms only (a log lacked loadgen's totals)"
	}
	f("Merged:\t\t\t%d logs, %d intervals, on absolute time; %s\n", len(m.Sources), m.Intervals, exact)
	if len(m.Timeline) == 0 {
		return b.String()
	}
	f("  %8s %10s %12s %10s %10s %10s", "t (s)", "count", "rate/s", "p50 ms", "p99 ms", "max ms")
	if m.Timeline[0].Target != nil {
		f(" %10s", "target")
	}
	f("\n")
	for _, p := range m.Timeline {
		f("  %8.1f %10d %12.1f %10.2f %10.2f %10.2f", p.OffsetS, p.Count, p.Rate, p.P50, p.P99, p.Max)
		if p.Target != nil {
			f(" %10.1f", *p.Target)
		}
		f("\n")
	}
	return b.String()
}

// addressesText is one line per address of the target hosts.
func (rp *Report) addressesText() string {
	var b strings.Builder
	for _, addr := range sortedKeys(rp.Addresses) {
		a := rp.Addresses[addr]
		fmt.Fprintf(&b, "Address %s:\t%d requests, %d errors", addr, a.Requests, a.Errors)
		if host, _, err := net.SplitHostPort(addr); err != nil || host != a.Host {
			fmt.Fprintf(&b, " (%s)", a.Host)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func joinCounts(m map[string]int64, keys []string, empty string) string {
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return empty
	}
	return strings.Join(parts, ", ")
}

// WriteJSON writes the report as indented JSON.
func (rp *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rp)
}
