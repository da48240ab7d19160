package groups

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/store"
)

// fakeDir lets every pair reach each other except recipients in blocked.
type fakeDir struct{ blocked map[crypto.ID]bool }

func (d fakeDir) Reachable(_ context.Context, _, to crypto.ID) error {
	if d.blocked[to] {
		return errors.New("not in your tenant")
	}
	return nil
}

// recBus records who was told about group changes.
type recBus struct {
	mu   sync.Mutex
	told []crypto.ID
}

func (b *recBus) Publish(user crypto.ID, ev relay.Event) {
	if ev.Kind != relay.EventGroups {
		return
	}
	b.mu.Lock()
	b.told = append(b.told, user)
	b.mu.Unlock()
}

func (b *recBus) Subscribe(crypto.ID, func()) (relay.Feed, error) { return nil, errors.New("not here") }

// take returns who was told since the last call, sorted.
func (b *recBus) take() []crypto.ID {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.told
	b.told = nil
	slices.SortFunc(out, func(a, b crypto.ID) int { return strings.Compare(a.String(), b.String()) })
	return out
}

type fx struct {
	t   *testing.T
	db  *store.Bolt
	svc *Service
	bus *recBus
	dir fakeDir
}

func uid(i int) crypto.ID {
	id, err := crypto.ParseID(fmt.Sprintf("U%07d", i))
	if err != nil {
		panic(err)
	}
	return id
}

// newFx opens a store with tenant t1 and n active users U0000000…,
// plus a pending user P0000000 and a revoked user R0000000.
func newFx(t *testing.T, n int) *fx {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	err = db.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.PutTenant(store.Tenant{ID: "t1", Name: "acme"}); err != nil {
			return err
		}
		for i := range n {
			if err := tx.PutUser(store.User{ID: uid(i), TenantID: "t1", Name: fmt.Sprint("user ", i), Status: store.UserActive}); err != nil {
				return err
			}
		}
		for _, u := range []store.User{
			{ID: mustID("P0000000"), TenantID: "t1", Status: store.UserPending},
			{ID: mustID("R0000000"), TenantID: "t1", Status: store.UserRevoked},
		} {
			if err := tx.PutUser(u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fx{t: t, db: db, bus: &recBus{}, dir: fakeDir{blocked: map[crypto.ID]bool{}}}
	f.svc = New(db, f.dir, f.bus, Config{Now: func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }})
	return f
}

func mustID(s string) crypto.ID {
	id, err := crypto.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

// as returns a context acting as the user id, read from the store.
func (f *fx) as(id crypto.ID) context.Context {
	f.t.Helper()
	var u store.User
	err := f.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		u, err = tx.User(id)
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return auth.With(context.Background(), &auth.Principal{KeyFingerprint: "SHA256:" + id.String(), User: &u})
}

// groupsOf lists the keys of id's groups as the store indexes them.
func (f *fx) groupsOf(id crypto.ID) []string {
	f.t.Helper()
	var keys []string
	err := f.db.View(context.Background(), func(tx store.Tx) error {
		gs, err := tx.GroupsOfMember(id)
		for _, g := range gs {
			keys = append(keys, g.Key)
		}
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return keys
}

// managed stores a managed group of t1 with members and returns its key.
func (f *fx) managed(members ...crypto.ID) string {
	f.t.Helper()
	key, err := store.NewGroupKey()
	if err != nil {
		f.t.Fatal(err)
	}
	err = f.db.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutGroup(store.Group{ID: "g00000001", TenantID: "t1", Name: "Sales", Key: key,
			Kind: store.GroupManaged, Members: members})
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return key
}

func TestCreateAndRead(t *testing.T) {
	f := newFx(t, 4)
	ann, bob, cat, dan := uid(0), uid(1), uid(2), uid(3)
	g, err := f.svc.Create(f.as(ann), "  Climbers ", []crypto.ID{bob, cat, bob, ann})
	if err != nil {
		t.Fatal(err)
	}
	if !store.ValidGroupKey(g.Key) || g.Name != "Climbers" || g.Managed || g.Creator != ann || g.TenantID != "t1" {
		t.Errorf("created %+v", g)
	}
	if got, want := g.Members, []crypto.ID{ann, bob, cat}; !slices.Equal(got, want) {
		t.Errorf("members = %v, want %v", got, want)
	}
	if got, want := g.Admins, []crypto.ID{ann}; !slices.Equal(got, want) {
		t.Errorf("admins = %v, want %v", got, want)
	}
	if got, want := f.bus.take(), []crypto.ID{bob, cat, ann}; !sameIDs(got, want) {
		t.Errorf("told %v, want %v", got, want)
	}
	for _, m := range []crypto.ID{ann, bob, cat} {
		mine, err := f.svc.Mine(f.as(m))
		if err != nil || len(mine) != 1 || mine[0].Key != g.Key {
			t.Errorf("Mine for %s = %+v, %v", m, mine, err)
		}
		if got, err := f.svc.Get(f.as(m), g.Key); err != nil || got.Name != "Climbers" {
			t.Errorf("Get for %s = %+v, %v", m, got, err)
		}
	}
	if mine, err := f.svc.Mine(f.as(dan)); err != nil || len(mine) != 0 {
		t.Errorf("Mine for a non-member = %+v, %v", mine, err)
	}
	for _, key := range []string{g.Key, "0000000000000000", "../../etc", ""} {
		if _, err := f.svc.Get(f.as(dan), key); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get(%q) by a non-member: err = %v, want ErrNotFound", key, err)
		}
	}
}

func sameIDs(a, b []crypto.ID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	cmp := func(x, y crypto.ID) int { return strings.Compare(x.String(), y.String()) }
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(a, b)
}

// TestCreateRefusals checks that every refused Create names the reason
// and stores nothing.
func TestCreateRefusals(t *testing.T) {
	f := newFx(t, 3)
	ann, bob, cat := uid(0), uid(1), uid(2)
	f.dir.blocked[cat] = true
	cases := []struct {
		name    string
		group   string
		members []crypto.ID
		is      error
		says    string
	}{
		{"unknown member", "G", []crypto.ID{bob, mustID("ZZZZ9999")}, ErrInvalid, "unknown member ZZZZ9999"},
		{"pending member", "G", []crypto.ID{mustID("P0000000")}, ErrInvalid, "member P0000000 is not an active user"},
		{"revoked member", "G", []crypto.ID{mustID("R0000000")}, ErrInvalid, "member R0000000 is not an active user"},
		{"unreachable member", "G", []crypto.ID{bob, cat}, ErrInvalid, "member " + cat.String() + " cannot be reached"},
		{"empty name", "  ", []crypto.ID{bob}, ErrInvalid, "needs a name"},
		{"long name", strings.Repeat("x", MaxNameLen+1), []crypto.ID{bob}, ErrInvalid, "at most 100 characters"},
		{"control in name", "a\x1b[31mb", []crypto.ID{bob}, ErrInvalid, "control characters"},
		{"bidi in name", "a\u202eb", []crypto.ID{bob}, ErrInvalid, "control characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Create(f.as(ann), c.group, c.members)
			if !errors.Is(err, c.is) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("err = %v, want %v saying %q", err, c.is, c.says)
			}
			if got := f.groupsOf(ann); len(got) != 0 {
				t.Errorf("refused create stored groups %v", got)
			}
			if got := f.bus.take(); len(got) != 0 {
				t.Errorf("refused create told %v", got)
			}
		})
	}
}

func TestCreatePolicyRefusal(t *testing.T) {
	f := newFx(t, 2)
	ann, bob := uid(0), uid(1)
	err := f.db.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutPolicyValue("t1", ann, policy.DisableCreateGroup, "true")
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Create(f.as(ann), "Climbers", []crypto.ID{bob})
	var fe *policy.ForbiddenError
	if !errors.Is(err, policy.ErrForbiddenByPolicy) || !errors.As(err, &fe) || fe.Key != policy.DisableCreateGroup {
		t.Fatalf("err = %v, want a policy refusal naming %s", err, policy.DisableCreateGroup)
	}
	if got := f.groupsOf(ann); len(got) != 0 {
		t.Errorf("policy refusal stored %v", got)
	}
	if got := f.groupsOf(bob); len(got) != 0 {
		t.Errorf("policy refusal stored %v for bob", got)
	}
	// Bob's policy is his own: he may.
	if _, err := f.svc.Create(f.as(bob), "Climbers", []crypto.ID{ann}); err != nil {
		t.Errorf("bob without the policy: %v", err)
	}
}

func TestMemberLimit(t *testing.T) {
	f := newFx(t, MaxMembers+1)
	me := uid(0)
	var others []crypto.ID
	for i := 1; i <= MaxMembers; i++ {
		others = append(others, uid(i))
	}
	// 1,251 with the creator: refused, nothing stored.
	_, err := f.svc.Create(f.as(me), "Everyone", others)
	if !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), "1250") {
		t.Fatalf("1251 members: err = %v, want ErrTooMany naming 1250", err)
	}
	if got := f.groupsOf(me); len(got) != 0 {
		t.Fatalf("refused create stored %v", got)
	}
	// 1,250: fine.
	g, err := f.svc.Create(f.as(me), "Everyone", others[:MaxMembers-1])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(g.Members), MaxMembers; got != want {
		t.Fatalf("members = %d, want %d", got, want)
	}
	// Full: one more is refused.
	if _, err := f.svc.AddMembers(f.as(me), g.Key, others[MaxMembers-1:]); !errors.Is(err, ErrTooMany) {
		t.Errorf("adding to a full group: err = %v, want ErrTooMany", err)
	}
	if got := f.groupsOf(others[MaxMembers-1]); len(got) != 0 {
		t.Errorf("refused add stored %v", got)
	}
}

// TestPermissions runs every change as the group's admin, as a plain
// member and as an outsider, on a user group and on a managed group.
func TestPermissions(t *testing.T) {
	ann, bob, cat, dan := uid(0), uid(1), uid(2), uid(3)
	type op struct {
		name string
		do   func(s *Service, ctx context.Context, key string) error
	}
	ops := []op{
		{"add", func(s *Service, ctx context.Context, key string) error {
			_, err := s.AddMembers(ctx, key, []crypto.ID{uid(4)})
			return err
		}},
		{"remove", func(s *Service, ctx context.Context, key string) error {
			_, err := s.RemoveMembers(ctx, key, []crypto.ID{cat})
			return err
		}},
		{"rename", func(s *Service, ctx context.Context, key string) error {
			_, err := s.Rename(ctx, key, "New name")
			return err
		}},
		{"set admin", func(s *Service, ctx context.Context, key string) error {
			_, err := s.SetAdmin(ctx, key, cat, true)
			return err
		}},
		{"leave", func(s *Service, ctx context.Context, key string) error { return s.Leave(ctx, key) }},
	}
	cases := []struct {
		who     crypto.ID
		managed bool
		want    error // nil: allowed
	}{
		{ann, false, nil},
		{bob, false, ErrNotAdmin},
		{dan, false, ErrNotFound},
		{ann, true, ErrManaged},
		{bob, true, ErrManaged},
		{dan, true, ErrNotFound},
	}
	for _, c := range cases {
		for _, o := range ops {
			t.Run(fmt.Sprintf("%s/managed=%v/%s", c.who, c.managed, o.name), func(t *testing.T) {
				f := newFx(t, 5)
				var key string
				if c.managed {
					key = f.managed(ann, bob, cat)
				} else {
					g, err := f.svc.Create(f.as(ann), "Climbers", []crypto.ID{bob, cat})
					if err != nil {
						t.Fatal(err)
					}
					key = g.Key
				}
				f.bus.take()
				var before store.Group
				read := func() store.Group {
					var g store.Group
					if err := f.db.View(context.Background(), func(tx store.Tx) error {
						var err error
						g, err = tx.GroupByKey(key)
						return err
					}); err != nil {
						t.Fatal(err)
					}
					return g
				}
				before = read()
				want := c.want
				if o.name == "leave" && c.who == bob && !c.managed {
					want = nil // every member may leave
				}
				err := o.do(f.svc, f.as(c.who), key)
				if !errors.Is(err, want) || (want == nil) != (err == nil) {
					t.Fatalf("err = %v, want %v", err, want)
				}
				if want != nil {
					if after := read(); !slices.Equal(after.Members, before.Members) || after.Name != before.Name ||
						!slices.Equal(after.Admins, before.Admins) {
						t.Errorf("refused %s changed the group: %+v → %+v", o.name, before, after)
					}
					if got := f.bus.take(); len(got) != 0 {
						t.Errorf("refused %s told %v", o.name, got)
					}
				} else if got := f.bus.take(); len(got) == 0 {
					t.Errorf("%s told nobody", o.name)
				}
			})
		}
	}
}

func TestMembersAndAdmins(t *testing.T) {
	f := newFx(t, 5)
	ann, bob, cat, dan := uid(0), uid(1), uid(2), uid(3)
	g, err := f.svc.Create(f.as(ann), "Climbers", []crypto.ID{bob})
	if err != nil {
		t.Fatal(err)
	}
	f.bus.take()
	g, err = f.svc.AddMembers(f.as(ann), g.Key, []crypto.ID{cat, bob, dan})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := g.Members, []crypto.ID{ann, bob, cat, dan}; !slices.Equal(got, want) {
		t.Errorf("members after add = %v, want %v", got, want)
	}
	if got, want := f.bus.take(), []crypto.ID{ann, bob, cat, dan}; !sameIDs(got, want) {
		t.Errorf("add told %v, want %v", got, want)
	}
	// All or nothing: one unknown ID refuses the lot.
	if _, err := f.svc.AddMembers(f.as(ann), g.Key, []crypto.ID{uid(4), mustID("ZZZZ9999")}); err == nil ||
		!strings.Contains(err.Error(), "unknown member ZZZZ9999") {
		t.Errorf("add with an unknown ID: err = %v", err)
	}
	if got := f.groupsOf(uid(4)); len(got) != 0 {
		t.Errorf("refused add stored %v", got)
	}
	if _, err := f.svc.RemoveMembers(f.as(ann), g.Key, []crypto.ID{cat, uid(4)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("remove a non-member: err = %v, want ErrInvalid", err)
	}
	if _, err := f.svc.RemoveMembers(f.as(ann), g.Key, []crypto.ID{ann}); !errors.Is(err, ErrInvalid) {
		t.Errorf("remove yourself: err = %v, want ErrInvalid", err)
	}
	g, err = f.svc.SetAdmin(f.as(ann), g.Key, cat, true)
	if err != nil || !slices.Equal(g.Admins, []crypto.ID{ann, cat}) {
		t.Fatalf("SetAdmin = %v, %v", g.Admins, err)
	}
	// Cat, now admin, removes Bob; the removed member is told and his
	// index entry goes.
	f.bus.take()
	g, err = f.svc.RemoveMembers(f.as(cat), g.Key, []crypto.ID{bob})
	if err != nil || slices.Contains(g.Members, bob) {
		t.Fatalf("remove = %v, %v", g.Members, err)
	}
	if got := f.bus.take(); !slices.Contains(got, bob) {
		t.Errorf("the removed member was not told: %v", got)
	}
	if got := f.groupsOf(bob); len(got) != 0 {
		t.Errorf("removed member still indexed in %v", got)
	}
	if _, err := f.svc.Get(f.as(bob), g.Key); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed member reads the group: %v", err)
	}
	// The only admin cannot step down; with two, one can.
	if _, err := f.svc.SetAdmin(f.as(ann), g.Key, ann, false); err != nil {
		t.Fatalf("step down with two admins: %v", err)
	}
	if _, err := f.svc.SetAdmin(f.as(cat), g.Key, cat, false); !errors.Is(err, ErrInvalid) {
		t.Errorf("last admin steps down: err = %v, want ErrInvalid", err)
	}
	if _, err := f.svc.SetAdmin(f.as(cat), g.Key, uid(4), true); !errors.Is(err, ErrInvalid) {
		t.Errorf("admin for a non-member: err = %v, want ErrInvalid", err)
	}
	g, err = f.svc.Rename(f.as(cat), g.Key, "Boulderers")
	if err != nil || g.Name != "Boulderers" {
		t.Errorf("rename = %+v, %v", g, err)
	}
	if _, err := f.svc.Rename(f.as(cat), g.Key, ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("rename to nothing: err = %v", err)
	}
}

func TestLeave(t *testing.T) {
	f := newFx(t, 3)
	ann, bob, cat := uid(0), uid(1), uid(2)
	g, err := f.svc.Create(f.as(ann), "Climbers", []crypto.ID{bob, cat})
	if err != nil {
		t.Fatal(err)
	}
	f.bus.take()
	// The last admin leaves: the longest member, Bob, takes over.
	if err := f.svc.Leave(f.as(ann), g.Key); err != nil {
		t.Fatal(err)
	}
	if got, want := f.bus.take(), []crypto.ID{ann, bob, cat}; !sameIDs(got, want) {
		t.Errorf("leave told %v, want %v", got, want)
	}
	got, err := f.svc.Get(f.as(bob), g.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Admins, []crypto.ID{bob}) || !slices.Equal(got.Members, []crypto.ID{bob, cat}) {
		t.Errorf("after the admin left: admins %v members %v", got.Admins, got.Members)
	}
	if err := f.svc.Leave(f.as(ann), g.Key); !errors.Is(err, ErrNotFound) {
		t.Errorf("leave twice: err = %v, want ErrNotFound", err)
	}
	// The last members leave: the group is gone.
	for _, m := range []crypto.ID{cat, bob} {
		if err := f.svc.Leave(f.as(m), g.Key); err != nil {
			t.Fatal(err)
		}
	}
	err = f.db.View(context.Background(), func(tx store.Tx) error {
		_, err := tx.GroupByKey(g.Key)
		return err
	})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("empty group still stored: %v", err)
	}
}

func TestNotAUser(t *testing.T) {
	f := newFx(t, 2)
	admin := auth.With(context.Background(), &auth.Principal{KeyFingerprint: "SHA256:admin",
		Roles: []store.Admin{{Role: store.RoleInstance}}})
	if _, err := f.svc.Create(admin, "X", []crypto.ID{uid(1)}); !errors.Is(err, ErrNotUser) {
		t.Errorf("Create by an admin key: err = %v, want ErrNotUser", err)
	}
	if _, err := f.svc.Mine(context.Background()); !errors.Is(err, ErrNotUser) {
		t.Errorf("Mine without a principal: err = %v, want ErrNotUser", err)
	}
	if err := f.svc.Leave(admin, "0000000000000000"); !errors.Is(err, ErrNotUser) {
		t.Errorf("Leave by an admin key: err = %v, want ErrNotUser", err)
	}
}

// TestManagedListed checks that members see managed groups as managed.
func TestManagedListed(t *testing.T) {
	f := newFx(t, 2)
	key := f.managed(uid(0), uid(1))
	mine, err := f.svc.Mine(f.as(uid(1)))
	if err != nil || len(mine) != 1 || mine[0].Key != key || !mine[0].Managed || mine[0].Name != "Sales" {
		t.Errorf("Mine = %+v, %v", mine, err)
	}
}

// TestOrphanedGroupFallsToLongestMember: when the only admin is taken out
// of a group behind the registry's back (an admin revoked the user), the
// longest member administers it.
func TestOrphanedGroupFallsToLongestMember(t *testing.T) {
	f := newFx(t, 3)
	ann, bob, cat := uid(0), uid(1), uid(2)
	g, err := f.svc.Create(f.as(ann), "Climbers", []crypto.ID{bob, cat})
	if err != nil {
		t.Fatal(err)
	}
	err = f.db.Update(context.Background(), func(tx store.Tx) error {
		sg, err := tx.GroupByKey(g.Key)
		if err != nil {
			return err
		}
		sg.Members = []crypto.ID{bob, cat} // as admin.leaving does
		return tx.PutGroup(sg)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.svc.Get(f.as(cat), g.Key)
	if err != nil || !slices.Equal(got.Admins, []crypto.ID{bob}) {
		t.Fatalf("admins = %v, %v; want bob", got.Admins, err)
	}
	if _, err := f.svc.Rename(f.as(bob), g.Key, "Ours now"); err != nil {
		t.Errorf("the longest member cannot administer: %v", err)
	}
	if _, err := f.svc.Rename(f.as(cat), g.Key, "Mine"); !errors.Is(err, ErrNotAdmin) {
		t.Errorf("another member renames: err = %v, want ErrNotAdmin", err)
	}
}

// FuzzNormalizeName: an accepted name is trimmed, valid UTF-8, 1 to
// MaxNameLen characters without control characters, and stays as it is.
func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"Climbers", "  a ", "", "a\x00b", "a\u202eb", strings.Repeat("ü", 101), "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeName(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if n == "" || n != strings.TrimSpace(n) || !utf8.ValidString(n) || utf8.RuneCountInString(n) > MaxNameLen ||
			strings.ContainsFunc(n, func(r rune) bool { return unicode.IsControl(r) || isBidiControl(r) }) {
			t.Fatalf("accepted %q", n)
		}
		if again, err := NormalizeName(n); err != nil || again != n {
			t.Fatalf("not stable: %q → %q, %v", n, again, err)
		}
	})
}
