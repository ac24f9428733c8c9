package awslocal

import (
	"regexp"
	"unicode/utf8"
)

// name is an AWS name rule: a pattern of allowed characters and a length
// limit in characters. The limit is checked apart from the pattern because
// a bounded repetition such as `[a-z]{1,512}` compiles into one instruction
// per repeat: the package's dozen name patterns written that way cost
// ≈ 2 MB and several ms in the package initialiser of every binary that
// links this package (loadgen itself, for `loadgen demo`).
type name struct {
	re  *regexp.Regexp // the characters, anchored, with + or *
	max int            // at most this many characters
}

func (n name) ok(s string) bool {
	return utf8.RuneCountInString(s) <= n.max && n.re.MatchString(s)
}

func newName(pattern string, max int) name {
	return name{re: regexp.MustCompile(pattern), max: max}
}
