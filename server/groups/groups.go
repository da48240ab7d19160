package groups

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/store"
)

// MaxMembers bounds the members of a group, its creator and admins included.
const MaxMembers = 1250

// MaxNameLen bounds a group's name, in characters.
const MaxNameLen = 100

// Group is a group as a member sees it.
type Group struct {
	Key     string // instance-wide key: 16 lower-case hex characters
	Name    string
	Managed bool // made by the organisation's admins: fixed membership
	Creator crypto.ID
	Admins  []crypto.ID
	Members []crypto.ID // in the order they joined; admins included
	// TenantID is the tenant the group belongs to: its creator's.
	TenantID  string
	CreatedAt time.Time
}

// Directory is what the registry asks the directory.
type Directory interface {
	// Reachable reports whether from may send to to; its error says why not.
	Reachable(ctx context.Context, from, to crypto.ID) error
}

// Config tunes the service. Zero values take the defaults.
type Config struct {
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Service is the group registry.
type Service struct {
	db  store.DB
	dir Directory
	bus relay.Bus
	now func() time.Time
}

// New returns the registry over db, asking dir who may reach whom and
// announcing changes on bus.
func New(db store.DB, dir Directory, bus relay.Bus, cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{db: db, dir: dir, bus: bus, now: cfg.Now}
}

// admins returns the admins of a user group who are still members. A
// group whose admins all went (an admin revoked a user, say) falls to the
// member who has been in it longest.
func admins(g store.Group) []crypto.ID {
	if g.Kind != store.GroupUser {
		return nil
	}
	out := slices.DeleteFunc(slices.Clone(g.Admins), func(id crypto.ID) bool { return !slices.Contains(g.Members, id) })
	if len(out) == 0 && len(g.Members) > 0 {
		out = []crypto.ID{g.Members[0]}
	}
	return out
}

func fromStore(g store.Group) Group {
	return Group{
		Key: g.Key, Name: g.Name, Managed: g.Kind != store.GroupUser, Creator: g.Creator,
		Admins: admins(g), Members: slices.Clone(g.Members),
		TenantID: g.TenantID, CreatedAt: g.CreatedAt,
	}
}

// reader returns the caller's ID when it may read groups: an active user,
// or one who left its tenant and keeps reading its history.
func reader(ctx context.Context) (crypto.ID, error) {
	p := auth.From(ctx)
	if !p.CanChat() {
		return crypto.ID{}, ErrNotUser
	}
	return p.UserID(), nil
}

// actor returns the caller, which must be an active user, as the store
// holds it now.
func actor(ctx context.Context, tx store.Tx) (store.User, error) {
	p := auth.From(ctx)
	if !p.IsUser() {
		return store.User{}, ErrNotUser
	}
	u, err := tx.User(p.UserID())
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Status != store.UserActive) {
		return store.User{}, ErrNotUser
	}
	return u, err
}

// NormalizeName trims a group name and checks it: 1 to MaxNameLen
// characters, no control or bidirectional-override characters.
func NormalizeName(name string) (string, error) {
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		return "", fmt.Errorf("%w: the group needs a name", ErrInvalid)
	case !utf8.ValidString(n):
		return "", fmt.Errorf("%w: the group name is not valid UTF-8", ErrInvalid)
	case utf8.RuneCountInString(n) > MaxNameLen:
		return "", fmt.Errorf("%w: a group name has at most %d characters", ErrInvalid, MaxNameLen)
	}
	for _, r := range n {
		if unicode.IsControl(r) || isBidiControl(r) {
			return "", fmt.Errorf("%w: the group name contains control characters", ErrInvalid)
		}
	}
	return n, nil
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// unique returns ids without repeats and without skip, in order.
func unique(ids []crypto.ID, skip crypto.ID) []crypto.ID {
	out := make([]crypto.ID, 0, len(ids))
	for _, id := range ids {
		if id != skip && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// usable checks inside tx that every id is a user who is active.
func usable(tx store.Tx, ids []crypto.ID) error {
	for _, id := range ids {
		u, err := tx.User(id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("%w: unknown member %s", ErrInvalid, id)
		case err != nil:
			return fmt.Errorf("read member %s: %w", id, err)
		case u.Status != store.UserActive:
			return fmt.Errorf("%w: member %s is not an active user", ErrInvalid, id)
		}
	}
	return nil
}

// check makes sure every id is an active user that from may reach. It
// reads outside any update: the directory opens its own transactions.
func (s *Service) check(ctx context.Context, from crypto.ID, ids []crypto.ID) error {
	if err := s.db.View(ctx, func(tx store.Tx) error { return usable(tx, ids) }); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.dir.Reachable(ctx, from, id); err != nil {
			return fmt.Errorf("%w: member %s cannot be reached: %w", ErrInvalid, id, err)
		}
	}
	return nil
}

// announce tells every member of every list, once, that its groups changed.
func (s *Service) announce(lists ...[]crypto.ID) {
	var done []crypto.ID
	for _, l := range lists {
		for _, id := range l {
			if !slices.Contains(done, id) {
				done = append(done, id)
				s.bus.Publish(id, relay.Event{Kind: relay.EventGroups})
			}
		}
	}
}

// Create makes a user group named name with the caller as creator, admin
// and first member, and members after it. The caller's policy must allow
// creating groups; the members must be active users the caller can reach.
// Nothing is stored unless everything is right.
func (s *Service) Create(ctx context.Context, name string, members []crypto.ID) (Group, error) {
	p := auth.From(ctx)
	if !p.IsUser() {
		return Group{}, ErrNotUser
	}
	me := p.UserID()
	name, err := NormalizeName(name)
	if err != nil {
		return Group{}, err
	}
	others := unique(members, me)
	if len(others)+1 > MaxMembers {
		return Group{}, fmt.Errorf("%w: a group holds at most %d members, you and %d others make %d",
			ErrTooMany, MaxMembers, len(others), len(others)+1)
	}
	allowed := func(tx store.Tx) (store.User, error) {
		u, err := actor(ctx, tx)
		if err != nil {
			return u, err
		}
		v, err := policy.EffectiveTx(tx, u.TenantID, u.ID)
		if err != nil {
			return u, fmt.Errorf("read policy: %w", err)
		}
		return u, policy.Allows(v, policy.CreateGroup)
	}
	// The policy first, so a refusal is the answer whatever the members.
	if err := s.db.View(ctx, func(tx store.Tx) error { _, err := allowed(tx); return err }); err != nil {
		return Group{}, err
	}
	if err := s.check(ctx, me, others); err != nil {
		return Group{}, err
	}
	key, err := store.NewGroupKey()
	if err != nil {
		return Group{}, err
	}
	var g store.Group
	err = s.db.Update(ctx, func(tx store.Tx) error {
		u, err := allowed(tx)
		if err != nil {
			return err
		}
		if err := usable(tx, others); err != nil {
			return err
		}
		if _, err := tx.GroupByKey(key); err == nil {
			return fmt.Errorf("group key %s is taken: try again", key)
		}
		g = store.Group{
			ID: key, TenantID: u.TenantID, Name: name, Key: key, Kind: store.GroupUser,
			Creator: me, Admins: []crypto.ID{me}, Members: append([]crypto.ID{me}, others...),
			CreatedAt: s.now().UTC(),
		}
		return tx.PutGroup(g)
	})
	if err != nil {
		return Group{}, fmt.Errorf("create group: %w", err)
	}
	s.announce(g.Members)
	return fromStore(g), nil
}

// Mine lists the groups the caller is a member of, by name.
func (s *Service) Mine(ctx context.Context) ([]Group, error) {
	me, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	var gs []store.Group
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		gs, err = tx.GroupsOfMember(me)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	out := make([]Group, 0, len(gs))
	for _, g := range gs {
		out = append(out, fromStore(g))
	}
	slices.SortFunc(out, func(a, b Group) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// memberGroup reads the group with key that me is a member of; any other
// group is ErrNotFound.
func memberGroup(tx store.Tx, key string, me crypto.ID) (store.Group, error) {
	g, err := tx.GroupByKey(key)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !slices.Contains(g.Members, me)) {
		return store.Group{}, ErrNotFound
	}
	return g, err
}

// Get returns one group of the caller by key.
func (s *Service) Get(ctx context.Context, key string) (Group, error) {
	me, err := reader(ctx)
	if err != nil {
		return Group{}, err
	}
	var g store.Group
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		g, err = memberGroup(tx, key, me)
		return err
	})
	if err != nil {
		return Group{}, fmt.Errorf("read group: %w", err)
	}
	return fromStore(g), nil
}

// adminGroup reads a user group the caller may change: it must be a
// member (else ErrNotFound), the group not managed (ErrManaged) and the
// caller one of its admins (ErrNotAdmin).
func adminGroup(ctx context.Context, tx store.Tx, key string) (store.Group, error) {
	u, err := actor(ctx, tx)
	if err != nil {
		return store.Group{}, err
	}
	g, err := memberGroup(tx, key, u.ID)
	switch {
	case err != nil:
		return store.Group{}, err
	case g.Kind != store.GroupUser:
		return store.Group{}, ErrManaged
	}
	g.Admins = admins(g)
	if !slices.Contains(g.Admins, u.ID) {
		return store.Group{}, ErrNotAdmin
	}
	return g, nil
}

// change runs fn on the group the caller administers and stores what it
// returns; then it announces the change to the members before and after.
func (s *Service) change(ctx context.Context, verb, key string, fn func(tx store.Tx, g store.Group) (store.Group, error)) (Group, error) {
	var before, after store.Group
	err := s.db.Update(ctx, func(tx store.Tx) error {
		var err error
		if before, err = adminGroup(ctx, tx, key); err != nil {
			return err
		}
		if after, err = fn(tx, before); err != nil {
			return err
		}
		return tx.PutGroup(after)
	})
	if err != nil {
		return Group{}, fmt.Errorf("%s: %w", verb, err)
	}
	s.announce(before.Members, after.Members)
	return fromStore(after), nil
}

// AddMembers adds active users the caller can reach to one of its groups,
// all or none; members already in are left as they are. Group admins only.
func (s *Service) AddMembers(ctx context.Context, key string, ids []crypto.ID) (Group, error) {
	p := auth.From(ctx)
	if !p.IsUser() {
		return Group{}, ErrNotUser
	}
	if len(ids) == 0 {
		return Group{}, fmt.Errorf("add members: %w: name at least one member", ErrInvalid)
	}
	var cur store.Group
	if err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		cur, err = adminGroup(ctx, tx, key)
		return err
	}); err != nil {
		return Group{}, fmt.Errorf("add members: %w", err)
	}
	fresh := slices.DeleteFunc(unique(ids, p.UserID()), func(id crypto.ID) bool { return slices.Contains(cur.Members, id) })
	if n := len(cur.Members) + len(fresh); n > MaxMembers {
		return Group{}, fmt.Errorf("add members: %w: a group holds at most %d members; %d and %d more make %d",
			ErrTooMany, MaxMembers, len(cur.Members), len(fresh), n)
	}
	if err := s.check(ctx, p.UserID(), fresh); err != nil {
		return Group{}, fmt.Errorf("add members: %w", err)
	}
	return s.change(ctx, "add members", key, func(tx store.Tx, g store.Group) (store.Group, error) {
		fresh := slices.DeleteFunc(slices.Clone(fresh), func(id crypto.ID) bool { return slices.Contains(g.Members, id) })
		if n := len(g.Members) + len(fresh); n > MaxMembers {
			return g, fmt.Errorf("%w: a group holds at most %d members", ErrTooMany, MaxMembers)
		}
		if err := usable(tx, fresh); err != nil {
			return g, err
		}
		g.Members = append(slices.Clone(g.Members), fresh...)
		return g, nil
	})
}

// RemoveMembers removes members from one of the caller's groups, all or
// none: an ID that is not a member is an error. Removed admins stop being
// admins. Group admins only; to remove yourself, leave.
func (s *Service) RemoveMembers(ctx context.Context, key string, ids []crypto.ID) (Group, error) {
	if len(ids) == 0 {
		return Group{}, fmt.Errorf("remove members: %w: name at least one member", ErrInvalid)
	}
	me := auth.From(ctx).UserID()
	return s.change(ctx, "remove members", key, func(_ store.Tx, g store.Group) (store.Group, error) {
		gone := unique(ids, crypto.ID{})
		for _, id := range gone {
			switch {
			case id == me:
				return g, fmt.Errorf("%w: to remove yourself, leave the group", ErrInvalid)
			case !slices.Contains(g.Members, id):
				return g, fmt.Errorf("%w: %s is not a member of %s", ErrInvalid, id, g.Name)
			}
		}
		out := func(id crypto.ID) bool { return slices.Contains(gone, id) }
		g.Members = slices.DeleteFunc(slices.Clone(g.Members), out)
		g.Admins = slices.DeleteFunc(slices.Clone(g.Admins), out)
		return g, nil
	})
}

// Rename gives one of the caller's groups a new name. Group admins only.
func (s *Service) Rename(ctx context.Context, key, name string) (Group, error) {
	name, err := NormalizeName(name)
	if err != nil {
		return Group{}, fmt.Errorf("rename group: %w", err)
	}
	return s.change(ctx, "rename group", key, func(_ store.Tx, g store.Group) (store.Group, error) {
		g.Name = name
		return g, nil
	})
}

// SetAdmin makes a member of one of the caller's groups an admin (admin
// true) or a plain member. A group keeps at least one admin. Group admins
// only.
func (s *Service) SetAdmin(ctx context.Context, key string, id crypto.ID, admin bool) (Group, error) {
	return s.change(ctx, "set admin", key, func(_ store.Tx, g store.Group) (store.Group, error) {
		switch {
		case !slices.Contains(g.Members, id):
			return g, fmt.Errorf("%w: %s is not a member of %s", ErrInvalid, id, g.Name)
		case admin && !slices.Contains(g.Admins, id):
			g.Admins = append(slices.Clone(g.Admins), id)
		case !admin && slices.Contains(g.Admins, id):
			if len(g.Admins) == 1 {
				return g, fmt.Errorf("%w: %s is the group's only admin: make another member admin first", ErrInvalid, id)
			}
			g.Admins = slices.DeleteFunc(slices.Clone(g.Admins), func(a crypto.ID) bool { return a == id })
		}
		return g, nil
	})
}

// Leave takes the caller out of one of its groups. When the last admin
// leaves, the member who has been in the group longest becomes admin; the
// last member leaving deletes the group. Managed groups cannot be left.
func (s *Service) Leave(ctx context.Context, key string) error {
	var before store.Group
	err := s.db.Update(ctx, func(tx store.Tx) error {
		u, err := actor(ctx, tx)
		if err != nil {
			return err
		}
		g, err := memberGroup(tx, key, u.ID)
		if err != nil {
			return err
		}
		if g.Kind != store.GroupUser {
			return ErrManaged
		}
		before = g
		g.Admins = admins(g)
		notMe := func(id crypto.ID) bool { return id == u.ID }
		g.Members = slices.DeleteFunc(slices.Clone(g.Members), notMe)
		g.Admins = slices.DeleteFunc(slices.Clone(g.Admins), notMe)
		if len(g.Members) == 0 {
			return tx.DeleteGroup(g.TenantID, g.ID)
		}
		if len(g.Admins) == 0 {
			g.Admins = []crypto.ID{g.Members[0]}
		}
		return tx.PutGroup(g)
	})
	if err != nil {
		return fmt.Errorf("leave group: %w", err)
	}
	s.announce(before.Members)
	return nil
}
