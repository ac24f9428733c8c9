package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteFileAtomic writes through a temporary file in the same directory and
// renames it into place, so a reader never sees half a report.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".loadgen-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// LogHeader is the first line of siege's CSV log.
const LogHeader = "      Date & Time,  Trans,  Elap Time,  Data Trans,  Resp Time,  Trans Rate,  Throughput,  Concurrent,    OKAY,   Failed\n"

// AppendLog appends siege's CSV log line for the run (-l), after the header
// when the file is new and after "**** mark ****" when mark is set (-m).
func AppendLog(path, mark string, rp *Report) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	var b strings.Builder
	if st, err := fh.Stat(); err == nil && st.Size() == 0 {
		b.WriteString(LogHeader)
	}
	if mark != "" {
		fmt.Fprintf(&b, "**** %s ****\n", mark)
	}
	end, _ := time.Parse(time.RFC3339Nano, rp.End)
	fmt.Fprintf(&b, "%s,%7d,%11.2f,%12.0f,%11.3f,%12.2f,%12.2f,%12.2f,%8d,%9d\n",
		end.Local().Format("2006-01-02 15:04:05"), rp.Transactions, rp.ElapsedTime, float64(rp.Bytes)/(1024*1024),
		rp.ResponseTime, rp.TransactionRate, rp.Throughput, rp.Concurrency, rp.SuccessfulTransactions, rp.FailedTransactions)
	if _, err := fh.WriteString(b.String()); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}
