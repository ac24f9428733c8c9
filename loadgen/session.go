package loadgen

// This file: a simulated user's session: its cookies and Basic credentials
// spliced into the run's pre-built request bytes, its login before the
// first transaction, and siege's answer to a 401 challenge.

import (
	"bytes"
	"net/url"
	"strings"
	"time"
)

// session is the user's copy of the request it last sent with session
// headers. It is rebuilt only when the target, the cookies or the
// credentials change, so a user that keeps a cookie allocates nothing per
// request once its buffer has grown.
type session struct {
	jar  jar
	auth [][]byte // by host id: "Authorization: Basic ...\r\n" after a challenge
	ver  uint64   // bumped when auth changes

	buf   []byte
	key   *prepared // the target buf was built for; nil for a one-off request
	built uint64    // jar.version + ver when buf was built
	cur   *url.URL  // the URL of the exchange in progress (for Set-Cookie)
}

// withSession returns the bytes to send for a request built as raw, whose
// session headers go at offset at: raw itself when the user has no cookie
// and no credentials (the common case, with no work at all), else a copy
// with them. key names a prepared target whose copy may be reused.
func (u *user) withSession(raw []byte, at int, x *url.URL, h *hostInfo, key *prepared) []byte {
	s := &u.sess
	auth := s.authFor(h)
	if len(s.jar.cookies) == 0 && auth == nil {
		return raw
	}
	s.jar.expire(time.Since(u.r.start))
	ver := s.jar.version + s.ver
	if key != nil && key == s.key && ver == s.built {
		return s.buf
	}
	b := append(s.buf[:0], raw[:at]...)
	b = append(b, auth...)
	b = s.jar.header(b, x, h.tls)
	b = append(b, raw[at:]...)
	s.buf, s.key, s.built = b, key, ver
	return b
}

func (s *session) authFor(h *hostInfo) []byte {
	if h.id < len(s.auth) {
		return s.auth[h.id]
	}
	return nil
}

// onSetCookie is fasthttp's VisitAllCookie callback for a response to s.cur.
func (u *user) onSetCookie(_, value []byte) {
	u.sess.jar.set(value, u.sess.cur, time.Since(u.r.start), u.r.start)
}

// answerChallenge prepares the Authorization a 401's Basic challenge asks
// for, as siege answers it: with the credentials for the challenge's realm,
// else the ones without a realm (or realm "all"). It reports whether the
// request should be sent again: not when the user already sent credentials
// to this host, has none that fit, or the request carries its own.
func (u *user) answerChallenge(h *hostInfo, x *url.URL) bool {
	o := &u.r.opts
	if len(o.Credentials) == 0 || u.r.plan.authorization || x.User != nil || u.sess.authFor(h) != nil {
		return false
	}
	realm, ok := basicRealm(u.resp.Header.Peek("WWW-Authenticate"))
	if !ok {
		return false
	}
	var cred *Credential
	for i := range o.Credentials {
		c := &o.Credentials[i]
		if c.Realm == realm {
			cred = c
			break
		}
		if cred == nil && (c.Realm == "" || strings.EqualFold(c.Realm, "all")) {
			cred = c
		}
	}
	if cred == nil {
		return false
	}
	for len(u.sess.auth) <= h.id {
		u.sess.auth = append(u.sess.auth, nil)
	}
	u.sess.auth[h.id] = appendBasic(nil, "Authorization", cred.User, cred.Password)
	u.sess.ver++
	return true
}

// basicRealm reads a WWW-Authenticate header's Basic challenge and realm.
func basicRealm(v []byte) (string, bool) {
	s := strings.TrimSpace(string(v))
	if len(s) < 5 || !strings.EqualFold(s[:5], "basic") || (len(s) > 5 && s[5] != ' ' && s[5] != '\t') {
		return "", false
	}
	rest := s[5:]
	i := strings.Index(strings.ToLower(rest), "realm=")
	if i < 0 {
		return "", true
	}
	realm := rest[i+len("realm="):]
	if strings.HasPrefix(realm, `"`) {
		realm, _, _ = strings.Cut(realm[1:], `"`)
		return realm, true
	}
	realm, _, _ = strings.Cut(realm, ",")
	return strings.TrimSpace(realm), true
}

// login sends the user's login-url once, before its first transaction:
// user k takes Logins[k mod n], as siege's users take the next unused line.
func (u *user) login() {
	if n := len(u.r.logins); n > 0 {
		u.iterate(&u.r.logins[u.id%n])
	}
}

// redactHead is a request or response head for --debug with the values of
// credential headers replaced by xxxxx; for a login request the request
// line's query is hidden too.
func redactHead(head []byte, login bool) []byte {
	if i := bytes.Index(head, []byte("\r\n\r\n")); i >= 0 {
		head = head[:i+2]
	}
	out := make([]byte, 0, len(head))
	for n, line := range bytes.SplitAfter(head, []byte("\r\n")) {
		name, _, found := bytes.Cut(line, []byte(":"))
		switch {
		case n == 0 && login:
			if q := bytes.IndexByte(line, '?'); q >= 0 {
				sp := bytes.LastIndexByte(line, ' ')
				line = append(append(append([]byte{}, line[:q+1]...), "xxxxx"...), line[max(sp, q+1):]...)
			}
		case found && (bytes.EqualFold(name, []byte("Authorization")) || bytes.EqualFold(name, []byte("Proxy-Authorization"))):
			line = append(append([]byte{}, name...), ": xxxxx\r\n"...)
		}
		out = append(out, line...)
	}
	return out
}

// loginDisplay is how a login URL is shown in verbose lines and error
// samples: its query and password, which often hold credentials, hidden.
// (Request bodies are never shown.)
func loginDisplay(u *url.URL) string {
	x := *u
	if x.RawQuery != "" {
		x.RawQuery = "xxxxx"
	}
	return x.Redacted()
}
