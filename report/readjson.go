package report

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// ReadJSON reads a JSON report (-j, --json) back, checking its schema and
// its times.
func ReadJSON(r io.Reader, name string) (*Report, error) {
	dec := json.NewDecoder(r)
	var rp Report
	if err := dec.Decode(&rp); err != nil {
		return nil, fmt.Errorf("%s: not a JSON report: %w", name, err)
	}
	if rp.Schema != Schema {
		return nil, fmt.Errorf("%s: schema %q, want %q", name, rp.Schema, Schema)
	}
	start, err1 := time.Parse(time.RFC3339Nano, rp.Start)
	end, err2 := time.Parse(time.RFC3339Nano, rp.End)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("%s: bad start or end time: %w", name, err)
	}
	if end.Before(start) {
		return nil, fmt.Errorf("%s: ends (%s) before it starts (%s)", name, rp.End, rp.Start)
	}
	if rp.Transactions < 0 || rp.FailedTransactions < 0 || rp.HTTPErrors < 0 {
		return nil, fmt.Errorf("%s: negative counts", name)
	}
	return &rp, nil
}
