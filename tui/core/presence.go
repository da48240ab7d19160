package core

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/crypto"
)

// Presence: the server tells a user whether a contact of the same tenant
// is online (a live session now), away (none) or in quiet hours, with the
// contact look-up (Relay.Contact). It withholds it (PresenceUnknown)
// across tenants, when either side's policy (parley_presence) forbids it,
// and when the contact turned their own off (Prefs.ShowPresence, which
// SetPrefs hands to the server through PresenceAccount).

// PresenceState is what a contact's presence says.
type PresenceState string

// Presence states.
const (
	PresenceUnknown PresenceState = ""       // withheld, or not known
	PresenceOnline  PresenceState = "online" // a live session now
	PresenceAway    PresenceState = "away"   // no live session
	PresenceQuiet   PresenceState = "quiet"  // in quiet hours now
)

// Presence is a contact's presence as the server shows it.
type Presence struct {
	State PresenceState
}

// PresenceAccount is an Account that keeps the user's presence setting
// on the server, which withholds their presence when it is off.
type PresenceAccount interface {
	SetShowPresence(ctx context.Context, show bool) error
}

// Presence asks the server for a contact's presence now; it is never
// cached, so the UI asks when a conversation opens and then every ~30 s.
func (c *Core) Presence(ctx context.Context, id crypto.ID) (Presence, error) {
	if id == c.me.ID {
		return Presence{}, ErrSelf
	}
	ct, err := c.relay.Contact(ctx, id)
	if err != nil {
		return Presence{}, fmt.Errorf("read presence: %w", err)
	}
	return ct.Presence, nil
}

// syncShowPresence hands the presence setting to the server, when the
// Account keeps it.
func (c *Core) syncShowPresence(ctx context.Context, show bool) error {
	pa, ok := c.account.(PresenceAccount)
	if !ok {
		return nil
	}
	if err := pa.SetShowPresence(ctx, show); err != nil {
		return fmt.Errorf("save presence setting on the server: %w", err)
	}
	return nil
}
