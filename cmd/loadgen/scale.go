package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/loadgen/loadgen/loadgen"
)

// pinList is --resolve: each value, in curl's syntax, adds to Options.Pins.
type pinList struct{ pins *[]loadgen.Pin }

func (v pinList) String() string {
	if v.pins == nil {
		return ""
	}
	s := make([]string, len(*v.pins))
	for i, p := range *v.pins {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}
func (v pinList) Type() string { return "HOST:PORT:ADDR" }
func (v pinList) Set(s string) error {
	p, err := loadgen.ParsePin(s)
	if err != nil {
		return err
	}
	*v.pins = append(*v.pins, p)
	return nil
}

// newRunnerErr words loadgen.New's error for the command line: a run that
// needs more descriptors than the process may open names the flag.
func newRunnerErr(err error, o *loadgen.Options) error {
	var le *loadgen.LimitError
	if !errors.As(err, &le) {
		return usageErr("%v", err)
	}
	flag := fmt.Sprintf("-c %d", o.Users)
	if le.Users > o.Users {
		flag = fmt.Sprintf("--max-users %d", le.Users)
	}
	per := ""
	if le.Need != le.Users {
		per = fmt.Sprintf(" (a connection per user and host, %d hosts)", le.Need/max(le.Users, 1))
	}
	return usageErr("%s needs %d descriptors%s; this process may open %d: raise 'ulimit -n'", flag, le.Need, per, le.MayOpen)
}
