package demoapp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fixed "commit" hashes of the simulated services, as the workshop's
// containers print theirs.
const (
	frontendCommit = "5d4c0f2"
	nodeCommit     = "8e1b6a9"
	crystalCommit  = "c37a0d1"
)

// zoneColors are the fills used in the SVGs, by zone index.
var zoneColors = [maxZones]string{"#ff9900", "#1e8e3e", "#3b6fd8", "#d13212", "#8a4baf", "#00838f", "#795548", "#546e7a"}

// GomaxprocsHeader is the response header on /health that reports the
// serving process's GOMAXPROCS.
const GomaxprocsHeader = "X-Demo-Gomaxprocs"

// variant is one combination of answering zones: the frontend's, the Node.js
// backend's and the Crystal backend's, with its pre-rendered page head.
type variant struct {
	head []byte // the page up to the render comment
}

// site is the http.Handler returned by Handler.
type site struct {
	variants []variant
	assets   map[string][]byte // path -> SVG
	iters    int               // hashing iterations per page
	next     atomic.Uint64     // round-robin counter over variants
	bufs     sync.Pool         // *[]byte page buffers
}

// Handler returns the demo site: GET/HEAD / (a Rails-like page costing
// cfg.WorkPerPage of CPU to render), /assets/<name>.svg and /health.
// Everything else is 404. Invalid zone labels in cfg are replaced by the
// defaults. Handler calibrates the rendering work once, which takes a few
// milliseconds.
func Handler(cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	if err := (Config{Zones: cfg.Zones}).Validate(); err != nil {
		cfg.Zones = defaultZones()
	}
	s := &site{assets: make(map[string][]byte)}
	s.iters = calibrate(cfg.WorkPerPage)
	s.bufs.New = func() any { b := make([]byte, 0, 2048); return &b }
	z := cfg.Zones
	n := len(z)
	// Order variants so that consecutive requests change the frontend zone
	// first, then the Node.js zone, then the Crystal zone.
	for i := 0; i < n*n*n; i++ {
		f, nd, cr := i%n, (i/n)%n, (i/(n*n))%n
		svg := renderSVG(z, f, nd, cr)
		sum := sha256.Sum256(svg)
		name := z[f] + "-" + z[nd] + "-" + z[cr]
		src := "/assets/" + name + "-" + hex.EncodeToString(sum[:]) + ".svg"
		s.assets[src] = svg
		s.variants = append(s.variants, variant{head: renderHead(z, f, nd, cr, src)})
	}
	return s
}

// ServeHTTP routes a request.
func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		notFound(w)
		return
	}
	switch p := r.URL.Path; {
	case p == "/":
		s.page(w)
	case p == "/health":
		h := w.Header()
		h.Set("Content-Type", "text/plain; charset=utf-8")
		h.Set("Content-Length", "2")
		h.Set(GomaxprocsHeader, strconv.Itoa(runtime.GOMAXPROCS(0)))
		_, _ = w.Write([]byte("OK"))
	case strings.HasPrefix(p, "/assets/"):
		svg, ok := s.assets[p]
		if !ok {
			notFound(w)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "image/svg+xml")
		h.Set("Content-Length", strconv.Itoa(len(svg)))
		h.Set("Cache-Control", "public, max-age=31536000")
		_, _ = w.Write(svg)
	default:
		notFound(w)
	}
}

// page renders GET /: it picks the next variant, spends the configured CPU
// on hashing the page (standing in for a Rails view), and writes it.
func (s *site) page(w http.ResponseWriter) {
	seq := s.next.Add(1) - 1
	v := &s.variants[seq%uint64(len(s.variants))]
	digest := renderWork(v.head, seq, s.iters)

	bp := s.bufs.Get().(*[]byte)
	b := append((*bp)[:0], v.head...)
	b = append(b, "<!-- render "...)
	b = hex.AppendEncode(b, digest[:8])
	b = append(b, " -->\n</body>\n</html>\n"...)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "max-age=0, private, must-revalidate")
	_, _ = w.Write(b)
	*bp = b
	s.bufs.Put(bp)
}

func notFound(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte("404 page not found\n"))
}

// renderWork is the page's CPU cost: a SHA-256 chain seeded by the page and
// the request number, iters links long.
func renderWork(page []byte, seq uint64, iters int) [32]byte {
	h := sha256.New()
	h.Write(page)
	var n [8]byte
	for i := range n {
		n[i] = byte(seq >> (8 * i))
	}
	h.Write(n[:])
	var st [32]byte
	h.Sum(st[:0])
	return spin(st, iters)
}

// spin hashes st into itself n times.
func spin(st [32]byte, n int) [32]byte {
	for range n {
		st = sha256.Sum256(st[:])
	}
	return st
}

// calibrate returns how many spin iterations cost about target of CPU time
// on this machine. It times a few short runs by the calling thread's own CPU
// clock (so time spent preempted does not count),
// falling back to the wall clock, and keeps the fastest.
func calibrate(target time.Duration) int {
	if target <= 0 {
		return 0
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const chunk = 4096
	best := time.Duration(math.MaxInt64)
	var st [32]byte
	for range 3 {
		c0, cerr := threadCPUTime()
		t0 := time.Now()
		st = spin(st, chunk)
		d := time.Since(t0)
		if c1, err := threadCPUTime(); err == nil && cerr == nil && c1 > c0 {
			d = min(d, c1-c0)
		}
		best = min(best, d)
	}
	best = max(best, 1)
	n := int(float64(target) * chunk / float64(best))
	if st[0] == 0 && st[1] == 0 && st[2] == 0 && st[3] == 0 { // keep st live; practically never true
		n++
	}
	return max(n, 1)
}

// zoneIP is the simulated private IP of a tier's task in zone index zi.
func zoneIP(tier, zi int) string {
	return fmt.Sprintf("10.0.%d.%d", 100+zi, 11+tier*16+zi)
}

// renderHead renders the page up to the render comment.
func renderHead(z []string, f, nd, cr int, src string) []byte {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html>
<html>
<head>
<title>ExampleApp</title>
<script>window.onload = function() { setTimeout(function(){location=''},50) };</script>
</head>
<body>
<style>
body { font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; background: #fafafa; color: #232f3e; text-align: center; margin: 2em; }
h2 { font-weight: 400; margin: 0.5em 0; }
img { margin-top: 1.5em; width: 480px; height: 160px; }
</style>
`)
	fmt.Fprintf(&b, "<h2>Rails frontend: Hello! from %s in AZ-%s running %s</h2>\n", zoneIP(0, f), z[f], frontendCommit)
	fmt.Fprintf(&b, "<h2>Node.js backend: Hello! from %s in AZ-%s commit %s</h2>\n", zoneIP(1, nd), z[nd], nodeCommit)
	fmt.Fprintf(&b, "<h2>Crystal backend: Hello! from %s in AZ-%s commit %s</h2>\n", zoneIP(2, cr), z[cr], crystalCommit)
	// Rails' image_tag derives alt from the file name: "a-b-c" -> "A b c".
	alt := strings.ToUpper(z[f][:1]) + z[f][1:] + " " + z[nd] + " " + z[cr]
	fmt.Fprintf(&b, "<img src=\"%s\" alt=\"%s\" />\n", src, alt)
	return []byte(b.String())
}

// renderSVG draws three shapes, one per tier, each filled with its zone's
// colour and labelled with the zone.
func renderSVG(z []string, f, nd, cr int) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="480" height="160" viewBox="0 0 480 160">` + "\n")
	b.WriteString(`<rect x="0" y="0" width="480" height="160" rx="12" fill="#232f3e"/>` + "\n")
	fmt.Fprintf(&b, `<circle cx="80" cy="80" r="56" fill="%s"/>`+"\n", zoneColors[f])
	fmt.Fprintf(&b, `<rect x="184" y="24" width="112" height="112" rx="8" fill="%s"/>`+"\n", zoneColors[nd])
	fmt.Fprintf(&b, `<polygon points="400,22 458,136 342,136" fill="%s"/>`+"\n", zoneColors[cr])
	const text = `<text x="%d" y="%d" font-family="Helvetica, Arial, sans-serif" font-size="44" font-weight="bold" fill="#ffffff" text-anchor="middle">%s</text>` + "\n"
	fmt.Fprintf(&b, text, 80, 95, strings.ToUpper(z[f]))
	fmt.Fprintf(&b, text, 240, 95, strings.ToUpper(z[nd]))
	fmt.Fprintf(&b, text, 400, 118, strings.ToUpper(z[cr]))
	fmt.Fprintf(&b, `<title>frontend %s, nodejs %s, crystal %s</title>`+"\n", z[f], z[nd], z[cr])
	b.WriteString("</svg>\n")
	return []byte(b.String())
}

// StaticPage returns the frontend's page as a static file (its first
// variant, ending like the served page but without the per-request render
// comment) and the one image it links to, with the image's path. The
// benchmark's nginx serves these, so it loads the same page as the demo.
func StaticPage(cfg Config) (page []byte, assetPath string, asset []byte) {
	cfg = cfg.withDefaults()
	z := cfg.Zones
	if err := (Config{Zones: z}).Validate(); err != nil {
		z = defaultZones()
	}
	asset = renderSVG(z, 0, 0, 0)
	sum := sha256.Sum256(asset)
	assetPath = "/assets/" + z[0] + "-" + z[0] + "-" + z[0] + "-" + hex.EncodeToString(sum[:]) + ".svg"
	page = append(renderHead(z, 0, 0, 0, assetPath), "</body>\n</html>\n"...)
	return page, assetPath, asset
}
