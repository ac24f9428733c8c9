package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/internal/testsupport"
	"github.com/loadgen/loadgen/report"
)

// TestDemoFleet runs `loadgen demo --fleet 3` on the real binary: the load
// is three ECS tasks of the local endpoint, each a loadgen process whose
// log goes to its CloudWatch Logs; their merged load still drives the alarm
// to ALARM, which stops every task, and every shard's log arrives whole.
func TestDemoFleet(t *testing.T) {
	isolateAWS(t)
	jf := filepath.Join(t.TempDir(), "demo.json")
	cmd := exec.Command(testsupport.LoadgenBinary(t), "demo", "--fleet", "3", "-c", "21", "--period", "10", "--poll", "1s", "--publish-every", "500ms",
		"--alarm-timeout", "60s", "--json", jf, "--html", "")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("demo --fleet 3: %v\n%s\n%s", err, out.String(), errb.String())
	}
	for _, want := range []string{"running: loadgen fleet setup --image loadgen:demo", "running: loadgen fleet --tasks 3 --cluster container-demo",
		"-> ALARM", "fleet: stopping all 3 running tasks", "the alarm fired under load", "every step of the chapter is done"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, errb.String())
		}
	}
	var rp report.Report
	raw, err := os.ReadFile(jf)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &rp); err != nil || rp.Fleet == nil || !rp.Fleet.Complete || rp.Fleet.Merged != 3 ||
		rp.Fleet.Backend != "ecs" || rp.EndedBy != "alarm" || rp.Users != 21 || rp.Alarm == nil || !rp.Alarm.Fired {
		t.Fatalf("report: %v %+v\n%s", err, rp.Fleet, out.String())
	}
	for _, s := range rp.Fleet.Tasks {
		if s.Users != 7 || s.Transactions == 0 || !strings.HasPrefix(s.Task, "arn:aws:ecs:us-east-1:000000000000:task/container-demo/") {
			t.Errorf("shard %+v", s)
		}
	}
}
