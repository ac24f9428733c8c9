package crawl

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/loadgen/loadgen/internal/weburl"
	"golang.org/x/net/html"
)

// Links returns the URLs a crawler follows in an HTML document: a[href],
// area[href], img[src], img[srcset] and source[srcset] (each candidate),
// link[href] (except rel=preconnect/dns-prefetch, which name origins, not
// resources), script[src], source[src], iframe[src], frame[src], video[src],
// video[poster], audio[src], body[background] and
// <meta http-equiv=refresh content="N; url=...">. They are resolved against
// base (honouring the document's first <base href>), fragments dropped,
// de-duplicated, in document order. Only absolute http and https URLs are
// returned, so mailto:, javascript:, data:, tel: and empty values are skipped.
// Links does not filter by origin; see SameOrigin.
func Links(body []byte, base *url.URL) []*url.URL {
	page, ok := cleanBase(base)
	if !ok {
		return nil
	}
	rb := resolutionBase(body, page)
	var out []*url.URL
	seen := make(map[string]struct{})
	add := func(v []byte) {
		u, ok := resolve(v, rb)
		if !ok {
			return
		}
		k := u.String()
		if _, dup := seen[k]; dup {
			return
		}
		seen[k] = struct{}{}
		out = append(out, u)
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	var a attrs
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name := rawTagName(z.Raw())
		switch {
		case eqFold(name, "a"), eqFold(name, "area"):
			if a.read(z, true); a.has&hasHref != 0 {
				add(a.href)
			}
		case eqFold(name, "img"), eqFold(name, "source"):
			a.read(z, true)
			if a.has&hasSrc != 0 {
				add(a.src)
			}
			if a.has&hasSrcset != 0 {
				eachSrcset(a.srcset, add)
			}
		case eqFold(name, "script"), eqFold(name, "iframe"), eqFold(name, "frame"), eqFold(name, "audio"):
			if a.read(z, true); a.has&hasSrc != 0 {
				add(a.src)
			}
		case eqFold(name, "video"):
			a.read(z, true)
			if a.has&hasSrc != 0 {
				add(a.src)
			}
			if a.has&hasPoster != 0 {
				add(a.poster)
			}
		case eqFold(name, "body"):
			if a.read(z, true); a.has&hasBackground != 0 {
				add(a.background)
			}
		case eqFold(name, "link"):
			a.read(z, true)
			if a.has&hasHref != 0 && !relHas(a.rel, "preconnect") && !relHas(a.rel, "dns-prefetch") {
				add(a.href)
			}
		case eqFold(name, "meta"):
			a.read(z, true)
			if v, ok := a.refresh(); ok {
				add(v)
			}
		}
	}
}

// Assets returns what siege's parser fetches from a page: <img src> (not
// empty, not data:), <link rel=stylesheet href> (not alternate/next),
// <script src>, <body background>, and <meta http-equiv=refresh
// content="N; url=...">, resolved (honouring <base href>), de-duplicated per
// page, in document order, restricted to base's origin plus allow (see
// SameOrigin). It appends to dst and returns the extended slice; entries
// already in dst before the call do not take part in de-duplication.
// It uses the tokenizer only (no tree) and reads attributes from the raw tag
// bytes where it can, so it allocates little beyond the x/net tokenizer's
// own allocations (its buffers, two per attribute it scans) plus one string
// per URL found; a root-relative src such as the workshop's image is joined
// to the origin without going through net/url.
func Assets(dst []string, body []byte, base *url.URL, allow []string) []string {
	return assets(dst, body, base, allow, true)
}

// assets implements Assets; fast selects the allocation-free resolution of
// plain root-relative paths (tests compare it with the general path).
func assets(dst []string, body []byte, base *url.URL, allow []string, fast bool) []string {
	page, ok := cleanBase(base)
	if !ok {
		return dst
	}
	rb := resolutionBase(body, page)
	l := assetList{
		dst: dst, start: len(dst), page: page, rb: rb, allow: allow,
		fast:  fast && SameOrigin(rb, page, allow),
		plain: rb.User == nil && plainHost(rb.Host),
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	var a attrs
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return l.dst
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		if v, ok := siegeAsset(z, &a, fast); ok {
			l.add(v)
		}
	}
}

// siegeAsset returns the URL, as written, that siege fetches for the tag z
// is on, if any; a holds the tag's attributes afterwards.
func siegeAsset(z *html.Tokenizer, a *attrs, fast bool) ([]byte, bool) {
	name := rawTagName(z.Raw())
	switch {
	case eqFold(name, "img"):
		a.read(z, fast)
		return a.src, a.has&hasSrc != 0 && !hasPrefixFold(trimSpace(a.src), "data:")
	case eqFold(name, "script"):
		a.read(z, fast)
		return a.src, a.has&hasSrc != 0
	case eqFold(name, "body"):
		a.read(z, fast)
		return a.background, a.has&hasBackground != 0
	case eqFold(name, "link"):
		a.read(z, fast)
		return a.href, a.has&hasHref != 0 && relHas(a.rel, "stylesheet") && !relHas(a.rel, "alternate") && !relHas(a.rel, "next")
	case eqFold(name, "meta"):
		a.read(z, fast)
		return a.refresh()
	}
	return nil, false
}

// assetList collects one page's assets at the end of dst: resolved, kept
// to the allowed origins, de-duplicated.
type assetList struct {
	dst      []string
	start    int                 // dst[start:] are this page's assets
	seen     map[string]struct{} // this page's assets, once there are many
	page, rb *url.URL            // the page, and the base its URLs resolve against
	allow    []string
	fast     bool   // join plain root-relative paths to rb without net/url (rb is allowed)
	plain    bool   // rb's host needs no escaping
	prefix   string // rb's "scheme://host", written when first needed
}

// add appends the asset written v, unless it resolves to nothing allowed or
// the page already has it.
func (l *assetList) add(v []byte) {
	s, ok := l.resolve(trimSpace(v))
	if !ok || l.seenBefore(s) {
		return
	}
	l.dst = append(l.dst, s)
}

// resolve returns the absolute URL of v, false when it is not an allowed
// http(s) URL. A plain root-relative path on the fast path is joined to rb's
// "scheme://host" directly: one concatenation for a plain host, else a
// prefix written once as url.URL.String writes it.
func (l *assetList) resolve(v []byte) (string, bool) {
	if l.fast && plainRootPath(v) {
		if l.plain {
			return l.rb.Scheme + "://" + l.rb.Host + string(v), true
		}
		if l.prefix == "" {
			l.prefix = (&url.URL{Scheme: l.rb.Scheme, User: l.rb.User, Host: l.rb.Host}).String()
		}
		return l.prefix + string(v), true
	}
	u, ok := resolve(v, l.rb)
	if !ok || !SameOrigin(u, l.page, l.allow) {
		return "", false
	}
	return u.String(), true
}

// seenBefore says whether the page already has s, and remembers s when not.
// A page with few assets is scanned; past 32 a set takes over.
func (l *assetList) seenBefore(s string) bool {
	if l.seen != nil {
		if _, dup := l.seen[s]; dup {
			return true
		}
		l.seen[s] = struct{}{}
		return false
	}
	mine := l.dst[l.start:]
	for _, d := range mine {
		if d == s {
			return true
		}
	}
	if len(mine) >= 32 {
		l.seen = make(map[string]struct{}, 2*len(mine))
		for _, d := range mine {
			l.seen[d] = struct{}{}
		}
		l.seen[s] = struct{}{}
	}
	return false
}

// cleanBase returns a normalised copy of a page URL, or false when it is not
// an absolute http(s) URL.
func cleanBase(base *url.URL) (*url.URL, bool) {
	if base == nil {
		return nil, false
	}
	if isNormal(base) {
		return base, true // never modified; saves a copy per page
	}
	b := *base
	if b.User != nil {
		u := *b.User
		b.User = &u
	}
	if !weburl.Normalize(&b) {
		return nil, false
	}
	return &b, true
}

// isNormal reports whether normalize would leave u unchanged.
func isNormal(u *url.URL) bool {
	if u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" || u.Host == "" ||
		u.Path == "" && u.RawPath == "" || u.Fragment != "" || u.RawFragment != "" {
		return false
	}
	for i := 0; i < len(u.Host); i++ {
		if c := u.Host[i]; 'A' <= c && c <= 'Z' {
			return false
		}
	}
	p := u.Port()
	return !strings.HasSuffix(u.Host, ":") && (p == "" || p != weburl.DefaultPort(u.Scheme)) && u.Host != "[]"
}

// resolutionBase returns the URL relative references in body resolve
// against: the first <base href> (itself resolved against page) when there
// is one and it is an http(s) URL, else page.
func resolutionBase(body []byte, page *url.URL) *url.URL {
	if !mayHaveBase(body) {
		return page
	}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return page
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken || !eqFold(rawTagName(z.Raw()), "base") {
			continue
		}
		var a attrs
		if a.read(z, true); a.has&hasHref == 0 {
			continue // only a <base> with href sets the document base URL
		}
		if u, ok := resolve(a.href, page); ok {
			return u
		}
		return page
	}
}

// mayHaveBase is a cheap pre-check for "<base" anywhere in body.
func mayHaveBase(body []byte) bool {
	for i := 0; ; {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			return false
		}
		i += j + 1
		if i+4 <= len(body) && eqFold(body[i:i+4], "base") {
			return true
		}
	}
}

// resolve turns an attribute value into an absolute, normalised http(s) URL
// relative to base; it reports false for empty values, fragment-only
// references, other schemes (mailto:, javascript:, data:, tel:, ...) and
// values that do not parse.
func resolve(v []byte, base *url.URL) (*url.URL, bool) {
	v = trimSpace(v)
	if len(v) == 0 || v[0] == '#' {
		return nil, false
	}
	s := string(v)
	if strings.ContainsAny(s, "\t\n\r") {
		// The URL standard removes ASCII tab and newline anywhere.
		s = strings.NewReplacer("\t", "", "\n", "", "\r", "").Replace(s)
	}
	ref, err := url.Parse(s)
	if err != nil {
		return nil, false
	}
	u := base.ResolveReference(ref)
	if !weburl.Normalize(u) {
		return nil, false
	}
	return u, true
}

// plainRootPath reports whether v is a root-relative path ("/a/b.svg?x=1")
// made only of characters that net/url leaves as they are, with no dot
// segments, so that origin+v equals what resolve would produce.
func plainRootPath(v []byte) bool {
	if len(v) < 2 || v[0] != '/' || v[1] == '/' {
		return false
	}
	inQuery := false
	segStart := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '~', c == '!', c == '$', c == '&', c == '\'',
			c == '(', c == ')', c == '*', c == '+', c == ',', c == ';', c == '=', c == ':', c == '@':
		case c == '.':
		case c == '/':
			if !inQuery {
				if isDotSeg(v[segStart:i]) {
					return false
				}
				segStart = i + 1
			}
		case c == '?':
			if !inQuery {
				if isDotSeg(v[segStart:i]) {
					return false
				}
				inQuery = true
			}
		default:
			return false
		}
	}
	return inQuery || !isDotSeg(v[segStart:])
}

// plainHost reports whether a host (with optional port) is written only
// with characters url.URL.String leaves unescaped.
func plainHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return h != ""
}

func isDotSeg(s []byte) bool { return string(s) == "." || string(s) == ".." }

// Bits of attrs.has.
const (
	hasSrc = 1 << iota
	hasHref
	hasRel
	hasSrcset
	hasPoster
	hasBackground
	hasHTTPEquiv
	hasContent
)

// attrs holds the attributes of one tag that the parsers look at. As in
// HTML, the first occurrence of a name wins. The slices point into the
// tokenizer's buffer and are valid until its next call to Next.
type attrs struct {
	has                                                    int
	src, href, rel, srcset, poster, background, equiv, cnt []byte
}

// read fills a from the tokenizer's current start tag. With raw it parses
// the tag's raw bytes itself when they need no decoding (no character
// reference, CR or NUL), which is what the tokenizer would return without
// its per-attribute allocations; otherwise it uses TagAttr.
func (a *attrs) read(z *html.Tokenizer, raw bool) {
	a.has = 0
	if r := z.Raw(); raw && !bytes.ContainsAny(r, "&\r\x00") {
		rawAttrs(r, a.set)
		return
	}
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		if k == nil {
			return
		}
		a.set(k, v)
	}
}

// set records one attribute (key in any case) unless its name was seen.
func (a *attrs) set(k, v []byte) {
	var bit int
	var dst *[]byte
	switch {
	case eqFold(k, "src"):
		bit, dst = hasSrc, &a.src
	case eqFold(k, "href"):
		bit, dst = hasHref, &a.href
	case eqFold(k, "rel"):
		bit, dst = hasRel, &a.rel
	case eqFold(k, "srcset"):
		bit, dst = hasSrcset, &a.srcset
	case eqFold(k, "poster"):
		bit, dst = hasPoster, &a.poster
	case eqFold(k, "background"):
		bit, dst = hasBackground, &a.background
	case eqFold(k, "http-equiv"):
		bit, dst = hasHTTPEquiv, &a.equiv
	case eqFold(k, "content"):
		bit, dst = hasContent, &a.cnt
	default:
		return
	}
	if a.has&bit == 0 {
		a.has |= bit
		*dst = v
	}
}

// refresh returns the URL of a <meta http-equiv=refresh content=...>.
func (a *attrs) refresh() ([]byte, bool) {
	if a.has&hasHTTPEquiv == 0 || a.has&hasContent == 0 || !eqFold(trimSpace(a.equiv), "refresh") {
		return nil, false
	}
	return refreshURL(a.cnt)
}

// rawAttrs calls f(key, value) for each attribute of a raw start tag
// ("<img src=x alt='y'>"), splitting it exactly as the x/net/html tokenizer
// does (WHATWG tag, attribute name and value states). Keys keep their case
// and duplicates are reported; values are not decoded.
func rawAttrs(raw []byte, f func(k, v []byte)) {
	n := len(raw)
	i := 1 // past '<'
	for i < n {
		c := raw[i]
		if isWS(c) {
			i++
			break
		}
		if c == '/' || c == '>' {
			break
		}
		i++
	}
	i = skipWS(raw, i)
	for i < n && raw[i] != '>' {
		// Attribute name: an '=' in first position belongs to the name.
		ks := i
		for i < n {
			c := raw[i]
			if c == '=' && i == ks {
				i++
				continue
			}
			if c == '=' || isWS(c) || c == '/' || c == '>' {
				break
			}
			i++
		}
		ke := i
		vs, ve := i, i
		i = skipWS(raw, i)
		if i < n {
			c := raw[i]
			i++
			switch {
			case c == '/':
			case c != '=':
				i--
			default:
				i = skipWS(raw, i)
				if i < n {
					q := raw[i]
					i++
					switch q {
					case '>':
						i--
					case '\'', '"':
						vs = i
						if k := bytes.IndexByte(raw[i:], q); k >= 0 {
							ve, i = i+k, i+k+1
						} else {
							ve, i = n, n
						}
					default:
						vs = i - 1
						for i < n && !isWS(raw[i]) && raw[i] != '>' {
							i++
						}
						ve = i
						if i < n && raw[i] != '>' {
							i++
						}
					}
				}
			}
		}
		if ke > ks {
			f(raw[ks:ke], raw[vs:ve])
		}
		i = skipWS(raw, i)
	}
}

// refreshURL extracts the URL from a refresh value such as
// `5; url='/next'`, following the HTML standard's declarative refresh
// parsing. A value without a URL (a plain reload) reports false.
func refreshURL(s []byte) ([]byte, bool) {
	i := skipWS(s, 0)
	j := i
	for j < len(s) && '0' <= s[j] && s[j] <= '9' {
		j++
	}
	if j == i && (j >= len(s) || s[j] != '.') {
		return nil, false
	}
	for j < len(s) && ('0' <= s[j] && s[j] <= '9' || s[j] == '.') {
		j++
	}
	i = j
	if i < len(s) && !isWS(s[i]) && s[i] != ';' && s[i] != ',' {
		return nil, false
	}
	i = skipWS(s, i)
	if i < len(s) && (s[i] == ';' || s[i] == ',') {
		i++
	}
	i = skipWS(s, i)
	if i >= len(s) {
		return nil, false
	}
	urlStart := i
	parse := func() ([]byte, bool) {
		u := trimSpace(s[urlStart:])
		return u, len(u) > 0
	}
	if s[i] != 'u' && s[i] != 'U' {
		return skipQuotes(s, i)
	}
	i++
	if i >= len(s) || s[i] != 'r' && s[i] != 'R' {
		return parse()
	}
	i++
	if i >= len(s) || s[i] != 'l' && s[i] != 'L' {
		return parse()
	}
	i++
	i = skipWS(s, i)
	if i >= len(s) || s[i] != '=' {
		return parse()
	}
	i++
	i = skipWS(s, i)
	return skipQuotes(s, i)
}

// skipQuotes implements the "skip quotes" step of refresh parsing.
func skipQuotes(s []byte, i int) ([]byte, bool) {
	if i < len(s) && (s[i] == '\'' || s[i] == '"') {
		q := s[i]
		rest := s[i+1:]
		if k := bytes.IndexByte(rest, q); k >= 0 {
			rest = rest[:k]
		}
		rest = trimSpace(rest)
		return rest, len(rest) > 0
	}
	rest := trimSpace(s[i:])
	return rest, len(rest) > 0
}

// eachSrcset calls f with each candidate URL of a srcset attribute, using
// the HTML standard's candidate splitting (commas inside descriptors'
// parentheses do not split).
func eachSrcset(s []byte, f func([]byte)) {
	i := 0
	for {
		for i < len(s) && (isWS(s[i]) || s[i] == ',') {
			i++
		}
		if i >= len(s) {
			return
		}
		start := i
		for i < len(s) && !isWS(s[i]) {
			i++
		}
		u := s[start:i]
		if bytes.HasSuffix(u, []byte(",")) {
			f(bytes.TrimRight(u, ","))
			continue
		}
		f(u)
		paren := false
		for ; i < len(s); i++ {
			switch s[i] {
			case '(':
				paren = true
			case ')':
				paren = false
			case ',':
				if !paren {
					i++
					goto next
				}
			}
		}
	next:
	}
}

// relHas reports whether the space-separated rel list contains token.
func relHas(rel []byte, token string) bool {
	for len(rel) > 0 {
		i := skipWS(rel, 0)
		rel = rel[i:]
		j := 0
		for j < len(rel) && !isWS(rel[j]) {
			j++
		}
		if j > 0 && eqFold(rel[:j], token) {
			return true
		}
		rel = rel[j:]
	}
	return false
}

// rawTagName returns the tag name at the start of a raw start tag ("<IMG
// src=..>" -> "IMG") without allocating.
func rawTagName(raw []byte) []byte {
	if len(raw) < 2 || raw[0] != '<' {
		return nil
	}
	raw = raw[1:]
	for i, c := range raw {
		switch c {
		case ' ', '\n', '\r', '\t', '\f', '/', '>':
			return raw[:i]
		}
	}
	return raw
}

// eqFold reports whether b equals the lower-case ASCII string s, ignoring
// ASCII case.
func eqFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && eqFold(b[:len(prefix)], prefix)
}

// isWS reports ASCII whitespace as HTML defines it.
func isWS(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

func skipWS(s []byte, i int) int {
	for i < len(s) && isWS(s[i]) {
		i++
	}
	return i
}

// trimSpace strips leading and trailing ASCII whitespace (and other C0
// controls, as the URL standard does).
func trimSpace(b []byte) []byte {
	for len(b) > 0 && b[0] <= ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] <= ' ' {
		b = b[:len(b)-1]
	}
	return b
}
