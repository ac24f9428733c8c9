package testsupport

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// built is a set of binaries built once per test binary into one folder.
type built struct {
	once sync.Once
	dir  string
	err  error
}

var (
	full = &built{} // LoadgenBinary
	lean = &built{} // LeanBinary
)

// build builds each name from its go build flags into b's folder, once.
func (b *built) build(t testing.TB, names ...[2]string) string {
	t.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "loadgen-bin"); b.err != nil {
			return
		}
		for _, n := range names {
			args := []string{"build", "-o", filepath.Join(b.dir, n[0])}
			if n[1] != "" {
				args = append(args, n[1])
			}
			out, err := exec.Command("go", append(args, "github.com/loadgen/loadgen/cmd/loadgen")...).CombinedOutput()
			if err != nil {
				b.err = fmt.Errorf("go build %s: %v\n%s", n[0], err, out)
				return
			}
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.dir
}

// LoadgenBinary builds the real loadgen command (the full build) once per
// test binary and returns its path, for tests that run it as a child (fleet
// shards, ECS tasks of the local endpoint). The file is removed by
// RemoveLoadgenBinary.
func LoadgenBinary(t testing.TB) string {
	t.Helper()
	return filepath.Join(full.build(t, [2]string{"loadgen", ""}), "loadgen")
}

// LeanBinary builds what `make build` makes, once per test binary: the lean
// build (-tags lean, without the AWS SDK) as loadgen and the full build
// next to it as loadgen-aws. It returns the lean one's path.
func LeanBinary(t testing.TB) string {
	t.Helper()
	return filepath.Join(lean.build(t, [2]string{"loadgen", "-tags=lean"}, [2]string{"loadgen-aws", ""}), "loadgen")
}

// RemoveLoadgenBinary removes what LoadgenBinary and LeanBinary built; call
// it from TestMain.
func RemoveLoadgenBinary() {
	for _, b := range []*built{full, lean} {
		if b.dir != "" {
			os.RemoveAll(b.dir)
		}
	}
}
