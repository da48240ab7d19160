package policy_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
)

func TestBus(t *testing.T) {
	b := policy.NewBus()
	ada := mustID(t, "ADA00001")
	type event struct {
		tenant string
		user   crypto.ID
	}
	var got []event
	cancel := b.Subscribe(func(tenant string, user crypto.ID) { got = append(got, event{tenant, user}) })
	b.Publish("t1", ada)
	b.Publish("t1", crypto.ID{})
	cancel()
	cancel() // twice is fine
	b.Publish("t1", ada)
	if len(got) != 2 || got[0] != (event{"t1", ada}) || got[1] != (event{"t1", crypto.ID{}}) {
		t.Errorf("got %v, want two events before cancel", got)
	}
	var nilBus *policy.Bus
	nilBus.Publish("t1", ada)
	nilBus.Subscribe(func(string, crypto.ID) {})()
}

// TestBusConcurrent subscribes, publishes and cancels from many goroutines
// (run with -race); a subscriber may cancel itself while called.
func TestBusConcurrent(t *testing.T) {
	b := policy.NewBus()
	var calls atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var cancel func()
			var once sync.Once
			ready := make(chan struct{})
			cancel = b.Subscribe(func(string, crypto.ID) {
				calls.Add(1)
				if i%2 == 0 {
					<-ready
					once.Do(cancel)
				}
			})
			close(ready)
			for range 50 {
				b.Publish("t", crypto.ID{})
			}
			cancel()
		}()
	}
	wg.Wait()
	if calls.Load() == 0 {
		t.Error("no subscriber was called")
	}
	before := calls.Load()
	b.Publish("t", crypto.ID{})
	if calls.Load() != before {
		t.Error("a cancelled subscriber was called")
	}
}

func TestAffects(t *testing.T) {
	ada, bob := mustID(t, "ADA00001"), mustID(t, "BOB00002")
	for _, c := range []struct {
		tenant string
		user   crypto.ID
		want   bool
	}{
		{"t1", ada, true},
		{"t1", crypto.ID{}, true},
		{"t1", bob, false},
		{"t2", crypto.ID{}, false},
	} {
		if got := policy.Affects(c.tenant, c.user, "t1", ada); got != c.want {
			t.Errorf("Affects(%s, %s) for Ada of t1 = %t, want %t", c.tenant, c.user, got, c.want)
		}
	}
}
