package report

import (
	"fmt"
	"math"

	"github.com/loadgen/loadgen/loadgen"
)

// Check returns the first inconsistency among the report's figures, nil
// when there is none. Every report New builds passes it: percentiles in
// order and within [min, max], min <= mean <= max, transactions equal to
// the sum of the status codes (and of the status classes, and of the
// addresses' requests), failures equal to the sum of the error classes,
// every error class present.
func (rp *Report) Check() error {
	if err := rp.LatencyMs.check("latency_ms"); err != nil {
		return err
	}
	if l := rp.LatencyMsUncorrected; l != nil {
		if err := l.check("latency_ms_uncorrected"); err != nil {
			return err
		}
	}
	if n := sum(rp.Status); n != rp.Transactions {
		return fmt.Errorf("transactions %d, but the status codes add up to %d", rp.Transactions, n)
	}
	if n := sum(rp.StatusClasses); n != rp.Transactions {
		return fmt.Errorf("transactions %d, but the status classes add up to %d", rp.Transactions, n)
	}
	for _, c := range loadgen.ErrorClasses() {
		if _, ok := rp.Errors[c.String()]; !ok {
			return fmt.Errorf("errors lack the class %q", c)
		}
	}
	if n := sum(rp.Errors); n != rp.FailedTransactions {
		return fmt.Errorf("failed transactions %d, but the error classes add up to %d", rp.FailedTransactions, n)
	}
	if rp.SuccessfulTransactions < 0 || rp.SuccessfulTransactions > rp.Transactions || rp.HTTPErrors < 0 || rp.HTTPErrors > rp.Transactions {
		return fmt.Errorf("successful %d and HTTP errors %d out of %d transactions", rp.SuccessfulTransactions, rp.HTTPErrors, rp.Transactions)
	}
	if rp.Availability < 0 || rp.Availability > 100 || math.IsNaN(rp.Availability) {
		return fmt.Errorf("availability %v", rp.Availability)
	}
	if rp.Addresses != nil {
		var reqs, errs int64
		for _, a := range rp.Addresses {
			reqs += a.Requests
			errs += a.Errors
		}
		if reqs != rp.Transactions || errs > rp.FailedTransactions {
			return fmt.Errorf("addresses: %d requests and %d errors for %d transactions and %d failures", reqs, errs, rp.Transactions, rp.FailedTransactions)
		}
	}
	return nil
}

// check is Latency's part of Check.
func (l Latency) check(name string) error {
	ordered := []float64{l.Min, l.P50, l.P90, l.P95, l.P99, l.P999, l.Max}
	for i := 1; i < len(ordered); i++ {
		if ordered[i] < ordered[i-1] {
			return fmt.Errorf("%s: min, p50, p90, p95, p99, p99.9, max out of order: %v", name, ordered)
		}
	}
	if l.Mean < l.Min || l.Mean > l.Max {
		return fmt.Errorf("%s: mean %v outside [min %v, max %v]", name, l.Mean, l.Min, l.Max)
	}
	for _, v := range append(ordered, l.Mean) {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("%s: value %v", name, v)
		}
	}
	return nil
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
