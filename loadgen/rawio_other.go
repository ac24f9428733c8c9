//go:build !linux

package loadgen

// On systems other than Linux every request goes through net.Conn's Write
// and Read: the one-read path (rawio_linux.go) relies on Linux's epoll
// semantics and raw read(2)/write(2).

// useRaw does nothing here: the portable path serves.
func (c *conn) useRaw() {}

// send always leaves the write to the caller here.
func (c *conn) send([]byte, int) bool { return false }

// wait has nothing to wait for here: the reads wait.
func (c *conn) wait() error { return nil }

// rawRead is never reached here (useRaw never sets rc).
func (c *conn) rawRead(p []byte) (int, error) { return c.nc.Read(p) }
