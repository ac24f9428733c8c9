package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/report"
)

// TestStagesFlag: a malformed shape is a usage error before any load; a
// good one runs from 0 users (no -c) and reports a row per stage that adds
// up to the run, in both models.
func TestStagesFlag(t *testing.T) {
	s := newSite(t)
	for _, args := range [][]string{
		{"--stages", "30s"}, {"--stages", "1s:-3"}, {"--stages", ""}, {"--stages", "1s:1.5"}, {"-r", "3", "--stages", "1s:2"},
		{"--stages", "0s:5"}, {"--stages", "1s:2000000"},
	} {
		r := runCLI(t, nil, append(args, s.URL+"/")...)
		if r.code != 2 || !strings.Contains(r.stderr, "stages") {
			t.Errorf("%q: exit %d, %s", args, r.code, r.stderr)
		}
	}
	if n := s.total.Load(); n != 0 {
		t.Fatalf("a usage error sent %d requests", n)
	}
	r := runCLI(t, nil, "--stages", "600ms:4,400ms:0", "-j", s.URL+"/")
	if r.code != 0 {
		t.Fatalf("exit %d %s", r.code, r.stderr)
	}
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatal(err)
	}
	if len(rp.Stages) != 2 || rp.Users != 4 || rp.Stages[0].From != 0 || rp.Stages[0].Target != 4 || rp.Stages[1].Target != 0 ||
		rp.Stages[0].Transactions+rp.Stages[1].Transactions != rp.Transactions || rp.EndedBy != "duration" ||
		// The server also saw the requests the end of the run cut short.
		s.total.Load() < rp.Transactions || s.total.Load() > rp.Transactions+rp.InFlightAtEnd {
		t.Fatalf("report: users %d, transactions %d (server %d, %d in flight at the end), stages %+v", rp.Users, rp.Transactions, s.total.Load(), rp.InFlightAtEnd, rp.Stages)
	}
	// -t cuts the shape: the stage in force ends with the run, the next is
	// not reached.
	r = runCLI(t, nil, "--stages", "500ms:3,1s:+3,1s:0", "-t", "0.8S", "-c", "1", "-j", s.URL+"/")
	rp = report.Report{}
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil || r.code != 0 {
		t.Fatalf("exit %d %v %s", r.code, err, r.stderr)
	}
	if len(rp.Stages) != 2 || rp.Stages[0].From != 1 || rp.Stages[1].Of != 3 || math.Abs(rp.Stages[1].End-0.8) > 0.1 || math.Abs(rp.ElapsedTime-0.8) > 0.1 {
		t.Fatalf("cut shape: elapsed %v, stages %+v", rp.ElapsedTime, rp.Stages)
	}
	r = runCLI(t, nil, "--rate", "50", "--stages", "1s:150", "-c", "5", "-j", s.URL+"/")
	rp = report.Report{}
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil || r.code != 0 {
		t.Fatalf("exit %d %v %s", r.code, err, r.stderr)
	}
	// 100 requests/s on average over the second: 100 send times.
	if len(rp.Stages) != 1 || rp.Stages[0].Unit != "req/s" || rp.Stages[0].Scheduled != 100 || rp.Rate == nil || rp.Rate.Scheduled != 100 || rp.Rate.Target != 100 {
		t.Fatalf("rate shape: %+v %+v", rp.Stages, rp.Rate)
	}
}
