package main

import (
	"net/url"
	"os"
	"path/filepath"
)

// defaultDemoHTML is where `loadgen demo` writes its HTML report unless
// told otherwise: the temporary folder, so the demo leaves nothing in the
// folder it runs in.
func defaultDemoHTML() string { return filepath.Join(os.TempDir(), "loadgen-demo.html") }

// sayPage tells where the demo's HTML report is, when the load wrote it.
func sayPage(say func(string, ...any), path string) {
	if path == "" {
		return
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if _, err := os.Stat(abs); err != nil {
		return
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	say("the HTML report: %s (open %s in a browser)", abs, u.String())
}
