package loadgen

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseStages(t *testing.T) {
	got, err := ParseStages(" 30s:50, 2M:+200 ,1h30m:0,0:7,500ms:2.5")
	if err != nil {
		t.Fatal(err)
	}
	want := []Stage{{30 * time.Second, 50, false}, {2 * time.Minute, 200, true}, {90 * time.Minute, 0, false}, {0, 7, false}, {500 * time.Millisecond, 2.5, false}}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("stage %d = %+v, want %+v", i+1, got[i], want[i])
		}
	}
	if s := FormatStages(got); s != "30s:50,2m:+200,1h30m:0,0s:7,500ms:2.5" {
		t.Errorf("FormatStages = %q", s)
	}
	for _, bad := range []string{"", " ", "30s", "30s:", ":50", "30:50", "30s:-5", "30s:++5", "30s:+", "30s:1e3", "30s:NaN",
		"30s:inf", "30s:0x10", "-1s:5", "30s:5,", ",30s:5", "30s:5:6", "0s:5", "0s:5,0s:6", "30s:5.5.5", "30s:.",
		"30s:2000000000", "9000h:1", strings.Repeat("1s:1,", MaxStages) + "1s:1"} {
		if st, err := ParseStages(bad); err == nil {
			t.Errorf("ParseStages(%q) = %+v, want an error", bad, st)
		}
	}
	_, err = ParseStages("30s:50,2x:10")
	if err == nil || !strings.Contains(err.Error(), `stage 2 "2x:10"`) {
		t.Errorf("error does not name the stage: %v", err)
	}
}

func FuzzParseStages(f *testing.F) {
	for _, s := range []string{"30s:50,2m:200,30s:0", "1m:+1000,5m:5000", "0:5,1s:0", "1h:1.5", "30S:5", "1s:+0,", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		st, err := ParseStages(spec)
		if err != nil {
			return
		}
		if len(st) == 0 || len(st) > MaxStages {
			t.Fatalf("%q: %d stages", spec, len(st))
		}
		var total time.Duration
		for _, s := range st {
			if s.Duration < 0 || s.Target < 0 || s.Target > maxStageTarget || math.IsNaN(s.Target) {
				t.Fatalf("%q: stage %+v out of bounds", spec, s)
			}
			total += s.Duration
		}
		if total <= 0 || total > maxShapeLength {
			t.Fatalf("%q: total %v", spec, total)
		}
		again, err := ParseStages(FormatStages(st))
		if err != nil || len(again) != len(st) {
			t.Fatalf("%q -> %q does not parse back: %v", spec, FormatStages(st), err)
		}
		for i := range st {
			if again[i] != st[i] {
				t.Fatalf("%q: stage %d %+v came back as %+v", spec, i+1, st[i], again[i])
			}
		}
		// The schedule of any valid shape is monotonic and ends.
		sh := newShape(1, st)
		prev := time.Duration(-1)
		for k := int64(0); k < 50; k++ {
			at := sh.sendTime(k)
			if at < prev || at > sh.total {
				t.Fatalf("%q: send time %d at %v after %v (total %v)", spec, k, at, prev, sh.total)
			}
			prev = at
		}
	})
}

func TestShapeLevel(t *testing.T) {
	st, _ := ParseStages("30s:50,2m:+200,30s:0")
	sh := newShape(25, st)
	for _, c := range []struct {
		at    time.Duration
		level float64
		stage int
	}{
		{0, 25, 0}, {15 * time.Second, 37.5, 0}, {30 * time.Second, 200, 1}, {time.Minute, 200, 1},
		{150 * time.Second, 200, 2}, {165 * time.Second, 100, 2}, {180 * time.Second, 0, 2}, {time.Hour, 0, 2},
	} {
		l, i := sh.at(c.at)
		if math.Abs(l-c.level) > 1e-9 || i != c.stage {
			t.Errorf("at %v: level %v stage %d, want %v %d", c.at, l, i, c.level, c.stage)
		}
	}
	// The integral: (25+50)/2*30 + 200*120 + 200/2*30.
	if got, want := sh.integral(3*time.Minute), 1125.0+24000+3000; math.Abs(got-want) > 1e-6 {
		t.Errorf("integral = %v, want %v", got, want)
	}
	if got := sh.mean(30*time.Second, 150*time.Second); math.Abs(got-200) > 1e-9 {
		t.Errorf("mean over the hold = %v", got)
	}
	// A leading 0-duration stage sets the start level.
	st, _ = ParseStages("0s:10,10s:20")
	if l, _ := newShape(3, st).at(5 * time.Second); math.Abs(l-15) > 1e-9 {
		t.Errorf("0s stage: level %v at 5s, want 15", l)
	}
	if p := sh.peak(); p != 200 {
		t.Errorf("peak = %v", p)
	}
}

// TestSendTimeIsTheIntegral: send time k is where the rate's integral
// reaches k, on random ramps up, down, holds and pauses at 0; a flat shape
// gives k/R exactly as without stages.
func TestSendTimeIsTheIntegral(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(6)
		var st []Stage
		for range n {
			st = append(st, Stage{Duration: time.Duration(rng.IntN(3000)) * time.Millisecond, Target: float64(rng.IntN(5)) * float64(rng.IntN(400)), Hold: rng.IntN(3) == 0})
		}
		sh := newShape(float64(rng.IntN(300)), st)
		prev := time.Duration(0)
		for k := int64(0); float64(k) < sh.area; k++ {
			at := sh.sendTime(k)
			if at < prev {
				t.Fatalf("trial %d: send time %d at %v before %d's %v", trial, k, at, k-1, prev)
			}
			prev = at
			// The integral at the send time is k (to the nanosecond's worth
			// of the rate).
			l, _ := sh.at(at)
			if got := sh.integral(at); math.Abs(got-float64(k)) > 1e-6+l*2e-9 {
				t.Fatalf("trial %d %s: integral at send time %d (%v) = %v", trial, FormatStages(st), k, at, got)
			}
			if want := scheduledBefore(sh, at); want != k {
				t.Fatalf("trial %d: %d send times before send time %d", trial, want, k)
			}
		}
		if at := sh.sendTime(int64(math.Ceil(sh.area + 1))); at != sh.total {
			t.Fatalf("trial %d: past the end: %v, want %v", trial, at, sh.total)
		}
	}
	flat := newShape(333, []Stage{{Duration: time.Minute, Target: 333, Hold: true}})
	for k := int64(0); k < 19980; k += 7 {
		if got, want := flat.sendTime(k), time.Duration(float64(k)*1e9/333); absDur(got-want) > time.Microsecond {
			t.Fatalf("flat: send time %d = %v, want %v", k, got, want)
		}
	}
}

// TestNextUserChange: the user count is constant between the instants that
// nextUserChange names, and changes by one at each on a slow ramp.
func TestNextUserChange(t *testing.T) {
	st, _ := ParseStages("10s:10,5s:+10,10s:3,1s:20")
	sh := newShape(0, st)
	var at time.Duration
	steps := 0
	for at < sh.total {
		next := sh.nextUserChange(at)
		if next <= at {
			t.Fatalf("next change %v not after %v", next, at)
		}
		n := sh.users(at)
		// (next is a microsecond past the crossing, so that the count has changed there)
		for x := at; x < next-time.Microsecond; x += (next - at) / 10 {
			if sh.users(x) != n {
				t.Fatalf("users changed from %d to %d at %v before the announced %v", n, sh.users(x), x, next)
			}
			if next-at < 10 {
				break
			}
		}
		boundary := next == 10*time.Second || next == 15*time.Second || next == 25*time.Second
		if next < sh.total && !boundary {
			if d := sh.users(next) - n; d != 1 && d != -1 {
				t.Fatalf("at %v the count jumped by %d", next, d)
			}
		}
		at = next
		if steps++; steps > 1000 {
			t.Fatal("too many steps")
		}
	}
	if steps < 10+7+17 {
		t.Errorf("%d changes, want at least %d", steps, 10+7+17)
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// TestScheduleDoesNotAllocate: the open model computes a send time per
// request; with stages that is a search and a square root, nothing more.
func TestScheduleDoesNotAllocate(t *testing.T) {
	st, _ := ParseStages("1m:1000,5m:5000,1m:+5000,30s:0")
	sh := newShape(100, st)
	k := int64(0)
	if a := testing.AllocsPerRun(1000, func() { _ = sh.sendTime(k); _, _ = sh.at(time.Duration(k) * time.Millisecond); k += 997 }); a != 0 {
		t.Fatalf("%v allocations per send time", a)
	}
}
