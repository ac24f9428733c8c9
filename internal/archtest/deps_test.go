// Package archtest holds the test that keeps the module's dependency rules
// (README, Layout): a new import that breaks one fails `make test` with a
// sentence naming the rule.
package archtest

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/loadgen/loadgen/"

// rule forbids packages matching who from depending (directly or not) on
// packages matching what.
type rule struct {
	text string
	who  func(pkg string) bool
	what func(dep string) bool
}

func is(names ...string) func(string) bool {
	return func(p string) bool {
		for _, n := range names {
			if p == mod+n {
				return true
			}
		}
		return false
	}
}

func under(prefix string) func(string) bool {
	return func(p string) bool { return strings.HasPrefix(p, prefix) }
}

var rules = []rule{
	{"the engine, the crawler, the report and the comparison know nothing of AWS: loadgen, crawl, report and compare import no github.com/aws/... package",
		is("loadgen", "crawl", "report", "compare"), under("github.com/aws/")},
	{"the AWS side never imports the engine: verify, stackurl and workshop do not import loadgen (or report, which does)",
		is("verify", "stackurl", "workshop"), is("loadgen", "report")},
	{"the fleet's coordinator and its local backend know nothing of AWS (fleet/ecs does): fleet and fleet/local import no github.com/aws/... package",
		is("fleet", "fleet/local"), under("github.com/aws/")},
	{"the engine and the report know nothing of fleets: loadgen and report do not import fleet/...",
		is("loadgen", "report"), under(mod + "fleet")},
	{"verify and stackurl link only the AWS clients they call (CloudWatch, CloudFormation, and STS for credentials): ECS, IAM, CloudWatch Logs and SNS come from internal/awsclients, never through them",
		is("verify", "stackurl", "internal/awscfg"), func(d string) bool {
			for _, s := range []string{"ecs", "iam", "cloudwatchlogs", "sns"} {
				if d == "github.com/aws/aws-sdk-go-v2/service/"+s {
					return true
				}
			}
			return false
		}},
	{"nothing imports the command line: no package depends on cmd/...",
		func(p string) bool { return strings.HasPrefix(p, mod) }, under(mod + "cmd/")},
	{"the local AWS endpoint speaks the wire protocols itself: internal/awslocal imports no AWS SDK package but smithy-go's encodings",
		is("internal/awslocal"), func(d string) bool {
			return strings.HasPrefix(d, "github.com/aws/") && !strings.HasPrefix(d, "github.com/aws/smithy-go/encoding")
		}},
}

// TestDependencyRules checks every non-test package of the module against
// the rules, with `go list -deps`.
func TestDependencyRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, mod+"...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg, deps := f[0], f[1:]
		for _, r := range rules {
			if !r.who(pkg) {
				continue
			}
			seen++
			for _, d := range deps {
				if r.what(d) {
					t.Errorf("%s depends on %s, which breaks the rule: %s", strings.TrimPrefix(pkg, mod), d, r.text)
					break
				}
			}
		}
	}
	if seen < 6 {
		t.Fatalf("only %d package/rule pairs checked: the package list looks wrong:\n%s", seen, out)
	}
}
