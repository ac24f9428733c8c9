package main

import (
	"encoding/json"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgen/loadgen/internal/awslocal"
	"github.com/loadgen/loadgen/report"
)

// readReport reads the JSON report a run wrote to path: decoded, and as
// it is in the file.
func readReport(t *testing.T, path string) (report.Report, []byte) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rp report.Report
	if err := json.Unmarshal(raw, &rp); err != nil {
		t.Fatal(err)
	}
	return rp, raw
}

// writeHlog runs loadgen quietly with args, writing its interval log
// (--hlog) to path; the run must succeed.
func writeHlog(t *testing.T, path string, args ...string) {
	t.Helper()
	if r := runCLI(t, nil, append([]string{"-q", "--hlog", path}, args...)...); r.code != 0 {
		t.Fatalf("run writing %s: exit %d: %s", path, r.code, r.stderr)
	}
}

// alarmingWorkshop is the chapter's world on the local AWS endpoint: the
// frontend stack's URL output is a workshop site, Container Insights
// publishes high CPU while that site is being hit (its "/" count, read every
// 50 ms), and `loadgen alarm create --period 10` has made the alarm. So
// `loadgen --until-alarm` loads the site until the alarm fires.
func alarmingWorkshop(t *testing.T) (*awslocal.Server, *workshopSite) {
	t.Helper()
	srv, cw := localAWS(t)
	ws := newWorkshopSite(t)
	var hits atomic.Int64
	publishWhileLoaded(t, cw, &hits)
	stop, done := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				hits.Store(int64(ws.count("/")))
			}
		}
	}()
	srv.PutStack("ecsworkshop-frontend", awslocal.Output{Key: "FrontendFargateLBServiceServiceURL55F424CF", Value: ws.URL})
	if r := runCLI(t, nil, "alarm", "create", "--period", "10"); r.code != 0 || !strings.Contains(r.stdout, "created alarm loadgen-ecsdemo-frontend-cpu-high") {
		t.Fatalf("alarm create: %d %s %s", r.code, r.stdout, r.stderr)
	}
	return srv, ws
}
