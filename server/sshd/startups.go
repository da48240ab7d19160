package sshd

import (
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/parley-chat/parley/server/netsrc"
)

// Penalties for sources whose connections end without authenticating, in
// the manner of OpenSSH's PerSourcePenalties: a source collects penalty
// time, and once it holds at least penaltyMin it is refused until the
// time has run out.
const (
	penaltyNoAuth = 1 * time.Second  // closed without authenticating
	penaltyGrace  = 10 * time.Second // held the handshake timeout without authenticating
	penaltyMin    = 15 * time.Second // penalty time from which a source is refused
	penaltyMax    = 10 * time.Minute // the longest a source is refused
	// maxPenalized bounds the penalty table: beyond it, the entries that
	// run out first are dropped.
	maxPenalized = 65536
)

// startupLimits keeps connections that have not (yet) shown an enrolled key
// — still in the handshake, or authenticated with a key nobody enrolled —
// from crowding out everyone else, in the manner of OpenSSH's MaxStartups:
// at most total of them at once, at most perSource from one address block
// (an IPv4 address, an IPv6 /64).
type startupLimits struct {
	total, perSource int

	mu       sync.Mutex
	open     int
	bySource map[netip.Prefix]int
	penalty  map[netip.Prefix]time.Time // penalised until
}

func newStartupLimits(total, perSource int) *startupLimits {
	return &startupLimits{total: total, perSource: perSource,
		bySource: map[netip.Prefix]int{}, penalty: map[netip.Prefix]time.Time{}}
}

// sourceOf is the address block a connection comes from.
func sourceOf(a net.Addr) netip.Prefix { return netsrc.Of(a) }

// admit takes a startup place for a new connection from src, or says why
// not.
func (l *startupLimits) admit(src netip.Prefix, now time.Time) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if until, ok := l.penalty[src]; ok {
		if until.Sub(now) >= penaltyMin {
			return "source penalised"
		}
		if !until.After(now) {
			delete(l.penalty, src)
		}
	}
	if l.open >= l.total {
		return "too many unauthenticated connections"
	}
	if l.bySource[src] >= l.perSource {
		return "too many unauthenticated connections from one source"
	}
	l.open++
	l.bySource[src]++
	return ""
}

// release gives a startup place back. A connection that never
// authenticated earns its source a penalty, a larger one when it held the
// whole handshake timeout.
func (l *startupLimits) release(src netip.Prefix, now time.Time, authed, timedOut bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open--
	if l.bySource[src]--; l.bySource[src] <= 0 {
		delete(l.bySource, src)
	}
	if authed {
		return
	}
	add := penaltyNoAuth
	if timedOut {
		add = penaltyGrace
	}
	from := now
	if until, ok := l.penalty[src]; ok && until.After(now) {
		from = until
	}
	until := from.Add(add)
	if limit := now.Add(penaltyMax); until.After(limit) {
		until = limit
	}
	l.penalty[src] = until
	if len(l.penalty) > maxPenalized {
		l.prune(now)
	}
}

// prune drops penalties that ran out and, if the table is still too big,
// the half that runs out first; l.mu is held.
func (l *startupLimits) prune(now time.Time) {
	for src, until := range l.penalty {
		if !until.After(now) {
			delete(l.penalty, src)
		}
	}
	if len(l.penalty) <= maxPenalized {
		return
	}
	cut := now.Add(penaltyMax / 2)
	for src, until := range l.penalty {
		if until.Before(cut) {
			delete(l.penalty, src)
		}
	}
}
