package directory

import (
	"sync"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// throttle delays unlock attempts after failures: after the n-th failure in
// a row, the next attempt is refused for 2^(n-1) seconds, at most maxDelay.
// A success clears the record; records are forgotten an hour after their
// last failure. The state is in memory: a restart forgets it.
type throttle struct {
	now func() time.Time

	mu    sync.Mutex
	state map[crypto.ID]throttleState
	busy  map[crypto.ID]bool // an attempt is being checked right now
}

type throttleState struct {
	failures int
	until    time.Time
	last     time.Time
}

const (
	maxDelay    = 5 * time.Minute
	forgetAfter = time.Hour
)

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, state: make(map[crypto.ID]throttleState), busy: make(map[crypto.ID]bool)}
}

// begin admits one attempt for id, or says how long to wait. Attempts for
// one user never run side by side, so parallel guesses cannot slip past the
// delay; a caller admitted must call end.
func (t *throttle) begin(id crypto.ID) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.busy[id] {
		return time.Second
	}
	if st, ok := t.state[id]; ok {
		if wait := st.until.Sub(t.now()); wait > 0 {
			return wait
		}
	}
	t.busy[id] = true
	return 0
}

// Outcomes of an admitted attempt.
type outcome int

const (
	opened  outcome = iota // the passphrase was right: forget the failures
	wrong                  // the passphrase was wrong: count a failure
	aborted                // nothing was tried (cancelled, store error): change nothing
)

// end records the outcome of an admitted attempt.
func (t *throttle) end(id crypto.ID, o outcome) {
	switch o {
	case wrong:
		t.fail(id)
	case opened:
		t.reset(id)
	}
	t.mu.Lock()
	delete(t.busy, id)
	t.mu.Unlock()
}

// wait reports the remaining delay for id without admitting an attempt.
func (t *throttle) wait(id crypto.ID) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, ok := t.state[id]
	if !ok {
		return 0
	}
	return max(0, st.until.Sub(t.now()))
}

func (t *throttle) fail(id crypto.ID) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.state[id]
	if now.Sub(st.last) > forgetAfter {
		st = throttleState{}
	}
	st.failures++
	delay := time.Second << min(st.failures-1, 20)
	st.until = now.Add(min(delay, maxDelay))
	st.last = now
	t.state[id] = st
	if len(t.state) > 1024 {
		for k, v := range t.state {
			if now.Sub(v.last) > forgetAfter {
				delete(t.state, k)
			}
		}
	}
}

func (t *throttle) reset(id crypto.ID) {
	t.mu.Lock()
	delete(t.state, id)
	t.mu.Unlock()
}
