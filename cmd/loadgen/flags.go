package main

import (
	"github.com/spf13/pflag"
)

// runFlags are the load run's flags: siege's, then loadgen's extensions.
type runFlags struct {
	concurrent  int
	reps        string
	duration    string
	delay       string
	benchmark   bool
	internet    bool
	file        string
	headers     []string
	userAgent   string
	contentType string
	verbose     bool
	quiet       bool
	jsonOut     bool
	log         string
	mark        string
	get         bool
	print       bool
	rc          string
	noFollow    bool
	version     bool

	timeout    string
	connection string
	jsonFile   string
	insecure   bool
	protocol   string
	seed       uint64
	maxBody    int

	perf  perfFlags
	crawl crawlFlags
	aws   awsFlags
	alarm alarmFlags
}

// defaultLog is where -l without a file name appends, as siege has its own.
const defaultLog = "~/.loadgen/loadgen.log"

func (f *runFlags) register(fs *pflag.FlagSet) {
	fs.IntVarP(&f.concurrent, "concurrent", "c", 25, "concurrent simulated users")
	fs.StringVarP(&f.reps, "reps", "r", "", "requests per user, or 'once' (each user runs its slice of the URL file once)")
	fs.StringVarP(&f.duration, "time", "t", "", "how long to run: 30S, 5M, 1H (a bare number means minutes)")
	fs.StringVarP(&f.delay, "delay", "d", "", "random delay of 0..N seconds between a user's requests (not counted in response time)")
	fs.BoolVarP(&f.benchmark, "benchmark", "b", false, "no delay between requests")
	fs.BoolVarP(&f.internet, "internet", "i", false, "internet mode: a uniformly random target per request")
	fs.StringVarP(&f.file, "file", "f", "", "URL file: one target per line (siege syntax)")
	fs.StringArrayVarP(&f.headers, "header", "H", nil, `extra header "Name: value" (repeatable)`)
	fs.StringVarP(&f.userAgent, "user-agent", "A", "", "User-Agent header")
	fs.StringVarP(&f.contentType, "content-type", "T", "", "Content-Type for requests with a body")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "one line per request: status, time, bytes, method, URL")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress and no text summary")
	fs.BoolVarP(&f.jsonOut, "json-output", "j", false, "final stats as JSON on stdout (implies --quiet)")
	fs.StringVarP(&f.log, "log", "l", "", "append siege's CSV line per run to FILE")
	fs.Lookup("log").NoOptDefVal = defaultLog
	fs.StringVarP(&f.mark, "mark", "m", "", "write a marker line to the log before the stats (implies --log)")
	fs.BoolVarP(&f.get, "get", "g", false, "one HEAD request; print the request and response headers")
	fs.BoolVarP(&f.print, "print", "p", false, "one GET request; print the response body")
	fs.StringVarP(&f.rc, "rc", "R", "", "read settings from this siegerc file")
	fs.BoolVar(&f.noFollow, "no-follow", false, "do not follow redirects")
	fs.BoolVarP(&f.version, "version", "V", false, "print the version and exit")

	fs.StringVar(&f.timeout, "timeout", "30s", "per-request timeout (connect, send and response)")
	fs.StringVar(&f.connection, "connection", "keep-alive", "keep-alive, or close (one connection per request, siege's default)")
	fs.StringVar(&f.jsonFile, "json", "", "also write the JSON report to this file")
	fs.BoolVar(&f.insecure, "insecure", false, "skip TLS certificate verification")
	fs.StringVar(&f.protocol, "protocol", "HTTP/1.1", "HTTP/1.1 or HTTP/1.0")
	fs.Uint64Var(&f.seed, "seed", 0, "random seed for internet mode and delays (0: random)")
	f.registerLimits(fs)
	f.perf.register(fs)
	f.crawl.register(fs, true)
	f.alarm.register(fs)
	f.aws.register(fs)
}
