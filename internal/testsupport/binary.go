package testsupport

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// built is what one of this file's functions built into its folder, once
// per test binary.
type built struct {
	once sync.Once
	dir  string
	err  error
}

var (
	full = &built{} // LoadgenBinary
	lean = &built{} // LeanBinary
)

// build makes b's folder and has fill fill it, once.
func (b *built) build(t testing.TB, fill func(dir string) error) string {
	t.Helper()
	b.once.Do(func() {
		if b.dir, b.err = os.MkdirTemp("", "loadgen-bin"); b.err == nil {
			b.err = fill(b.dir)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.dir
}

// goBuild builds the loadgen command into dir/name with the build tags.
func goBuild(dir, name, tags string) error {
	out, err := exec.Command("go", "build", "-tags="+tags, "-o", filepath.Join(dir, name), "github.com/loadgen/loadgen/cmd/loadgen").CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s: %v\n%s", name, err, out)
	}
	return nil
}

// LoadgenBinary builds the real loadgen command (the full build) once per
// test binary and returns its path, for tests that run it as a child (fleet
// shards, ECS tasks of the local endpoint). The file is removed by
// RemoveLoadgenBinary.
func LoadgenBinary(t testing.TB) string {
	t.Helper()
	return filepath.Join(full.build(t, func(dir string) error { return goBuild(dir, "loadgen", "") }), "loadgen")
}

// LeanBinary lays out what `make build` makes, once per test binary: the
// lean build (-tags lean, without the AWS SDK) as loadgen and, next to it,
// LoadgenBinary's full build as loadgen-aws (a link). It returns the lean
// one's path.
func LeanBinary(t testing.TB) string {
	t.Helper()
	fullPath := LoadgenBinary(t)
	return filepath.Join(lean.build(t, func(dir string) error {
		if err := goBuild(dir, "loadgen", "lean"); err != nil {
			return err
		}
		return os.Symlink(fullPath, filepath.Join(dir, "loadgen-aws"))
	}), "loadgen")
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
