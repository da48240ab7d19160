package remote

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

// fakeServer answers on the server end of a pipe with handle's results.
type fakeServer struct {
	t      *testing.T
	conn   net.Conn
	wmu    sync.Mutex
	handle func(f proto.Frame) (kind proto.Kind, payload any)
}

func (s *fakeServer) write(f proto.Frame) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	_ = proto.WriteFrame(s.conn, f)
}

func (s *fakeServer) push(ev proto.Event) {
	js, _ := json.Marshal(ev)
	s.write(proto.Frame{Kind: proto.KindPush, Payload: js})
}

func (s *fakeServer) serve(welcome proto.WelcomeInfo) {
	f, err := proto.ReadFrame(s.conn)
	if err != nil || f.Kind != proto.KindHello {
		s.t.Errorf("first frame: %v %v", f.Kind, err)
		return
	}
	if _, err := proto.ParseHello(f.Payload); err != nil {
		s.t.Error(err)
		return
	}
	w, _ := proto.Welcome{Version: proto.Version, Info: welcome}.Encode()
	s.write(proto.Frame{Kind: proto.KindWelcome, Payload: w})
	for {
		f, err := proto.ReadFrame(s.conn)
		if err != nil {
			return
		}
		kind, res := s.handle(f)
		js, _ := json.Marshal(res)
		s.write(proto.Frame{Kind: kind, ID: f.ID, Payload: js})
	}
}

func open(t *testing.T, handle func(proto.Frame) (proto.Kind, any)) (*Conn, *fakeServer) {
	t.Helper()
	a, b := net.Pipe()
	s := &fakeServer{t: t, conn: b, handle: handle}
	go s.serve(proto.WelcomeInfo{User: "K7ZP4Q2M", Name: "Ada", Local: true})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	c, err := Open(ctx, a, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); _ = b.Close() })
	return c, s
}

func TestRequestsAndRefusals(t *testing.T) {
	peer := newID(t)
	pk := crypto.PublicKey{9, 9, 9}
	c, _ := open(t, func(f proto.Frame) (proto.Kind, any) {
		switch f.Kind {
		case proto.KindSend:
			var req proto.SendRequest
			if err := proto.Decode(f.Payload, &req); err != nil || string(req.Envelope) != "env" {
				return proto.KindError, proto.Error{Code: proto.CodeInvalid, Message: "bad envelope"}
			}
			return proto.KindOK, proto.Sent{Seq: 7}
		case proto.KindContact:
			var req proto.ContactRequest
			_ = proto.Decode(f.Payload, &req)
			if req.ID != peer.String() {
				return proto.KindError, proto.Error{Code: proto.CodeNotFound, Message: "no such user"}
			}
			return proto.KindOK, proto.Contact{ID: peer.String(), Name: "Bob", PublicKey: pk[:], Internal: true}
		case proto.KindAck:
			var req proto.AckRequest
			_ = proto.Decode(f.Payload, &req)
			return proto.KindOK, proto.AckResult{Removed: make([]bool, len(req.Seqs))}
		}
		return proto.KindError, proto.Error{Code: proto.CodeUnknown, Message: "unknown"}
	})
	if c.Welcome().User != "K7ZP4Q2M" || !c.Welcome().Local || c.Version() != proto.Version {
		t.Fatalf("welcome %+v version %d", c.Welcome(), c.Version())
	}
	ctx := t.Context()
	if s, err := c.Send(ctx, []byte("env")); err != nil || s.Seq != 7 {
		t.Fatalf("send: %+v %v", s, err)
	}
	_, err := c.Send(ctx, []byte("other"))
	var refused *Error
	if !errors.As(err, &refused) || refused.Code != proto.CodeInvalid || err.Error() != "bad envelope" {
		t.Fatalf("a refused send: %v", err)
	}
	ct, err := c.Contact(ctx, peer)
	if err != nil || ct.Name != "Bob" || ct.PublicKey != pk || !ct.Internal {
		t.Fatalf("contact: %+v %v", ct, err)
	}
	if _, err := c.Contact(ctx, newID(t)); !errors.As(err, &refused) || refused.Code != proto.CodeNotFound {
		t.Fatalf("unknown contact: %v", err)
	}
	// Acknowledgements are paged as the server takes them.
	seqs := make([]uint64, proto.MaxAck*2+3)
	if got, err := c.Ack(ctx, seqs); err != nil || len(got) != len(seqs) {
		t.Fatalf("ack of %d: %d answers, %v", len(seqs), len(got), err)
	}
	// Requests from several goroutines each get their own answer.
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if s, err := c.Send(ctx, []byte("env")); err != nil || s.Seq != 7 {
				t.Errorf("concurrent send: %+v %v", s, err)
			}
		})
	}
	wg.Wait()
}

func TestAnswerForAnotherContactIsRefused(t *testing.T) {
	other := newID(t)
	c, _ := open(t, func(f proto.Frame) (proto.Kind, any) {
		pk := crypto.PublicKey{1}
		return proto.KindOK, proto.Contact{ID: other.String(), PublicKey: pk[:]}
	})
	if _, err := c.Contact(t.Context(), newID(t)); !errors.Is(err, proto.ErrFrame) {
		t.Fatalf("a contact answered for another ID: %v", err)
	}
}

func TestPushesAndTheEndOfTheConnection(t *testing.T) {
	c, s := open(t, func(f proto.Frame) (proto.Kind, any) { return proto.KindOK, struct{}{} })
	woke := make(chan struct{}, 16)
	sub, err := c.Subscribe(t.Context(), func() { woke <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	s.push(proto.Event{Kind: "mail", Delivery: &proto.Delivery{Seq: 3, Envelope: []byte("e")}})
	s.push(proto.Event{Kind: "device_store"}) // the server's store, not this client's: dropped
	s.push(proto.Event{Kind: "groups"})
	s.push(proto.Event{Kind: "from-the-future"})
	waitWake(t, woke)
	waitWake(t, woke)
	evs, err := sub.Drain()
	if err != nil || len(evs) != 2 || evs[0].Kind != core.EventMail || evs[0].Delivery.Seq != 3 || evs[1].Kind != core.EventGroups {
		t.Fatalf("drain: %+v %v", evs, err)
	}
	s.push(proto.Event{Kind: "behind"})
	waitWake(t, woke)
	if _, err := sub.Drain(); !errors.Is(err, core.ErrBehind) {
		t.Fatalf("after behind: %v", err)
	}

	// The server goes away: the feed says so, and requests fail at once.
	_ = s.conn.Close()
	waitWake(t, woke)
	if _, err := sub.Drain(); !errors.Is(err, ErrClosed) {
		t.Fatalf("drain after the end: %v", err)
	}
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed")
	}
	if _, err := c.Send(t.Context(), []byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after the end: %v", err)
	}
	if _, err := c.Subscribe(t.Context(), func() {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("subscribe after the end: %v", err)
	}
}

// TestWaitingRequestEndsWithTheConnection: a request whose answer never
// comes fails when the connection ends, instead of hanging.
func TestWaitingRequestEndsWithTheConnection(t *testing.T) {
	block := make(chan struct{})
	c, s := open(t, func(f proto.Frame) (proto.Kind, any) { <-block; return proto.KindOK, struct{}{} })
	defer close(block)
	errc := make(chan error, 1)
	go func() { _, err := c.Fetch(t.Context(), 0, 10); errc <- err }()
	time.Sleep(50 * time.Millisecond) // let the request be written
	_ = c.rw.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("fetch: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request hangs after the connection ended")
	}
	_ = s
}

func TestHandshakeRefusedOrTimedOut(t *testing.T) {
	a, b := net.Pipe()
	go func() {
		_, _ = proto.ReadFrame(b)
		js, _ := json.Marshal(proto.Error{Code: proto.CodeVersion, Message: "no version in common"})
		_ = proto.WriteFrame(b, proto.Frame{Kind: proto.KindError, Payload: js})
	}()
	if _, err := Open(t.Context(), a, "test"); !containsMsg(err, "no version in common") {
		t.Fatalf("refused handshake: %v", err)
	}
	a2, b2 := net.Pipe()
	defer b2.Close()
	go func() { _, _ = proto.ReadFrame(b2) }() // reads the hello, never answers
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := Open(ctx, a2, "test"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("silent server: %v", err)
	}
}

func newID(t *testing.T) crypto.ID {
	t.Helper()
	id, err := crypto.NewID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func containsMsg(err error, s string) bool {
	var e *Error
	return errors.As(err, &e) && e.Message == s
}

func waitWake(t *testing.T, woke <-chan struct{}) {
	t.Helper()
	select {
	case <-woke:
	case <-time.After(5 * time.Second):
		t.Fatal("notify was not called")
	}
}
