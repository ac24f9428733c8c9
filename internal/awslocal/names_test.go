package awslocal

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
)

// TestNameRulesMatchAWSPatterns: each name rule accepts exactly what AWS's
// documented bounded pattern accepts, at the length limits and around them.
func TestNameRulesMatchAWSPatterns(t *testing.T) {
	for _, c := range []struct {
		rule    name
		pattern string
		alpha   string
	}{
		{stackNameRule, `^[a-zA-Z][-a-zA-Z0-9]{0,127}$`, "aZ9-_"},
		{clusterNameRule, `^[a-zA-Z0-9_-]{1,255}$`, "a9_-:"},
		{startedByRule, `^[A-Za-z0-9_/-]{1,128}$`, "a/_ "},
		{clientTokenRule, `^[\x21-\x7e]{1,64}$`, "a~ é"},
		{roleNameRule, `^[\w+=,.@-]{1,64}$`, "a+=,.@-/"},
		{logGroupNameRule, `^[.\-_/#A-Za-z0-9]{1,512}$`, "a/#.:"},
		{logStreamNameRule, `^[^:*]{1,512}$`, "aé:*"},
		{queryIDRule, `^[a-z][a-zA-Z0-9_]{0,254}$`, "aZ_9-"},
		{topicNameRule, `^[A-Za-z0-9_-]{1,256}$`, "aZ_-."},
	} {
		want := regexp.MustCompile(c.pattern)
		rng := rand.New(rand.NewSource(1))
		alpha := []rune(c.alpha)
		for _, n := range []int{0, 1, 2, c.rule.max - 1, c.rule.max, c.rule.max + 1, 2 * c.rule.max} {
			for range 50 {
				var b strings.Builder
				for range n {
					// Mostly the first (allowed) character, so that long valid names occur.
					if rng.Intn(n+1) == 0 {
						b.WriteRune(alpha[rng.Intn(len(alpha))])
					} else {
						b.WriteRune(alpha[0])
					}
				}
				s := b.String()
				if got := c.rule.ok(s); got != want.MatchString(s) {
					t.Fatalf("%s: %q (%d chars): rule says %v, pattern %v", c.pattern, s, n, got, !got)
				}
			}
		}
	}
}
