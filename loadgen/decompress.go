package loadgen

// This file: a compressed page decompressed for siege's parser only. The
// transaction's bytes are counted as they came off the wire; nothing else
// is ever decompressed.

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"io"
)

// maxParsedHTML bounds what a compressed page may expand to for the parser.
const maxParsedHTML = 2 << 20

// inflater holds one user's decompressors, reused from page to page.
type inflater struct {
	src bytes.Reader
	gz  *gzip.Reader
	zl  io.ReadCloser
	fl  io.ReadCloser
	out bytes.Buffer
}

// pageHTML is the response body for the parser (the first MaxBody bytes
// that readBody kept): as received, or
// decompressed (gzip or deflate) and cut at maxParsedHTML. A body that does
// not decompress yields what decompressed before the error.
func (u *user) pageHTML() []byte {
	body := u.body
	enc := u.resp.Header.ContentEncoding()
	if len(enc) == 0 || bytes.EqualFold(enc, []byte("identity")) {
		return body
	}
	m := u.extras()
	if m.inflate == nil {
		m.inflate = &inflater{}
	}
	return m.inflate.decode(enc, body)
}

func (f *inflater) decode(enc, body []byte) []byte {
	f.out.Reset()
	f.src.Reset(body)
	var r io.Reader
	var err error
	switch {
	case bytes.EqualFold(enc, []byte("gzip")), bytes.EqualFold(enc, []byte("x-gzip")):
		if f.gz == nil {
			f.gz, err = gzip.NewReader(&f.src)
		} else {
			err = f.gz.Reset(&f.src)
		}
		r = f.gz
	case bytes.EqualFold(enc, []byte("deflate")):
		// RFC 9110's deflate is zlib; some servers send raw deflate.
		if len(body) >= 2 && (uint16(body[0])<<8|uint16(body[1]))%31 == 0 && body[0]&0x0f == 8 {
			if f.zl == nil {
				f.zl, err = zlib.NewReader(&f.src)
			} else {
				err = f.zl.(zlib.Resetter).Reset(&f.src, nil)
			}
			r = f.zl
		} else {
			if f.fl == nil {
				f.fl = flate.NewReader(&f.src)
			} else {
				err = f.fl.(flate.Resetter).Reset(&f.src, nil)
			}
			r = f.fl
		}
	default:
		return nil // an encoding the parser cannot read (br, zstd): no assets
	}
	if err != nil {
		return nil
	}
	_, _ = f.out.ReadFrom(io.LimitReader(r, maxParsedHTML)) // what came before an error stays
	return f.out.Bytes()
}
