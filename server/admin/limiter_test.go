package admin_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/store"
)

// TestTOTPLimiterCheckAndRecordAreOneStep (finding 11): wrong codes sent
// at once, from many sessions of one key, are checked no more often than
// the limit allows: a code is checked and counted in one step.
func TestTOTPLimiterCheckAndRecordAreOneStep(t *testing.T) {
	e := newEnv(t)
	e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	enableTOTP(t, e, e.as(t, "SHA256:owner"))
	const guesses = 40
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		checked int
		other   []error
	)
	start := make(chan struct{})
	for range guesses {
		ctx := e.as(t, "SHA256:owner")
		wg.Go(func() {
			<-start
			err := e.svc.ProveSecondFactor(ctx, "000000")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, admin.ErrBadCode):
				checked++
			case errors.Is(err, admin.ErrTooManyCodes), errors.Is(err, admin.ErrCodeInProgress):
			default:
				other = append(other, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if checked > 5 || checked == 0 || len(other) > 0 {
		t.Fatalf("%d of %d concurrent wrong codes were checked (want 1 to 5); other results: %v", checked, guesses, other)
	}
}
