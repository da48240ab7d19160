package directory_test

import (
	"testing"

	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// BenchmarkReachable measures the check the relay makes before accepting
// every envelope, from many goroutines at once: between two users of one
// tenant, which reads no policy, and across two tenants that list each
// other, which reads both users' effective policies — from the cache a
// policy bus keeps current, or from the store without one.
//
//	go test ./server/directory -run '^$' -bench Reachable
func BenchmarkReachable(b *testing.B) {
	for _, bc := range []struct {
		name          string
		withBus, same bool
	}{
		{"same-tenant", true, true},
		{"cross-tenant/cached", true, false},
		{"cross-tenant/uncached", false, false},
	} {
		b.Run(bc.name, func(b *testing.B) {
			e := newPolicyEnv(b, bc.withBus)
			acme, globex := e.tenant(b, "acme"), e.tenant(b, "globex")
			alice := e.activeUser(b, acme.ID, "Alice", "SHA256:alice")
			var bob store.User
			if bc.same {
				bob = e.activeUser(b, acme.ID, "Bob", "SHA256:bob")
			} else {
				bob = e.activeUser(b, globex.ID, "Bob", "SHA256:bob")
				e.set(b, acme.ID, global, policy.CrossTenant, "globex")
				e.set(b, globex.ID, global, policy.CrossTenant, "acme")
			}
			ctx := b.Context()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := e.dir.Reachable(ctx, alice.ID, bob.ID); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
