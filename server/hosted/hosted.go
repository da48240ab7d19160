package hosted

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/groups"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

// Deps are the services a hosted core uses.
type Deps struct {
	DB        store.DB
	Relay     Relay
	Directory Directory
	Bus       relay.Bus
	// Policies announces policy changes, so open sessions apply them
	// live; nil: sessions see changes when they read their settings again.
	Policies *policy.Bus
	// Now is the clock for quiet hours and audit entries (default time.Now).
	Now func() time.Time
	// Blobs stores the encrypted files of file messages; nil: no files.
	Blobs *blobs.Store
	// Groups is the group registry; nil: no groups.
	Groups *groups.Service
	// Keyring keeps keys that chat sessions and `unlock` opened, for the
	// unlock window; nil: none is kept.
	Keyring *Keyring
	Logger  *slog.Logger
}

// NewCore returns a locked core for the principal, which must be an
// enrolled user.
func NewCore(d Deps, p *auth.Principal) (*core.Core, error) {
	if !p.CanChat() {
		return nil, relay.ErrNotUser
	}
	u := p.User
	return core.New(core.Config{
		Groups:   groupsFor(d, p),
		Identity: core.Identity{ID: u.ID, Name: u.Name, PublicKey: u.PublicKey},
		Relay:    &relayClient{p: p, rel: d.Relay, dir: d.Directory, device: store.HostedCursor},
		Keys:     &keys{p: p, dir: d.Directory, ring: d.Keyring},
		Store:    &deviceStore{db: d.DB, bus: d.Bus, user: u.ID, session: p.Session},
		Account:  accountFor(d, p),
		// The company directory and the user's own data (whoami).
		Directory: &directoryClient{p: p, dir: d.Directory},
		// Attachments: ciphertext only, in the server's blob store.
		Blobs:   blobsFor(d, p),
		Session: p.Session,
		Logger:  d.Logger,
	}), nil
}

// relayClient is the core's Relay, in process, acting as one principal.
type relayClient struct {
	p   *auth.Principal
	rel Relay
	dir Directory
	// device is the delivery cursor the client reads with: the hosted
	// core's, or the SSH key's for a client that speaks the protocol.
	device string
}

var _ core.Relay = (*relayClient)(nil)

func (r *relayClient) ctx(ctx context.Context) context.Context {
	return relay.WithDevice(auth.With(ctx, r.p), r.device)
}

func (r *relayClient) Send(ctx context.Context, env []byte) (core.Sent, error) {
	s, err := r.rel.Send(r.ctx(ctx), env)
	return core.Sent{Seq: s.Seq, Received: s.Received}, err
}

func (r *relayClient) Fetch(ctx context.Context, after uint64, limit int) ([]core.Delivery, error) {
	ds, err := r.rel.Fetch(r.ctx(ctx), after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]core.Delivery, len(ds))
	for i, d := range ds {
		out[i] = core.Delivery{Seq: d.Seq, Received: d.Received, Envelope: d.Envelope}
	}
	return out, nil
}

func (r *relayClient) Ack(ctx context.Context, seqs []uint64) ([]bool, error) {
	return r.rel.Ack(r.ctx(ctx), seqs)
}

// AckInTx acknowledges inside a transaction of the device store, which
// shares the relay's database (NewCore's cores only).
func (r *relayClient) AckInTx(ctx context.Context, tx core.Tx, seqs []uint64) error {
	st, ok := tx.(spaceTx)
	if !ok {
		return errors.New("acknowledge: not a transaction of this server's store")
	}
	_, err := r.rel.AckTx(r.ctx(ctx), st.tx, seqs)
	return err
}

func (r *relayClient) Subscribe(ctx context.Context, notify func()) (core.Subscription, error) {
	s, err := r.rel.Subscribe(r.ctx(ctx), notify)
	if err != nil {
		return nil, err
	}
	return subscription{s}, nil
}

func (r *relayClient) Contact(ctx context.Context, id crypto.ID) (core.Contact, error) {
	c, err := r.dir.Contact(ctx, r.p.UserID(), id)
	if err != nil {
		return core.Contact{}, err
	}
	out := core.Contact{ID: c.ID, Name: c.Name, PublicKey: c.PublicKey, Nickname: c.Nickname, NameSet: c.NameSet,
		Internal: r.internal(ctx, c.TenantID)}
	// The relay withholds presence across tenants and where a policy or
	// the contact's own setting forbids it.
	if pr, err := r.rel.Presence(ctx, r.p.User, c.ID); err == nil {
		out.Presence = core.Presence{State: core.PresenceState(pr)}
	}
	return out, nil
}

// internal reports whether a user of tenant belongs to the caller's
// organisation: the same tenant, or a tenant of its directory group (the
// seeds' license-package group, whose contacts count as internal).
func (r *relayClient) internal(ctx context.Context, tenant string) bool {
	if r.p.User == nil {
		return false
	}
	if tenant == r.p.User.TenantID {
		return true
	}
	mine, err := r.dir.Tenant(ctx, r.p.User.TenantID)
	if err != nil || mine.DirectoryGroup == "" {
		return false
	}
	theirs, err := r.dir.Tenant(ctx, tenant)
	return err == nil && theirs.DirectoryGroup == mine.DirectoryGroup
}

type subscription struct{ s relay.Feed }

func (s subscription) Drain() ([]core.Event, error) {
	evs, err := s.s.Drain()
	if errors.Is(err, relay.ErrBehind) {
		return nil, core.ErrBehind
	}
	if err != nil {
		return nil, err
	}
	out := make([]core.Event, 0, len(evs))
	for _, ev := range evs {
		switch ev.Kind {
		case relay.EventMail:
			out = append(out, core.Event{Kind: core.EventMail,
				Delivery: core.Delivery{Seq: ev.Seq, Received: ev.Received, Envelope: ev.Envelope}})
		case relay.EventDeviceStore:
			out = append(out, core.Event{Kind: core.EventDeviceStore, Origin: ev.Origin})
		case relay.EventGroups:
			out = append(out, core.Event{Kind: core.EventGroups})
		}
	}
	return out, nil
}

func (s subscription) Close() { s.s.Close() }

// keys opens the principal's sealed key through the directory, which
// throttles failed attempts. A key a chat session opened goes to the
// keyring for as long as the session lasts (EndSession releases it).
type keys struct {
	p    *auth.Principal
	dir  Directory
	ring *Keyring
}

func (k *keys) OpenSecretKey(ctx context.Context, pass []byte) (*crypto.SecretKey, error) {
	sk, err := k.dir.OpenSecretKey(ctx, k.p.UserID(), pass)
	if errors.Is(err, directory.ErrWrongPassphrase) {
		return nil, core.ErrWrongPassphrase
	}
	if err == nil && k.ring != nil {
		k.ring.Hold(k.p.UserID(), k.p.Session, sk)
	}
	return sk, err
}

// deviceStore is the principal's own device store; writes are announced
// to the user's other sessions.
type deviceStore struct {
	db      store.DB
	bus     relay.Bus
	user    crypto.ID
	session string
}

var _ core.Store = (*deviceStore)(nil)

func (d *deviceStore) View(ctx context.Context, fn func(core.Tx) error) error {
	return d.db.View(ctx, func(tx store.Tx) error { return fn(spaceTx{tx: tx, user: d.user}) })
}

func (d *deviceStore) Update(ctx context.Context, fn func(core.Tx) error) error {
	err := d.db.Update(ctx, func(tx store.Tx) error { return fn(spaceTx{tx: tx, user: d.user}) })
	if err == nil {
		d.bus.Publish(d.user, relay.Event{Kind: relay.EventDeviceStore, Origin: d.session})
	}
	return err
}

type spaceTx struct {
	tx   store.Tx
	user crypto.ID
}

func (t spaceTx) Space(name string) core.Space { return t.tx.Space(t.user, name) }

// Ports are the services a client core of the principal talks to, in
// process: hosted sessions give them to their core, and the `parley`
// subsystem serves them to local clients over the wire.
type Ports struct {
	Relay interface {
		core.Relay
		core.BatchRelay
	}
	Directory core.Directory
	// Groups is the group registry; nil when the deps have none.
	Groups core.Groups
	// Account is the user's own settings; it watches d.Policies.
	Account core.Account
	// Blobs is the blob store; nil when the deps have none.
	Blobs BlobPort
}

// PortsFor returns the ports of a client that speaks the protocol as p (a
// user: CanChat); it reads the mailbox with its own SSH key's cursor.
func PortsFor(d Deps, p *auth.Principal) Ports {
	ports := Ports{Relay: &relayClient{p: p, rel: d.Relay, dir: d.Directory, device: relay.ClientDevice(p)}, Directory: &directoryClient{p: p, dir: d.Directory},
		Groups: groupsFor(d, p), Account: accountFor(d, p)}
	if d.Blobs != nil {
		ports.Blobs = blobPort{p: p, bs: d.Blobs}
	}
	return ports
}

// groupsFor returns the principal's Groups port: a nil interface, not a
// nil pointer in one, without a registry.
func groupsFor(d Deps, p *auth.Principal) core.Groups {
	if d.Groups == nil {
		return nil
	}
	return &groupClient{p: p, svc: d.Groups}
}

// accountFor returns the principal's Account port.
func accountFor(d Deps, p *auth.Principal) core.Account {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &account{p: p, db: d.DB, dir: d.Directory, bus: d.Policies, now: now}
}
