package loadgen

// This file: a host's addresses: resolving, pinning (--resolve), spreading
// new connections over every address round-robin, re-resolving while the
// run goes on, and counting requests and errors per address.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Resolver looks up a host's IP addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DefaultResolveEvery is how often a run looks its hosts up again by
// default: Elastic Load Balancing asks clients to re-resolve at least
// every 60 s, as a load balancer's addresses change when it scales.
const DefaultResolveEvery = 30 * time.Second

// Pin makes connections to Host:Port go to Addrs without asking DNS: curl's
// --resolve HOST:PORT:ADDR[,ADDR...]. The request's Host header and TLS
// name stay Host.
type Pin struct {
	Host  string
	Port  uint16
	Addrs []netip.Addr
}

// ParsePin parses curl's --resolve syntax: HOST:PORT:ADDR[,ADDR...], where
// an IPv6 address (and an IPv6 host) may be in brackets. A leading '+' (curl's
// "entry times out") is accepted and means nothing more here.
func ParsePin(s string) (Pin, error) {
	bad := func(format string, a ...any) (Pin, error) {
		return Pin{}, fmt.Errorf("--resolve %q: "+format+" (want HOST:PORT:ADDR[,ADDR...])", append([]any{s}, a...)...)
	}
	rest := strings.TrimPrefix(s, "+")
	var host string
	if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return bad("unclosed '['")
		}
		host, rest = rest[1:end], rest[end+2:]
	} else {
		var ok bool
		if host, rest, ok = strings.Cut(rest, ":"); !ok {
			return bad("no port")
		}
	}
	if !validHost(host) {
		return bad("bad host %q", host)
	}
	portStr, list, ok := strings.Cut(rest, ":")
	if !ok {
		return bad("no address")
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return bad("bad port %q", portStr)
	}
	p := Pin{Host: strings.ToLower(host), Port: uint16(port)}
	for _, a := range strings.Split(list, ",") {
		a = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(a), "["), "]")
		ip, err := netip.ParseAddr(a)
		if err != nil {
			return bad("bad address %q", a)
		}
		p.Addrs = append(p.Addrs, ip.Unmap())
	}
	return p, nil
}

// validHost accepts a DNS name (letters, digits, '-', '_', '.') or an IP
// address.
func validHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	if h == "" || len(h) > 253 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// String renders the pin in curl's syntax.
func (p Pin) String() string {
	addrs := make([]string, len(p.Addrs))
	for i, a := range p.Addrs {
		addrs[i] = a.String()
		if a.Is6() {
			addrs[i] = "[" + addrs[i] + "]"
		}
	}
	host := p.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s:%d:%s", host, p.Port, strings.Join(addrs, ","))
}

// address is one IP address and port of a host, with its counters.
type address struct {
	host     string // the name it came from
	hostPort string // ip:port, what is dialled
	// gone is set when a re-resolution no longer lists the address: its
	// connections finish their current request, then close.
	gone  atomic.Bool
	stats []addrStat // one per shard, added to like the shards
}

type addrStat struct {
	reqs, errs atomic.Int64
	_          [48]byte
}

// endpoint is a host name and port with the addresses it resolves to now.
type endpoint struct {
	host, port string
	fixed      []netip.Addr // an IP literal or pinned: never looked up
	set        atomic.Pointer[[]*address]
	rr         atomic.Uint64
}

// endpoint returns the shared endpoint of host:port, adding it when new.
func (r *Runner) endpoint(host, port string) *endpoint {
	host = strings.ToLower(host)
	key := net.JoinHostPort(host, port)
	r.addrMu.Lock()
	defer r.addrMu.Unlock()
	if ep := r.endpoints[key]; ep != nil {
		return ep
	}
	ep := &endpoint{host: host, port: port}
	if ip, err := netip.ParseAddr(host); err == nil {
		ep.fixed = []netip.Addr{ip.Unmap()}
	} else if n, err := strconv.ParseUint(port, 10, 16); err == nil {
		for _, p := range r.opts.Pins {
			if p.Host == host && uint64(p.Port) == n {
				ep.fixed = append(ep.fixed, p.Addrs...)
			}
		}
	}
	r.endpoints[key] = ep
	return ep
}

// pick returns the address for a new connection to h: the endpoint's
// addresses in turn. With none known it looks the host up first.
func (r *Runner) pick(h *hostInfo) (*address, error) {
	ep := h.ep
	list := ep.set.Load()
	if list == nil || len(*list) == 0 {
		var err error
		if list, err = r.refresh(r.ctx, ep); err != nil {
			return nil, err
		}
	}
	i := ep.rr.Add(1) - 1
	return (*list)[i%uint64(len(*list))], nil
}

// refresh looks ep up and makes the answer its address list: new addresses
// join the rotation, removed ones are marked gone. When the lookup fails,
// the addresses known so far stay.
func (r *Runner) refresh(ctx context.Context, ep *endpoint) (*[]*address, error) {
	ips, err := r.lookup(ctx, ep)
	if err != nil {
		if old := ep.set.Load(); old != nil && len(*old) > 0 {
			return old, nil
		}
		return nil, err
	}
	list := make([]*address, 0, len(ips))
	r.addrMu.Lock()
	defer r.addrMu.Unlock()
	for _, ip := range ips {
		hp := net.JoinHostPort(ip.String(), ep.port)
		key := ep.host + " " + hp
		a := r.addrs[key]
		if a == nil {
			a = &address{host: ep.host, hostPort: hp, stats: make([]addrStat, len(r.shards.all))}
			r.addrs[key] = a
			r.addrList = append(r.addrList, a)
		}
		a.gone.Store(false)
		list = append(list, a)
	}
	if old := ep.set.Swap(&list); old != nil {
		for _, a := range *old {
			if !slices.Contains(list, a) {
				a.gone.Store(true)
			}
		}
	}
	return &list, nil
}

// lookup returns ep's addresses: fixed ones, or the resolver's answer
// (deduplicated, in its order). Failures are *net.DNSError.
func (r *Runner) lookup(ctx context.Context, ep *endpoint) ([]netip.Addr, error) {
	if ep.fixed != nil {
		return ep.fixed, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	defer cancel()
	ips, err := r.resolver.LookupNetIP(ctx, "ip", ep.host)
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) {
			return nil, err
		}
		return nil, &net.DNSError{Err: err.Error(), Name: ep.host, IsTimeout: errors.Is(err, context.DeadlineExceeded)}
	}
	var out []netip.Addr
	for _, ip := range ips {
		if ip = ip.Unmap(); ip.IsValid() && !slices.Contains(out, ip) {
			out = append(out, ip)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: ep.host, IsNotFound: true}
	}
	return out, nil
}

// endpointsNow lists the endpoints known so far.
func (r *Runner) endpointsNow() []*endpoint {
	r.addrMu.Lock()
	defer r.addrMu.Unlock()
	out := make([]*endpoint, 0, len(r.endpoints))
	for _, ep := range r.endpoints {
		out = append(out, ep)
	}
	return out
}

// resolveAll looks every endpoint up once (before the users start, so
// that the first connections are spread over every address).
func (r *Runner) resolveAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, ep := range r.endpointsNow() {
		wg.Go(func() { _, _ = r.refresh(ctx, ep) })
	}
	wg.Wait()
}

// reresolve looks every endpoint up again every ResolveEvery until ctx ends.
func (r *Runner) reresolve(ctx context.Context) {
	t := time.NewTicker(r.opts.ResolveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.resolveAll(ctx)
		}
	}
}

// AddressResult is what one address of a target host served.
type AddressResult struct {
	Host     string // the name it was resolved from
	Address  string // ip:port
	Requests int64  // responses received on connections to it
	Errors   int64  // socket-level failures dialling it or on its connections
}

// addressResults lists every address used, by host then address.
func (r *Runner) addressResults() []AddressResult {
	r.addrMu.Lock()
	defer r.addrMu.Unlock()
	out := make([]AddressResult, 0, len(r.addrList))
	for _, a := range r.addrList {
		ar := AddressResult{Host: a.host, Address: a.hostPort}
		for i := range a.stats {
			ar.Requests += a.stats[i].reqs.Load()
			ar.Errors += a.stats[i].errs.Load()
		}
		out = append(out, ar)
	}
	slices.SortFunc(out, func(a, b AddressResult) int {
		return cmp.Or(cmp.Compare(a.Host, b.Host), cmp.Compare(a.Address, b.Address))
	})
	return out
}
