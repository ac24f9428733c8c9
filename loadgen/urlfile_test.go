package loadgen

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseTargetSyntax(t *testing.T) {
	cases := []struct {
		in, url, method, body string
	}{
		{"example.com", "http://example.com/", "GET", ""},
		{"example.com:8080/a/b?c=d", "http://example.com:8080/a/b?c=d", "GET", ""},
		{"https://user:pa%20ss@example.com/x", "https://user:pa%20ss@example.com/x", "GET", ""},
		{"http://127.0.0.1:9/p POST a=b&c=d", "http://127.0.0.1:9/p", "POST", "a=b&c=d"},
		{"http://h/p put x y z", "http://h/p", "PUT", "x y z"},
		{"http://h/p DELETE", "http://h/p", "DELETE", ""},
		{"http://h/#frag", "http://h/", "GET", ""},
		{"http://[::1]:8080/", "http://[::1]:8080/", "GET", ""},
		{"http://h/j POST -T application/json; {\"a\": 1}", "http://h/j", "POST", `{"a": 1}`},
		{"http://h/j PUT -T text/plain;x", "http://h/j", "PUT", "x"},
		{"http://h/j POST -Tx", "http://h/j", "POST", "-Tx"},
	}
	for _, c := range cases {
		got, err := ParseTarget(c.in, "")
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if got.URL != c.url || got.Method != c.method || string(got.Body) != c.body {
			t.Fatalf("%q: got %+v", c.in, got)
		}
	}
	for in, ct := range map[string]string{"http://h/j POST -T application/json; {}": "application/json", "http://h/j DELETE -T a/b": "a/b", "http://h/j POST a=b": ""} {
		got, err := ParseTarget(in, "")
		if err != nil || got.ContentType != ct {
			t.Fatalf("%q: content type %q (%v), want %q", in, got.ContentType, err, ct)
		}
		if again, err := ParseTarget(got.String(), ""); err != nil || again.ContentType != ct || string(again.Body) != string(got.Body) {
			t.Fatalf("%q does not round-trip through %q", in, got.String())
		}
	}
	for _, bad := range []string{"", "ftp://x/", "http://", "http://h:99999/", "http://h/ FETCH", "http://h/ POST <", "http://h/ POST </no/such/file",
		"http://h/ POST -T", "http://h/ POST -T ; x"} {
		if _, err := ParseTarget(bad, ""); err == nil {
			t.Fatalf("%q accepted", bad)
		}
	}
}

func TestURLFileVariablesCommentsAndBodies(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "form.txt"), []byte("name=x&y=1"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "urls.txt")
	content := `# the workshop's site
HOST=127.0.0.1:8080
PROTO = http

$(PROTO)://$(HOST)/
${PROTO}://${HOST}/health
   # indented comment
http://$(HOST)/login POST <form.txt
http://$(HOST)/api POST {"a":1}
http://${SECRET_HOST}/env
http://$(HOST)/price\$5
`
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) (string, bool) {
		if k == "SECRET_HOST" {
			return "10.9.8.7", true
		}
		return "", false
	}
	f, _ := os.Open(file)
	defer f.Close()
	ts, err := ParseURLFile(f, file, env)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range ts {
		got = append(got, x.String())
	}
	want := []string{
		"http://127.0.0.1:8080/",
		"http://127.0.0.1:8080/health",
		"http://127.0.0.1:8080/login POST <form.txt",
		`http://127.0.0.1:8080/api POST {"a":1}`,
		"http://10.9.8.7/env",
		"http://127.0.0.1:8080/price$5",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if string(ts[2].Body) != "name=x&y=1" {
		t.Fatalf("body from file: %q", ts[2].Body)
	}
}

func TestURLFileErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ content, want string }{
		{"http://ok/\n\nftp://bad/\n", "urls.txt:3: invalid URL"},
		{"# c\nhttp://$(NOPE)/\n", `urls.txt:2: undefined variable "NOPE"`},
		{"http://ok/\nhttp://ok/ FETCH\n", `urls.txt:2: unknown method "FETCH"`},
		{"http://ok/ POST </missing.txt\n", "urls.txt:1: read body file"},
		{"A=$(B\n", "urls.txt:1: unclosed variable reference"},
		{"# only comments\n\n", "urls.txt: no URLs"},
	}
	for _, c := range cases {
		_, err := ParseURLFile(strings.NewReader(c.content), "urls.txt", nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%q: error %v, want %q", c.content, err, c.want)
		}
		var le *LineError
		if !strings.Contains(c.want, "no URLs") && !errors.As(err, &le) {
			t.Fatalf("%q: not a LineError", c.content)
		}
	}
}

func FuzzParseURLFile(f *testing.F) {
	f.Add("http://127.0.0.1/\nA=b\n$(A)/x POST a=b\n# c\n")
	f.Add("${X}\n")
	f.Add("h:1/ PUT x\n")
	f.Add("\\$(A)\n")
	f.Add("http://h/ POST -T application/json; {}\nhttp://h/ PUT -T a;\n")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "<") {
			t.Skip("body files would read arbitrary paths such as /dev/zero")
		}
		ts, err := ParseURLFile(strings.NewReader(s), "f", nil)
		if err != nil {
			return
		}
		for _, x := range ts {
			if !strings.HasPrefix(x.URL, "http://") && !strings.HasPrefix(x.URL, "https://") {
				t.Fatalf("target %q is not absolute http(s)", x.URL)
			}
			if _, err := New([]Target{x}, opts(1, 1)); err != nil {
				t.Fatalf("parsed target %q rejected by New: %v", x.URL, err)
			}
			// Rendering a target in siege's syntax and reading it back gives it again.
			again, err := ParseTarget(x.String(), "")
			if err != nil || again.URL != x.URL || again.Method != x.Method || string(again.Body) != string(x.Body) || again.ContentType != x.ContentType {
				t.Fatalf("%+v renders as %q, which parses as %+v (%v)", x, x.String(), again, err)
			}
		}
	})
}

func TestURLFileLongLines(t *testing.T) {
	// A 1 MB inline body is a line like any other.
	body := strings.Repeat("a", 1<<20)
	ts, err := ParseURLFile(strings.NewReader("# big\nhttp://h/ POST "+body+"\nhttp://h/x\n"), "urls.txt", nil)
	if err != nil || len(ts) != 2 || string(ts[0].Body) != body || ts[1].URL != "http://h/x" {
		t.Fatalf("1 MB line: %v, %d targets", err, len(ts))
	}
	// Past the limit: file, line and the limit.
	_, err = ParseURLFile(strings.NewReader("http://h/\nhttp://h/ POST "+strings.Repeat("b", MaxURLFileLine)+"\n"), "urls.txt", nil)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 || !strings.Contains(err.Error(), "urls.txt:2: line longer than 16 MiB") {
		t.Fatalf("over the limit: %v", err)
	}
}
