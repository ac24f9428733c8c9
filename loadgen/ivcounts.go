package loadgen

// ivCounts turns the shards' cumulative counts into per-interval (or
// per-stage) transactions, failures, HTTP errors and sends, as intervals
// does for the histograms: at each boundary it takes the sums and hands on
// the difference from the previous boundary. The sums only grow.
type ivCounts struct{ txns, fails, httpErrs, sent int64 }

// next returns what t gained since the last call.
func (c *ivCounts) next(t *totals) ivCounts {
	now := ivCounts{txns: t.transactions(), fails: t.failed(), httpErrs: t.httpErrors(), sent: t.sent}
	d := ivCounts{txns: now.txns - c.txns, fails: now.fails - c.fails, httpErrs: now.httpErrs - c.httpErrs, sent: now.sent - c.sent}
	*c = now
	return d
}
