package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/proto"
)

// protoClient speaks the client protocol through the real OpenSSH client:
// `ssh -s host parley`, frames on its standard input and output.
type protoClient struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	frames chan proto.Frame
	next   uint32
	pushes []proto.Event // pushes that arrived while call waited for an answer
}

// sshSubsystem starts `ssh -s HOST parley` as k: its standard input and
// output are the channel.
func sshSubsystem(t *testing.T, srv *server, k key) (*exec.Cmd, io.WriteCloser, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command("ssh", append([]string{"-s"}, append(srv.sshArgs(k), "parley")...)...)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, in, out
}

func dialProto(t *testing.T, srv *server, k key) *protoClient {
	t.Helper()
	cmd, in, out := sshSubsystem(t, srv, k)
	c := &protoClient{t: t, cmd: cmd, in: in, frames: make(chan proto.Frame, 64)}
	go func() {
		defer close(c.frames)
		for {
			f, err := proto.ReadFrame(out)
			if err != nil {
				return
			}
			c.frames <- f
		}
	}()
	t.Cleanup(func() { _ = in.Close(); _ = cmd.Wait() })
	return c
}

func (c *protoClient) send(f proto.Frame) {
	c.t.Helper()
	if err := proto.WriteFrame(c.in, f); err != nil {
		c.t.Fatalf("write frame: %v", err)
	}
}

// frame waits for the next frame from the server; ok is false once the
// channel has ended.
func (c *protoClient) frame() (proto.Frame, bool) {
	c.t.Helper()
	select {
	case f, ok := <-c.frames:
		return f, ok
	case <-time.After(20 * time.Second):
		c.t.Fatal("no frame from the server in 20 s")
		return proto.Frame{}, false
	}
}

// call sends a request and returns its answer (OK or Error).
func (c *protoClient) call(kind proto.Kind, req any) proto.Frame {
	c.t.Helper()
	js, err := json.Marshal(req)
	if err != nil {
		c.t.Fatal(err)
	}
	c.next++
	c.send(proto.Frame{Kind: kind, ID: c.next, Payload: js})
	for {
		f, ok := c.frame()
		if !ok {
			c.t.Fatalf("the channel ended before the answer to %#02x", byte(kind))
		}
		if f.Kind == proto.KindPush {
			var ev proto.Event
			if json.Unmarshal(f.Payload, &ev) == nil {
				c.pushes = append(c.pushes, ev)
			}
			continue
		}
		if f.ID != c.next {
			c.t.Fatalf("answer for request %d, want %d", f.ID, c.next)
		}
		return f
	}
}

// waitPush returns the first push of the kind: one that arrived during a
// call, or the next one from the server.
func (c *protoClient) waitPush(kind string) proto.Event {
	c.t.Helper()
	for i, ev := range c.pushes {
		if ev.Kind == kind {
			c.pushes = append(c.pushes[:i:i], c.pushes[i+1:]...)
			return ev
		}
	}
	for {
		f, ok := c.frame()
		if !ok {
			c.t.Fatalf("the channel ended while waiting for a %q push", kind)
		}
		var ev proto.Event
		if f.Kind == proto.KindPush && json.Unmarshal(f.Payload, &ev) == nil {
			if ev.Kind == kind {
				return ev
			}
			c.pushes = append(c.pushes, ev)
		}
	}
}

func (c *protoClient) ok(kind proto.Kind, req, res any) {
	c.t.Helper()
	f := c.call(kind, req)
	if f.Kind != proto.KindOK {
		c.t.Fatalf("request %#02x: %s %s", byte(kind), kindName(f.Kind), f.Payload)
	}
	if res != nil {
		if err := proto.Decode(f.Payload, res); err != nil {
			c.t.Fatalf("request %#02x: %v in %s", byte(kind), err, f.Payload)
		}
	}
}

func (c *protoClient) refused(kind proto.Kind, req any, code string) proto.Error {
	c.t.Helper()
	f := c.call(kind, req)
	return wantError(c.t, f, code)
}

func wantError(t *testing.T, f proto.Frame, code string) proto.Error {
	t.Helper()
	var e proto.Error
	if f.Kind != proto.KindError || json.Unmarshal(f.Payload, &e) != nil || e.Code != code {
		t.Fatalf("got %s %s, want an error %q", kindName(f.Kind), f.Payload, code)
	}
	return e
}

func kindName(k proto.Kind) string {
	switch k {
	case proto.KindOK:
		return "OK"
	case proto.KindError:
		return "Error"
	}
	return fmt.Sprintf("kind %#02x", byte(k))
}

func (c *protoClient) hello() proto.WelcomeInfo {
	c.t.Helper()
	c.send(proto.Frame{Kind: proto.KindHello, Payload: proto.Hello{Min: 1, Max: 1, Client: "e2e"}.Encode()})
	f, ok := c.frame()
	if !ok || f.Kind != proto.KindWelcome {
		c.t.Fatalf("hello: %v %s", ok, f.Payload)
	}
	w, err := proto.ParseWelcome(f.Payload)
	if err != nil || w.Version != 1 {
		c.t.Fatalf("welcome: %+v, %v", w, err)
	}
	return w.Info
}

// TestParleySubsystem: over `ssh -s host parley` with the real OpenSSH
// client, a user's key gets a versioned handshake naming its user, looks
// up contacts, receives a hosted user's message as a push and from the
// mailbox, acknowledges it, is refused a forged envelope; a wrong version,
// a broken frame and an unknown key each end the channel with a clear
// error; a revoked user's channel is closed.
func TestParleySubsystem(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob, eve := f.key("ann"), f.key("bob"), f.key("eve")
	a := f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Baker")

	c := dialProto(t, f.srv, ann)
	w := c.hello()
	if w.User != a.ID || w.Name != "Ann Archer" || w.Tenant != "acme" || len(w.Public) != 32 || !strings.HasPrefix(w.Device, "SHA256:") {
		t.Fatalf("welcome = %+v, want Ann of acme with her key", w)
	}
	var me struct {
		ID string `json:"ID"`
	}
	f2 := c.call(proto.KindWhoami, struct{}{})
	if f2.Kind != proto.KindOK || json.Unmarshal(f2.Payload, &me) != nil || me.ID != a.ID {
		t.Fatalf("whoami: %s", f2.Payload)
	}
	var bc proto.Contact
	c.ok(proto.KindContact, proto.ContactRequest{ID: b.ID}, &bc)
	if bc.ID != b.ID || bc.Name != "Bob Baker" || len(bc.PublicKey) != 32 || !bc.Internal {
		t.Fatalf("contact = %+v, want Bob, internal, with his key", bc)
	}
	c.refused(proto.KindContact, proto.ContactRequest{ID: "NOSUCH00"}, proto.CodeNotFound)
	var found proto.FindResult
	c.ok(proto.KindFind, proto.FindRequest{Query: "Bob*"}, &found)
	if len(found.Entries) != 1 || found.Entries[0].ID != b.ID {
		t.Fatalf("find Bob* = %+v", found)
	}
	c.ok(proto.KindSubscribe, struct{}{}, nil)

	// Bob writes from a hosted session; Ann's channel is told at once.
	f.chat("bob", bob)
	f.x.line("bob", "/open "+a.ID)
	f.x.line("bob", "hello over the protocol")
	var push proto.Event
	for {
		fr, ok := c.frame()
		if !ok {
			t.Fatal("the channel ended while waiting for the push")
		}
		// Seq 0 is an ephemeral envelope (Bob's typing indicator), not stored.
		if fr.Kind == proto.KindPush && json.Unmarshal(fr.Payload, &push) == nil && push.Kind == "mail" && push.Delivery.Seq != 0 {
			break
		}
	}
	env, err := crypto.ParseEnvelope(push.Delivery.Envelope)
	if err != nil || env.Header.Sender.String() != b.ID || env.Header.Recipient.String() != a.ID {
		t.Fatalf("pushed envelope: %+v, %v; want from Bob to Ann", env, err)
	}
	if bytes.Contains(push.Delivery.Envelope, []byte("hello over the protocol")) {
		t.Fatal("the envelope carries the text in the clear")
	}
	var page proto.FetchResult
	c.ok(proto.KindFetch, proto.FetchRequest{}, &page)
	if len(page.Deliveries) == 0 || page.Deliveries[0].Seq != push.Delivery.Seq {
		t.Fatalf("fetch = %+v, want the pushed envelope %d", page, push.Delivery.Seq)
	}
	var acked proto.AckResult
	c.ok(proto.KindAck, proto.AckRequest{Seqs: []uint64{push.Delivery.Seq}}, &acked)
	if len(acked.Removed) != 1 || !acked.Removed[0] {
		t.Fatalf("ack = %+v, want removed", acked)
	}
	// Bob's envelope, sent again by Ann's key, is refused: the sender must
	// be the user the key belongs to.
	c.refused(proto.KindSend, proto.SendRequest{Envelope: push.Delivery.Envelope}, proto.CodeForbidden)
	c.refused(proto.KindSend, proto.SendRequest{Envelope: []byte("short")}, proto.CodeInvalid)
	c.refused(proto.KindFetch, map[string]any{"after": 0, "surprise": 1}, proto.CodeBadFrame)
	if _, ok := c.frame(); ok {
		t.Fatal("the channel stayed open after a malformed request")
	}

	// A version the server does not speak.
	v := dialProto(t, f.srv, ann)
	v.send(proto.Frame{Kind: proto.KindHello, Payload: proto.Hello{Min: 9, Max: 9}.Encode()})
	fr, _ := v.frame()
	if e := wantError(t, fr, proto.CodeVersion); !strings.Contains(e.Message, "1 to 1") {
		t.Fatalf("version error %q does not say what the server speaks", e.Message)
	}
	// Not a frame at all: an oversized length.
	g := dialProto(t, f.srv, ann)
	g.hello()
	_, _ = g.in.Write([]byte{0x7f, 0xff, 0xff, 0xff})
	fr, _ = g.frame()
	wantError(t, fr, proto.CodeBadFrame)
	// A key nobody enrolled.
	u := dialProto(t, f.srv, eve)
	fr, _ = u.frame()
	wantError(t, fr, proto.CodeForbidden)

	// Revoking Ann closes her open channel within seconds.
	r := dialProto(t, f.srv, ann)
	r.hello()
	f.run("user", "revoke", a.ID, "--tenant", "acme")
	deadline := time.After(10 * time.Second)
	for closed := false; !closed; {
		select {
		case fr, ok := <-r.frames:
			if !ok {
				closed = true
			} else if fr.Kind == proto.KindError && !strings.Contains(string(fr.Payload), "revoked") {
				t.Fatalf("closing error %s does not say why", fr.Payload)
			}
		case <-deadline:
			t.Fatal("a revoked user's protocol channel stayed open")
		}
	}
}
