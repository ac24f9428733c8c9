package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
	"github.com/valyala/fasthttp"

	"github.com/loadgen/loadgen/loadgen"
)

// scaleFlags are the flags about where connections go.
type scaleFlags struct {
	resolve []string
}

func (sf *scaleFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&sf.resolve, "resolve", nil, "HOST:PORT:ADDR[,ADDR...]: connect to these addresses for HOST:PORT instead of asking DNS, as curl's --resolve (repeatable); Host and TLS name stay HOST")
}

// apply parses the pins into the run's options.
func (sf *scaleFlags) apply(o *loadgen.Options) error {
	for _, s := range sf.resolve {
		p, err := loadgen.ParsePin(s)
		if err != nil {
			return usageErr("%v", err)
		}
		o.Pins = append(o.Pins, p)
	}
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

// pinnedDial is the -g/-p client's dialler when pins are given: a pinned
// host and port connect to the pin's first address.
func pinnedDial(pins []loadgen.Pin) fasthttp.DialFunc {
	if len(pins) == 0 {
		return nil
	}
	return func(addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		for _, p := range pins {
			if strings.EqualFold(p.Host, host) && strconv.Itoa(int(p.Port)) == port {
				addr = net.JoinHostPort(p.Addrs[0].String(), port)
				break
			}
		}
		return fasthttp.Dial(addr)
	}
}
