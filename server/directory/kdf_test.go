package directory

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestKDFGateFreesAfterABurst: memory is handed back once, after the last
// run of a burst, and never while a run is in progress.
func TestKDFGateFreesAfterABurst(t *testing.T) {
	g := newKDFGate(2)
	g.quiet = 50 * time.Millisecond
	var freed atomic.Int32
	g.free = func() { freed.Add(1) }
	ctx := context.Background()
	for range 5 {
		if err := g.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		if err := g.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		// A third waits for a slot: the gate bounds concurrent runs.
		cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		if err := g.acquire(cctx); err == nil {
			t.Fatal("a third run started with two slots")
		}
		cancel()
		g.release()
		time.Sleep(80 * time.Millisecond) // longer than quiet: one run is still going
		if n := freed.Load(); n != 0 {
			t.Fatalf("memory freed %d times while a run was in progress", n)
		}
		g.release()
	}
	deadline := time.Now().Add(2 * time.Second)
	for freed.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the quiet period
	}
	time.Sleep(100 * time.Millisecond) // no second call follows
	if n := freed.Load(); n != 1 {
		t.Fatalf("memory freed %d times after the burst, want 1", n)
	}
}
