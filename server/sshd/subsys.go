package sshd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"charm.land/ssh"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/groups"
	"github.com/parley-chat/parley/server/hosted"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/server/quiet"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/tui/core"
)

// parleySubsystem serves the client protocol (server/proto) to a local
// client: `ssh -s host parley`. It translates frames to calls of the same
// ports a hosted session's core uses, acting for the principal the key
// authenticated; it holds no rule of its own. A client that breaks the
// protocol gets an Error frame and the channel ends.
func (s *Server) parleySubsystem(sess ssh.Session) {
	p := principal(sess)
	if p == nil || !p.CanChat() {
		writeProtoError(sess, 0, proto.CodeForbidden, "this SSH key belongs to no active Parley user")
		_ = sess.Exit(1)
		return
	}
	ctx, end := context.WithCancelCause(auth.With(sess.Context(), p))
	defer end(nil)
	defer s.watchSession(p, false, end)()
	hd := s.deps.Hosted
	if hd.Policies == nil {
		hd.Policies = s.deps.Policies // settings pushes follow policy changes live
	}
	c := &protoConn{s: s, sess: sess, p: p, ports: hosted.PortsFor(hd, p)}
	go func() { // a revoked device or user: the channel closes
		<-ctx.Done()
		if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
			c.fail(0, proto.CodeForbidden, "Session ended: "+capitalizeFirst(cause.Error()))
			_ = sess.Exit(1)
			_ = sess.Close()
		}
	}()
	code := c.serve(ctx)
	c.endUploads()
	if c.sub != nil {
		c.sub.Close()
	}
	if c.unwatch != nil {
		c.unwatch()
	}
	_ = sess.Exit(code)
}

// protoConn is one client's subsystem channel.
type protoConn struct {
	s     *Server
	sess  ssh.Session
	p     *auth.Principal
	ports hosted.Ports

	wmu sync.Mutex // one frame at a time on the channel

	// Set by the subscribe request, in the serve goroutine; ended after it.
	sub     core.Subscription
	unwatch func() // the settings watch

	uploads uploads // blob uploads in flight; ended after serve
}

func (c *protoConn) write(f proto.Frame) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return proto.WriteFrame(c.sess, f)
}

// serve runs the handshake, then answers requests in order until the
// client closes the channel; it returns the exit status.
func (c *protoConn) serve(ctx context.Context) int {
	f, err := proto.ReadFrame(c.sess)
	if err != nil || f.Kind != proto.KindHello {
		writeProtoError(c.sess, 0, proto.CodeBadFrame, "the first frame must be a hello (docs/protocol.md)")
		return 1
	}
	h, err := proto.ParseHello(f.Payload)
	if err != nil {
		writeProtoError(c.sess, 0, proto.CodeBadFrame, err.Error())
		return 1
	}
	v, err := h.Choose()
	if err != nil {
		writeProtoError(c.sess, 0, proto.CodeVersion, err.Error())
		return 1
	}
	u := c.p.User
	tenant := ""
	if t, err := c.s.deps.Directory.Tenant(ctx, u.TenantID); err == nil {
		tenant = t.Name
	}
	local, err := c.s.deps.Directory.LocalMode(ctx, u.ID)
	if err != nil {
		c.s.log.WarnContext(ctx, "parley subsystem: read the user's mode", "err", err, "session", c.p.Session)
		writeProtoError(c.sess, 0, proto.CodeInternal, "internal error")
		return 1
	}
	welcome, err := proto.Welcome{Version: v, Info: proto.WelcomeInfo{Server: "parley/" + c.s.cfg.Version, User: u.ID.String(),
		Name: u.Name, Public: u.PublicKey[:], Tenant: tenant, Device: c.p.KeyFingerprint, Local: local}}.Encode()
	if err != nil || c.write(proto.Frame{Kind: proto.KindWelcome, Payload: welcome}) != nil {
		return 1
	}
	for {
		f, err := proto.ReadFrame(c.sess)
		if errors.Is(err, io.EOF) {
			return 0
		}
		if err != nil {
			c.fail(0, proto.CodeBadFrame, err.Error())
			return 1
		}
		if !f.Kind.IsRequest() {
			c.fail(f.ID, proto.CodeUnknown, fmt.Sprintf("frame kind %#02x is not a request", byte(f.Kind)))
			return 1
		}
		res, err := c.handle(ctx, f)
		if errors.Is(err, proto.ErrFrame) {
			c.fail(f.ID, proto.CodeBadFrame, err.Error())
			return 1
		}
		if err != nil {
			c.refuse(f.ID, err)
			continue
		}
		js, err := json.Marshal(res)
		if err != nil {
			c.refuse(f.ID, err)
			continue
		}
		if c.write(proto.Frame{Kind: proto.KindOK, ID: f.ID, Payload: js}) != nil {
			return 1
		}
	}
}

// handle answers one request with its result, or an error for refuse.
func (c *protoConn) handle(ctx context.Context, f proto.Frame) (any, error) {
	rel, dir := c.ports.Relay, c.ports.Directory
	switch f.Kind {
	case proto.KindWhoami:
		if err := proto.Decode(f.Payload, &struct{}{}); err != nil {
			return nil, err
		}
		return dir.Whoami(ctx)
	case proto.KindSend:
		var req proto.SendRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		sent, err := rel.Send(ctx, req.Envelope)
		return proto.Sent{Seq: sent.Seq, Received: sent.Received}, err
	case proto.KindSendBatch:
		var req proto.SendBatchRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		if len(req.Envelopes) > proto.MaxBatch {
			return nil, fmt.Errorf("%w: %d envelopes in a batch, at most %d", proto.ErrFrame, len(req.Envelopes), proto.MaxBatch)
		}
		sent, errs, err := rel.SendBatch(ctx, req.Envelopes)
		if err != nil {
			return nil, err
		}
		out := proto.SendBatchResult{Sent: make([]proto.Sent, len(sent)), Errors: make([]*proto.Error, len(errs))}
		for i, s := range sent {
			out.Sent[i] = proto.Sent{Seq: s.Seq, Received: s.Received}
		}
		for i, e := range errs {
			if e != nil {
				code, msg := c.classify(e)
				out.Errors[i] = &proto.Error{Code: code, Message: msg}
			}
		}
		return out, nil
	case proto.KindFetch:
		var req proto.FetchRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		if req.Limit <= 0 || req.Limit > proto.MaxFetch {
			req.Limit = proto.MaxFetch
		}
		ds, err := rel.Fetch(ctx, req.After, req.Limit)
		if err != nil {
			return nil, err
		}
		out := proto.FetchResult{Deliveries: make([]proto.Delivery, len(ds))}
		for i, d := range ds {
			out.Deliveries[i] = proto.Delivery{Seq: d.Seq, Received: d.Received, Envelope: d.Envelope}
		}
		return out, nil
	case proto.KindAck:
		var req proto.AckRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		removed, err := rel.Ack(ctx, req.Seqs)
		return proto.AckResult{Removed: removed}, err
	case proto.KindSubscribe:
		if err := proto.Decode(f.Payload, &struct{}{}); err != nil {
			return nil, err
		}
		if c.sub != nil {
			return struct{}{}, nil // subscribed already
		}
		wake := make(chan struct{}, 1)
		sub, err := rel.Subscribe(ctx, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
		if err != nil {
			return nil, err
		}
		c.sub = sub
		go c.push(ctx, sub, wake, c.watchSettings())
		return struct{}{}, nil
	case proto.KindContact:
		var req proto.ContactRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		id, err := crypto.ParseID(req.ID)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", directory.ErrInvalid, err)
		}
		ct, err := rel.Contact(ctx, id)
		if err != nil {
			return nil, err
		}
		return proto.Contact{ID: ct.ID.String(), Name: ct.Name, PublicKey: ct.PublicKey[:], Internal: ct.Internal,
			Nickname: ct.Nickname, NameSet: ct.NameSet, Presence: string(ct.Presence.State)}, nil
	case proto.KindFind:
		var req proto.FindRequest
		if err := proto.Decode(f.Payload, &req); err != nil {
			return nil, err
		}
		if req.Limit <= 0 || req.Limit > 100 {
			req.Limit = 100
		}
		es, err := dir.Find(ctx, req.Query, req.Limit)
		if err != nil {
			return nil, err
		}
		out := proto.FindResult{Entries: make([]proto.Entry, len(es))}
		for i, e := range es {
			out.Entries[i] = proto.Entry{ID: e.ID.String(), Name: e.Name, Nickname: e.Nickname, Category: e.Category,
				Tags: e.Tags, Internal: e.Internal, Organisation: e.Organisation}
		}
		return out, nil
	case proto.KindGroupCreate, proto.KindGroupsMine, proto.KindGroup, proto.KindGroupAdd, proto.KindGroupRemove,
		proto.KindGroupRename, proto.KindGroupAdmin, proto.KindGroupLeave:
		return c.group(ctx, f)
	case proto.KindSettings, proto.KindSetNickname, proto.KindSetQuietHours, proto.KindClearQuietHours,
		proto.KindSetPresence:
		return c.account(ctx, f)
	case proto.KindBlobPutBegin, proto.KindBlobPutChunk, proto.KindBlobPutEnd, proto.KindBlobPutCancel,
		proto.KindBlobGet, proto.KindBlobDelete:
		return c.blob(ctx, f)
	}
	return nil, fmt.Errorf("%w: request kind %#02x", errUnknownRequest, byte(f.Kind))
}

var errUnknownRequest = errors.New("unknown request")

// push forwards the live feed as Push frames until the channel ends. A
// dropped feed is told as "behind": the client fetches from the mailbox.
// A wake on settings is told as one "settings" event: the client reads
// them again.
func (c *protoConn) push(ctx context.Context, sub core.Subscription, wake, settings <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-settings:
			js, _ := json.Marshal(proto.Event{Kind: "settings"})
			if c.write(proto.Frame{Kind: proto.KindPush, Payload: js}) != nil {
				return
			}
			continue
		case <-wake:
		}
		evs, err := sub.Drain()
		var out []proto.Event
		if errors.Is(err, core.ErrBehind) {
			out = append(out, proto.Event{Kind: "behind"})
		} else if err != nil {
			return
		}
		for _, ev := range evs {
			switch ev.Kind {
			case core.EventMail:
				d := ev.Delivery
				out = append(out, proto.Event{Kind: "mail", Delivery: &proto.Delivery{Seq: d.Seq, Received: d.Received, Envelope: d.Envelope}})
			case core.EventDeviceStore:
				out = append(out, proto.Event{Kind: "device_store"})
			case core.EventGroups:
				out = append(out, proto.Event{Kind: "groups"})
			}
		}
		for _, ev := range out {
			js, err := json.Marshal(ev)
			if err != nil || c.write(proto.Frame{Kind: proto.KindPush, Payload: js}) != nil {
				return
			}
		}
	}
}

// classify maps a service's error to a code and the text the client shows:
// the services' errors are written for the user; anything else is logged
// here and told as an internal error.
func (c *protoConn) classify(err error) (code, msg string) {
	switch {
	case errors.Is(err, relay.ErrRateLimited), errors.Is(err, errTooManyUploads):
		return proto.CodeRateLimited, err.Error()
	case errors.Is(err, directory.ErrUserNotFound), errors.Is(err, relay.ErrUnreachable), errors.Is(err, groups.ErrNotFound),
		errors.Is(err, blobs.ErrNotFound), errors.Is(err, errNoUpload):
		return proto.CodeNotFound, err.Error()
	case errors.Is(err, relay.ErrNotUser), errors.Is(err, relay.ErrDetached), errors.Is(err, relay.ErrForgedSender),
		errors.Is(err, relay.ErrAlarmForbidden), errors.Is(err, relay.ErrSubscriptions), errors.Is(err, relay.ErrOneDevice),
		errors.Is(err, policy.ErrForbiddenByPolicy), errors.Is(err, directory.ErrNotActive),
		errors.Is(err, groups.ErrNotAdmin), errors.Is(err, groups.ErrManaged), errors.Is(err, groups.ErrNotUser),
		errors.Is(err, blobs.ErrNotUser):
		return proto.CodeForbidden, err.Error()
	case errors.Is(err, relay.ErrTooLarge), errors.Is(err, relay.ErrMalformed), errors.Is(err, relay.ErrTooManyAcks),
		errors.Is(err, directory.ErrInvalid), errors.Is(err, groups.ErrInvalid), errors.Is(err, groups.ErrTooMany),
		errors.Is(err, quiet.ErrInvalid), errors.Is(err, policy.ErrInvalid), errors.Is(err, hosted.ErrNoOwnQuietHours),
		errors.Is(err, blobs.ErrTooLarge), errors.Is(err, blobs.ErrQuota), errors.Is(err, blobs.ErrServerFull),
		errors.Is(err, blobs.ErrInvalid), errors.Is(err, blobs.ErrIncomplete), errors.Is(err, hosted.ErrBlobRange),
		errors.Is(err, errUploadOrder), errors.Is(err, errUploadOverrun):
		return proto.CodeInvalid, err.Error()
	case errors.Is(err, errUnknownRequest), errors.Is(err, core.ErrNoGroups), errors.Is(err, core.ErrNoAccount),
		errors.Is(err, core.ErrNoBlobs):
		return proto.CodeUnknown, err.Error()
	}
	c.s.log.WarnContext(c.logCtx(), "parley subsystem request failed", "err", err, "session", c.p.Session)
	c.s.countError("subsystem", "request")
	return proto.CodeInternal, "internal error"
}

// refuse answers a request with the Error for err.
func (c *protoConn) refuse(id uint32, err error) {
	code, msg := c.classify(err)
	c.fail(id, code, msg)
}

func (c *protoConn) fail(id uint32, code, msg string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	writeProtoError(c.sess, id, code, msg)
}

func writeProtoError(w io.Writer, id uint32, code, msg string) {
	js, _ := json.Marshal(proto.Error{Code: code, Message: msg})
	_ = proto.WriteFrame(w, proto.Frame{Kind: proto.KindError, ID: id, Payload: js})
}
