package workshop

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestSelectSteps(t *testing.T) {
	got, err := SelectSteps(Steps(), []string{"alarm", "5,cluster"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got {
		names = append(names, s.Name)
	}
	if strings.Join(names, " ") != "cluster insights alarm" {
		t.Errorf("selected %v, want the chapter's order", names)
	}
	if _, err := SelectSteps(Steps(), []string{"insigths"}); err == nil || !strings.Contains(err.Error(), "credentials, roles, stacks") {
		t.Errorf("unknown step: %v", err)
	}
	if _, err := SelectSteps(CleanupSteps(), []string{"queries"}); err == nil {
		t.Error("queries is not a cleanup step")
	}
	all, _ := SelectSteps(Steps(), nil)
	if len(all) != 11 {
		t.Errorf("%d steps", len(all))
	}
}

func TestReportText(t *testing.T) {
	rep := Report{Mode: "chapter", Region: "us-west-2", Account: "123456789012", Steps: []Result{
		{Number: 4, Step: "cluster", Status: Fail, Detail: "no cluster", Fix: []string{"deploy it", "then this"}},
		{Number: 5, Step: "insights", Status: Fail, Detail: "not checked without the cluster (step 4): no cluster", Fix: []string{"deploy it"}, BlockedBy: "cluster"},
		{Number: 6, Step: "cwagent", Status: NotApplicable, Detail: "Fargate only"},
		{Number: 11, Step: "queries", Status: Pass, Detail: "rows", Output: []string{"> stats", "  #  A"}},
	}}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `Checking the Container Insights chapter in region us-west-2, account 123456789012:
✗  4 cluster  no cluster
              fix: deploy it
                   then this
✗  5 insights not checked without the cluster (step 4): no cluster
              fix: see cluster above
–  6 cwagent  Fargate only
✓ 11 queries  rows
              > stats
                #  A
1 of 4 steps pass, 2 fail, 1 does not apply.
`
	if b.String() != want {
		t.Errorf("text:\n%s\nwant:\n%s", b.String(), want)
	}

	// Alone, a blocked step shows the fix of the step that blocks it.
	rep.Steps = rep.Steps[1:2]
	b.Reset()
	_ = rep.WriteText(&b)
	if !strings.Contains(b.String(), "fix: deploy it") || !strings.HasSuffix(b.String(), "0 of 1 step pass, 1 fails.\n") {
		t.Errorf("text:\n%s", b.String())
	}

	rep.Steps = []Result{{Number: 1, Step: "credentials", Status: Pass, Detail: "ok"}}
	b.Reset()
	_ = rep.WriteText(&b)
	if !strings.HasSuffix(b.String(), "1 of 1 step pass: done.\n") {
		t.Errorf("text:\n%s", b.String())
	}
}

func TestReportJSON(t *testing.T) {
	rep := Report{Schema: Schema, Mode: "cleanup", Steps: []Result{{Number: 2, Step: "insights-disabled", Status: NotApplicable, Detail: "x"}}}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"status": "not_applicable"`) || !strings.Contains(b.String(), `"schema": "loadgen.check/v1"`) {
		t.Errorf("json:\n%s", b.String())
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Steps[0].Status != NotApplicable {
		t.Errorf("round trip: %v %+v", err, back)
	}
	if err := json.Unmarshal([]byte(`{"steps":[{"status":"maybe"}]}`), &back); err == nil {
		t.Error("unknown status accepted")
	}
}

// FuzzSelectSteps: --step takes any text; it either names steps (returned
// once each, in the chapter's order) or is an error, never a panic.
func FuzzSelectSteps(f *testing.F) {
	for _, s := range []string{"alarm", "5,cluster", "1,1,11", " queries ", "", ",", "insights-disabled", "12", "-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, all := range [][]Step{Steps(), CleanupSteps()} {
			got, err := SelectSteps(all, []string{s})
			if err != nil {
				continue
			}
			last := 0
			for _, st := range got {
				if st.Number <= last {
					t.Fatalf("%q: steps out of order or repeated: %v", s, got)
				}
				last = st.Number
			}
			if len(got) == 0 {
				t.Fatalf("%q: no step and no error", s)
			}
		}
	})
}
