package relay

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Presence is what a user may learn of another's presence.
type Presence string

// Presence values. PresenceWithheld is the answer whenever the viewer may
// not know: another tenant, either side's parley_presence false, or the
// user's own setting (store.User.HidePresence).
const (
	PresenceWithheld Presence = ""
	PresenceOnline   Presence = "online" // a live session now
	PresenceAway     Presence = "away"   // no live session
	PresenceQuiet    Presence = "quiet"  // in quiet hours now
)

// onlineBus is a Bus that knows who has a live session (the Hub does).
type onlineBus interface {
	Online(user crypto.ID) bool
}

// Online reports whether user has a live session on this hub.
func (h *Hub) Online(user crypto.ID) bool {
	sh := h.shard(user)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return len(sh.subs[user]) > 0
}

// Presence returns what viewer may see of the presence of the user id:
// quiet when their quiet hours are on now, else online or away. A bus
// that does not know who is online withholds it.
func (s *Service) Presence(ctx context.Context, viewer *store.User, id crypto.ID) (Presence, error) {
	ob, ok := s.bus.(onlineBus)
	if !ok || viewer == nil || viewer.ID == id {
		return PresenceWithheld, nil
	}
	quiet := false
	err := s.db.View(ctx, func(tx store.Tx) error {
		u, err := tx.User(id)
		if errors.Is(err, store.ErrNotFound) {
			ok = false
			return nil
		}
		if err != nil {
			return err
		}
		if u.TenantID != viewer.TenantID || u.HidePresence || u.Status != store.UserActive {
			ok = false
			return nil
		}
		vv, err := policy.EffectiveTx(tx, viewer.TenantID, viewer.ID)
		if err != nil {
			return err
		}
		uv, err := policy.EffectiveTx(tx, u.TenantID, u.ID)
		if err != nil {
			return err
		}
		ok = vv.Bool(policy.Presence) && uv.Bool(policy.Presence)
		quiet = !policy.DecideNotify(uv, false, s.cfg.Now())
		return nil
	})
	switch {
	case err != nil:
		return PresenceWithheld, fmt.Errorf("read presence: %w", err)
	case !ok:
		return PresenceWithheld, nil
	case quiet:
		return PresenceQuiet, nil
	case ob.Online(id):
		return PresenceOnline, nil
	}
	return PresenceAway, nil
}
