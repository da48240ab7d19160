package admin

import (
	"context"
	"sync"
	"time"

	"github.com/parley-chat/parley/store"
)

// The second-factor window, in the manner of sudo's timestamp and
// GitHub's sudo mode: once an admin key proved its second factor, its
// further sessions need no code for a while (Config.SecondFactorWindow),
// until `admin logout` ends it. A code itself still works only once: a
// session that gives --otp has it checked, window or not. Opening and
// ending a window are audited.

// sudoWindows holds, per admin key, when its window closes. It lives in
// the process: a restart closes every window.
type sudoWindows struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (w *sudoWindows) open(fp string, until time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.until == nil {
		w.until = map[string]time.Time{}
	}
	w.until[fp] = until
	if len(w.until) > 4096 { // drop the closed ones
		for k, u := range w.until {
			if !u.After(until.Add(-24 * time.Hour)) {
				delete(w.until, k)
			}
		}
	}
}

func (w *sudoWindows) isOpen(fp string, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	u, ok := w.until[fp]
	if ok && !now.Before(u) {
		delete(w.until, fp)
		return false
	}
	return ok
}

// close ends fp's window; it reports whether one was open.
func (w *sudoWindows) close(fp string, now time.Time) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	u, ok := w.until[fp]
	delete(w.until, fp)
	return ok && now.Before(u)
}

// SecondFactorLogout ends the caller's second-factor window: its next
// sessions need a code again. It reports whether a window was open.
func (s *Service) SecondFactorLogout(ctx context.Context) (bool, error) {
	p, err := s.selfAdmin(ctx)
	if err != nil {
		return false, err
	}
	if !s.sudo.close(p.KeyFingerprint, s.now()) {
		return false, nil
	}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		return s.recordKey(tx, p, "admin.2fa.logout", nil, nil)
	})
	return true, err
}
