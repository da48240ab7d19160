package remote

import (
	"crypto/rand"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

// TestPresence: the contact frame's presence arrives as the core's (what
// this version does not know as withheld), and SetShowPresence sends its
// request.
func TestPresence(t *testing.T) {
	peer, _ := crypto.ParseID("BOB00002")
	pk, _, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	presence := "online"
	var got *proto.PresenceRequest
	c, _ := open(t, func(f proto.Frame) (proto.Kind, any) {
		switch f.Kind {
		case proto.KindContact:
			return proto.KindOK, proto.Contact{ID: peer.String(), Name: "Bob", PublicKey: pk[:], Internal: true, Presence: presence}
		case proto.KindSetPresence:
			got = &proto.PresenceRequest{}
			if err := proto.Decode(f.Payload, got); err != nil {
				return proto.KindError, proto.Error{Code: proto.CodeBadFrame, Message: err.Error()}
			}
			return proto.KindOK, struct{}{}
		}
		return proto.KindError, proto.Error{Code: proto.CodeUnknown, Message: "unknown"}
	})
	ctx := t.Context()
	for _, tt := range []struct {
		wire string
		want core.PresenceState
	}{{"online", core.PresenceOnline}, {"away", core.PresenceAway}, {"quiet", core.PresenceQuiet},
		{"", core.PresenceUnknown}, {"busy", core.PresenceUnknown}} {
		presence = tt.wire
		ct, err := c.Contact(ctx, peer)
		if err != nil || ct.Presence.State != tt.want {
			t.Errorf("presence %q: got %q, %v; want %q", tt.wire, ct.Presence.State, err, tt.want)
		}
	}
	if err := c.SetShowPresence(ctx, false); err != nil || got == nil || got.Show {
		t.Fatalf("SetShowPresence(false): %v, sent %+v", err, got)
	}
}
