package workshop

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText writes the report as `loadgen check` prints it: a heading, one
// line per step (✓, ✗ or –, number, name, detail), under any step its output,
// under a failed step the commands that fix it, and a last
// line that counts.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	what := "the Container Insights chapter"
	if r.Mode == "cleanup" {
		what = "the Container Insights chapter's clean-up"
	}
	fmt.Fprintf(&b, "Checking %s in region %s", what, orDash(r.Region))
	if r.Account != "" {
		fmt.Fprintf(&b, ", account %s", r.Account)
	}
	b.WriteString(":\n")
	width := 0
	for _, s := range r.Steps {
		width = max(width, len(s.Step))
	}
	shown := map[string]bool{}
	for _, s := range r.Steps {
		shown[s.Step] = true
	}
	// Under the detail: symbol, space, number (2), space, name, space.
	pad := strings.Repeat(" ", 1+1+2+1+width+1)
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%s %2d %-*s %s\n", s.Status.Symbol(), s.Number, width, s.Step, s.Detail)
		for _, o := range s.Output {
			fmt.Fprintf(&b, "%s%s\n", pad, o)
		}
		if s.Status != Fail {
			continue
		}
		if s.BlockedBy != "" && shown[s.BlockedBy] {
			fmt.Fprintf(&b, "%sfix: see %s above\n", pad, s.BlockedBy)
			continue
		}
		for i, f := range s.Fix {
			label := "fix: "
			if i > 0 {
				label = "     "
			}
			fmt.Fprintf(&b, "%s%s%s\n", pad, label, f)
		}
	}
	b.WriteString(r.summary())
	_, err := io.WriteString(w, b.String())
	return err
}

// summary is the last line: how many steps pass, fail and do not apply.
func (r Report) summary() string {
	if r.SetupError != "" {
		return "Nothing else can be checked until the credentials work.\n"
	}
	pass, fail, na := r.Counts()
	n := len(r.Steps)
	s := fmt.Sprintf("%d of %d %s pass", pass, n, plural(n, "step", "steps"))
	if fail > 0 {
		s += fmt.Sprintf(", %d %s", fail, plural(fail, "fails", "fail"))
	}
	if na > 0 {
		s += fmt.Sprintf(", %d %s not apply", na, plural(na, "does", "do"))
	}
	if fail == 0 {
		s += ": done"
	}
	return s + ".\n"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteJSON writes the report as indented JSON (schema loadgen.check/v1).
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
