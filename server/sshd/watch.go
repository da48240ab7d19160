package sshd

import (
	"context"
	"sync"
	"time"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
)

// Open sessions of users are checked again while they run: a revoked or
// removed user, a removed device or a suspended tenant ends them as soon
// as the change is committed (recheckEvery at the latest), an expired
// license within recheckFull, whatever the session is doing. One
// goroutine checks all of them in one read transaction per round; it runs
// only while such sessions are open.

// recheckEvery is how often open user sessions are checked again.
const recheckEvery = 500 * time.Millisecond

// recheckSoonest is the least time between two rounds started by changes
// rather than the ticker.
const recheckSoonest = 50 * time.Millisecond

// recheckFull bounds how long a round may be skipped because no tenant,
// license, user or device changed (directory.StandingGeneration): what
// depends on the clock alone (a license's end) is checked this often.
const recheckFull = 30 * time.Second

// watched is one open session under watch.
type watched struct {
	st  directory.Standing
	end context.CancelCauseFunc
}

// sessionWatch is the set of open user sessions and its checker.
type sessionWatch struct {
	mu      sync.Mutex
	set     map[*watched]struct{}
	running bool
}

// watchSession puts the session of p under watch: end is called, with the
// reason, once p may no longer use it; hosted says the session uses the
// key sealed on the server (it ends when the user moves to local mode).
// The returned func ends the watch.
func (s *Server) watchSession(p *auth.Principal, hosted bool, end context.CancelCauseFunc) (unwatch func()) {
	if p == nil || p.User == nil {
		return func() {}
	}
	w := &watched{st: directory.Standing{Fingerprint: p.KeyFingerprint, User: p.User.ID, Hosted: hosted}, end: end}
	sw := &s.watch
	sw.mu.Lock()
	if sw.set == nil {
		sw.set = map[*watched]struct{}{}
	}
	sw.set[w] = struct{}{}
	if !sw.running {
		sw.running = true
		go s.recheckLoop()
	}
	sw.mu.Unlock()
	return func() {
		sw.mu.Lock()
		delete(sw.set, w)
		sw.mu.Unlock()
	}
}

// recheckLoop checks the watched sessions every recheckEvery, and at once
// (at most every recheckSoonest) when a tenant, license, user or device
// changed, until none is left: a revoked device's session ends within
// moments of the commit, not at the next tick.
func (s *Server) recheckLoop() {
	t := time.NewTicker(recheckEvery)
	defer t.Stop()
	var lastGen uint64
	var lastFull, last time.Time
	changed := s.deps.Directory.StandingChanged()
	for {
		var now time.Time
		select {
		case now = <-t.C:
		case <-changed:
			if wait := recheckSoonest - time.Since(last); wait > 0 {
				time.Sleep(wait) // a burst of changes (an import) costs a round per recheckSoonest
			}
			now = time.Now()
		}
		// Taken before the generation is read: a change committed after
		// this reading closes it, and the next round starts at once.
		changed = s.deps.Directory.StandingChanged()
		// Nothing that decides a session's standing changed since the last
		// round, which checked every session open then; a session opened
		// since was checked at its login, after that round's reading.
		gen, counted := s.deps.Directory.StandingGeneration()
		if counted && gen == lastGen && now.Sub(lastFull) < recheckFull {
			continue
		}
		lastGen, lastFull, last = gen, now, now
		sw := &s.watch
		sw.mu.Lock()
		if len(sw.set) == 0 {
			sw.running = false
			sw.mu.Unlock()
			return
		}
		ws := make([]*watched, 0, len(sw.set))
		for w := range sw.set {
			ws = append(ws, w)
		}
		sw.mu.Unlock()
		s.recheck(ws)
	}
}

func (s *Server) recheck(ws []*watched) {
	ss := make([]directory.Standing, len(ws))
	for i, w := range ws {
		ss[i] = w.st
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	errs, err := s.deps.Directory.Recheck(ctx, ss)
	if err != nil {
		s.log.Warn("open sessions not checked", "err", err)
		return
	}
	for i, err := range errs {
		if err != nil {
			ws[i].end(err)
		}
	}
}

// endSessions ends every watched session with cause.
func (s *Server) endSessions(cause error) {
	sw := &s.watch
	sw.mu.Lock()
	ws := make([]*watched, 0, len(sw.set))
	for w := range sw.set {
		ws = append(ws, w)
	}
	sw.mu.Unlock()
	for _, w := range ws {
		w.end(cause)
	}
}
