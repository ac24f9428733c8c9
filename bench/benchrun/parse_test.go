package main

import (
	"math"
	"strings"
	"testing"
)

// Outputs as the tools print them (wrk 4.1.0, bombardier v1.2.6, loadgen -j).
const wrkOut = `Running 2s test @ http://127.0.0.1:18080/
  1 threads and 50 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.15ms    4.09ms  39.86ms   91.84%
    Req/Sec    51.67k     8.10k   64.91k    70.00%
  Latency Distribution
     50%  473.00us
     75%    2.53ms
     90%    5.31ms
     99%   24.85ms
  102649 requests in 2.00s, 27.70MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:  51214.06
Transfer/sec:     13.82MB
`

const bombardierOut = `{"spec":{"numberOfConnections":50,"testType":"timed","testDurationSeconds":2,"method":"GET","url":"http://127.0.0.1:18080/","body":"","stream":false,"timeoutSeconds":2,"client":"fasthttp"},"result":{"bytesRead":47264396,"bytesWritten":10521756,"timeTakenSeconds":2.008110214,"req1xx":0,"req2xx":167012,"req3xx":0,"req4xx":5,"req5xx":0,"others":1,"latency":{"mean":599.6,"stddev":1557.7,"max":82859,"percentiles":{"50":428,"75":474,"90":695,"95":1211,"99":3861}},"rps":{"mean":83428.2,"stddev":34821.2,"max":119898.9,"percentiles":{"50":98545.6}}}}`

const loadgenOut = `{"schema":"loadgen.report/v1","transactions":1000,"failed_transactions":2,"http_errors":1,"elapsed_time":2.0,"transaction_rate":500,"latency_ms":{"p50":0.45,"p99":3.2}}`

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6*math.Max(1, math.Abs(b)) }

func TestParseWrk(t *testing.T) {
	m, err := parseWrk([]byte(wrkOut))
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 102649 || !near(m.Seconds, 2) || !near(m.RPS, 51214.06) || !near(m.P50us, 473) || !near(m.P99us, 24850) || m.Errors != 6 {
		t.Fatalf("%+v", m)
	}
	if _, err := parseWrk([]byte("unable to connect to 127.0.0.1:1 Connection refused\n")); err == nil {
		t.Fatal("accepted an error message")
	}
}

func TestParseBombardier(t *testing.T) {
	m, err := parseBombardier([]byte("Bombarding http://x with 50 connection(s)\n" + bombardierOut))
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 167017 || m.Errors != 6 || !near(m.P50us, 428) || !near(m.P99us, 3861) || !near(m.RPS, 167017/2.008110214) {
		t.Fatalf("%+v", m)
	}
}

func TestParseLoadgen(t *testing.T) {
	m, err := parseLoadgen([]byte(loadgenOut))
	if err != nil {
		t.Fatal(err)
	}
	if m.Requests != 1000 || m.Errors != 3 || !near(m.RPS, 500) || !near(m.P50us, 450) || !near(m.P99us, 3200) {
		t.Fatalf("%+v", m)
	}
}

func TestParsePerfStat(t *testing.T) {
	out := "# started on Wed Nov 25\n\n1234567,,raw_syscalls:sys_enter,4000000,100.00,,\n8910,,context-switches:u,4000000,100.00,,\n2501.5,msec,task-clock,2501500000,100.00,0.999,CPUs utilized\n"
	c := parsePerfStat([]byte(out))
	if c["raw_syscalls:sys_enter"] != 1234567 || c["context-switches"] != 8910 || c["task-clock"] != 2501.5 {
		t.Fatalf("%v", c)
	}
}

func TestMedianAndRatios(t *testing.T) {
	if median([]float64{3, 1, 2}) != 2 || median([]float64{4, 1, 2, 3}) != 2.5 || median(nil) != 0 {
		t.Fatal("median")
	}
	cfg := &config{rounds: 2, conns: []int{200}, pages: []string{"small"}, tools: []string{"loadgen", "wrk", "bombardier"}}
	var runs []*runResult
	for round := 1; round <= 2; round++ {
		for tool, rps := range map[string]float64{"loadgen": 100, "wrk": 100, "bombardier": 80} {
			runs = append(runs, &runResult{Tool: tool, Page: "small", Conns: 200, Round: round, metrics: metrics{RPS: rps}, CPUus: rps / 10})
		}
	}
	s := summarise(cfg, runs, nil)
	if len(s.Settings) != 1 || len(s.Settings[0].Ratios) != 2 {
		t.Fatalf("%+v", s.Settings)
	}
	for _, r := range s.Settings[0].Ratios {
		switch r.Versus {
		case "wrk":
			if r.MedianRPS != 1 || r.MedianCPU != 1 || !r.MeetsTargets {
				t.Fatalf("wrk ratio %+v", r)
			}
		case "bombardier":
			if r.MedianRPS != 1.25 || r.MedianCPU != 1.25 || r.MeetsTargets {
				t.Fatalf("bombardier ratio %+v", r)
			}
		}
	}
	if md := s.markdown(); !strings.Contains(md, "| wrk | 1.000 1.000 | **1.000**") {
		t.Fatalf("markdown:\n%s", md)
	}
}

func FuzzParseWrk(f *testing.F) {
	f.Add(wrkOut)
	f.Add("  1 requests in 1.0m,\nRequests/sec: 1\n   50%  1.00s\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseWrk([]byte(s))
		if err == nil && (m.Requests < 0 || m.Seconds < 0 || math.IsNaN(m.RPS)) {
			t.Fatalf("nonsense accepted: %+v", m)
		}
	})
}
