package hosted

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

// BenchmarkGroupFanout1250 measures one message to a group of 1,250
// members, all online, until every member's live feed has it. The sender
// is a real hosted core: it seals the message once per member with cached
// shared keys and hands the 1,249 envelopes to the relay in one SendBatch
// (one commit, one fsync). The members are live relay subscriptions, as
// their open sessions are. The first send also computes the 1,249 shared
// keys; "ms/first" reports it apart from the steady p50 and max.
//
//	go test ./server/hosted -run '^$' -bench GroupFanout1250 -benchtime 20x
func BenchmarkGroupFanout1250(b *testing.B) {
	const members = 1250
	w := newWorld(b, relay.DefaultQueueLen)
	w.withGroups()
	ten, err := w.dirSvc.CreateTenant(bg, directory.TenantSpec{Name: "big", Seats: 2 * members}, nil)
	if err != nil {
		b.Fatal(err)
	}
	w.ten = ten
	users := make([]*store.User, members)
	for i := range users {
		users[i] = w.user(fmt.Sprintf("member%04d", i))
	}
	sender := w.session(users[0], "sender")

	// Every member online: a live feed each; arrivals from the sender are counted.
	var arrived atomic.Int64
	for _, u := range users[1:] {
		p := &auth.Principal{KeyFingerprint: "SHA256:" + u.Name, User: u, Session: "member"}
		wake := make(chan struct{}, 1)
		f, err := w.d.Relay.Subscribe(auth.With(bg, p), func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		stop := make(chan struct{})
		b.Cleanup(func() { close(stop); f.Close() })
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-wake:
				}
				evs, err := f.Drain()
				if err != nil {
					return
				}
				for _, ev := range evs {
					if ev.Kind != relay.EventMail {
						continue
					}
					if env, err := crypto.ParseEnvelope(ev.Envelope); err == nil && env.Sender == users[0].ID {
						arrived.Add(1)
					}
				}
			}
		}()
	}
	wait := func(n int64) {
		deadline := time.Now().Add(60 * time.Second)
		for arrived.Load() < n {
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d envelopes arrived", arrived.Load(), n)
			}
			time.Sleep(50 * time.Microsecond) // poll the counter
		}
	}
	ids := make([]crypto.ID, 0, members-1)
	for _, u := range users[1:] {
		ids = append(ids, u.ID)
	}
	conv, err := sender.CreateGroup(bg, "Everyone", ids)
	if err != nil {
		b.Fatal(err)
	}
	wait(members - 1) // the announcement of the new group
	send := func() time.Duration {
		want := arrived.Load() + members - 1
		start := time.Now()
		m, err := sender.Send(bg, conv.Ref, "everyone: the wall is open")
		if err != nil {
			b.Fatal(err)
		}
		if m.State != core.StateSent || len(m.Recipients) != members-1 {
			b.Fatalf("sent to %d, state %v", len(m.Recipients), m.State)
		}
		wait(want)
		return time.Since(start)
	}
	first := send()
	var ds []time.Duration
	b.ResetTimer()
	for range b.N {
		ds = append(ds, send())
	}
	b.StopTimer()
	slices.Sort(ds)
	b.ReportMetric(float64(first.Microseconds())/1000, "ms/first")
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "ms/p50")
	b.ReportMetric(float64(ds[len(ds)-1].Microseconds())/1000, "ms/max")
}
