package remote

import (
	"context"
	"fmt"
	"sync"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

var (
	_ core.Relay      = (*Conn)(nil)
	_ core.BatchRelay = (*Conn)(nil)
	_ core.Directory  = (*Conn)(nil)
)

// Send submits one envelope and returns once the relay stored it.
func (c *Conn) Send(ctx context.Context, envelope []byte) (core.Sent, error) {
	var s proto.Sent
	if err := c.call(ctx, proto.KindSend, proto.SendRequest{Envelope: envelope}, &s); err != nil {
		return core.Sent{}, err
	}
	return core.Sent{Seq: s.Seq, Received: s.Received}, nil
}

// SendBatch submits the envelopes of one message to several recipients.
func (c *Conn) SendBatch(ctx context.Context, envs [][]byte) ([]core.Sent, []error, error) {
	if len(envs) > proto.MaxBatch {
		return nil, nil, fmt.Errorf("%d envelopes in one batch, at most %d", len(envs), proto.MaxBatch)
	}
	var r proto.SendBatchResult
	if err := c.call(ctx, proto.KindSendBatch, proto.SendBatchRequest{Envelopes: envs}, &r); err != nil {
		return nil, nil, err
	}
	if len(r.Sent) != len(envs) || len(r.Errors) != len(envs) {
		return nil, nil, fmt.Errorf("%w: %d envelopes answered with %d results and %d errors", proto.ErrFrame, len(envs), len(r.Sent), len(r.Errors))
	}
	sent := make([]core.Sent, len(envs))
	errs := make([]error, len(envs))
	for i := range envs {
		sent[i] = core.Sent{Seq: r.Sent[i].Seq, Received: r.Sent[i].Received}
		if e := r.Errors[i]; e != nil {
			errs[i] = &Error{Code: e.Code, Message: e.Message}
		}
	}
	return sent, errs, nil
}

// Fetch lists waiting envelopes after a sequence number.
func (c *Conn) Fetch(ctx context.Context, after uint64, limit int) ([]core.Delivery, error) {
	var r proto.FetchResult
	if err := c.call(ctx, proto.KindFetch, proto.FetchRequest{After: after, Limit: min(max(limit, 1), proto.MaxFetch)}, &r); err != nil {
		return nil, err
	}
	out := make([]core.Delivery, len(r.Deliveries))
	for i, d := range r.Deliveries {
		out[i] = core.Delivery{Seq: d.Seq, Received: d.Received, Envelope: d.Envelope}
	}
	return out, nil
}

// Ack removes processed envelopes, in pages the server accepts.
func (c *Conn) Ack(ctx context.Context, seqs []uint64) ([]bool, error) {
	out := make([]bool, 0, len(seqs))
	for len(seqs) > 0 {
		n := min(len(seqs), proto.MaxAck)
		var r proto.AckResult
		if err := c.call(ctx, proto.KindAck, proto.AckRequest{Seqs: seqs[:n]}, &r); err != nil {
			return nil, err
		}
		if len(r.Removed) != n {
			return nil, fmt.Errorf("%w: %d acknowledgements answered with %d", proto.ErrFrame, n, len(r.Removed))
		}
		out = append(out, r.Removed...)
		seqs = seqs[n:]
	}
	return out, nil
}

// Contact looks up another user the caller may reach.
func (c *Conn) Contact(ctx context.Context, id crypto.ID) (core.Contact, error) {
	var r proto.Contact
	if err := c.call(ctx, proto.KindContact, proto.ContactRequest{ID: id.String()}, &r); err != nil {
		return core.Contact{}, err
	}
	got, err := crypto.ParseID(r.ID)
	if err != nil || got != id {
		return core.Contact{}, fmt.Errorf("%w: asked for %s, the server answered %q", proto.ErrFrame, id, r.ID)
	}
	pk, err := crypto.PublicKeyFromBytes(r.PublicKey)
	if err != nil {
		return core.Contact{}, fmt.Errorf("%w: contact %s: %w", proto.ErrFrame, id, err)
	}
	return core.Contact{ID: got, Name: r.Name, PublicKey: pk, Internal: r.Internal, Nickname: r.Nickname, NameSet: r.NameSet,
		Presence: core.Presence{State: presenceState(r.Presence)}}, nil
}

// Find searches the company directory.
func (c *Conn) Find(ctx context.Context, query string, limit int) ([]core.DirectoryEntry, error) {
	var r proto.FindResult
	if err := c.call(ctx, proto.KindFind, proto.FindRequest{Query: query, Limit: limit}, &r); err != nil {
		return nil, err
	}
	out := make([]core.DirectoryEntry, 0, len(r.Entries))
	for _, e := range r.Entries {
		id, err := crypto.ParseID(e.ID)
		if err != nil {
			return nil, fmt.Errorf("%w: directory entry %q: %w", proto.ErrFrame, e.ID, err)
		}
		out = append(out, core.DirectoryEntry{ID: id, Name: e.Name, Nickname: e.Nickname, Category: e.Category, Tags: e.Tags,
			Internal: e.Internal, Organisation: e.Organisation})
	}
	return out, nil
}

// Whoami returns what the server stores about the user.
func (c *Conn) Whoami(ctx context.Context) (core.WhoamiInfo, error) {
	var w core.WhoamiInfo
	err := c.call(ctx, proto.KindWhoami, struct{}{}, &w)
	return w, err
}

// Subscribe starts the live feed; notify is called (without blocking)
// when there is something to drain. One subscription per connection: a
// second call replaces the first.
func (c *Conn) Subscribe(ctx context.Context, notify func()) (core.Subscription, error) {
	s := &subscription{notify: notify, c: c}
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	old := c.sub
	c.sub = s
	c.mu.Unlock()
	if old != nil {
		old.Close()
	}
	if err := c.call(ctx, proto.KindSubscribe, struct{}{}, nil); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// subscription queues pushes for Drain.
type subscription struct {
	notify func()
	c      *Conn

	mu     sync.Mutex
	queue  []core.Event
	behind bool  // pushes were dropped, or the server said so
	err    error // the connection ended
	closed bool
}

func (s *subscription) push(ev proto.Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	switch ev.Kind {
	case "mail":
		if ev.Delivery == nil {
			break
		}
		if len(s.queue) >= maxQueued {
			s.queue, s.behind = nil, true
			break
		}
		d := ev.Delivery
		s.queue = append(s.queue, core.Event{Kind: core.EventMail, Delivery: core.Delivery{Seq: d.Seq, Received: d.Received, Envelope: d.Envelope}})
	case "device_store":
		// The server's device store is not this client's: a local client
		// keeps its history on its own machine.
		s.mu.Unlock()
		return
	case "groups":
		s.queue = append(s.queue, core.Event{Kind: core.EventGroups})
	case "behind":
		s.queue, s.behind = nil, true
	default:
		s.mu.Unlock()
		return // an event this client does not know: nothing to do
	}
	s.mu.Unlock()
	s.notify()
}

func (s *subscription) fail() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.err = ErrClosed
	s.mu.Unlock()
	s.notify()
}

// Drain returns what arrived since the last call; core.ErrBehind when
// pushes were dropped; ErrClosed (wrapped) once the connection ended.
func (s *subscription) Drain() ([]core.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.behind {
		s.behind, s.queue = false, nil
		return nil, core.ErrBehind
	}
	out := s.queue
	s.queue = nil
	if len(out) == 0 && s.err != nil {
		return nil, s.err
	}
	return out, nil
}

func (s *subscription) Close() {
	s.mu.Lock()
	s.closed, s.queue = true, nil
	s.mu.Unlock()
	s.c.mu.Lock()
	if s.c.sub == s {
		s.c.sub = nil
	}
	s.c.mu.Unlock()
}
