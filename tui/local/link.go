package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/local/dial"
	"github.com/parley-chat/parley/tui/local/remote"
)

// Back-off between connection attempts: doubling from the first to the
// last, so a server that restarts is back in a second or two and one that
// is down for long is not hammered.
const (
	firstRetry = time.Second
	lastRetry  = 30 * time.Second
)

// link is the core's Relay and Directory across connections: it holds the
// current protocol connection, if any, dials again with back-off when it
// ends, and answers core.ErrOffline meanwhile, so the core keeps what the
// user writes in its outbox. Its subscriptions survive reconnects: after
// each they report core.ErrBehind, and the core catches up from the
// mailbox and sends what waited.
type link struct {
	o       Options
	user    crypto.ID
	public  crypto.PublicKey
	onState func(offline string, final bool) // "" when connected; else why not and what next; final: given up

	mu   sync.Mutex
	conn *remote.Conn
	cl   *ssh.Client
	subs map[*linkSub]struct{}
	stop error // why the link gave up (a changed host key, another user's key)

	settings settingsState
}

var (
	_ core.Relay      = (*link)(nil)
	_ core.BatchRelay = (*link)(nil)
	_ core.Directory  = (*link)(nil)
)

func newLink(o Options, user crypto.ID, public crypto.PublicKey) *link {
	return &link{o: o, user: user, public: public, subs: map[*linkSub]struct{}{}, onState: func(string, bool) {}}
}

// connectOnce dials and opens the protocol, checking that the server knows
// the key as the account's user.
func (l *link) connectOnce(ctx context.Context) (*ssh.Client, *remote.Conn, error) {
	cl, err := connect(ctx, l.o)
	if err != nil {
		return nil, nil, err
	}
	conn, err := openProtocol(ctx, cl, l.o.Version)
	if err != nil {
		_ = cl.Close()
		return nil, nil, err
	}
	w := conn.Welcome()
	if w.User != l.user.String() || string(w.Public) != string(l.public[:]) {
		_ = conn.Close()
		_ = cl.Close()
		return nil, nil, fmt.Errorf("%w: this SSH key belongs to %s (%s) on %s, but the account kept here is %s: use the key you enrolled with (-i FILE)",
			errWrongAccount, w.Name, w.User, l.o.Target, l.user)
	}
	return cl, conn, nil
}

var errWrongAccount = errors.New("wrong account")

// retryable says whether an attempt that failed with err is worth
// repeating: the network or the server was away. A changed host key, a
// refused key or another user's key is not.
func retryable(err error) bool {
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.Is(err, dial.ErrHostKeyChanged), errors.Is(err, errWrongAccount):
		return false
	case errors.As(err, &oe), errors.As(err, &ne), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, remote.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return true
	}
	return false
}

// attach makes conn the current connection and moves the subscriptions
// onto it.
func (l *link) attach(ctx context.Context, cl *ssh.Client, conn *remote.Conn) {
	l.mu.Lock()
	l.cl, l.conn = cl, conn
	subs := make([]*linkSub, 0, len(l.subs))
	for s := range l.subs {
		subs = append(subs, s)
	}
	l.mu.Unlock()
	for _, s := range subs {
		s.reattach(ctx, conn)
	}
	l.rewatch(conn)
	l.onState("", false)
}

// run keeps the link up until ctx ends: it waits for the current
// connection to end, then dials again with back-off. A reason not to
// retry ends it, and is told through onState.
func (l *link) run(ctx context.Context) {
	wait := firstRetry
	for {
		l.mu.Lock()
		conn, cl := l.conn, l.cl
		l.mu.Unlock()
		if conn != nil {
			select {
			case <-ctx.Done():
				return
			case <-conn.Done():
			}
			l.mu.Lock()
			l.conn, l.cl = nil, nil
			l.mu.Unlock()
			_ = cl.Close()
			l.onState("offline: the connection was lost · reconnecting", false)
			wait = firstRetry
		}
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		cl, conn, err := l.connectOnce(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			l.attach(ctx, cl, conn)
			continue
		}
		if !retryable(err) {
			l.mu.Lock()
			l.stop = err
			l.mu.Unlock()
			l.onState(err.Error(), true)
			return
		}
		l.onState(fmt.Sprintf("offline · retrying in %s", wait), false)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, lastRetry)
	}
}

func (l *link) close() {
	l.mu.Lock()
	conn, cl := l.conn, l.cl
	l.conn, l.cl = nil, nil
	l.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
	if cl != nil {
		_ = cl.Close()
	}
}

// current is the open connection, or ErrOffline.
func (l *link) current() (*remote.Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil, core.ErrOffline
	}
	return l.conn, nil
}

func isOffline(err error) bool { return errors.Is(err, core.ErrOffline) }

// offline marks a request that failed because the connection ended.
func offline(err error) error {
	if errors.Is(err, remote.ErrClosed) {
		return fmt.Errorf("%w (%w)", core.ErrOffline, err)
	}
	return err
}

func (l *link) Send(ctx context.Context, envelope []byte) (core.Sent, error) {
	c, err := l.current()
	if err != nil {
		return core.Sent{}, err
	}
	s, err := c.Send(ctx, envelope)
	return s, offline(err)
}

func (l *link) SendBatch(ctx context.Context, envs [][]byte) ([]core.Sent, []error, error) {
	c, err := l.current()
	if err != nil {
		return nil, nil, err
	}
	s, errs, err := c.SendBatch(ctx, envs)
	return s, errs, offline(err)
}

func (l *link) Fetch(ctx context.Context, after uint64, limit int) ([]core.Delivery, error) {
	c, err := l.current()
	if err != nil {
		return nil, err
	}
	ds, err := c.Fetch(ctx, after, limit)
	return ds, offline(err)
}

func (l *link) Ack(ctx context.Context, seqs []uint64) ([]bool, error) {
	c, err := l.current()
	if err != nil {
		return nil, err
	}
	r, err := c.Ack(ctx, seqs)
	return r, offline(err)
}

func (l *link) Contact(ctx context.Context, id crypto.ID) (core.Contact, error) {
	c, err := l.current()
	if err != nil {
		return core.Contact{}, err
	}
	ct, err := c.Contact(ctx, id)
	return ct, offline(err)
}

func (l *link) Find(ctx context.Context, query string, limit int) ([]core.DirectoryEntry, error) {
	c, err := l.current()
	if err != nil {
		return nil, err
	}
	es, err := c.Find(ctx, query, limit)
	return es, offline(err)
}

func (l *link) Whoami(ctx context.Context) (core.WhoamiInfo, error) {
	c, err := l.current()
	if err != nil {
		return core.WhoamiInfo{}, err
	}
	w, err := c.Whoami(ctx)
	return w, offline(err)
}

// Subscribe never fails for want of a connection: the subscription
// attaches to each connection as it comes.
func (l *link) Subscribe(ctx context.Context, notify func()) (core.Subscription, error) {
	s := &linkSub{l: l, notify: notify}
	l.mu.Lock()
	l.subs[s] = struct{}{}
	conn := l.conn
	l.mu.Unlock()
	if conn != nil {
		if err := s.attachTo(ctx, conn); err != nil && !errors.Is(err, remote.ErrClosed) {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// linkSub is a subscription across connections.
type linkSub struct {
	l      *link
	notify func()

	mu     sync.Mutex
	sub    core.Subscription // on the current connection; nil while offline
	behind bool              // a new connection: the core must catch up
}

func (s *linkSub) attachTo(ctx context.Context, conn *remote.Conn) error {
	sub, err := conn.Subscribe(ctx, s.notify)
	if err != nil {
		return err
	}
	s.mu.Lock()
	old := s.sub
	s.sub = sub
	s.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return nil
}

// reattach subscribes on a new connection and tells the core to catch up.
func (s *linkSub) reattach(ctx context.Context, conn *remote.Conn) {
	if err := s.attachTo(ctx, conn); err != nil {
		return // the connection ended again: the next one reattaches
	}
	s.mu.Lock()
	s.behind = true
	s.mu.Unlock()
	s.notify()
}

func (s *linkSub) Drain() ([]core.Event, error) {
	s.mu.Lock()
	sub, behind := s.sub, s.behind
	s.behind = false
	s.mu.Unlock()
	if behind {
		return nil, core.ErrBehind
	}
	if sub == nil {
		return nil, nil
	}
	evs, err := sub.Drain()
	if errors.Is(err, remote.ErrClosed) {
		s.mu.Lock()
		if s.sub == sub {
			s.sub = nil
		}
		s.mu.Unlock()
		return evs, nil // offline: the next connection reattaches
	}
	return evs, err
}

func (s *linkSub) Close() {
	s.l.mu.Lock()
	delete(s.l.subs, s)
	s.l.mu.Unlock()
	s.mu.Lock()
	sub := s.sub
	s.sub = nil
	s.mu.Unlock()
	if sub != nil {
		sub.Close()
	}
}
