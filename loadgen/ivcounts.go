package loadgen

// ivCounts turns the shards' cumulative status and error counts into
// per-interval transactions, failures and HTTP errors, as intervals does
// for the histograms: at each boundary it takes the sums and hands on the
// difference from the previous boundary. The sums only grow.
type ivCounts struct{ txns, fails, httpErrs int64 }

// next sets iv's counts to what t gained since the last call.
func (c *ivCounts) next(t *totals, iv *Interval) {
	now := ivCounts{txns: t.transactions(), fails: t.failed(), httpErrs: t.httpErrors()}
	iv.Transactions, iv.Failed, iv.HTTPErrors = now.txns-c.txns, now.fails-c.fails, now.httpErrs-c.httpErrs
	*c = now
}
