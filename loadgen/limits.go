package loadgen

import "fmt"

// descriptorReserve is kept free for what else a run opens: the poller,
// DNS lookups, dials in flight, the report and log files.
const descriptorReserve = 32

// LimitError says a run needs more file descriptors than this process may
// open: one per connection, a connection per user and host.
type LimitError struct {
	Users   int // users the run may have (MaxUsers in the open model)
	Need    int // descriptors their connections need
	MayOpen int // descriptors this process may still open
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%d users need %d descriptors; this process may open %d: raise 'ulimit -n'", e.Users, e.Need, e.MayOpen)
}

// checkDescriptors returns a *LimitError when users connections to each of
// hosts hosts cannot be open at once.
func checkDescriptors(users, hosts int) error {
	limit, open, ok := fileLimit()
	if !ok {
		return nil
	}
	need := users * hosts
	may := max(limit-open-descriptorReserve, 0)
	if need > may {
		return &LimitError{Users: users, Need: need, MayOpen: may}
	}
	return nil
}
