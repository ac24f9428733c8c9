package demoapp

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// envMap turns KEY=value entries into a getenv function.
func envMap(env []string) func(string) string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return func(k string) string { return m[k] }
}

func TestConfigEnvRoundTrip(t *testing.T) {
	cases := []Config{
		{},
		{PublishEvery: -1, WorkPerPage: -1},
		{
			Addr: "127.0.0.1:8080", Cluster: "c1", Service: "s1", CPUReserved: 512.5,
			PublishEvery: 200 * time.Millisecond, WorkPerPage: 150 * time.Microsecond,
			Zones: []string{"x", "y"},
		},
		{Addr: "[::1]:0"},
		{Addr: "localhost:9"},
	}
	for _, in := range cases {
		got, err := ConfigFromEnv(envMap(in.Env()))
		if err != nil {
			t.Fatalf("ConfigFromEnv(%v): %v", in.Env(), err)
		}
		if !reflect.DeepEqual(got, in) {
			t.Errorf("round trip: got %+v, want %+v", got, in)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	d := Config{}.withDefaults()
	want := Config{
		Addr: "127.0.0.1:0", Cluster: "container-demo", Service: "ecsdemo-frontend", CPUReserved: 1024,
		PublishEvery: 2 * time.Second, WorkPerPage: 300 * time.Microsecond, Zones: []string{"a", "b", "c"},
	}
	if !reflect.DeepEqual(d, want) {
		t.Errorf("defaults = %+v, want %+v", d, want)
	}
}

func TestConfigRejects(t *testing.T) {
	bad := map[string]map[string]string{
		"non-loopback addr":  {EnvAddr: "0.0.0.0:80"},
		"all interfaces":     {EnvAddr: ":8080"},
		"public host":        {EnvAddr: "example.com:80"},
		"no port":            {EnvAddr: "127.0.0.1"},
		"bad float":          {EnvCPUReserved: "lots"},
		"negative reserved":  {EnvCPUReserved: "-1"},
		"NaN reserved":       {EnvCPUReserved: "NaN"},
		"bad duration":       {EnvPublishEvery: "2"},
		"tiny interval":      {EnvPublishEvery: "1ms"},
		"huge work":          {EnvWorkPerPage: "2s"},
		"bad zone":           {EnvZones: "a,B"},
		"empty zone":         {EnvZones: "a,,b"},
		"html in zone":       {EnvZones: "<a>"},
		"duplicate zone":     {EnvZones: "a,a"},
		"too many zones":     {EnvZones: "a,b,c,d,e,f,g,h,i"},
		"newline in cluster": {EnvCluster: "x\ny"},
	}
	for name, env := range bad {
		if _, err := ConfigFromEnv(func(k string) string { return env[k] }); err == nil {
			t.Errorf("%s: ConfigFromEnv accepted %v", name, env)
		}
	}
}

// FuzzConfigFromEnv: arbitrary variable values never panic, and whatever is
// accepted survives a round trip through Env.
func FuzzConfigFromEnv(f *testing.F) {
	f.Add("127.0.0.1:0", "container-demo", "1024", "2s", "300us", "a,b,c")
	f.Add("", "", "", "", "", "")
	f.Add("[::1]:80", "x", "1e3", "-1ns", "-5ms", "z")
	f.Add("0.0.0.0:1", "\n", "NaN", "1h", "1s", "a,,")
	f.Fuzz(func(t *testing.T, addr, cluster, reserved, every, work, zones string) {
		env := map[string]string{EnvAddr: addr, EnvCluster: cluster, EnvCPUReserved: reserved,
			EnvPublishEvery: every, EnvWorkPerPage: work, EnvZones: zones}
		cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
		if err != nil {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config does not validate: %v", err)
		}
		again, err := ConfigFromEnv(envMap(cfg.Env()))
		if err != nil {
			t.Fatalf("re-reading %v: %v", cfg.Env(), err)
		}
		if !reflect.DeepEqual(again, cfg) {
			t.Fatalf("round trip: %+v != %+v", again, cfg)
		}
	})
}
