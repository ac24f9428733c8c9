package crawl

import (
	"bytes"
	"net/url"
	"slices"
	"testing"

	"github.com/loadgen/loadgen/internal/weburl"
	"golang.org/x/net/html"
)

var fuzzSeeds = []string{
	workshopPage,
	siegePage,
	everyTag,
	"",
	"<",
	"<img",
	"<img src=",
	`<img src="/a.png`,
	"<img src=/a.png>",
	"<IMG SRC=/A.PNG/>",
	"<img src = '/a b.png' src=/dup.png>",
	"<img =src=/x src=/y>",
	"<img/src=/slash.png>",
	"<img src=/a&amp;b.png><img src=\"/c\r\nd\">",
	"<img src=\x00/nul>",
	"<base href=//other.example/><img src=x>",
	"<base href=http://[::1]:99/><img src=x>",
	`<meta http-equiv=refresh content="0;url='//evil.example/'">`,
	`<link rel=stylesheet href="/s.css"><link rel="alternate stylesheet" href=/a.css>`,
	`<img srcset="a 1x, b 2x,,, (c,d) e">`,
	`<body background=/bg.png><script src=/s.js></script><script>"<img src=/no>"</script>`,
	"\xff\xfe<\x00i\x00m\x00g\x00>",
	"<!-- <img src=/comment.png> --><![CDATA[<img src=/cdata.png>]]><img src=/after.png>",
	"<a href=/%zz><a href='/ok?q=%41'><a href=http://h:99999/>",
	"<textarea><img src=/in-textarea></textarea><title><img src=/t></title>",
	"<img src=/./a><img src=/../b><img src=/c/.><img src=/d/..?e>",
}

func fuzzBase(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), "http://example.com/dir/page.html")
	}
	f.Add([]byte("<img src=x>"), "https://Example.COM:443")
	f.Add([]byte("<img src=x>"), "http://[::1]:8080/a/")
	f.Add([]byte("<img src=x>"), "mailto:x@y")
}

// FuzzLinks checks that Links never panics and returns only absolute,
// normalised http(s) URLs without fragments.
func FuzzLinks(f *testing.F) {
	fuzzBase(f)
	f.Fuzz(func(t *testing.T, body []byte, base string) {
		b, err := url.Parse(base)
		if err != nil {
			return
		}
		got := Links(body, b)
		seen := map[string]bool{}
		for _, u := range got {
			if !u.IsAbs() || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
				t.Fatalf("not an absolute http(s) URL: %q", u)
			}
			if u.Fragment != "" {
				t.Fatalf("fragment kept: %q", u)
			}
			s := u.String()
			if seen[s] {
				t.Fatalf("duplicate %q", s)
			}
			seen[s] = true
			if _, err := url.Parse(s); err != nil {
				t.Fatalf("result %q does not reparse: %v", s, err)
			}
		}
	})
}

// FuzzAssets checks that Assets never panics, returns absolute same-origin
// URLs only, and that its allocation-saving paths (raw attribute splitting,
// plain-path resolution) give exactly what the tokenizer's TagAttr and
// net/url give.
func FuzzAssets(f *testing.F) {
	fuzzBase(f)
	f.Fuzz(func(t *testing.T, body []byte, base string) {
		b, err := url.Parse(base)
		if err != nil {
			return
		}
		got := Assets(nil, body, b, nil)
		for _, s := range got {
			u, err := url.Parse(s)
			if err != nil {
				t.Fatalf("result %q does not parse: %v", s, err)
			}
			if !u.IsAbs() || u.Host == "" {
				t.Fatalf("not absolute: %q", s)
			}
			if !SameOrigin(u, b, nil) {
				t.Fatalf("%q is not same-origin with %q", s, base)
			}
		}
		if slow := assets(nil, body, b, nil, false); !slices.Equal(got, slow) {
			t.Fatalf("fast paths differ from the general path:\nfast %q\nslow %q", got, slow)
		}
	})
}

// FuzzRawAttrs checks the tokenizer-free attribute splitter against the
// tokenizer's own TagAttr on every start tag it applies to: same names
// (lower-cased, first occurrence wins), same values, same order.
func FuzzRawAttrs(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		z := html.NewTokenizer(bytes.NewReader(body))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			raw := z.Raw()
			if bytes.ContainsAny(raw, "&\r\x00") {
				continue // read uses TagAttr for these
			}
			var fast []string
			names := map[string]bool{}
			rawAttrs(raw, func(k, v []byte) {
				key := weburl.LowerASCII(string(k))
				if !names[key] {
					names[key] = true
					fast = append(fast, key+"="+string(v))
				}
			})
			var slow []string
			for more := true; more; {
				var k, v []byte
				k, v, more = z.TagAttr()
				if k == nil {
					break
				}
				slow = append(slow, string(k)+"="+string(v))
			}
			if !slices.Equal(fast, slow) {
				t.Fatalf("tag %q: raw split %q, tokenizer %q", raw, fast, slow)
			}
		}
	})
}
