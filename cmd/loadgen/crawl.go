package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/loadgen/loadgen/crawl"
	"github.com/loadgen/loadgen/internal/weburl"
	"github.com/loadgen/loadgen/loadgen"
	"github.com/loadgen/loadgen/report"
)

// crawlFlags bound the discovery of a site's pages and assets.
type crawlFlags struct {
	depth   int
	max     int
	timeout time.Duration
	allow   []string
	noCrawl bool
	noParse bool
}

func (c *crawlFlags) register(fs *pflag.FlagSet, forRun bool) {
	fs.IntVar(&c.depth, "crawl-depth", crawl.DefaultDepth, "crawl: link depth from the start page")
	fs.IntVar(&c.max, "crawl-max", crawl.DefaultMaxURLs, "crawl: at most this many URLs")
	fs.DurationVar(&c.timeout, "crawl-timeout", crawl.DefaultTimeout, "crawl: overall time limit")
	fs.StringArrayVar(&c.allow, "crawl-allow", nil, "crawl: also allow this host (host or host:port; repeatable); by default only the start URL's origin")
	if forRun {
		fs.BoolVar(&c.noCrawl, "no-crawl", false, "with -i and one URL, do not crawl: load that URL only")
		fs.BoolVarP(&c.noParse, "no-parser", "N", false, "disable the HTML parser (siegerc parser = true)")
	}
}

func (c *crawlFlags) options(o *loadgen.Options) crawl.Options {
	h := http.Header{}
	for _, x := range o.Headers {
		h.Add(x.Name, x.Value)
	}
	return crawl.Options{
		Depth: c.depth, MaxURLs: c.max, Timeout: c.timeout, Allow: c.allow,
		Header: h, UserAgent: o.UserAgent, Insecure: o.Insecure,
	}
}

// parserFunc is siege's parser on top of crawl.Assets, limited to the
// page's origin and the allowed hosts, without siege's nofollow hosts.
func parserFunc(allow, nofollow []string) loadgen.ParserFunc {
	return func(dst []string, body []byte, page *url.URL) []string {
		n := len(dst)
		dst = crawl.Assets(dst, body, page, allow)
		return append(dst[:n], nofollowFilter(dst[n:], nofollow)...)
	}
}

// discover crawls the single start URL for internet mode. On failure, or
// when only the start page is found, the run goes on with the start URL and
// says why.
func (a *app) discover(ctx context.Context, s *settings, c *crawlFlags, start loadgen.Target) []loadgen.Target {
	say := func(format string, args ...any) {
		if !s.quiet {
			fmt.Fprintf(a.stderr, format+"\n", args...)
		}
	}
	if start.Method != "GET" {
		return []loadgen.Target{start}
	}
	res, err := crawl.Site(ctx, start.URL, c.options(&s.opts))
	if err != nil {
		say("crawl of %s failed (%s); loading the start URL only", weburl.RedactText(start.URL), weburl.RedactText(err.Error()))
		return []loadgen.Target{start}
	}
	if len(res.URLs) <= 1 {
		why := "it links to nothing on its origin"
		if len(res.Errors) > 0 {
			why = res.Errors[0]
		} else if n := res.Skipped[crawl.SkipCrossOrigin]; n > 0 {
			why = fmt.Sprintf("its %d links lead to other hosts (allow them with --crawl-allow)", n)
		}
		say("crawl found only %s (%s); loading the start URL only", weburl.RedactText(start.URL), weburl.RedactText(why))
		return []loadgen.Target{start}
	}
	out := make([]loadgen.Target, 0, len(res.URLs))
	for _, u := range res.URLs {
		out = append(out, loadgen.Target{Method: "GET", URL: u})
	}
	note := ""
	if res.Truncated {
		note = ", cut short by the crawl limits"
	}
	say("crawled %d URLs from %s (depth %d%s)", len(res.URLs), weburl.RedactText(start.URL), res.Depth, note)
	return out
}

func (a *app) crawlCommand() *cobra.Command {
	c := &crawlFlags{}
	var headers []string
	var userAgent, output string
	var insecure bool
	cmd := &cobra.Command{
		Use:   "crawl URL",
		Short: "discover a site's same-origin pages and assets; print them as a URL file for -f",
		Long: `crawl walks a site breadth-first from URL and prints what it found as a siege URL
file, to save, edit and reuse with 'loadgen -f FILE'. It never leaves URL's origin
(scheme, host and port) unless --crawl-allow names another host.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			start, err := loadgen.NormalizeURL(args[0])
			if err != nil {
				return usageErr("URL: %v", err)
			}
			o := loadgen.Options{UserAgent: userAgent, Insecure: insecure}
			if o.Headers, err = parseHeaders(headers); err != nil {
				return err
			}
			res, err := crawl.Site(cmd.Context(), start, c.options(&o))
			if err != nil {
				return setupErr(fmt.Errorf("crawl %s: %w", start, err))
			}
			for _, e := range res.Errors {
				fmt.Fprintf(a.stderr, "crawl: %s\n", weburl.RedactText(e))
			}
			if output == "" || output == "-" {
				return res.WriteURLFile(a.stdout, time.Now())
			}
			err = report.WriteFileAtomic(output, func(w io.Writer) error { return res.WriteURLFile(w, time.Now()) })
			if err != nil {
				return setupErr(fmt.Errorf("write %s: %w", output, err))
			}
			fmt.Fprintf(a.stderr, "crawled %d URLs from %s (depth %d) into %s\n", len(res.URLs), weburl.RedactText(start), res.Depth, output)
			return nil
		},
	}
	fs := cmd.Flags()
	c.register(fs, false)
	fs.StringArrayVarP(&headers, "header", "H", nil, `extra header "Name: value" (repeatable)`)
	fs.StringVarP(&userAgent, "user-agent", "A", "", "User-Agent header")
	fs.BoolVar(&insecure, "insecure", false, "skip TLS certificate verification")
	fs.StringVarP(&output, "output", "o", "", "write the URL file here instead of stdout")
	return cmd
}
