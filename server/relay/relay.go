package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Directory is what the relay asks the directory.
type Directory interface {
	// Reachable reports whether from may send to to; its error says why not.
	Reachable(ctx context.Context, from, to crypto.ID) error
}

// Config tunes the relay. Zero values take the defaults.
type Config struct {
	// Rate is the sustained number of envelopes per second one SSH key may
	// send (default 100); negative disables the limit.
	Rate float64
	// Burst is how many envelopes a key may send at once (default 1000).
	Burst int
	// Retention is how long an undelivered envelope waits (default 30 days).
	Retention time.Duration
	// MaxRetention is the longest a tenant's parley_retention_days may keep
	// envelopes on this server (0: no ceiling beyond the policy's own).
	MaxRetention time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger (default slog.Default()).
	Logger *slog.Logger
}

// Service is the relay.
type Service struct {
	db  store.DB
	dir Directory
	bus Bus
	cfg Config
	log *slog.Logger

	// retention is cfg.Retention, changed by SetRetention.
	retention atomic.Int64

	limMu    sync.Mutex // guards limiters and the rate and burst they use
	limiters map[string]*keyLimiter
	rate     float64 // cfg.Rate, changed by SetRate
	burst    int     // cfg.Burst, changed by SetRate

	// stats counts accepted envelopes per tenant and day (stats.go).
	stats msgCounter
}

type keyLimiter struct {
	lim  *rate.Limiter
	used time.Time
}

// New returns a relay over db, asking dir who may reach whom and announcing
// on bus.
func New(db store.DB, dir Directory, bus Bus, cfg Config) *Service {
	if cfg.Rate == 0 {
		cfg.Rate = 100
	}
	if cfg.Burst <= 0 {
		cfg.Burst = 1000
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Service{db: db, dir: dir, bus: bus, cfg: cfg, log: cfg.Logger, limiters: make(map[string]*keyLimiter),
		rate: cfg.Rate, burst: cfg.Burst}
	s.retention.Store(int64(cfg.Retention))
	return s
}

// SetRate changes the rate and burst of every SSH key (see Config: 0 is
// the default, negative no limit); keys start again with a full burst.
func (s *Service) SetRate(r float64, burst int) {
	if r == 0 {
		r = 100
	}
	if burst <= 0 {
		burst = 1000
	}
	s.limMu.Lock()
	defer s.limMu.Unlock()
	s.rate, s.burst = r, burst
	clear(s.limiters)
}

// SetRetention changes how long undelivered envelopes of tenants that set
// no retention of their own wait (0: the default); the next expiry round
// applies it.
func (s *Service) SetRetention(d time.Duration) {
	if d <= 0 {
		d = 30 * 24 * time.Hour
	}
	s.retention.Store(int64(d))
}

func (s *Service) defaultRetention() time.Duration { return time.Duration(s.retention.Load()) }

// Sent reports where an envelope was stored.
type Sent struct {
	Seq      uint64 // 0 for an ephemeral envelope, which is not stored
	Received time.Time
}

// Send checks an envelope from the principal in ctx, stores it in the
// recipient's mailbox and announces it to the recipient's live sessions.
// It returns once the envelope is durable.
func (s *Service) Send(ctx context.Context, raw []byte) (Sent, error) {
	p := auth.From(ctx)
	if p.CanChat() && !p.IsUser() {
		return Sent{}, ErrDetached
	}
	if !p.IsUser() {
		return Sent{}, ErrNotUser
	}
	if len(raw) > crypto.MaxEnvelopeSize {
		return Sent{}, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(raw), crypto.MaxEnvelopeSize)
	}
	env, err := crypto.ParseEnvelope(raw)
	if err != nil {
		return Sent{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if env.Sender != p.UserID() {
		return Sent{}, ErrForgedSender
	}
	if env.Recipient == env.Sender {
		return s.reflect(ctx, p, raw)
	}
	if !s.allow(p.KeyFingerprint) {
		s.stats.limited.Add(1)
		return Sent{}, ErrRateLimited
	}
	if err := s.checkAlarm(ctx, p.User, env); err != nil {
		return Sent{}, err
	}
	if err := s.dir.Reachable(ctx, env.Sender, env.Recipient); err != nil {
		return Sent{}, fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	received := s.cfg.Now().UTC()
	if env.Flags&crypto.FlagEphemeral != 0 {
		ok, err := s.checkEphemeral(ctx, p.User, env.Recipient)
		if err != nil {
			return Sent{}, err
		}
		if !ok {
			return Sent{Received: received}, nil // dropped by policy (typing.go)
		}
		s.bus.Publish(env.Recipient, Event{Kind: EventMail, Received: received, Envelope: raw})
		s.stats.add(p.User.TenantID, received)
		return Sent{Received: received}, nil
	}
	var seq uint64
	err = s.db.Update(ctx, func(tx store.Tx) error {
		var err error
		seq, err = tx.AppendMailbox(env.Recipient, received, raw)
		return err
	})
	if err != nil {
		return Sent{}, fmt.Errorf("store envelope: %w", err)
	}
	s.bus.Publish(env.Recipient, Event{Kind: EventMail, Seq: seq, Received: received, Envelope: raw})
	s.stats.add(p.User.TenantID, received)
	return Sent{Seq: seq, Received: received}, nil
}

// reflect stores an envelope a user's device sealed for the user's other
// devices (crypto.TypeReflect). With no other device it is not kept; it is
// acknowledged for the device that sent it, which has what it says.
func (s *Service) reflect(ctx context.Context, p *auth.Principal, raw []byte) (Sent, error) {
	dev, err := deviceOf(ctx, p)
	if err != nil {
		return Sent{}, err
	}
	received := s.cfg.Now().UTC()
	user := p.UserID()
	others := false
	err = s.db.View(ctx, func(tx store.Tx) error {
		cs, err := tx.Cursors(user)
		others = slices.ContainsFunc(cs, func(c store.Cursor) bool { return c.Device != dev })
		return err
	})
	if err != nil {
		return Sent{}, fmt.Errorf("read devices: %w", err)
	}
	if !others {
		return Sent{Received: received}, nil
	}
	if !s.allow(p.KeyFingerprint) {
		s.stats.limited.Add(1)
		return Sent{}, ErrRateLimited
	}
	var seq uint64
	err = s.db.Update(ctx, func(tx store.Tx) error {
		var err error
		if seq, err = tx.AppendMailbox(user, received, raw); err != nil {
			return err
		}
		if err := registerTx(tx, p.User, dev, received); err != nil {
			return err
		}
		_, err = tx.AckMailbox(user, dev, seq)
		return err
	})
	if err != nil {
		return Sent{}, fmt.Errorf("store envelope: %w", err)
	}
	s.bus.Publish(user, Event{Kind: EventMail, Seq: seq, Received: received, Envelope: raw})
	return Sent{Seq: seq, Received: received}, nil
}

// Fetch returns up to limit envelopes waiting for the principal's device
// (see WithDevice), after seq.
func (s *Service) Fetch(ctx context.Context, after uint64, limit int) ([]store.Delivery, error) {
	p := auth.From(ctx)
	if !p.CanChat() {
		return nil, ErrNotUser
	}
	dev, err := deviceOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	var out []store.Delivery
	read := func() error {
		return s.db.View(ctx, func(tx store.Tx) error {
			var err error
			out, err = tx.DeviceMailbox(p.UserID(), dev, after, limit)
			return err
		})
	}
	err = read()
	if errors.Is(err, store.ErrNotFound) {
		// The device's first read: it gets its cursor now.
		if err = s.register(ctx, p.User, dev); err == nil {
			err = read()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read mailbox: %w", err)
	}
	return out, nil
}

// MaxAcks bounds how many envelopes one Ack call may acknowledge.
const MaxAcks = 1000

// Ack records that the principal's device received envelopes; each leaves
// the mailbox once every device of the user that expects it acknowledged
// it. For each sequence number it reports whether this acknowledgement was
// new (false: acknowledged before, gone, or never the device's).
func (s *Service) Ack(ctx context.Context, seqs []uint64) ([]bool, error) {
	p := auth.From(ctx)
	if !p.CanChat() {
		return nil, ErrNotUser
	}
	if len(seqs) > MaxAcks {
		return nil, ErrTooManyAcks
	}
	dev, err := deviceOf(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(seqs))
	now := s.cfg.Now()
	err = s.db.Update(ctx, func(tx store.Tx) error { return ackTx(tx, p.User, dev, seqs, now, out) })
	if err != nil {
		return nil, fmt.Errorf("acknowledge: %w", err)
	}
	return out, nil
}

// AckTx is Ack inside tx, a transaction of the relay's own database, for
// a caller that stores what it received in the same database (the hosted
// core): one commit for both.
func (s *Service) AckTx(ctx context.Context, tx store.Tx, seqs []uint64) ([]bool, error) {
	p := auth.From(ctx)
	if !p.CanChat() {
		return nil, ErrNotUser
	}
	if len(seqs) > MaxAcks {
		return nil, ErrTooManyAcks
	}
	dev, err := deviceOf(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]bool, len(seqs))
	if err := ackTx(tx, p.User, dev, seqs, s.cfg.Now(), out); err != nil {
		return nil, fmt.Errorf("acknowledge: %w", err)
	}
	return out, nil
}

func ackTx(tx store.Tx, u *store.User, dev string, seqs []uint64, now time.Time, out []bool) error {
	if err := registerTx(tx, u, dev, now); err != nil {
		return err
	}
	for i, seq := range seqs {
		ok, err := tx.AckMailbox(u.ID, dev, seq)
		if err != nil {
			return err
		}
		out[i] = ok
	}
	return nil
}

func (s *Service) register(ctx context.Context, u *store.User, dev string) error {
	now := s.cfg.Now()
	return s.db.Update(ctx, func(tx store.Tx) error { return registerTx(tx, u, dev, now) })
}

// registerTx gives the device its cursor unless it has one; a second
// device needs the user's parley_multi_device.
func registerTx(tx store.Tx, u *store.User, dev string, now time.Time) error {
	cs, err := tx.Cursors(u.ID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(cs, func(c store.Cursor) bool { return c.Device == dev }) {
		return nil
	}
	if len(cs) > 0 {
		v, err := policy.EffectiveTx(tx, u.TenantID, u.ID)
		if err != nil {
			return fmt.Errorf("read device policy: %w", err)
		}
		if !v.Bool(policy.MultiDevice) {
			return ErrOneDevice
		}
	}
	_, err = tx.RegisterCursor(u.ID, dev, now)
	return err
}

// Subscribe registers a live session of the principal on the bus.
func (s *Service) Subscribe(ctx context.Context, notify func()) (Feed, error) {
	p := auth.From(ctx)
	if !p.CanChat() {
		return nil, ErrNotUser
	}
	dev, err := deviceOf(ctx, p)
	if err != nil {
		return nil, err
	}
	// A device is registered when it first goes live: what arrives from
	// then on waits for it too.
	if err := s.register(ctx, p.User, dev); err != nil {
		return nil, fmt.Errorf("register device: %w", err)
	}
	return s.bus.Subscribe(p.UserID(), notify)
}

func (s *Service) allow(key string) bool {
	now := s.cfg.Now()
	s.limMu.Lock()
	defer s.limMu.Unlock()
	if s.rate < 0 {
		return true
	}
	l := s.limiters[key]
	if l == nil {
		if len(s.limiters) >= 4096 {
			for k, v := range s.limiters {
				if now.Sub(v.used) > time.Minute {
					delete(s.limiters, k)
				}
			}
		}
		l = &keyLimiter{lim: rate.NewLimiter(rate.Limit(s.rate), s.burst)}
		s.limiters[key] = l
	}
	l.used = now
	return l.lim.AllowN(now, 1)
}

// RunExpiry calls Expire every interval until ctx ends.
func (s *Service) RunExpiry(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := s.Expire(ctx)
		switch {
		case err != nil && !errors.Is(err, context.Canceled):
			s.log.Error("mailbox expiry failed", "err", err)
		case n > 0:
			s.log.Info("expired undelivered envelopes", "count", n, "retention", s.defaultRetention().String())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
