package fleet

import (
	"strings"
	"testing"
	"time"
)

// FuzzShardFlags: --shard and --start-at take the user's text (and a
// coordinator's). A value ParseShard accepts is in range and prints back
// as itself, and its shares of any total add up exactly and differ by at
// most one; a time ParseStartAt accepts survives FormatStartAt.
func FuzzShardFlags(f *testing.F) {
	for _, s := range []string{"1/1", "2/3", "3/3", "0/3", "4/3", "1/0", "-1/2", " 2/5 ", "1/5000", "1/5001", "a/b", "2026-11-25T10:50:05Z",
		"2026-11-25T10:50:05.123+02:00", "0000-01-01T0:00:00,0000+01:00", "1970-01-01T00:00:00+01:00", "1795000000.5", "1e9", "NaN", ""} {
		f.Add(s, 1000)
	}
	f.Fuzz(func(t *testing.T, s string, total int) {
		if sh, err := ParseShard(s); err == nil {
			if sh.Index < 1 || sh.Index > sh.Count || sh.Count > MaxShards {
				t.Fatalf("%q: out of range %+v", s, sh)
			}
			if back, err := ParseShard(sh.String()); err != nil || back != sh {
				t.Fatalf("%q: %+v prints as %q, read back %+v %v", s, sh, sh.String(), back, err)
			}
			total = total % 1_000_000
			if total < 0 {
				total = -total
			}
			sum, lo, hi := 0, total, 0
			for i := 1; i <= sh.Count; i++ {
				n := Shard{Index: i, Count: sh.Count}.Share(total)
				sum, lo, hi = sum+n, min(lo, n), max(hi, n)
			}
			if sum != total || hi-lo > 1 {
				t.Fatalf("%d over %d shards: sum %d, shares %d..%d", total, sh.Count, sum, lo, hi)
			}
		}
		if at, err := ParseStartAt(s); err == nil {
			back, err := ParseStartAt(FormatStartAt(at))
			if err != nil || back.Sub(at).Abs() >= time.Millisecond {
				t.Fatalf("%q: %v prints as %q, read back %v %v", s, at, FormatStartAt(at), back, err)
			}
		}
	})
}

// FuzzStream: a shard's log stream is whatever a task printed. Sorting it
// never panics, keeps at most maxMessages messages, and a header it keeps
// prints back as itself.
func FuzzStream(f *testing.F) {
	f.Add("#[loadgen-shard: {\"shard\":\"1/2\",\"late_ms\":1.5,\"users\":3}]\n#[StartTime: 1.000 (seconds since epoch)]\n0.000,5.000,1.0,HISTFAAAABx4nJNpmSzMwMDAxAABzFCaEUSNwilMAFQvAxs=\n#[loadgen-totals: {\"transactions\":1}]\nbye")
	f.Add("loadgen: error\n#[loadgen-shard: {]\nTag=x,1,2,3,abc\n\"StartTimestamp\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		st := &stream{}
		st.add(strings.Split(text, "\n"))
		if len(st.messages) > maxMessages {
			t.Fatalf("%d messages kept", len(st.messages))
		}
		if st.header != nil {
			back, err := ParseHeader(st.header.Line())
			if err != nil || back.Line() != st.header.Line() {
				t.Fatalf("header %+v reads back as %+v %v", st.header, back, err)
			}
		}
		_, _ = st.hlog("fuzz")
	})
}
