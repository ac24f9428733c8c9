// Package demoapp is a small site shaped like the ECS workshop's frontend
// (ecsdemo-frontend) that reports its own CPU use to CloudWatch as Container
// Insights would, so that `loadgen demo` can drive a real metric-math alarm on
// one machine. The site runs as a child process (see Spawn and ChildMain).
package demoapp

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Defaults used when a Config field is left at its zero value.
const (
	DefaultAddr         = "127.0.0.1:0"
	DefaultCluster      = "container-demo"
	DefaultService      = "ecsdemo-frontend"
	DefaultCPUReserved  = 1024.0
	DefaultPublishEvery = 2 * time.Second
	DefaultWorkPerPage  = 300 * time.Microsecond
)

// defaultZones returns the three simulated availability zones.
func defaultZones() []string { return []string{"a", "b", "c"} }

// Environment variables that carry a Config to a child process.
const (
	EnvAddr         = "DEMOAPP_ADDR"
	EnvCluster      = "DEMOAPP_CLUSTER"
	EnvService      = "DEMOAPP_SERVICE"
	EnvCPUReserved  = "DEMOAPP_CPU_RESERVED"
	EnvPublishEvery = "DEMOAPP_PUBLISH_EVERY"
	EnvWorkPerPage  = "DEMOAPP_WORK_PER_PAGE"
	EnvZones        = "DEMOAPP_ZONES"
)

// maxZones bounds the number of simulated zones (the site keeps zones³ images).
const maxZones = 8

var zoneRE = regexp.MustCompile(`^[a-z0-9]{1,8}$`)

// Config configures the demo site. The zero value is usable: every zero field
// takes its default.
type Config struct {
	// Addr is the listen address; it must be a loopback address
	// (default 127.0.0.1:0).
	Addr string
	// Cluster is the ClusterName dimension (default container-demo).
	Cluster string
	// Service is the ServiceName dimension (default ecsdemo-frontend).
	Service string
	// CPUReserved is the CpuReserved value in CPU units, 1024 per vCPU
	// (default 1024).
	CPUReserved float64
	// PublishEvery is the metric publishing interval (default 2 s); a
	// negative value disables publishing.
	PublishEvery time.Duration
	// WorkPerPage is the CPU time spent rendering one page (default 300 µs);
	// a negative value disables the work.
	WorkPerPage time.Duration
	// Zones are the simulated availability-zone labels, lower-case letters
	// or digits (default a, b, c).
	Zones []string
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.Cluster == "" {
		cfg.Cluster = DefaultCluster
	}
	if cfg.Service == "" {
		cfg.Service = DefaultService
	}
	if cfg.CPUReserved == 0 {
		cfg.CPUReserved = DefaultCPUReserved
	}
	if cfg.PublishEvery == 0 {
		cfg.PublishEvery = DefaultPublishEvery
	}
	if cfg.WorkPerPage == 0 {
		cfg.WorkPerPage = DefaultWorkPerPage
	}
	if len(cfg.Zones) == 0 {
		cfg.Zones = defaultZones()
	}
	return cfg
}

// Validate reports whether cfg (after defaults) is usable: a loopback
// address, a positive finite CPUReserved, 1 to 8 distinct zone labels of
// lower-case letters or digits, PublishEvery negative or at least 10 ms, and
// WorkPerPage at most 1 s.
func (cfg Config) Validate() error {
	cfg = cfg.withDefaults()
	if err := checkLoopback(cfg.Addr); err != nil {
		return err
	}
	if !(cfg.CPUReserved > 0 && cfg.CPUReserved < 1e12) {
		return fmt.Errorf("demoapp: CPUReserved %v must be positive", cfg.CPUReserved)
	}
	if cfg.PublishEvery > 0 && cfg.PublishEvery < 10*time.Millisecond {
		return fmt.Errorf("demoapp: PublishEvery %v is below 10ms", cfg.PublishEvery)
	}
	if cfg.WorkPerPage > time.Second {
		return fmt.Errorf("demoapp: WorkPerPage %v is above 1s", cfg.WorkPerPage)
	}
	if strings.ContainsAny(cfg.Cluster+cfg.Service, "\x00\n") {
		return errors.New("demoapp: cluster and service names must be single-line")
	}
	if len(cfg.Zones) > maxZones {
		return fmt.Errorf("demoapp: %d zones, at most %d", len(cfg.Zones), maxZones)
	}
	seen := make(map[string]bool, len(cfg.Zones))
	for _, z := range cfg.Zones {
		if !zoneRE.MatchString(z) {
			return fmt.Errorf("demoapp: zone %q: want 1-8 lower-case letters or digits", z)
		}
		if seen[z] {
			return fmt.Errorf("demoapp: zone %q listed twice", z)
		}
		seen[z] = true
	}
	return nil
}

// checkLoopback accepts host:port where host is a loopback IP or localhost.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("demoapp: listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("demoapp: listen address %q is not loopback", addr)
}

// Env returns cfg as KEY=value environment entries for a child process; only
// fields that differ from their zero value are emitted.
func (cfg Config) Env() []string {
	var env []string
	add := func(k, v string) { env = append(env, k+"="+v) }
	if cfg.Addr != "" {
		add(EnvAddr, cfg.Addr)
	}
	if cfg.Cluster != "" {
		add(EnvCluster, cfg.Cluster)
	}
	if cfg.Service != "" {
		add(EnvService, cfg.Service)
	}
	if cfg.CPUReserved != 0 {
		add(EnvCPUReserved, strconv.FormatFloat(cfg.CPUReserved, 'g', -1, 64))
	}
	if cfg.PublishEvery != 0 {
		add(EnvPublishEvery, cfg.PublishEvery.String())
	}
	if cfg.WorkPerPage != 0 {
		add(EnvWorkPerPage, cfg.WorkPerPage.String())
	}
	if len(cfg.Zones) != 0 {
		add(EnvZones, strings.Join(cfg.Zones, ","))
	}
	return env
}

// ConfigFromEnv reads a Config from the variables written by Config.Env,
// looked up with getenv (usually os.Getenv). Unset variables leave their
// field at zero (that is, default). The result is validated.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	var cfg Config
	cfg.Addr = getenv(EnvAddr)
	cfg.Cluster = getenv(EnvCluster)
	cfg.Service = getenv(EnvService)
	if v := getenv(EnvCPUReserved); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return Config{}, fmt.Errorf("demoapp: %s: %w", EnvCPUReserved, err)
		}
		cfg.CPUReserved = f
	}
	var err error
	if cfg.PublishEvery, err = envDuration(getenv, EnvPublishEvery); err != nil {
		return Config{}, err
	}
	if cfg.WorkPerPage, err = envDuration(getenv, EnvWorkPerPage); err != nil {
		return Config{}, err
	}
	if v := getenv(EnvZones); v != "" {
		cfg.Zones = strings.Split(v, ",")
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func envDuration(getenv func(string) string, key string) (time.Duration, error) {
	v := getenv(key)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("demoapp: %s: %w", key, err)
	}
	return d, nil
}
