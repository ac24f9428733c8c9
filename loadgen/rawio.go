package loadgen

import "errors"

// errNotSent means a request was never written (it cannot happen unless the
// response parser returns without reading).
var errNotSent = errors.New("request not sent")
