// Command benchrun is the `make bench` harness: it starts nginx on
// 127.0.0.1 with bench/nginx.conf, then runs loadgen, wrk and bombardier in
// turn (A B C A B C ...) against it, measures each client's own CPU time
// and maximum RSS from its rusage, and prints per-tool tables and the
// loadgen/wrk and loadgen/bombardier ratios per round with their medians.
//
// Traffic goes to loopback only; every client run and the whole harness are
// bounded in time; nginx is stopped by its pid on exit.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/loadgen/loadgen/internal/demoapp"
)

// config is the harness's command line.
type config struct {
	benchDir   string
	outDir     string
	loadgen    string
	wrk        string
	bombardier string
	nginx      string
	duration   time.Duration
	rounds     int
	conns      []int
	pages      []string
	tools      []string
	quick      bool
	syscalls   bool
	pin        bool
	limit      time.Duration
	serve      time.Duration
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchrun: %v\n", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.limit)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "benchrun: %v\n", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	c := &config{}
	var conns, pages, tools string
	fs.StringVar(&c.benchDir, "bench-dir", "bench", "directory holding nginx.conf and www/")
	fs.StringVar(&c.outDir, "out", "bench/out", "where results.json and results.md go")
	fs.StringVar(&c.loadgen, "loadgen", "bin/loadgen", "loadgen binary")
	fs.StringVar(&c.wrk, "wrk", "wrk", "wrk binary")
	fs.StringVar(&c.bombardier, "bombardier", "bombardier", "bombardier binary")
	fs.StringVar(&c.nginx, "nginx", "nginx", "nginx binary")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of each client run")
	fs.IntVar(&c.rounds, "rounds", 5, "interleaved rounds per setting (loadgen compare needs 4 or more per side to call a change significant)")
	fs.StringVar(&conns, "conns", "50,200", "connection counts, comma-separated")
	fs.StringVar(&pages, "pages", "small,frontend", "pages: small (a tiny static page), frontend (the workshop-shaped page)")
	fs.StringVar(&tools, "tools", "loadgen,wrk,bombardier", "clients, in the order they run within a round")
	fs.BoolVar(&c.quick, "quick", false, "short runs for CI: 2 s, 1 round, the small page")
	fs.BoolVar(&c.syscalls, "syscalls", false, "also count system calls per request with perf stat (one extra run per tool at the largest -conns)")
	fs.BoolVar(&c.pin, "pin", true, "pin nginx to CPU 0 and the clients to CPU 1 (when there are two CPUs)")
	fs.DurationVar(&c.limit, "limit", 30*time.Minute, "upper bound on the whole harness")
	fs.DurationVar(&c.serve, "serve", 0, "only start nginx, print its URL, and keep it up this long (for profiling by hand)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if c.quick {
		c.duration, c.rounds, pages = 2*time.Second, 1, "small"
	}
	var err error
	if c.conns, err = parseInts(conns); err != nil {
		return nil, fmt.Errorf("-conns: %w", err)
	}
	c.pages = splitList(pages)
	c.tools = splitList(tools)
	for _, p := range c.pages {
		if _, ok := pagePaths[p]; !ok {
			return nil, fmt.Errorf("-pages: unknown page %q (want small or frontend)", p)
		}
	}
	for _, t := range c.tools {
		if _, ok := clients[t]; !ok {
			return nil, fmt.Errorf("-tools: unknown tool %q", t)
		}
	}
	if c.rounds < 1 || c.duration <= 0 {
		return nil, errors.New("-rounds and -duration must be positive")
	}
	if runtime.NumCPU() < 2 {
		c.pin = false
	}
	return c, nil
}

// pagePaths maps a page name to its path on the nginx server.
var pagePaths = map[string]string{"small": "/", "frontend": "/frontend.html"}

func run(ctx context.Context, cfg *config) error {
	for _, bin := range []*string{&cfg.loadgen, &cfg.wrk, &cfg.bombardier, &cfg.nginx} {
		if p, err := exec.LookPath(*bin); err == nil {
			*bin = p
		}
	}
	if err := os.MkdirAll(cfg.outDir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	srv, err := startNginx(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.stop()
	if cfg.serve > 0 {
		fmt.Printf("nginx pid %d serving %s (small page) and %s/frontend.html for %s\n", srv.cmd.Process.Pid, srv.base+"/", srv.base, cfg.serve)
		select {
		case <-time.After(cfg.serve):
		case <-ctx.Done():
		}
		return nil
	}
	fmt.Printf("nginx pid %d on %s (1 worker%s); clients: %s; %d round(s) of %s; conns %v; pages %v\n",
		srv.cmd.Process.Pid, srv.base, pinNote(cfg.pin), strings.Join(cfg.tools, ", "), cfg.rounds, cfg.duration, cfg.conns, cfg.pages)
	rec := &recorder{out: cfg.outDir}
	if err := rec.start(); err != nil {
		return err
	}
	var runs []*runResult
	for _, page := range cfg.pages {
		url := srv.base + pagePaths[page]
		for _, c := range cfg.conns {
			for round := 1; round <= cfg.rounds; round++ {
				for _, name := range cfg.tools {
					if ctx.Err() != nil {
						return fmt.Errorf("stopped: %w", context.Cause(ctx))
					}
					before := srv.cpuTime()
					r := runClient(ctx, cfg, clients[name], url, c)
					r.Page, r.Round = page, round
					if after := srv.cpuTime(); after > before && r.Requests > 0 && r.Seconds > 0 {
						r.ServerCPUus = (after - before) / float64(r.Requests) * 1e6
						r.ServerBusy = 100 * (after - before) / r.Seconds
					}
					runs = append(runs, r)
					fmt.Println(r.line())
					if err := rec.save(cfg, r); err != nil {
						return err
					}
					time.Sleep(500 * time.Millisecond) // let sockets settle between clients
				}
			}
		}
	}
	var sys []*syscallResult
	if cfg.syscalls {
		c := cfg.conns[len(cfg.conns)-1]
		for _, name := range cfg.tools {
			s := countSyscalls(ctx, cfg, clients[name], srv.base+pagePaths[cfg.pages[0]], c)
			s.Page = cfg.pages[0]
			sys = append(sys, s)
		}
	}
	sum := summarise(cfg, runs, sys)
	fmt.Print(sum.text())
	if err := sum.write(cfg.outDir); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s and %s\n", filepath.Join(cfg.outDir, "results.json"), filepath.Join(cfg.outDir, "results.md"))
	return rec.finish(ctx, cfg)
}

func pinNote(pin bool) string {
	if pin {
		return ", pinned to CPU 0; clients on CPU 1"
	}
	return ", unpinned"
}

// server is the running nginx.
type server struct {
	cmd  *exec.Cmd
	dir  string
	base string
	done chan error
}

// startNginx writes the config into a fresh directory and starts nginx in
// the foreground (daemon off) so its pid is ours to stop.
func startNginx(ctx context.Context, cfg *config) (*server, error) {
	root, err := filepath.Abs(filepath.Join(cfg.benchDir, "www"))
	if err != nil {
		return nil, err
	}
	tmpl, err := template.ParseFiles(filepath.Join(cfg.benchDir, "nginx.conf"))
	if err != nil {
		return nil, fmt.Errorf("read nginx config: %w", err)
	}
	dir, err := os.MkdirTemp("", "loadgen-bench-")
	if err != nil {
		return nil, err
	}
	// nginx workers drop to an unprivileged user when started as root; the
	// directory must stay readable for them.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if root, err = writePages(root, filepath.Join(dir, "www")); err != nil {
		return nil, fmt.Errorf("write the pages: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "root" // the page root may sit under a directory only root can read
	}
	f, err := os.Create(filepath.Join(dir, "nginx.conf"))
	if err != nil {
		return nil, err
	}
	err = tmpl.Execute(f, map[string]any{"Dir": dir, "Port": port, "Root": root, "User": user})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write nginx config: %w", err)
	}
	args := []string{"-c", filepath.Join(dir, "nginx.conf"), "-p", dir}
	name := cfg.nginx
	if cfg.pin {
		args = append([]string{"-c", "0", name}, args...)
		name = "taskset"
	}
	cmd := exec.Command(name, args...)
	logf, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start nginx: %w", err)
	}
	s := &server{cmd: cmd, dir: dir, base: fmt.Sprintf("http://127.0.0.1:%d", port), done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); logf.Close() }()
	// Wait until it answers, for at most 10 s.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case err := <-s.done:
			out, _ := os.ReadFile(filepath.Join(dir, "stderr.log"))
			elog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			os.RemoveAll(dir)
			return nil, fmt.Errorf("nginx exited at start (%v): %s%s", err, out, elog)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, errors.New("nginx did not accept connections within 10 s")
		}
	}
}

// stop ends nginx by its pid: a graceful quit, then a kill after 5 s.
func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	os.RemoveAll(s.dir)
}

// cpuTime is the user+sys CPU seconds of nginx's worker processes so far,
// from /proc (clock ticks; 0 where /proc is not available).
func (s *server) cpuTime() float64 {
	pid := s.cmd.Process.Pid
	kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	if err != nil {
		return 0
	}
	var total float64
	for _, k := range strings.Fields(string(kids)) {
		st, err := os.ReadFile("/proc/" + k + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command name (which may hold spaces): state is
		// field 3, utime 14 and stime 15.
		rest := string(st)
		if i := strings.LastIndexByte(rest, ')'); i >= 0 {
			rest = rest[i+1:]
		}
		f := strings.Fields(rest)
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseFloat(f[11], 64)
		sy, _ := strconv.ParseFloat(f[12], 64)
		total += (u + sy) / clockTicks
	}
	return total
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("want positive whole numbers, got %q", f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("empty list")
	}
	return out, nil
}

// writePages fills the page root: the small page from bench/www, and the
// frontend page with its image as internal/demoapp renders them (never a
// hand copy, so the benchmark loads what the demo serves).
func writePages(src, root string) (string, error) {
	small, err := os.ReadFile(filepath.Join(src, "index.html"))
	if err != nil {
		return "", err
	}
	page, assetPath, asset := demoapp.StaticPage(demoapp.Config{})
	files := map[string][]byte{"index.html": small, "frontend.html": page, strings.TrimPrefix(assetPath, "/"): asset}
	for name, body := range files {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(path, body, 0o644); err != nil {
			return "", err
		}
	}
	return root, nil
}
