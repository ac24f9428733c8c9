// Package loadgen is the load engine: targets, siege URL files, concurrent
// users on fasthttp, and latency recording in HdrHistogram.
//
// # Users and what they hold
//
// Each simulated user is a goroutine that owns its keep-alive connections
// (one per host) and little else, so that tens of thousands of users fit in
// a few KB each (about 6 KB per waiting user, TestIdleUserMemory; it was
// about 90 KB):
//
//   - Its goroutine's stack stays at 4 KB: the request path (write, wait,
//     fasthttp's parse) fits in it. A connect or a TLS handshake needs more,
//     and a grown stack shrinks only at a garbage collection, which a run
//     that allocates nothing rarely has; so users do not dial themselves:
//     they queue the dial for one of at most maxDialers dialling goroutines
//     (dial.go) and wait for the connection. (Reading TLS takes more stack.)
//   - It holds no read buffer and no fasthttp.Response while its request is
//     on its way. On Linux's plain-TCP path the request is written from
//     RawConn.Read's callback, which then parks the goroutine until the
//     socket is readable (rawio_linux.go); only then does the user take a
//     16 KB read buffer and a response from the runner's pools, which hold
//     about as many as there are CPUs. The buffer goes back once the
//     response's head and body are read (unless it still holds bytes of the
//     stream), the response once the iteration's redirects and assets are
//     done. (Elsewhere and on TLS the read itself waits, holding a pooled
//     buffer.)
//   - It records nothing into memory of its own (next section).
//
// # Recording: shards, one per P
//
// Every response and failure is recorded into a shard (shard.go): counters
// with HdrHistogram's buckets (lowest 1 µs, 3 significant digits, 64-bit
// counts) for the latency (two in the open model: corrected and from the
// actual send), the status codes, the error classes, bytes, and the exact
// latency sum, minimum and maximum. There is a fixed set of shards, one per
// P (GOMAXPROCS, at most 64), allocated once: their memory does not grow
// with users. A user takes "its P's" shard from a sync.Pool at the end of
// a transaction (the pool keeps one item per P; when it has none it hands
// out the next shard of the fixed set, so nothing is allocated), adds with
// atomic adds and puts it back. Users on different cores thus write
// different cache lines: the adds are uncontended, like per-user counters,
// but without a 64 KB histogram per user. A user moved to another P
// between Get and Put only shares a shard for that moment; atomics keep
// every count exact. BenchmarkRecord compares this with one shared shard
// and with a shard per goroutine (go test -bench Record -cpu 1,2).
//
// An earlier design gave each user its own histogram, merged at the end.
// It cost 64 KB per user (128 KB in the open model), and --hlog's interval
// collector walked every user's counters every second, so the cost of a
// run grew with its users. Shards make both fixed.
//
// Intervals (Options.OnInterval, --hlog) and live snapshots sum the
// shards' cumulative counters and, for intervals, record the difference
// from the previous boundary (hists.go): the cost is the shards' buckets,
// whatever the number of users, and the intervals add up exactly to the
// final result, which is built from the same counters. A value recorded
// while the sums are taken lands in this interval or the next, never in
// both or neither. Transactions are the sum of the status counts, so the
// two always agree.
//
// # Addresses
//
// Each host is resolved before the run and every Options.ResolveEvery
// during it (resolve.go); new connections go to its addresses in turn (a
// refused or unreachable address passes the connection on to the next), and
// a connection to an address that a new answer no longer lists finishes
// its request and closes. Requests and errors are counted per address, in
// per-shard counters like the rest.
package loadgen
