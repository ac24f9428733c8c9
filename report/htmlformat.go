package report

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/loadgen/loadgen/loadgen"
)

func nan() float64 { return math.NaN() }

// formatInt writes n with thousands separators: 1,234,567.
func formatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatFixed writes v with the given decimals and thousands separators.
func formatFixed(v float64, places int) string {
	if !finite(v) {
		return "–"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', places, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	out := formatInt(n)
	if frac != "" {
		out += "." + frac
	}
	if v < 0 && strings.Trim(s, "0.") != "" {
		out = "-" + out
	}
	return out
}

// formatFloat writes v in its shortest form.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func formatSeconds(s float64) string {
	return (time.Duration(s * float64(time.Second))).Round(time.Millisecond).String()
}

// clockUTC renders an RFC 3339 time for the page: the script shows it in
// the viewer's time zone; without it, UTC stays.
func clockUTC(rfc string) string {
	t, err := time.Parse(time.RFC3339Nano, rfc)
	if err != nil {
		return rfc
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// countRow is one row of the status code or error class tables.
type countRow struct {
	Name   string
	Class  string // status class (2xx) or "error"
	Count  int64
	Sample string // the first error message of an error class
}

func statusRows(rp *Report) []countRow {
	var rows []countRow
	for _, code := range sortedKeys(rp.Status) {
		class := "other"
		if len(code) == 3 {
			class = code[:1] + "xx"
		}
		rows = append(rows, countRow{Name: code, Class: class, Count: rp.Status[code]})
	}
	return rows
}

func errorRows(rp *Report) []countRow {
	var rows []countRow
	for _, c := range loadgen.ErrorClasses() {
		k := c.String()
		if rp.Errors[k] > 0 {
			rows = append(rows, countRow{Name: k, Class: "error", Count: rp.Errors[k], Sample: RedactURLs(rp.ErrorSamples[k])})
		}
	}
	return rows
}

// errorNames lists every error class, as the engine defines them.
func errorNames() string { return strings.Join(errorClassNames(), ", ") }

// errorClassNames are the socket-error classes in the reports' order.
func errorClassNames() []string {
	var names []string
	for _, c := range loadgen.ErrorClasses() {
		names = append(names, c.String())
	}
	return names
}

// share is n as a percentage of total for a table: "<0.1" when it is not
// zero but rounds to it.
func share(n, total int64) string {
	if n <= 0 || total <= 0 {
		return "0"
	}
	v := 100 * float64(n) / float64(total)
	if v < 0.05 {
		return "<0.1"
	}
	return formatFixed(v, 1)
}
