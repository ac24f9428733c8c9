package main

import (
	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/loadgen"
)

// settings is the effective configuration of a load run. Flags write into
// it directly (opts is loadgen.Options, so every default is the library's);
// siegerc values are applied as if given for the flags the user did not
// give (see applySiegerc).
type settings struct {
	opts     loadgen.Options
	url      string
	file     string
	verbose  bool
	quiet    bool
	jsonOut  bool
	jsonFile string
	htmlFile string
	logFile  string
	mark     string
	get      bool
	print    bool
	getMeth  string // -g's method: HEAD, or GET (siegerc gmethod)
	showLog  bool   // say where the log went (siegerc show-logfile)
	// hlogStdout is --hlog -: the interval log is on stdout.
	hlogStdout bool
}

// runFlags are the load run's flags: siege's, then loadgen's extensions.
type runFlags struct {
	settings
	headers   []string
	benchmark bool
	parser    bool
	rc        string
	version   bool

	perf  perfFlags
	crawl crawlFlags
	aws   awsFlags
	alarm alarmFlags

	failOn failOnFlags // --fail-on thresholds
	siege  siegeFlags  // -C, -D, cookies, login, proxy, failures, and the siegerc's own keys
	shard  shardFlags  // --shard, --start-at: one shard of a fleet
}

// defaultLog is where -l without a file name appends, as siege has its own.
const defaultLog = "~/.loadgen/loadgen.log"

func (f *runFlags) register(fs *pflag.FlagSet) {
	f.opts = loadgen.DefaultOptions()
	f.opts.UserAgent = loadgen.DefaultUserAgent(version) // siege's form, with loadgen's version
	o := &f.opts
	fs.IntVarP(&o.Users, "concurrent", "c", o.Users, "concurrent simulated users")
	fs.VarP(reps{&o.Reps, &o.Once}, "reps", "r", "requests per user, or 'once' (each user runs its slice of the URL file once)")
	fs.VarP(siegeTime{&o.Duration}, "time", "t", "how long to run: 30S, 5M, 1H (a bare number means minutes)")
	fs.VarP(seconds{&o.Delay}, "delay", "d", "random delay of 0..N seconds between a user's requests (not counted in response time)")
	fs.BoolVarP(&f.benchmark, "benchmark", "b", false, "no delay between requests")
	fs.BoolVarP(&o.Internet, "internet", "i", false, "internet mode: a uniformly random target per request")
	fs.StringVarP(&f.file, "file", "f", "", "URL file: one target per line (siege syntax)")
	fs.StringArrayVarP(&f.headers, "header", "H", nil, `extra header "Name: value" (repeatable)`)
	fs.StringVarP(&o.UserAgent, "user-agent", "A", o.UserAgent, "User-Agent header")
	fs.StringVarP(&o.ContentType, "content-type", "T", o.ContentType, "Content-Type for requests with a body")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "one line per request: status, time, bytes, method, URL")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "no progress and no text summary")
	fs.BoolVarP(&f.jsonOut, "json-output", "j", false, "final stats as JSON on stdout (implies --quiet)")
	fs.StringVarP(&f.logFile, "log", "l", "", "append siege's CSV line per run to FILE, attached: --log=FILE or -l=FILE (-l alone: ~/.loadgen/loadgen.log)")
	fs.Lookup("log").NoOptDefVal = defaultLog
	fs.StringVarP(&f.mark, "mark", "m", "", "write a marker line to the log before the stats (implies --log)")
	fs.BoolVarP(&f.get, "get", "g", false, "one HEAD request; print the request and response headers")
	fs.BoolVarP(&f.print, "print", "p", false, "one GET request; print the response body")
	fs.StringVarP(&f.rc, "rc", "R", "", "siegerc file to read (default: $SIEGERC, ~/.siege/siege.conf, ~/.siegerc, as siege)")
	fs.BoolVarP(&o.NoFollow, "no-follow", "F", o.NoFollow, "do not follow redirects")
	fs.BoolVarP(&f.version, "version", "V", false, "print the version and exit")

	fs.Var(timeout{&o.Timeout}, "timeout", "per-request timeout (connect, send and response); a bare number is seconds")
	fs.Var(connection{&o.Close}, "connection", "keep-alive, or close (one connection per request, siege's default)")
	fs.StringVar(&f.jsonFile, "json", "", "also write the JSON report to this file")
	fs.StringVar(&f.htmlFile, "html", "", "also write the HTML report (charts over time, the latency distribution, the alarm) to this file")
	fs.BoolVar(&o.Insecure, "insecure", o.Insecure, "skip TLS certificate verification")
	fs.Var(protocol{&o.Protocol}, "protocol", "HTTP/1.1 or HTTP/1.0")
	fs.Uint64Var(&o.Seed, "seed", o.Seed, "random seed for internet mode and delays (0: random)")
	fs.Var(sizeValue{&o.MaxBody}, "max-body", "the most of a response body kept in memory, for --parser and -p (4MiB, 512KiB, bytes); every body is read to its end and counted, the rest discarded")
	f.siege.register(fs, o)
	f.perf.register(fs)
	registerStages(fs, o)
	f.shard.register(fs)
	f.failOn.register(fs)
	fs.Var(pinList{&o.Pins}, "resolve", "HOST:PORT:ADDR[,ADDR...]: connect to these addresses for HOST:PORT instead of asking DNS, as curl's --resolve (repeatable); Host and TLS name stay HOST")
	f.crawl.register(fs, true)
	fs.BoolVar(&f.parser, "parser", false, "siege's HTML parser: fetch each HTML page's images, stylesheets and scripts (same origin) as the same user")
	f.alarm.register(fs)
	f.aws.register(fs)
}
