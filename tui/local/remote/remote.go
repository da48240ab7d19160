// Package remote is the local client's end of the parley subsystem: it
// speaks the client protocol (server/proto, docs/protocol.md) over one SSH
// channel and gives the client core the ports a hosted session gets in
// process: Relay, BatchRelay, Directory, Groups, Account and Blobs.
//
// Requests may be made from several goroutines; each waits for the answer
// with its own ID. Pushes after Subscribe are queued (bounded) for the
// subscription to drain; "settings" pushes call the WatchSettings
// functions instead. When the channel ends, every waiting and later
// request fails with ErrClosed, and the subscription reports the end, so
// the caller can dial again.
//
// Blobs go in pieces that fit a frame: an upload in chunks of
// proto.MaxBlobChunk, at most proto.MaxBlobUploads at once (more wait for
// a slot), and a download as ranges fetched as the reader reads them.
package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/parley-chat/parley/server/proto"
)

// ErrClosed is a request on a connection that has ended.
var ErrClosed = errors.New("the connection to the server is closed")

// Error is a refusal the server sent: a stable code and a message for the
// user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// maxQueued bounds the pushes waiting for the subscription to drain; past
// it the subscription reports that it fell behind and the client catches
// up from the mailbox.
const maxQueued = 4096

// Conn is one open protocol channel.
type Conn struct {
	rw      io.ReadWriteCloser
	welcome proto.Welcome

	wmu sync.Mutex // one frame at a time

	// uploads holds a token per blob upload in flight, so that this
	// client never opens more than the server allows (proto.MaxBlobUploads).
	uploads chan struct{}

	mu      sync.Mutex // guards the fields below
	next    uint32
	pending map[uint32]chan proto.Frame
	sub     *subscription
	watches map[uint64]func() // WatchSettings, by registration
	watchID uint64
	err     error // why the connection ended; nil while open

	done chan struct{}
}

// Open runs the handshake on rw (the channel of subsystem "parley") and
// starts reading. client names the software for the server's log. If ctx
// ends first, rw is closed.
func Open(ctx context.Context, rw io.ReadWriteCloser, client string) (*Conn, error) {
	type result struct {
		w   proto.Welcome
		err error
	}
	res := make(chan result, 1)
	go func() {
		w, err := handshake(rw, client)
		res <- result{w, err}
	}()
	var r result
	select {
	case r = <-res:
	case <-ctx.Done():
		_ = rw.Close()
		return nil, fmt.Errorf("protocol handshake: %w", ctx.Err())
	}
	if r.err != nil {
		_ = rw.Close()
		return nil, fmt.Errorf("protocol handshake: %w", r.err)
	}
	c := &Conn{rw: rw, welcome: r.w, pending: map[uint32]chan proto.Frame{}, done: make(chan struct{}),
		uploads: make(chan struct{}, proto.MaxBlobUploads)}
	go c.read()
	return c, nil
}

func handshake(rw io.ReadWriter, client string) (proto.Welcome, error) {
	h := proto.Hello{Min: proto.MinVersion, Max: proto.Version, Client: client}
	if err := proto.WriteFrame(rw, proto.Frame{Kind: proto.KindHello, Payload: h.Encode()}); err != nil {
		return proto.Welcome{}, err
	}
	f, err := proto.ReadFrame(rw)
	if err != nil {
		return proto.Welcome{}, err
	}
	switch f.Kind {
	case proto.KindWelcome:
		return proto.ParseWelcome(f.Payload)
	case proto.KindError:
		return proto.Welcome{}, refusal(f.Payload)
	}
	return proto.Welcome{}, fmt.Errorf("%w: frame kind %#02x before the welcome", proto.ErrFrame, byte(f.Kind))
}

// Welcome is what the server said about the key that authenticated.
func (c *Conn) Welcome() proto.WelcomeInfo { return c.welcome.Info }

// Version is the protocol version in use.
func (c *Conn) Version() uint16 { return c.welcome.Version }

// Done is closed when the connection has ended; Err says why.
func (c *Conn) Done() <-chan struct{} { return c.done }

// Err is why the connection ended, nil while it is open.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close ends the connection.
func (c *Conn) Close() error {
	err := c.rw.Close()
	c.end(ErrClosed)
	return err
}

func (c *Conn) end(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	pending := c.pending
	c.pending = nil
	sub := c.sub
	c.mu.Unlock()
	for _, ch := range pending {
		close(ch)
	}
	if sub != nil {
		sub.fail()
	}
	close(c.done)
}

// read dispatches answers to their requests and pushes to the
// subscription until the channel ends.
func (c *Conn) read() {
	for {
		f, err := proto.ReadFrame(c.rw)
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				err = ErrClosed
			} else {
				err = fmt.Errorf("%w: %w", ErrClosed, err)
			}
			_ = c.rw.Close()
			c.end(err)
			return
		}
		switch f.Kind {
		case proto.KindOK, proto.KindError:
			c.mu.Lock()
			ch := c.pending[f.ID]
			delete(c.pending, f.ID)
			c.mu.Unlock()
			if ch != nil {
				ch <- f
			} else if f.ID == 0 && f.Kind == proto.KindError {
				// The server ends the channel after a connection-level error.
				_ = c.rw.Close()
				c.end(fmt.Errorf("%w: %w", ErrClosed, refusal(f.Payload)))
				return
			}
		case proto.KindPush:
			var ev proto.Event
			if err := json.Unmarshal(f.Payload, &ev); err != nil {
				continue
			}
			if ev.Kind == "settings" {
				c.settingsChanged()
				continue
			}
			c.mu.Lock()
			sub := c.sub
			c.mu.Unlock()
			if sub != nil {
				sub.push(ev)
			}
		}
	}
}

// call sends one request and decodes its answer into out (nil: ignored).
func (c *Conn) call(ctx context.Context, kind proto.Kind, req, out any) error {
	payload, err := json.Marshal(req)
	if err != nil {
		return err
	}
	ch := make(chan proto.Frame, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return err
	}
	c.next++
	if c.next == 0 {
		c.next = 1 // ID 0 is the connection's own
	}
	id := c.next
	c.pending[id] = ch
	c.mu.Unlock()

	c.wmu.Lock()
	err = proto.WriteFrame(c.rw, proto.Frame{Kind: kind, ID: id, Payload: payload})
	c.wmu.Unlock()
	if err != nil {
		_ = c.rw.Close()
		c.end(fmt.Errorf("%w: %w", ErrClosed, err))
		return c.Err()
	}
	select {
	case f, ok := <-ch:
		if !ok {
			return c.Err()
		}
		if f.Kind == proto.KindError {
			return refusal(f.Payload)
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(f.Payload, out); err != nil {
			return fmt.Errorf("%w: answer to %#02x: %w", proto.ErrFrame, byte(kind), err)
		}
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		if c.pending != nil {
			delete(c.pending, id)
		}
		c.mu.Unlock()
		return ctx.Err()
	}
}

func refusal(payload []byte) error {
	var e proto.Error
	if err := json.Unmarshal(payload, &e); err != nil {
		return fmt.Errorf("%w: error frame: %w", proto.ErrFrame, err)
	}
	return &Error{Code: e.Code, Message: e.Message}
}
