package browsertest

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// Checks of loadgen's HTML report (report.Page) open in the browser.

const chartsJS = `[...document.querySelectorAll("[data-chart]")].map(el => {
  const c = el.querySelector("canvas");
  if (!c) return {name: el.dataset.chart, canvas: false};
  const r = c.getBoundingClientRect(), px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let painted = 0;
  for (let i = 3; i < px.length; i += 4) if (px[i]) painted++;
  return {name: el.dataset.chart, canvas: true, w: r.width, h: r.height, painted};
})`

// CheckCharts asserts that exactly the named charts exist, in this order,
// each drawn on a canvas of non-zero size, and that the page logged no
// error or warning, threw nothing and requested nothing.
func CheckCharts(t *testing.T, pg *Page, want ...string) {
	t.Helper()
	charts := Eval[[]map[string]any](t, pg, chartsJS)
	var names []string
	for _, c := range charts {
		names = append(names, c["name"].(string))
		w, _ := c["w"].(float64)
		h, _ := c["h"].(float64)
		painted, _ := c["painted"].(float64)
		if c["canvas"] != true || w < 300 || h < 100 || painted < 1000 {
			t.Errorf("chart %v: %v", c["name"], c)
		}
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("charts %v, want %v", names, want)
	}
	if n := Eval[float64](t, pg, "window.loadgenReport.charts"); int(n) != len(want) {
		t.Errorf("the script made %v charts, want %d", n, len(want))
	}
	if probs := pg.Problems(); len(probs) > 0 {
		t.Errorf("the page logged: %v", probs)
	}
}

// CheckNumbers asserts that the page's tables (summary, latency, status
// codes, socket errors) show the numbers of the JSON report reportJSON.
func CheckNumbers(t *testing.T, pg *Page, reportJSON []byte) {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal(reportJSON, &want); err != nil {
		t.Fatal(err)
	}
	cells := Eval[[][]string](t, pg, `[
	  ...[...document.querySelectorAll("#summary-table tr[data-key]")].map(r => [r.dataset.key, "", r.dataset.scale || "1", r.querySelector("td.num").textContent]),
	  ...[...document.querySelectorAll("#latency-table tr[data-key] td[data-key]")].map(c => [c.parentElement.dataset.key, c.dataset.key, "1", c.textContent]),
	  ...[...document.querySelectorAll("#status-table tr[data-key]")].map(r => ["status", r.dataset.key, "1", r.querySelector("td.num").textContent]),
	  ...[...document.querySelectorAll("#error-table tr[data-key]")].map(r => ["errors", r.dataset.key, "1", r.querySelector("td.num").textContent]),
	]`)
	seen := map[string]bool{}
	for _, c := range cells {
		shown, err := strconv.ParseFloat(strings.ReplaceAll(c[3], ",", ""), 64)
		scale, _ := strconv.ParseFloat(c[2], 64)
		v := want[c[0]]
		if c[1] != "" {
			m, _ := v.(map[string]any)
			v = m[c[1]]
		}
		f, ok := v.(float64)
		if err != nil || !ok || math.Abs(shown*scale-f) > 1e-9*math.Max(1, math.Abs(f)) {
			t.Errorf("%s %s: the page shows %q, the JSON report has %v", c[0], c[1], c[3], v)
		}
		seen[c[0]] = true
	}
	for _, k := range []string{"transactions", "availability", "elapsed_time", "response_time", "transaction_rate", "http_errors", "latency_ms"} {
		if !seen[k] {
			t.Errorf("the page shows no %s", k)
		}
	}
	if tx, _ := want["transactions"].(float64); tx > 0 && !seen["status"] {
		t.Error("the page shows no status codes")
	}
}
