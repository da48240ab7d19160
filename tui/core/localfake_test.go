package core

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Test doubles for the local-feature tests: an in-memory device store with
// transactions, a relay with mailboxes and live feeds, and a directory.
// Every name starts with "l" so they cannot clash with other test files.

// lStore is an in-memory Store; Update works on a copy and keeps it only
// when fn succeeds, like a transaction.
type lStore struct {
	mu     sync.RWMutex
	spaces map[string]map[string][]byte
}

func newLStore() *lStore { return &lStore{spaces: map[string]map[string][]byte{}} }

func (s *lStore) View(ctx context.Context, fn func(Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(lTx{spaces: s.spaces})
}

func (s *lStore) Update(ctx context.Context, fn func(Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := make(map[string]map[string][]byte, len(s.spaces))
	for name, sp := range s.spaces {
		m := make(map[string][]byte, len(sp))
		for k, v := range sp {
			m[k] = v
		}
		cp[name] = m
	}
	if err := fn(lTx{spaces: cp, write: true}); err != nil {
		return err
	}
	s.spaces = cp
	return nil
}

// raw returns every stored value, for tests that look at what the store sees.
func (s *lStore) raw() [][]byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out [][]byte
	for _, sp := range s.spaces {
		for k, v := range sp {
			out = append(out, []byte(k), v)
		}
	}
	return out
}

type lTx struct {
	spaces map[string]map[string][]byte
	write  bool
}

func (t lTx) Space(name string) Space { return lSpace{tx: t, name: name} }

type lSpace struct {
	tx   lTx
	name string
}

func (s lSpace) Get(key []byte) ([]byte, error) {
	v, ok := s.tx.spaces[s.name][string(key)]
	if !ok {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

func (s lSpace) Put(key, value []byte) error {
	if !s.tx.write {
		return errors.New("put in a read transaction")
	}
	sp := s.tx.spaces[s.name]
	if sp == nil {
		sp = map[string][]byte{}
		s.tx.spaces[s.name] = sp
	}
	sp[string(key)] = bytes.Clone(value)
	return nil
}

func (s lSpace) Delete(key []byte) error {
	if !s.tx.write {
		return errors.New("delete in a read transaction")
	}
	delete(s.tx.spaces[s.name], string(key))
	return nil
}

func (s lSpace) Scan(prefix, start []byte, reverse bool, fn func(k, v []byte) bool) error {
	sp := s.tx.spaces[s.name]
	keys := make([]string, 0, len(sp))
	for k := range sp {
		if bytes.HasPrefix([]byte(k), prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if reverse {
		slices.Reverse(keys)
	}
	for _, k := range keys {
		if start != nil {
			if c := bytes.Compare([]byte(k), start); (!reverse && c < 0) || (reverse && c > 0) {
				continue
			}
		}
		if !fn([]byte(k), bytes.Clone(sp[k])) {
			return nil
		}
	}
	return nil
}

// lUser is a user the fake directory knows.
type lUser struct {
	ct   Contact
	sk   *crypto.SecretKey
	gone bool // the directory no longer finds them
}

// lNet is the fake server: directory, mailboxes and live feeds.
type lNet struct {
	t     *testing.T
	mu    sync.Mutex
	now   time.Time
	seq   uint64
	users map[crypto.ID]*lUser
	mail  map[crypto.ID][]Delivery
	subs  map[crypto.ID][]*lSub
	// offline users' relays answer ErrOffline, as a local client's does
	// while it has no connection.
	offline map[crypto.ID]bool
}

func newLNet(t *testing.T) *lNet {
	return &lNet{t: t, now: time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC),
		users: map[crypto.ID]*lUser{}, mail: map[crypto.ID][]Delivery{}, subs: map[crypto.ID][]*lSub{},
		offline: map[crypto.ID]bool{}}
}

func (n *lNet) clock() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.now = n.now.Add(time.Millisecond) // every reading moves on: messages never share a time
	return n.now
}

func (n *lNet) advance(d time.Duration) {
	n.mu.Lock()
	n.now = n.now.Add(d)
	n.mu.Unlock()
}

// user adds a user to the directory.
func (n *lNet) user(id, name string, edit func(*Contact)) *lUser {
	n.t.Helper()
	pk, sk, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		n.t.Fatal(err)
	}
	pid, err := crypto.ParseID(id)
	if err != nil {
		n.t.Fatal(err)
	}
	u := &lUser{ct: Contact{ID: pid, Name: name, PublicKey: pk, Internal: true, NameSet: true}, sk: sk}
	if edit != nil {
		edit(&u.ct)
	}
	n.mu.Lock()
	n.users[pid] = u
	n.mu.Unlock()
	return u
}

// setKey gives a user a new key pair in the directory.
func (n *lNet) setKey(id crypto.ID) {
	n.t.Helper()
	pk, sk, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		n.t.Fatal(err)
	}
	n.mu.Lock()
	n.users[id].ct.PublicKey, n.users[id].sk = pk, sk
	n.mu.Unlock()
}

// setOnline connects or disconnects a user's relay; coming back, their
// feeds say they fell behind, as a reconnected client's do.
func (n *lNet) setOnline(id crypto.ID, on bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.offline[id] = !on
	if on {
		for _, s := range n.subs[id] {
			s.behind = true
			s.notify()
		}
	}
}

func (n *lNet) remove(id crypto.ID) {
	n.mu.Lock()
	n.users[id].gone = true
	n.mu.Unlock()
}

// lRelay is one user's view of lNet. Methods the tests do not use come
// from the embedded nil interface and would panic.
type lRelay struct {
	Relay
	n  *lNet
	me crypto.ID
}

func (r *lRelay) Send(ctx context.Context, envelope []byte) (Sent, error) {
	env, err := crypto.ParseEnvelope(envelope)
	if err != nil {
		return Sent{}, err
	}
	if env.Sender != r.me {
		return Sent{}, errors.New("sender is not the caller")
	}
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	if r.n.offline[r.me] {
		return Sent{}, fmt.Errorf("send: %w", ErrOffline)
	}
	if u := r.n.users[env.Recipient]; u == nil || u.gone {
		return Sent{}, errors.New("unknown recipient")
	}
	r.n.seq++
	d := Delivery{Seq: r.n.seq, Received: r.n.now, Envelope: bytes.Clone(envelope)}
	r.n.mail[env.Recipient] = append(r.n.mail[env.Recipient], d)
	for _, s := range r.n.subs[env.Recipient] {
		s.evs = append(s.evs, Event{Kind: EventMail, Delivery: d})
		s.notify()
	}
	return Sent{Seq: d.Seq, Received: d.Received}, nil
}

func (r *lRelay) SendBatch(ctx context.Context, envs [][]byte) ([]Sent, []error, error) {
	sent := make([]Sent, len(envs))
	errs := make([]error, len(envs))
	for i, e := range envs {
		sent[i], errs[i] = r.Send(ctx, e)
	}
	return sent, errs, nil
}

func (r *lRelay) Fetch(ctx context.Context, after uint64, limit int) ([]Delivery, error) {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	var out []Delivery
	for _, d := range r.n.mail[r.me] {
		if d.Seq > after && (limit <= 0 || len(out) < limit) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (r *lRelay) Ack(ctx context.Context, seqs []uint64) ([]bool, error) {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	out := make([]bool, len(seqs))
	for i, s := range seqs {
		r.n.mail[r.me] = slices.DeleteFunc(r.n.mail[r.me], func(d Delivery) bool {
			if d.Seq == s {
				out[i] = true
				return true
			}
			return false
		})
	}
	return out, nil
}

func (r *lRelay) Subscribe(ctx context.Context, notify func()) (Subscription, error) {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	s := &lSub{n: r.n, notify: notify}
	r.n.subs[r.me] = append(r.n.subs[r.me], s)
	return s, nil
}

func (r *lRelay) Contact(ctx context.Context, id crypto.ID) (Contact, error) {
	r.n.mu.Lock()
	defer r.n.mu.Unlock()
	if r.n.offline[r.me] {
		return Contact{}, fmt.Errorf("contact: %w", ErrOffline)
	}
	u := r.n.users[id]
	if u == nil || u.gone {
		return Contact{}, errors.New("unknown ID")
	}
	return u.ct, nil
}

type lSub struct {
	n      *lNet
	notify func()
	evs    []Event
	behind bool // the next Drain says the feed was dropped
}

func (s *lSub) Drain() ([]Event, error) {
	s.n.mu.Lock()
	defer s.n.mu.Unlock()
	if s.behind {
		s.behind, s.evs = false, nil
		return nil, ErrBehind
	}
	evs := s.evs
	s.evs = nil
	return evs, nil
}

func (s *lSub) Close() {}

type lKeys struct{ sk *crypto.SecretKey }

func (k lKeys) OpenSecretKey(ctx context.Context, passphrase []byte) (*crypto.SecretKey, error) {
	if string(passphrase) != "passphrase" {
		return nil, ErrWrongPassphrase
	}
	sk := *k.sk
	return &sk, nil
}

// lAccount answers Settings with fixed restrictions.
type lAccount struct {
	Account
	r Restrictions
}

func (a lAccount) Settings(ctx context.Context) (Restrictions, error) { return a.r, nil }
func (a lAccount) WatchSettings(notify func()) func()                 { return func() {} }

// lCore starts an unlocked core for u on store s (a user's sessions share one store).
func (n *lNet) core(u *lUser, s *lStore, acct Account) *Core {
	n.t.Helper()
	c := New(Config{
		Identity: Identity{ID: u.ct.ID, Name: u.ct.Name, PublicKey: u.ct.PublicKey},
		Relay:    &lRelay{n: n, me: u.ct.ID},
		Keys:     lKeys{sk: u.sk},
		Store:    s,
		Account:  acct,
		Now:      n.clock,
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err := c.Unlock(context.Background(), []byte("passphrase")); err != nil {
		n.t.Fatal(err)
	}
	if err := c.Start(context.Background(), func() {}); err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(c.Close)
	return c
}

// lSync syncs c and fails the test on error.
func lSync(t *testing.T, c *Core) Changes {
	t.Helper()
	ch, err := c.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return ch
}
