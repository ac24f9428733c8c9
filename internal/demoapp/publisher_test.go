package demoapp

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/loadgen/loadgen/internal/testsupport"
)

func TestCPUUnits(t *testing.T) {
	cases := []struct {
		cpu, wall time.Duration
		want      float64
	}{
		{time.Second, time.Second, 1024},
		{500 * time.Millisecond, time.Second, 512},
		{2 * time.Second, time.Second, 2048},
		{100 * time.Millisecond, 200 * time.Millisecond, 512},
		{time.Second, 0, 0},
		{-time.Second, time.Second, 0},
	}
	for _, c := range cases {
		if got := CPUUnits(c.cpu, c.wall); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("CPUUnits(%v, %v) = %v, want %v", c.cpu, c.wall, got, c.want)
		}
	}
}

func TestProcessCPUTimeCountsWork(t *testing.T) {
	before, err := ProcessCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	var st [32]byte
	st = spin(st, calibrate(30*time.Millisecond))
	after, err := ProcessCPUTime()
	if err != nil {
		t.Fatal(err)
	}
	if d := after - before; d < 10*time.Millisecond {
		t.Errorf("30ms of hashing advanced CPU time by only %v (state %x)", d, st[:2])
	}
}

// putRecorder stands in for CloudWatch at the API boundary: it records
// inputs and fails the first failN calls.
type putRecorder struct {
	mu     sync.Mutex
	inputs []*cloudwatch.PutMetricDataInput
	calls  int
	failN  int
	enough int
	done   chan struct{}
}

func (p *putRecorder) PutMetricData(_ context.Context, in *cloudwatch.PutMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.calls == p.enough {
		close(p.done)
	}
	if p.calls <= p.failN {
		return nil, errors.New("endpoint unreachable")
	}
	p.inputs = append(p.inputs, in)
	return &cloudwatch.PutMetricDataOutput{}, nil
}

// fakeClocks returns a CPU clock that advances by cpuStep per reading and a
// wall clock that shows wallStep per CPU reading, so every interval has the
// same known CPU/wall ratio.
func fakeClocks(cpuStep, wallStep time.Duration) (func() (time.Duration, error), func() time.Time, time.Time) {
	var mu sync.Mutex
	k := 0
	base := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	cpu := func() (time.Duration, error) {
		mu.Lock()
		defer mu.Unlock()
		k++
		return time.Duration(k) * cpuStep, nil
	}
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return base.Add(time.Duration(k) * wallStep)
	}
	return cpu, now, base
}

func TestPublisherMetrics(t *testing.T) {
	rec := &putRecorder{enough: 3, done: make(chan struct{})}
	cpu, now, base := fakeClocks(100*time.Millisecond, 200*time.Millisecond)
	p := &Publisher{
		Client:  rec,
		Config:  Config{PublishEvery: 20 * time.Millisecond, Cluster: "c1", Service: "svc"},
		CPUTime: cpu,
		Now:     now,
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	select {
	case <-rec.done:
	case <-time.After(10 * time.Second):
		t.Fatal("publisher made fewer than 3 calls in 10 s")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i, in := range rec.inputs[:3] {
		if aws.ToString(in.Namespace) != "ECS/ContainerInsights" || len(in.MetricData) != 2 {
			t.Fatalf("input %d: namespace %q, %d data", i, aws.ToString(in.Namespace), len(in.MetricData))
		}
		// Interval i ends at the (i+2)th CPU reading: base + (i+2)*200ms.
		end := base.Add(time.Duration(i+2) * 200 * time.Millisecond)
		want := map[string]float64{"CpuUtilized": 512, "CpuReserved": 1024}
		for _, d := range in.MetricData {
			name := aws.ToString(d.MetricName)
			if v := aws.ToFloat64(d.Value); v != want[name] {
				t.Errorf("input %d: %s = %v, want %v", i, name, v, want[name])
			}
			delete(want, name)
			if !aws.ToTime(d.Timestamp).Equal(end) {
				t.Errorf("input %d: %s timestamp %v, want %v", i, name, aws.ToTime(d.Timestamp), end)
			}
			if d.Unit != types.StandardUnitNone || aws.ToInt32(d.StorageResolution) != 1 {
				t.Errorf("input %d: unit %q resolution %d", i, d.Unit, aws.ToInt32(d.StorageResolution))
			}
			dims := map[string]string{}
			for _, dim := range d.Dimensions {
				dims[aws.ToString(dim.Name)] = aws.ToString(dim.Value)
			}
			if len(dims) != 2 || dims["ClusterName"] != "c1" || dims["ServiceName"] != "svc" {
				t.Errorf("input %d: dimensions %v", i, dims)
			}
		}
		if len(want) != 0 {
			t.Errorf("input %d lacks %v", i, want)
		}
	}
}

func TestPublisherErrorsAreLoggedBounded(t *testing.T) {
	// 40 failures one (fake) second apart, then a success: the log shows
	// the first error, one more 30 s later with a count, and the recovery.
	rec := &putRecorder{failN: 40, enough: 41, done: make(chan struct{})}
	cpu, now, _ := fakeClocks(10*time.Millisecond, time.Second)
	var log testsupport.SyncBuffer
	p := &Publisher{Client: rec, Config: Config{PublishEvery: 10 * time.Millisecond}, Log: &log, CPUTime: cpu, Now: now}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	select {
	case <-rec.done:
	case <-time.After(20 * time.Second):
		t.Fatal("publisher stopped calling")
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatalf("Run: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("log has %d lines, want 3:\n%s", len(lines), log.String())
	}
	if !strings.Contains(lines[0], "PutMetricData: endpoint unreachable") ||
		!strings.Contains(lines[1], "(29 similar errors suppressed)") ||
		!strings.Contains(lines[2], "recovered") {
		t.Errorf("unexpected log:\n%s", log.String())
	}
}

func TestPublisherDisabled(t *testing.T) {
	p := &Publisher{Client: &putRecorder{}, Config: Config{PublishEvery: -1}}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.Run(ctx); err != nil || ctx.Err() != nil {
		t.Fatalf("disabled publisher: err %v, ctx %v (want an immediate nil)", err, ctx.Err())
	}
}
