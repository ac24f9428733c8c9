package loadgen

// ivCounts turns the users' cumulative transaction, failure and HTTP error
// counters into per-interval counts, as intervals does for the histograms:
// at each boundary it sums the counters and hands on the difference from
// the previous boundary. Users never leave, so the sums only grow.
type ivCounts struct{ txns, fails, httpErrs int64 }

// next sets iv's counts to what the users gained since the last call.
func (c *ivCounts) next(users []*user, iv *Interval) {
	var now ivCounts
	for _, u := range users {
		now.txns += u.txns.Load()
		now.fails += u.fails.Load()
		now.httpErrs += u.httpErrs.Load()
	}
	iv.Transactions, iv.Failed, iv.HTTPErrors = now.txns-c.txns, now.fails-c.fails, now.httpErrs-c.httpErrs
	*c = now
}
