package testsupport

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// LoadgenBinary builds the real loadgen command once per test binary and
// returns its path, for tests that run it as a child (fleet shards, ECS
// tasks of the local endpoint). The file is removed by RemoveLoadgenBinary.
func LoadgenBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "loadgen-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "loadgen")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/loadgen/loadgen/cmd/loadgen").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// RemoveLoadgenBinary removes what LoadgenBinary built; call it from TestMain.
func RemoveLoadgenBinary() {
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
}
