package loadgen

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/valyala/fasthttp"
)

// ErrorClass is the kind of a socket-level failure.
type ErrorClass int

// The error classes, in report order.
const (
	ErrTimeout ErrorClass = iota
	ErrRefused
	ErrReset
	ErrDNS
	ErrTLS
	ErrOther
	numErrorClasses
)

var errorClassNames = [numErrorClasses]string{"timeout", "refused", "reset", "dns", "tls", "other"}

// String is the class's stable name, used in reports and JSON.
func (c ErrorClass) String() string {
	if c < 0 || c >= numErrorClasses {
		return "other"
	}
	return errorClassNames[c]
}

// ErrorClasses lists every class in report order.
func ErrorClasses() []ErrorClass {
	out := make([]ErrorClass, numErrorClasses)
	for i := range out {
		out[i] = ErrorClass(i)
	}
	return out
}

// Classify maps a request error to its class.
func Classify(err error) ErrorClass {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return ErrDNS
	}
	if isTLSError(err) {
		return ErrTLS
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, fasthttp.ErrDialTimeout) {
		return ErrTimeout
	}
	var te interface{ Timeout() bool }
	if errors.As(err, &te) && te.Timeout() {
		return ErrTimeout
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, fasthttp.ErrConnectionClosed):
		return ErrReset
	}
	return ErrOther
}

func isTLSError(err error) bool {
	var (
		rh   tls.RecordHeaderError
		cv   *tls.CertificateVerificationError
		ua   x509.UnknownAuthorityError
		he   x509.HostnameError
		ci   x509.CertificateInvalidError
		al   tls.AlertError
		ech  *tls.ECHRejectionError
		name = err.Error()
	)
	return errors.As(err, &rh) || errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &he) ||
		errors.As(err, &ci) || errors.As(err, &al) || errors.As(err, &ech) || strings.HasPrefix(name, "tls: ")
}

// errZeroData is siege's failure for an empty body when zero-data-ok = false.
var errZeroData = errors.New("no data in the response (zero-data-ok = false)")
