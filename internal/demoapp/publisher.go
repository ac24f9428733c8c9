package demoapp

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Container Insights' namespace and the metric names the workshop's alarm
// reads (mm1m1 = CpuUtilized, mm0m1 = CpuReserved).
const (
	Namespace         = "ECS/ContainerInsights"
	MetricCPUUtilized = "CpuUtilized"
	MetricCPUReserved = "CpuReserved"
)

// UnitsPerVCPU is the number of ECS CPU units in one vCPU.
const UnitsPerVCPU = 1024

// MetricPutter is the one CloudWatch call the publisher makes;
// *cloudwatch.Client implements it.
type MetricPutter interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// ProcessCPUTime returns the CPU time (user + system) this process has used,
// from getrusage(RUSAGE_SELF).
func ProcessCPUTime() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// CPUUnits converts CPU time used over a wall-clock interval into ECS CPU
// units (1024 per fully busy vCPU). It returns 0 for a non-positive wall.
func CPUUnits(cpu, wall time.Duration) float64 {
	if wall <= 0 || cpu <= 0 {
		return 0
	}
	return cpu.Seconds() / wall.Seconds() * UnitsPerVCPU
}

// Publisher measures this process's CPU use every Config.PublishEvery and
// publishes it as Container Insights' service metrics CpuUtilized and
// CpuReserved.
type Publisher struct {
	// Client sends the metrics.
	Client MetricPutter
	// Config supplies Cluster, Service, CPUReserved and PublishEvery
	// (zero fields take their defaults).
	Config Config
	// Log receives publishing errors, at most one line per LogEvery
	// (nil discards them).
	Log io.Writer
	// CPUTime reads the process CPU time (nil means ProcessCPUTime).
	CPUTime func() (time.Duration, error)
	// Now reads the wall clock (nil means time.Now).
	Now func() time.Time
	// Logs, when set, also receives Container Insights performance log
	// events (see PerformanceEvents) for Task.
	Logs LogPutter
	// Task is the task the events describe (zero: a new random one).
	Task Task
	// Memory reads the memory in use in MiB (nil means MemoryMiB).
	Memory func() int64
	// Clusters, when set, is asked before each interval whether Container
	// Insights is enabled on the cluster; while the cluster exists with it
	// disabled nothing is published, as on AWS.
	Clusters ClusterReader

	paused bool // Container Insights was off at the last interval
}

// LogEvery is the minimum gap between two error lines from a Publisher.
const LogEvery = 30 * time.Second

// Run publishes until ctx ends, then returns nil. It returns an error only
// when the first CPU reading fails or publishing is disabled by a negative
// interval (in which case it returns nil at once). Publishing errors are
// logged and never stop it.
func (p *Publisher) Run(ctx context.Context) error {
	cfg := p.Config.withDefaults()
	if cfg.PublishEvery < 0 {
		return nil
	}
	cpuTime, now := p.CPUTime, p.Now
	if cpuTime == nil {
		cpuTime = ProcessCPUTime
	}
	if now == nil {
		now = time.Now
	}
	lastCPU, err := cpuTime()
	if err != nil {
		return fmt.Errorf("demoapp: publisher: %w", err)
	}
	lastWall := now()
	lg := errLog{w: p.Log, now: now}

	tick := time.NewTicker(cfg.PublishEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		cpu, err := cpuTime()
		wall := now()
		if err != nil {
			lg.report(fmt.Errorf("reading CPU time: %w", err))
			continue
		}
		if !wall.After(lastWall) {
			continue
		}
		units := CPUUnits(cpu-lastCPU, wall.Sub(lastWall))
		lastCPU, lastWall = cpu, wall
		// Bound each interval's calls so that a hung endpoint cannot stall
		// the loop for more than a few intervals.
		cctx, cancel := context.WithTimeout(ctx, max(2*cfg.PublishEvery, 5*time.Second))
		err = p.Publish(cctx, units, wall)
		cancel()
		if err != nil && ctx.Err() == nil {
			lg.report(err)
		} else if err == nil {
			lg.ok()
		}
	}
}

// Publish sends the metrics of one interval ending at end, in which the
// process used units CPU units, and, with Logs, its performance events. It
// sends nothing while Container Insights is off (see Clusters).
func (p *Publisher) Publish(ctx context.Context, units float64, end time.Time) error {
	cfg := p.Config.withDefaults()
	if p.Clusters != nil {
		off := insightsOff(ctx, p.Clusters, cfg.Cluster)
		if off != p.paused && p.Log != nil {
			if off {
				fmt.Fprintf(p.Log, "demoapp: Container Insights is disabled on %s: publishing nothing until it is enabled\n", cfg.Cluster)
			} else {
				fmt.Fprintf(p.Log, "demoapp: Container Insights is enabled on %s: publishing\n", cfg.Cluster)
			}
		}
		p.paused = off
		if off {
			return nil
		}
	}
	if _, err := p.Client.PutMetricData(ctx, MetricInput(cfg, units, end)); err != nil {
		return fmt.Errorf("PutMetricData: %w", err)
	}
	if p.Logs == nil {
		return nil
	}
	if p.Task.ID == "" {
		p.Task = NewTask("", end)
	}
	mem := p.Memory
	if mem == nil {
		mem = MemoryMiB
	}
	events := PerformanceEvents(cfg, p.Task, units, mem(), end)
	if err := putPerformanceEvents(ctx, p.Logs, cfg.Cluster, p.Task, events); err != nil {
		return fmt.Errorf("PutLogEvents: %w", err)
	}
	return nil
}

// MetricInput builds the PutMetricData request for one interval ending at
// end, in which the process used units CPU units.
func MetricInput(cfg Config, units float64, end time.Time) *cloudwatch.PutMetricDataInput {
	cfg = cfg.withDefaults()
	dims := []types.Dimension{
		{Name: aws.String("ClusterName"), Value: aws.String(cfg.Cluster)},
		{Name: aws.String("ServiceName"), Value: aws.String(cfg.Service)},
	}
	datum := func(name string, v float64) types.MetricDatum {
		d := types.MetricDatum{
			MetricName: aws.String(name),
			Dimensions: dims,
			Timestamp:  aws.Time(end),
			Unit:       types.StandardUnitNone,
			Value:      aws.Float64(v),
		}
		if cfg.PublishEvery < time.Minute {
			// Sub-minute alarm periods need high-resolution metrics.
			d.StorageResolution = aws.Int32(1)
		}
		return d
	}
	return &cloudwatch.PutMetricDataInput{
		Namespace: aws.String(Namespace),
		MetricData: []types.MetricDatum{
			datum(MetricCPUUtilized, units),
			datum(MetricCPUReserved, cfg.CPUReserved),
		},
	}
}

// errLog writes at most one error line per LogEvery, counting the rest, and
// one "recovered" line after errors were printed and a call succeeded.
type errLog struct {
	w          io.Writer
	now        func() time.Time
	last       time.Time
	suppressed int
	printed    bool
}

func (l *errLog) report(err error) {
	if l.w == nil {
		return
	}
	t := l.now()
	if !l.last.IsZero() && t.Sub(l.last) < LogEvery {
		l.suppressed++
		return
	}
	if l.suppressed > 0 {
		fmt.Fprintf(l.w, "demoapp: publish metrics: %v (%d similar errors suppressed)\n", err, l.suppressed)
	} else {
		fmt.Fprintf(l.w, "demoapp: publish metrics: %v\n", err)
	}
	l.last, l.suppressed, l.printed = t, 0, true
}

func (l *errLog) ok() {
	if l.printed && l.w != nil {
		fmt.Fprintf(l.w, "demoapp: publish metrics: recovered\n")
	}
	l.printed = false
}
