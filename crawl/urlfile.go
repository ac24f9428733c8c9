package crawl

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/loadgen/loadgen/internal/weburl"
)

// PasswordVar is the URL-file variable that stands for the password of
// URLs in a file written by WriteURLFile: the password itself is never
// written.
const PasswordVar = "LOADGEN_PASSWORD"

// WriteURLFile writes r as a siege URL file: comment lines starting with
// "# crawled from START at RFC3339 (N URLs, depth D)", then (when there is
// something to say) "# skipped: reason=count, ..." and "# truncated: ...",
// then one URL per line. "$(" and "${" in a URL are written as "%24(" and
// "%24{" so that URL-file variable expansion leaves them alone. The
// password of a URL (http://user:password@host/) is never written: the
// header shows it as xxxxx and the URLs as $(LOADGEN_PASSWORD), which the
// user sets in the environment (or in a line of the file) to load them.
func (r Result) WriteURLFile(w io.Writer, when time.Time) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# crawled from %s at %s (%d URLs, depth %d)\n",
		weburl.RedactText(oneLine(r.Start)), when.Format(time.RFC3339), len(r.URLs), r.Depth)
	if weburl.RedactText(r.Start) != r.Start {
		fmt.Fprintf(bw, "# the password is not written: set %s in the environment (or add a line %s=... here) to use this file\n", PasswordVar, PasswordVar)
	}
	if len(r.Skipped) > 0 {
		keys := make([]string, 0, len(r.Skipped))
		for k := range r.Skipped {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s=%d", oneLine(k), r.Skipped[k])
		}
		fmt.Fprintf(bw, "# skipped: %s\n", strings.Join(parts, ", "))
	}
	if r.Truncated {
		fmt.Fprintf(bw, "# truncated: the crawl's time or URL limit cut it short\n")
	}
	noVars := strings.NewReplacer("$(", "%24(", "${", "%24{")
	for _, u := range r.URLs {
		u = weburl.ReplacePassword(noVars.Replace(oneLine(u)), "$("+PasswordVar+")")
		bw.WriteString(u)
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write URL file: %w", err)
	}
	return nil
}

// oneLine keeps a value one field on one line (URLs from Site never contain
// whitespace; this guards hand-made Results).
func oneLine(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	return strings.NewReplacer(" ", "%20", "\t", "%09", "\r", "%0D", "\n", "%0A").Replace(s)
}
