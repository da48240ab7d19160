package local

import "context"

// SetShowPresence hands the user's presence setting to the server over
// the current connection (core.PresenceAccount).
func (l *link) SetShowPresence(ctx context.Context, show bool) error {
	c, err := l.current()
	if err != nil {
		return err
	}
	return offline(c.SetShowPresence(ctx, show))
}
