package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// LineError is a problem on one line of a URL file.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

var varLine = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$`)

// ReadURLFile reads a siege URL file. See ParseURLFile.
func ReadURLFile(path string) ([]Target, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open URL file: %w", err)
	}
	defer f.Close()
	return ParseURLFile(f, path, os.LookupEnv)
}

// ParseURLFile parses a siege URL file: one target per line, '#' comments,
// blank lines, NAME=value variables used later as $(NAME) or ${NAME}, and
// environment variables through lookupEnv. Body files ("URL POST </file") are
// read relative to the URL file's directory. The first bad line fails the
// whole file with a *LineError naming file and line.
func ParseURLFile(r io.Reader, name string, lookupEnv func(string) (string, bool)) ([]Target, error) {
	vars := map[string]string{}
	lookup := func(k string) (string, bool) {
		if v, ok := vars[k]; ok {
			return v, true
		}
		if lookupEnv != nil {
			return lookupEnv(k)
		}
		return "", false
	}
	dir := filepath.Dir(name)
	var out []Target
	br := bufio.NewReaderSize(r, 64<<10)
	var buf []byte
	for n := 1; ; n++ {
		raw, err := readLine(br, buf[:0])
		buf = raw
		if err == io.EOF {
			break
		}
		if errors.Is(err, errLineTooLong) {
			return nil, &LineError{name, n, err}
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		line := strings.TrimSpace(string(raw))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if m := varLine.FindStringSubmatch(line); m != nil {
			v, err := Expand(strings.TrimSpace(m[2]), lookup)
			if err != nil {
				return nil, &LineError{name, n, err}
			}
			vars[m[1]] = v
			continue
		}
		expanded, err := Expand(line, lookup)
		if err != nil {
			return nil, &LineError{name, n, err}
		}
		t, err := ParseTarget(expanded, dir)
		if err != nil {
			return nil, &LineError{name, n, err}
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no URLs in file", name)
	}
	return out, nil
}

// MaxURLFileLine bounds a line of a URL file: room for a large inline
// body ("URL POST data"); larger bodies belong in a file ("URL POST </file").
const MaxURLFileLine = 16 << 20

var errLineTooLong = errors.New("line longer than 16 MiB (loadgen's limit; put a large body in a file: URL POST </path/file)")

// readLine appends the next line, without its line ending, to buf. It
// returns io.EOF only when there is no line left.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		frag, err := br.ReadSlice('\n')
		if len(buf)+len(frag) > MaxURLFileLine+1 {
			return buf, errLineTooLong
		}
		buf = append(buf, frag...)
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(buf) > 0:
			return buf, nil
		case err != nil:
			return buf, err
		}
		return bytes.TrimSuffix(buf, []byte("\n")), nil
	}
}

// Expand replaces $(NAME) and ${NAME} with values from lookup; \$ is a
// literal dollar sign. An undefined variable or an unclosed reference is an error.
func Expand(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if c != '$' || i+1 >= len(s) || (s[i+1] != '(' && s[i+1] != '{') {
			b.WriteByte(c)
			continue
		}
		closer := byte(')')
		if s[i+1] == '{' {
			closer = '}'
		}
		end := strings.IndexByte(s[i+2:], closer)
		if end < 0 {
			return "", fmt.Errorf("unclosed variable reference %q", s[i:])
		}
		key := s[i+2 : i+2+end]
		v, ok := lookup(key)
		if !ok {
			return "", fmt.Errorf("undefined variable %q", key)
		}
		b.WriteString(v)
		i += 2 + end
	}
	return b.String(), nil
}
