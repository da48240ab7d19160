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

// codeLimiter counts wrong second-factor codes per SSH key.
type codeLimiter struct {
	mu    sync.Mutex
	fails map[string]codeFails // by key fingerprint
}

type codeFails struct {
	n     int
	last  time.Time // the last wrong code
	until time.Time // locked out until then
}

// allow reports whether a code of this key may be checked now.
func (l *codeLimiter) allow(fp string, now time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f, ok := l.fails[fp]; ok && now.Before(f.until) {
		return ErrTooManyCodes
	}
	return nil
}

// record notes the outcome of a checked code.
func (l *codeLimiter) record(fp string, now time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
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
