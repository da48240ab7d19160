package directory

import (
	"context"
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
	busy  map[crypto.ID]chan struct{} // an attempt is being checked; closed when it ends
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
	return &throttle{now: now, state: make(map[crypto.ID]throttleState), busy: make(map[crypto.ID]chan struct{})}
}

// begin admits one attempt for id, or says how long to wait. Attempts for
// one user never run side by side: a second one waits for the first to
// finish and then faces the delay that one's outcome set, so parallel
// guesses cannot slip past it. A caller admitted must call end.
func (t *throttle) begin(ctx context.Context, id crypto.ID) (time.Duration, error) {
	for {
		t.mu.Lock()
		running, ok := t.busy[id]
		if !ok {
			if st, ok := t.state[id]; ok {
				if wait := st.until.Sub(t.now()); wait > 0 {
					t.mu.Unlock()
					return wait, nil
				}
			}
			t.busy[id] = make(chan struct{})
			t.mu.Unlock()
			return 0, nil
		}
		t.mu.Unlock()
		select {
		case <-running:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	}
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
	if ch, ok := t.busy[id]; ok {
		close(ch)
		delete(t.busy, id)
	}
	t.mu.Unlock()
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
