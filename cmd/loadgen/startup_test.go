package main

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/loadgen/loadgen/internal/testsupport"
)

// TestStartupAllocations: what the binary allocates before main runs is
// paid by every run, in memory that stays resident (issue 12: RSS at 200
// connections). The AWS SDK's own initialisers are outside our hands, but
// no package of this module may allocate more than 200 KB in its
// initialiser (bounded-repeat regexps and eagerly parsed templates once
// cost 2 MB): parse such things on first use, or check lengths apart.
func TestStartupAllocations(t *testing.T) {
	cmd := exec.Command(testsupport.LoadgenBinary(t), "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("loadgen --version: %v\n%s", err, out)
	}
	ours := 0
	for _, line := range strings.Split(string(out), "\n") {
		// init github.com/loadgen/loadgen/report @2.1 ms, 0.1 ms clock, 1234 bytes, 12 allocs
		f := strings.Fields(line)
		if len(f) < 10 || f[0] != "init" || !strings.HasPrefix(f[1], "github.com/loadgen/loadgen") {
			continue
		}
		ours++
		n, err := strconv.Atoi(f[7])
		if err != nil || f[8] != "bytes," {
			t.Fatalf("unexpected inittrace line %q", line)
		}
		if n > 200<<10 {
			t.Errorf("%s allocates %d KB in its package initialiser: %s", f[1], n>>10, line)
		}
	}
	if ours < 3 {
		t.Fatalf("inittrace named %d of our packages; output:\n%s", ours, out)
	}
}
