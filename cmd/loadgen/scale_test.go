package main

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/report"
)

// TestResolvePinsANameAndReportsAddresses: --resolve sends a name that
// resolves nowhere to 127.0.0.1; the report has one line (text) and one
// entry (JSON) per address.
func TestResolvePinsANameAndReportsAddresses(t *testing.T) {
	s := newSite(t)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	url := fmt.Sprintf("http://pinned.invalid:%s/", port)
	pin := fmt.Sprintf("pinned.invalid:%s:127.0.0.1", port)
	r := runCLI(t, nil, "-c", "2", "-r", "3", "--resolve", pin, url)
	if r.code != 0 || s.total.Load() != 6 {
		t.Fatalf("exit %d, server saw %d: %s", r.code, s.total.Load(), r.stderr)
	}
	line := fmt.Sprintf("Address 127.0.0.1:%s:\t6 requests, 0 errors (pinned.invalid)", port)
	if !strings.Contains(r.stdout, line) {
		t.Fatalf("text lacks %q:\n%s", line, r.stdout)
	}
	r = runCLI(t, nil, "-c", "2", "-r", "3", "-j", "--resolve", pin, url)
	var rp report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rp); err != nil {
		t.Fatal(err)
	}
	a, ok := rp.Addresses["127.0.0.1:"+port]
	if !ok || len(rp.Addresses) != 1 || a.Host != "pinned.invalid" || a.Requests != 6 || a.Errors != 0 {
		t.Fatalf("addresses %+v", rp.Addresses)
	}
	if _, ok := rp.Errors["ports"]; !ok {
		t.Fatalf("errors %v lack the ports class", rp.Errors)
	}
	// -g and -p follow the pin too.
	r = runCLI(t, nil, "-p", "--resolve", pin, url+"other")
	if r.code != 0 || r.stdout != "ok" {
		t.Fatalf("-p: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	for _, bad := range []string{"pinned.invalid", "pinned.invalid:80", "pinned.invalid:80:nowhere"} {
		r := runCLI(t, nil, "-c", "1", "-r", "1", "--resolve", bad, url)
		if r.code != 2 || !strings.Contains(r.stderr, "HOST:PORT:ADDR") {
			t.Errorf("--resolve %q: exit %d, %s", bad, r.code, r.stderr)
		}
	}
}
