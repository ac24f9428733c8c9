package weburl

// This file: hiding the passwords of URLs in what loadgen prints or writes:
// "http://user:secret@host/" becomes "http://user:xxxxx@host/", as
// url.URL.Redacted does. Only the requests themselves carry the password.

import "strings"

// Mask stands for a password in what loadgen prints or writes.
const Mask = "xxxxx"

// RedactText returns s with the password of every URL in it (anything after
// "scheme://") replaced by Mask. It works on whole messages ("invalid URL
// \"http://u:p@h:0/\": ...", siege URL-file lines) and on URLs that do
// not parse, which are the ones error messages quote.
func RedactText(s string) string { return ReplacePassword(s, Mask) }

// ReplacePassword is RedactText with another stand-in for the passwords, such as a
// URL-file variable reference.
func ReplacePassword(s, mask string) string {
	if !strings.Contains(s, "://") || !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "://")
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		start := i + j + 3
		end := start
		for end < len(s) && !isDelim(s[end]) {
			end++
		}
		b.WriteString(s[i:start])
		b.WriteString(afterScheme(s[start:end], mask))
		i = end
	}
	return b.String()
}

// isDelim ends a URL inside a message: white space, quotes, angle brackets.
func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '"', '\'', '`', '<', '>':
		return true
	}
	return false
}

// afterScheme redacts the userinfo of what follows "scheme://". A
// well-formed authority ends at the first '/', '?' or '#'. When what comes
// before the first '/' is not a plain host[:port] (a password with a '/'
// in it, say), the userinfo is taken to end at the last '@' before '?' or
// '#', so that such a password is hidden too.
func afterScheme(t, mask string) string {
	lim := len(t)
	if k := strings.IndexAny(t, "?#"); k >= 0 {
		lim = k
	}
	if k := strings.IndexByte(t[:lim], '/'); k >= 0 && (strings.IndexByte(t[:k], '@') >= 0 || plainHost(t[:k])) {
		lim = k
	}
	at := strings.LastIndexByte(t[:lim], '@')
	if at < 0 {
		return t
	}
	colon := strings.IndexByte(t[:at], ':')
	if colon < 0 || t[colon+1:at] == mask {
		return t // a user name alone, or already redacted
	}
	return t[:colon+1] + mask + t[at:]
}

// plainHost reports whether s looks like host or host:port with a numeric
// port (or an IPv6 literal in brackets), so it holds no userinfo.
func plainHost(s string) bool {
	if strings.HasPrefix(s, "[") {
		k := strings.IndexByte(s, ']')
		return k >= 0 && (k == len(s)-1 || (s[k+1] == ':' && digits(s[k+2:])))
	}
	host, port, ok := strings.Cut(s, ":")
	return !strings.ContainsAny(host, "@") && (!ok || digits(port))
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
