// Package browsertest opens pages in a real headless Chromium for tests,
// through the DevTools protocol (chromedp), with the network disabled, and
// records what the page logged, threw and requested.
package browsertest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Candidates are the browser executables looked for on PATH, in order;
// LOADGEN_BROWSER names another.
var Candidates = []string{"chromium-headless-shell", "chromium", "chromium-browser", "headless_shell", "chrome-headless-shell", "google-chrome"}

// Find returns the browser to use. Without one it skips the test with a
// clear message, except in CI (CI set), where the browser is required and
// the test fails.
func Find(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("LOADGEN_BROWSER"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("LOADGEN_BROWSER=%s: %v", p, err)
		}
		return p
	}
	for _, name := range Candidates {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no headless Chromium found (looked for %s on PATH, or set LOADGEN_BROWSER); "+
		"install it with: apt-get install chromium-headless-shell", strings.Join(Candidates, ", "))
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set: the browser tests are required)")
	}
	t.Skip(msg)
	return ""
}

// Page is a page open in the browser.
type Page struct {
	Ctx context.Context
	mu  sync.Mutex
	// problems are console errors and warnings, uncaught exceptions, and
	// requests to anything but the page's own file.
	problems []string
	requests []string
}

// Open starts the browser with a width×height window, cuts it off the
// network, and loads the file at path from a file:// URL. The browser stops
// when the test ends.
func Open(t testing.TB, path string, width, height int) *Page {
	t.Helper()
	exe := Find(t)
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.WindowSize(width, height), chromedp.NoSandbox, chromedp.DisableGPU,
		// No network at all: no proxy can be reached and no name resolves.
		chromedp.Flag("proxy-server", "http://127.0.0.1:9"), chromedp.Flag("proxy-bypass-list", "<-loopback>"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND"),
		chromedp.Flag("force-device-scale-factor", "1"))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	p := &Page{}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(p.listen))
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	p.Ctx = ctx
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
		})
		return err
	})); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	u := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		t.Fatalf("load %s: %v", u, err)
	}
	return p
}

func (p *Page) listen(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			p.problems = append(p.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		p.problems = append(p.problems, fmt.Sprintf("exception at %d:%d: %s", d.LineNumber, d.ColumnNumber, msg))
	case *network.EventRequestWillBeSent:
		p.requests = append(p.requests, ev.Request.URL)
		if !strings.HasPrefix(ev.Request.URL, "file:") && !strings.HasPrefix(ev.Request.URL, "data:") {
			p.problems = append(p.problems, "request to "+ev.Request.URL)
		}
	}
}

// Problems returns the console errors and warnings, exceptions and network
// requests the page made so far.
func (p *Page) Problems() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.problems...)
}

// Reload loads the page again.
func Reload(t testing.TB, p *Page) {
	t.Helper()
	if err := chromedp.Do(p.Ctx, chromedp.Reload()); err != nil {
		t.Fatalf("reload: %v", err)
	}
}

// Eval evaluates a JavaScript expression in the page and decodes its value.
func Eval[T any](t testing.TB, p *Page, expr string) T {
	t.Helper()
	v, err := chromedp.Run(p.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// Screenshot returns a PNG of the whole page (fullPage) or of the window.
func Screenshot(t testing.TB, p *Page, fullPage bool) []byte {
	t.Helper()
	a := chromedp.CaptureScreenshot()
	if fullPage {
		a = chromedp.FullScreenshot(100)
	}
	b, err := chromedp.Run(p.Ctx, a)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return b
}
