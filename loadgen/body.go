package loadgen

// This file: reading response bodies in bounded memory, whatever the server sends.

import (
	"bufio"
	"errors"
	"io"
	"slices"
)

// MaxHeaderBytes is the most a response's status line and headers may
// take: a user's read buffer. A longer head fails with ErrHeaderTooLarge.
const MaxHeaderBytes = 16 << 10

// ErrHeaderTooLarge is the failure of a response whose head does not fit
// in MaxHeaderBytes. It is classified as "other".
var ErrHeaderTooLarge = errors.New("response header larger than 16 KiB (loadgen's limit on a response's status line and headers)")

// errBadChunk is a chunked body that does not follow the syntax.
var errBadChunk = errors.New("malformed chunked body (bad chunk size line or missing CRLF)")

// errBodyTruncated ends a fetch (Do) whose body goes on past MaxBody: the
// rest is not read, and the connection is closed.
var errBodyTruncated = errors.New("body longer than the most kept")

// A body is never buffered whole: fasthttp reads the head (with
// Response.SkipBody set, so it never sizes a buffer from Content-Length),
// and the body is then read here through the user's fixed-size bufio
// reader, to its end. Only what siege's parser will look at is kept, at
// most Options.MaxBody bytes; the rest is discarded as it arrives. Every
// byte passes through conn.Read, so every byte is counted.
//
// Reading to the end, rather than closing the connection once past
// MaxBody, keeps the connection for the next request and makes the
// transaction's time the time to the last byte, as for any other body. What
// bounds the time spent is what bounds every read: the request's timeout,
// and the end of the run, which moves every deadline into the past.

// readBody reads the body of the response whose head is in u.resp. It
// sets u.bodyLen to the body's length and keeps its first bytes in u.body
// when the parser wants them (u.parse). A fetch (Do, u.fetch) keeps the
// first MaxBody bytes of any body and stops there: errBodyTruncated.
func (u *user) readBody(head bool) error {
	u.body, u.bodyLen, u.parse = u.body[:0], 0, false
	h := &u.resp.Header
	status := h.StatusCode()
	if head || (status >= 100 && status < 200) || status == 204 || status == 304 {
		return nil
	}
	keep := 0
	switch {
	case u.fetch:
		keep = u.r.opts.MaxBody
	case u.r.opts.Parser != nil && status < 300 && looksHTML(h.ContentType()):
		keep, u.parse = u.r.opts.MaxBody, true
	}
	switch cl := h.ContentLength(); {
	case cl >= 0:
		return u.fixedBody(int64(cl), keep)
	case cl == -1:
		return u.chunkedBody(keep)
	default: // no length: the body ends when the server closes (fasthttp marks the connection to close)
		return u.bodyUntilEOF(keep)
	}
}

// fixedBody reads n bytes, keeping up to keep of them in all.
func (u *user) fixedBody(n int64, keep int) error {
	if k := min(n, int64(keep-len(u.body))); k > 0 {
		start := len(u.body)
		u.body = slices.Grow(u.body, int(k))[:start+int(k)]
		m, err := io.ReadFull(u.br, u.body[start:])
		u.bodyLen += int64(m)
		if err != nil {
			u.body = u.body[:start+m]
			return unexpectedEOF(err)
		}
		n -= k
	}
	if n > 0 && u.fetch {
		return errBodyTruncated
	}
	for n > 0 {
		m, err := u.br.Discard(int(min(n, 1<<30)))
		u.bodyLen += int64(m)
		n -= int64(m)
		if err != nil {
			return unexpectedEOF(err)
		}
	}
	return nil
}

// chunkedBody reads a chunked body and its trailer.
func (u *user) chunkedBody(keep int) error {
	for {
		line, err := u.br.ReadSlice('\n')
		if err != nil {
			return chunkErr(err)
		}
		size, ok := parseChunkSize(line)
		if !ok {
			return errBadChunk
		}
		if size == 0 {
			break
		}
		if err := u.fixedBody(size, keep); err != nil {
			return err
		}
		if line, err = u.br.ReadSlice('\n'); err != nil {
			return chunkErr(err)
		}
		if !isCRLF(line) {
			return errBadChunk
		}
	}
	for { // the trailer: header lines up to an empty line
		line, err := u.br.ReadSlice('\n')
		if err != nil {
			return chunkErr(err)
		}
		if isCRLF(line) {
			return nil
		}
	}
}

// bodyUntilEOF reads a body that ends when the server closes the connection.
func (u *user) bodyUntilEOF(keep int) error {
	for {
		var n int
		var err error
		if room := keep - len(u.body); room > 0 {
			start := len(u.body)
			if start == cap(u.body) {
				u.body = slices.Grow(u.body, min(room, max(start, 16<<10)))
			}
			n, err = u.br.Read(u.body[start:min(cap(u.body), keep)])
			u.body = u.body[:start+n]
		} else if u.fetch {
			switch _, err := u.br.Peek(1); err {
			case io.EOF:
				return nil
			case nil:
				return errBodyTruncated
			default:
				return err
			}
		} else {
			n, err = u.br.Discard(1 << 30)
		}
		u.bodyLen += int64(n)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// parseChunkSize parses a chunk-size line: hex digits, optionally an
// extension after ';' (ignored), then CRLF. Sizes of 2^60 and more are
// refused.
func parseChunkSize(line []byte) (int64, bool) {
	var n int64
	i := 0
	for ; i < len(line); i++ {
		d := unhex(line[i])
		if d < 0 {
			break
		}
		if i >= 15 {
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	if i == 0 {
		return 0, false
	}
	for ; i < len(line); i++ {
		switch line[i] {
		case ' ', '\t':
		case ';', '\r', '\n':
			return n, true
		default:
			return 0, false
		}
	}
	return 0, false
}

// unhex is the value of a hex digit, or -1.
func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

func isCRLF(line []byte) bool {
	return (len(line) == 2 && line[0] == '\r') || len(line) == 1
}

// chunkErr turns a failed line read into the error to report: a line
// longer than the read buffer is a malformed body, an end of stream is
// unexpected.
func chunkErr(err error) error {
	if errors.Is(err, bufio.ErrBufferFull) {
		return errBadChunk
	}
	return unexpectedEOF(err)
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
