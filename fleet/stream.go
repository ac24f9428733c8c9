package fleet

import (
	"regexp"
	"strings"

	"github.com/loadgen/loadgen/report"
)

// A shard's log stream holds its stdout (the interval log) and, on ECS,
// its stderr too: the awslogs driver sends both to one stream. So each
// line is sorted: the shard header, interval-log lines, and messages (any
// other line, shown to the user when the shard failed).

var intervalLine = regexp.MustCompile(`^(Tag=[^,]+,)?\d+(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)?,[A-Za-z0-9+/=]+$`)

// isLogLine reports whether line belongs to the interval log.
func isLogLine(line string) bool {
	return strings.HasPrefix(line, "#[") || strings.HasPrefix(line, `"StartTimestamp"`) || intervalLine.MatchString(line)
}

// stream is a shard's log stream as read so far.
type stream struct {
	header   *Header
	headErr  error
	log      []string
	messages []string
	ended    bool
	lines    int
	bytes    int
	overflow bool // the log passed maxLogBytes; the rest was dropped
}

// maxMessages bounds the messages kept per shard; maxLogBytes bounds its
// interval log (a day of 5 s intervals is a few tens of megabytes), so a
// stream gone wild cannot exhaust the coordinator's memory.
const (
	maxMessages = 50
	maxLogBytes = 512 << 20
)

func (st *stream) add(lines []string) {
	for _, line := range lines {
		line = strings.TrimRight(line, "\r\n")
		st.lines++
		switch {
		case st.ended:
			// Nothing of the log follows its end line; a message may.
			if !isLogLine(line) && len(st.messages) < maxMessages {
				st.messages = append(st.messages, line)
			}
		case isHeader(line):
			h, err := ParseHeader(line)
			if err != nil {
				st.headErr = err
				continue
			}
			st.header = &h
		case isLogLine(line):
			if st.bytes += len(line) + 1; st.bytes > maxLogBytes {
				st.overflow = true
				continue
			}
			st.log = append(st.log, line)
			st.ended = report.IsTotalsLine(line) // a shard's end line
		case strings.TrimSpace(line) != "" && len(st.messages) < maxMessages:
			st.messages = append(st.messages, line)
		}
	}
}

// hlog reads the interval log part of the stream.
func (st *stream) hlog(name string) (*report.Hlog, error) {
	return report.ReadHlog(strings.NewReader(strings.Join(st.log, "\n")+"\n"), name)
}
