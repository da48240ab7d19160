package directory

import (
	"context"
	"runtime/debug"
	"sync"
	"time"
)

// kdfQuiet is how long no Argon2id run must be in progress before the
// memory of a burst is handed back.
const kdfQuiet = 2 * time.Second

// kdfGate bounds simultaneous Argon2id runs (each holds KDF.MemoryKiB, 64
// MiB by default), so peak memory is bounded whatever the login rate, and
// hands their memory back to the operating system once a burst is over:
// the runtime would keep it for minutes, and a login storm would leave
// the process at its peak size.
type kdfGate struct {
	slots chan struct{}
	quiet time.Duration
	free  func() // debug.FreeOSMemory; tests count calls

	mu      sync.Mutex
	running int
	waiting int // callers waiting for a slot
	timer   *time.Timer
}

// load reports the KDF runs under way and the callers waiting for a slot.
func (g *kdfGate) load() (running, waiting int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running, g.waiting
}

func newKDFGate(n int) *kdfGate {
	return &kdfGate{slots: make(chan struct{}, n), quiet: kdfQuiet, free: debug.FreeOSMemory}
}

func (g *kdfGate) acquire(ctx context.Context) error {
	g.mu.Lock()
	g.waiting++
	g.mu.Unlock()
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
		return ctx.Err()
	}
	g.mu.Lock()
	g.waiting--
	g.running++
	if g.timer != nil {
		g.timer.Stop()
	}
	g.mu.Unlock()
	return nil
}

func (g *kdfGate) release() {
	<-g.slots
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running--
	if g.running > 0 {
		return
	}
	if g.timer == nil {
		g.timer = time.AfterFunc(g.quiet, g.idle)
		return
	}
	g.timer.Reset(g.quiet)
}

// idle runs kdfQuiet after the last run ended, unless another began.
func (g *kdfGate) idle() {
	g.mu.Lock()
	busy := g.running > 0
	g.mu.Unlock()
	if !busy {
		g.free()
	}
}
