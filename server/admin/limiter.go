package admin

import (
	"errors"
	"sync"
	"time"
)

// Second-factor guessing limits: after codeFailLimit wrong codes, each
// less than codeLockout after the one before, a key's codes are not
// checked for codeLockout. Six-digit codes with a
// window of three periods leave an attacker 15 guesses in 10^6 per
// lockout.
const (
	codeFailLimit = 5
	codeLockout   = 5 * time.Minute
)

// ErrTooManyCodes refuses a code without checking it while a key is locked
// out after wrong codes.
var ErrTooManyCodes = errors.New("too many wrong codes: wait five minutes, then try again")

// ErrCodeInProgress refuses a code while another code of the same key is
// being checked: checking and counting a code are one step, so concurrent
// guesses cannot slip past the count.
var ErrCodeInProgress = errors.New("another code of this key is being checked: try again in a moment")

// codeLimiter counts wrong second-factor codes per SSH key.
type codeLimiter struct {
	mu       sync.Mutex
	fails    map[string]codeFails // by key fingerprint
	checking map[string]bool      // a code of the key is being checked
}

type codeFails struct {
	n     int
	last  time.Time // the last wrong code
	until time.Time // locked out until then
}

// allow reports whether a code of this key may be checked now and, if
// so, holds the key's check until record or release.
func (l *codeLimiter) allow(fp string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f, ok := l.fails[fp]; ok && now.Before(f.until) {
		return ErrTooManyCodes
	}
	if l.checking[fp] {
		return ErrCodeInProgress
	}
	if l.checking == nil {
		l.checking = make(map[string]bool)
	}
	l.checking[fp] = true
	return nil
}

// release ends a check that neither passed nor failed on the code (the
// store failed, say).
func (l *codeLimiter) release(fp string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.checking, fp)
}

// record notes the outcome of a checked code and ends the check.
func (l *codeLimiter) record(fp string, now time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.checking, fp)
	if ok {
		delete(l.fails, fp)
		return
	}
	if l.fails == nil {
		l.fails = make(map[string]codeFails)
	}
	f := l.fails[fp]
	if now.Sub(f.last) >= codeLockout {
		f = codeFails{} // quiet for long enough, or the lockout is over: count afresh
	}
	f.n, f.last = f.n+1, now
	if f.n >= codeFailLimit {
		f.until = now.Add(codeLockout)
	}
	l.fails[fp] = f
}

// Audit entries for refused API calls: one per key, scope and reason per
// refusalInterval, and at most maxRefusalKinds kinds remembered (beyond,
// those whose interval ran out are forgotten, then any: that at worst
// writes an entry early and loses the count of those left out).
const (
	refusalInterval = time.Minute
	maxRefusalKinds = 10000
)

// refusalLimiter keeps a client that repeats a refused call from writing
// an audit entry per call.
type refusalLimiter struct {
	mu    sync.Mutex
	kinds map[string]refusalKind
}

type refusalKind struct {
	written time.Time // the last entry written
	skipped int       // refusals not written since
}

// admit reports whether a refusal of this kind gets an entry now, and how
// many of its kind were left out since the last entry.
func (l *refusalLimiter) admit(kind string, now time.Time) (skipped int, write bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.kinds == nil {
		l.kinds = make(map[string]refusalKind)
	}
	k, seen := l.kinds[kind]
	if seen && now.Sub(k.written) < refusalInterval {
		k.skipped++
		l.kinds[kind] = k
		return 0, false
	}
	if !seen && len(l.kinds) >= maxRefusalKinds {
		for name, other := range l.kinds {
			if now.Sub(other.written) >= refusalInterval {
				delete(l.kinds, name)
			}
		}
		for name := range l.kinds { // all are recent: forget half of them
			if len(l.kinds) < maxRefusalKinds/2 {
				break
			}
			delete(l.kinds, name)
		}
	}
	l.kinds[kind] = refusalKind{written: now}
	return k.skipped, true
}
