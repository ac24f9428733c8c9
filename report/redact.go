package report

import (
	"strings"

	"github.com/loadgen/loadgen/internal/weburl"
)

// Redacted replaces what the HTML report must not show: header values and
// the passwords of URLs.
const Redacted = weburl.Mask

// RedactURLs replaces the password of every URL in s with xxxxx, as
// url.URL.Redacted does (user:pass@ becomes user:xxxxx@): it is
// weburl.RedactText, the one redaction every output of loadgen uses.
func RedactURLs(s string) string { return weburl.RedactText(s) }

// shortWithValue are the run's one-letter flags that take a value (so in
// a cluster like -qH the rest of the argument, or the next one, is the
// value); -H is the header. Not -l: its value is optional and only
// attached (-l=FILE), so in -lH the H is the header flag.
const shortWithValue = "crtdfHATmRo"

// RedactArgs returns a command line fit to show: the values of -H/--header
// become xxxxx (the header's name stays), and URL passwords are redacted.
func RedactArgs(args []string) []string {
	out := make([]string, len(args))
	header := false // the previous argument was -H or --header
	positional := false
	for i, a := range args {
		switch {
		case header:
			out[i], header = redactHeader(a), false
		case positional || a == "-" || !strings.HasPrefix(a, "-"):
			out[i] = RedactURLs(a)
		case a == "--":
			out[i], positional = a, true
		case strings.HasPrefix(a, "--"):
			name, value, hasValue := strings.Cut(a[2:], "=")
			switch {
			case name != "header":
				out[i] = RedactURLs(a)
			case hasValue:
				out[i] = "--header=" + redactHeader(value)
			default:
				out[i], header = a, true
			}
		default:
			out[i], header = redactShort(a)
		}
	}
	return out
}

// redactShort redacts a cluster of one-letter flags such as -qH or -HName:v.
func redactShort(a string) (string, bool) {
	for j := 1; j < len(a); j++ {
		c := a[j]
		if !strings.ContainsRune(shortWithValue, rune(c)) {
			continue
		}
		if c != 'H' {
			return RedactURLs(a), false // the rest is another flag's value
		}
		if j+1 == len(a) {
			return a, true // the value is the next argument
		}
		rest := strings.TrimPrefix(a[j+1:], "=")
		return a[:len(a)-len(rest)] + redactHeader(rest), false
	}
	return RedactURLs(a), false
}

// redactHeader keeps a header's name and hides its value.
func redactHeader(h string) string {
	name, _, ok := strings.Cut(h, ":")
	if !ok {
		return Redacted
	}
	return name + ": " + Redacted
}

// shellQuote joins args for display as one shell command line.
func shellQuote(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-") == "" {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}
