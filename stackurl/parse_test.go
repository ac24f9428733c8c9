package stackurl

import (
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	arn := "arn:aws:cloudformation:us-east-1:123456789012:stack/ecsworkshop-frontend/0a1b2c3d-1111-2222-3333-444455556666"
	tests := []struct {
		in   string
		want Source
	}{
		{"container-demo-alb", Source{Stack: "container-demo-alb"}},
		{"container-demo-alb:ExternalUrl", Source{Stack: "container-demo-alb", Key: "ExternalUrl"}},
		{"ecsworkshop-frontend:~FrontendFargateLBServiceServiceURL", Source{Stack: "ecsworkshop-frontend", Key: "FrontendFargateLBServiceServiceURL", Contains: true}},
		{"  s1:Key:with:colons ", Source{Stack: "s1", Key: "Key:with:colons"}},
		{"s1:~~x", Source{Stack: "s1", Key: "~x", Contains: true}},
		{arn, Source{Stack: arn}},
		{arn + ":ExternalUrl", Source{Stack: arn, Key: "ExternalUrl"}},
		{arn + ":~URL", Source{Stack: arn, Key: "URL", Contains: true}},
	}
	for _, tt := range tests {
		got, err := ParseSource(tt.in)
		if err != nil {
			t.Errorf("ParseSource(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSource(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if back, err := ParseSource(got.String()); err != nil || back != got {
			t.Errorf("ParseSource(%q.String()=%q) = %+v, %v; want %+v", tt.in, got.String(), back, err, got)
		}
	}
	for _, bad := range []string{"", "  ", ":Key", "1stack", "my_stack", "s:", "s:~", "s: padded", "arn:aws:cloudformation", "arn:aws:cloudformation:us-east-1:1:stack/", strings.Repeat("a", 129)} {
		if got, err := ParseSource(bad); err == nil {
			t.Errorf("ParseSource(%q) = %+v, want an error", bad, got)
		}
	}
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"container-demo-alb", "a:b", "a:~b", "a:b:c", "arn:aws:cloudformation:r:1:stack/n/id:K", "x:~", ":", "~", "a:~~"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src, err := ParseSource(s)
		if err != nil {
			return
		}
		if src.Stack == "" {
			t.Fatalf("ParseSource(%q) gave an empty stack", s)
		}
		if src.Contains && src.Key == "" {
			t.Fatalf("ParseSource(%q) gave Contains with an empty key", s)
		}
		back, err := ParseSource(src.String())
		if err != nil || back != src {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v, %v", s, src, src.String(), back, err)
		}
	})
}

func TestNormalizeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		// One canonical form (internal/weburl), the same as the engine's
		// targets and the crawler's: "/" for an empty path, lower-case host.
		{"http://ecswor-Front-1.us-east-1.elb.amazonaws.com", "http://ecswor-front-1.us-east-1.elb.amazonaws.com/"},
		{"http://ecswor-Front-1.us-east-1.elb.amazonaws.com/", "http://ecswor-front-1.us-east-1.elb.amazonaws.com/"},
		{"ecswor-Front-1.us-east-1.elb.amazonaws.com", "http://ecswor-front-1.us-east-1.elb.amazonaws.com/"},
		{" ecswor-Front-1.us-east-1.elb.amazonaws.com/ \n", "http://ecswor-front-1.us-east-1.elb.amazonaws.com/"},
		{"HTTPS://example.com:8443/app/", "https://example.com:8443/app/"},
		{"127.0.0.1:8080", "http://127.0.0.1:8080/"},
		{"http://[::1]:80/", "http://[::1]/"},
		{"http://h/?q=1", "http://h/?q=1"},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "   ", "ftp://h", "http://", "http://user:pw@h", "http://a b", "arn:aws:x"} {
		if got, err := NormalizeURL(bad); err == nil {
			t.Errorf("NormalizeURL(%q) = %q, want an error", bad, got)
		}
	}
}

func FuzzNormalizeURL(f *testing.F) {
	for _, s := range []string{"h.example", "http://h/", "https://h:1/p?q#f", "ftp://x", "http://[::1]/", "http://%zz", "a b", "//h", "http://h/%2F/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := NormalizeURL(s)
		if err != nil {
			return
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			t.Fatalf("NormalizeURL(%q) = %q: no http(s) scheme", s, u)
		}
		again, err := NormalizeURL(u)
		if err != nil || again != u {
			t.Fatalf("NormalizeURL not idempotent: %q -> %q -> %q, %v", s, u, again, err)
		}
	})
}
