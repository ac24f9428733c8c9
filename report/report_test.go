package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/loadgen/loadgen/loadgen"
)

func sampleResult() *loadgen.Result {
	h := hdrhistogram.New(1, 30_000_001, 3)
	for i := int64(1); i <= 1000; i++ {
		_ = h.RecordValue(i * 100) // 0.1 ms .. 100 ms
	}
	start := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	return &loadgen.Result{
		Start: start, End: start.Add(10 * time.Second), Elapsed: 10 * time.Second, Users: 4,
		Transactions: 1000, Successful: 990, Failed: 10, HTTPErrors: 10, Bytes: 5 << 20,
		// The latencies' sum as a run keeps it (exact; the histogram's
		// values add up to 50.05 s): a mean of 50 ms.
		SumLatency: 50 * time.Second, Shortest: 100 * time.Microsecond, Longest: 100 * time.Millisecond,
		Latency: h, Status: map[int]int64{200: 990, 503: 10},
		Errors:       map[string]int64{"timeout": 10, "refused": 0, "reset": 0, "dns": 0, "tls": 0, "other": 0, "ports": 0},
		ErrorSamples: map[string]string{"timeout": "GET http://x/: i/o timeout"},
		Reason:       "duration",
	}
}

func TestSiegeFieldsFollowSiegesDefinitions(t *testing.T) {
	rp := New(sampleResult(), "test", 1)
	checks := map[string][2]float64{
		"availability":     {rp.Availability, 99.01}, // 1000 / (1000 + 10)
		"elapsed":          {rp.ElapsedTime, 10},
		"data MB":          {rp.DataTransferred, 5},
		"response time s":  {rp.ResponseTime, 0.05}, // 50 s / 1000
		"transaction rate": {rp.TransactionRate, 100},
		"throughput MB/s":  {rp.Throughput, 0.5},
		"concurrency":      {rp.Concurrency, 5}, // 50 s of transactions over 10 s
		"longest s":        {rp.LongestTransaction, 0.1},
		"p50 ms":           {rp.LatencyMs.P50, 50},
		"p99 ms":           {rp.LatencyMs.P99, 99},
	}
	for name, c := range checks {
		if diff := c[0] - c[1]; diff > c[1]*0.01+0.001 || diff < -(c[1]*0.01+0.001) {
			t.Errorf("%s = %v, want %v", name, c[0], c[1])
		}
	}
	if rp.StatusClasses["2xx"] != 990 || rp.StatusClasses["5xx"] != 10 || rp.Status["503"] != 10 || rp.HTTPErrors != 10 {
		t.Errorf("status %v %v", rp.StatusClasses, rp.Status)
	}
	var text bytes.Buffer
	if err := rp.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Transactions:\t\t        1000 hits", "Availability:\t\t       99.01 %", "Concurrency:\t\t        5.00",
		"HTTP responses:\t\t2xx 990, 5xx 10", "by code:\t\t200 990, 503 10", "timeout 10, refused 0", "first timeout:\tGET http://x/: i/o timeout"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := rp.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Transactions != 1000 || back.Schema != Schema {
		t.Fatalf("%v %+v", err, back)
	}
}

func TestEmptyRunHasNoNaN(t *testing.T) {
	res := &loadgen.Result{Errors: map[string]int64{}, Status: map[int]int64{}}
	rp := New(res, "test", 1)
	var js bytes.Buffer
	if err := rp.WriteJSON(&js); err != nil {
		t.Fatalf("JSON of an empty run: %v", err)
	}
	if rp.Availability != 0 || rp.TransactionRate != 0 {
		t.Fatalf("%+v", rp)
	}
}

func TestAlarmVerdictText(t *testing.T) {
	rp := New(sampleResult(), "test", 1)
	at := time.Date(2026, 11, 25, 10, 0, 7, 0, time.UTC)
	rp.Alarm = &Alarm{
		Name: "cpu-high", Fired: true, FiredAt: at.Format(time.RFC3339Nano), TimeToAlarm: 7, FinalState: "ALARM",
		Changes:   []AlarmChange{{Time: at.Format(time.RFC3339Nano), From: "OK", To: "ALARM", Reason: "Threshold Crossed: 1 out of the last 1 datapoints"}},
		Threshold: 50, Comparison: "GreaterThanThreshold", Period: 60, EvaluationPeriods: 1, DatapointsToAlarm: 1,
	}
	var text bytes.Buffer
	_ = rp.WriteText(&text)
	for _, want := range []string{"Alarm cpu-high:", "OK -> ALARM  Threshold Crossed", "ALARM reached 7.0 s after the load started"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("lacks %q:\n%s", want, text.String())
		}
	}
	if rp.Alarm.TimeToAlarm != 7 || rp.Alarm.FiredAt != "2026-11-25T10:00:07Z" {
		t.Errorf("%+v", rp.Alarm)
	}
	a := &Alarm{Name: "cpu-high", FinalState: "OK", Diagnosis: "latest values 31.2, 35.0 never exceeded 50"}
	if txt := a.Text(); !strings.Contains(txt, "did not reach ALARM (state OK)") || !strings.Contains(txt, "Why:\t\t\tlatest values") {
		t.Errorf("%s", txt)
	}
}

// TestPortsErrorsSayWhy: local ports running out is its own class, and the
// report says in one sentence what causes it and what helps.
func TestPortsErrorsSayWhy(t *testing.T) {
	res := sampleResult()
	res.Errors["ports"] = 5
	res.Errors["timeout"] = 5
	res.ErrorSamples["ports"] = "GET http://x/: dial tcp 10.0.0.1:80: connect: cannot assign requested address"
	rp := New(res, "test", 1)
	if err := rp.Check(); err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := rp.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"other 0, ports 5", "first ports:\tGET http://x/", "Note: ports: the local ports for new connections",
		"keep-alive, more target addresses, or a wider net.ipv4.ip_local_port_range"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if rp := New(sampleResult(), "test", 1); len(rp.Notes) != 0 {
		t.Fatalf("notes without ports errors: %v", rp.Notes)
	}
}

func TestInFlightAndNothingSucceeded(t *testing.T) {
	res := sampleResult()
	res.InFlight = 3
	rp := New(res, "test", 1)
	var text, js bytes.Buffer
	if err := rp.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rp.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "In flight at end:\t           3   (cut short by the end of the run, not counted)") ||
		strings.Contains(text.String(), "othing succeeded") {
		t.Errorf("text:\n%s", text.String())
	}
	if !strings.Contains(js.String(), `"in_flight_at_end": 3`) || !strings.Contains(js.String(), `"nothing_succeeded": false`) {
		t.Errorf("json:\n%s", js.String())
	}

	// Every request failed (DNS, refused, no answer within the time): the
	// report says so plainly, in the text and in the JSON.
	res = &loadgen.Result{Users: 2, Failed: 40, InFlight: 2, Status: map[int]int64{},
		Errors: map[string]int64{"dns": 40}, ErrorSamples: map[string]string{"dns": "GET http://nx.invalid/: no such host"}, Reason: "duration"}
	for _, c := range []struct {
		res  *loadgen.Result
		want string
	}{
		{res, "Nothing succeeded: no request got a successful response (40 failed, 0 HTTP errors, 2 in flight at the end)"},
		{&loadgen.Result{Users: 1, Transactions: 5, HTTPErrors: 5, Status: map[int]int64{503: 5}, Errors: map[string]int64{}},
			"Nothing succeeded: no request got a successful response (0 failed, 5 HTTP errors, 0 in flight at the end)"},
	} {
		rp = New(c.res, "test", 1)
		text.Reset()
		js.Reset()
		_ = rp.WriteText(&text)
		_ = rp.WriteJSON(&js)
		if !rp.NothingSucceeded || !strings.Contains(text.String(), "Note: "+c.want) || !strings.Contains(js.String(), `"nothing_succeeded": true`) ||
			!strings.Contains(js.String(), c.want) {
			t.Errorf("text:\n%s\njson:\n%s", text.String(), js.String())
		}
	}
}
