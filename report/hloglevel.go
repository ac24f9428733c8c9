package report

import "time"

// windowTargets sums the logs' load levels per window of absolute time from
// start: each log's mean level over its intervals starting in the window,
// added over the logs (two machines at 100 users each are 200 users). ok is
// false when no log has levels.
func windowTargets(logs []*Hlog, start time.Time, window time.Duration) (map[int64]float64, bool) {
	out := map[int64]float64{}
	found := false
	for _, lg := range logs {
		sum, n := map[int64]float64{}, map[int64]int{}
		for _, c := range lg.Counts {
			if !c.HasTarget {
				continue
			}
			w := max(int64(c.Start.Sub(start)/window), 0)
			sum[w] += c.Target
			n[w]++
			found = true
		}
		for w, s := range sum {
			out[w] += s / float64(n[w])
		}
	}
	return out, found
}
