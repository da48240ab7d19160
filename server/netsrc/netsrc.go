// Package netsrc names where a connection comes from, the way the fronts'
// per-source limits count it: an IPv4 address, or the /64 of an IPv6
// address (one host's share of a network); and logs what the fronts
// refuse without flooding the log.
package netsrc

import (
	"log/slog"
	"maps"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Of is the address block a connection from a comes from; the zero
// Prefix when a is not an IP address and port.
func Of(a net.Addr) netip.Prefix {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Prefix{}
	}
	ip := ap.Addr().Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// RefusalLogInterval is how often a Refusals sums up in the log.
const RefusalLogInterval = 10 * time.Second

// Refusals logs refused connections at most once per RefusalLogInterval,
// with how many of each reason there were, so that a flood of them cannot
// flood the log. The zero value is ready to use.
type Refusals struct {
	mu    sync.Mutex
	last  time.Time
	count map[string]int
	total map[string]uint64 // since the start, for metrics
}

// Totals returns how many connections were refused, by reason, since the
// start.
func (r *Refusals) Totals() map[string]uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.total)
}

// Note counts one refusal for reason and, when the interval has passed,
// logs the counts with the given attributes (such as the front).
func (r *Refusals) Note(log *slog.Logger, reason string, attrs ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.count == nil {
		r.count = map[string]int{}
	}
	r.count[reason]++
	if r.total == nil {
		r.total = map[string]uint64{}
	}
	r.total[reason]++
	now := time.Now()
	if now.Sub(r.last) < RefusalLogInterval {
		return
	}
	r.last = now
	for reason, n := range r.count {
		log.Warn("connections refused", append(attrs, "reason", reason, "count", n)...)
	}
	clear(r.count)
}
