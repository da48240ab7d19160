package core

import (
	"context"
	"fmt"
)

// Themes the chat can draw.
const (
	ThemeDark  = "dark"
	ThemeLight = "light"
)

// Notification styles: how the chat announces a new message.
const (
	NotifyBell    = "bell"    // the terminal bell
	NotifyDesktop = "desktop" // a desktop notification (OSC 9 / OSC 777)
	NotifyBoth    = "both"    // bell and desktop notification
	NotifyOff     = "off"     // nothing
)

// Prefs are the user's own preferences. They live in the device store, so
// every session of the user shares them.
type Prefs struct {
	// ReadReceipts says whether others learn that the user read their
	// messages; delivery receipts go out regardless. Default on.
	ReadReceipts bool `json:"read_receipts"`
	// TypingIndicators says whether the user's contacts see them typing
	// in a 1:1 chat and they see their contacts typing (one switch for
	// both, as read receipts). Default on.
	TypingIndicators bool `json:"typing_indicators"`
	// ShowPresence says whether the user's contacts of the same tenant see
	// them online, away or in quiet hours. The server keeps a copy (it
	// withholds the presence), see Core.SetPrefs. Default on.
	ShowPresence bool `json:"show_presence"`
	// Theme is ThemeDark (default) or ThemeLight.
	Theme string `json:"theme"`
	// Notify is one of NotifyBell (default), NotifyDesktop, NotifyBoth, NotifyOff.
	Notify string `json:"notify"`
}

// DefaultPrefs are the preferences of a user who never changed them.
func DefaultPrefs() Prefs {
	return Prefs{ReadReceipts: true, TypingIndicators: true, ShowPresence: true, Theme: ThemeDark, Notify: NotifyBell}
}

// normalize fills empty fields with their defaults and checks the rest.
func (p Prefs) normalize() (Prefs, error) {
	d := DefaultPrefs()
	if p.Theme == "" {
		p.Theme = d.Theme
	}
	if p.Notify == "" {
		p.Notify = d.Notify
	}
	switch p.Theme {
	case ThemeDark, ThemeLight:
	default:
		return Prefs{}, fmt.Errorf("unknown theme %q: use %s or %s", clip(p.Theme), ThemeDark, ThemeLight)
	}
	switch p.Notify {
	case NotifyBell, NotifyDesktop, NotifyBoth, NotifyOff:
	default:
		return Prefs{}, fmt.Errorf("unknown notification style %q: use %s, %s, %s or %s",
			clip(p.Notify), NotifyBell, NotifyDesktop, NotifyBoth, NotifyOff)
	}
	return p, nil
}

// clip shortens user input quoted back in an error.
func clip(s string) string {
	r := []rune(s)
	if len(r) > 20 {
		return string(r[:19]) + "…"
	}
	return s
}

// Prefs reads the user's preferences; DefaultPrefs if they never set any.
func (c *Core) Prefs(ctx context.Context) (Prefs, error) {
	k, err := c.storeKey()
	if err != nil {
		return Prefs{}, err
	}
	p := DefaultPrefs()
	err = c.store.View(ctx, func(tx Tx) error {
		p = DefaultPrefs()
		_, err := getRecord(tx, k, spaceLocal, localKey(k, "prefs"), &p)
		return err
	})
	if err != nil {
		return Prefs{}, fmt.Errorf("read preferences: %w", err)
	}
	// A record from a newer version may name a theme or style this one does
	// not know: those fall back to their defaults, the rest stays.
	d := DefaultPrefs()
	if _, err := (Prefs{Theme: p.Theme, Notify: d.Notify}).normalize(); err != nil {
		p.Theme = d.Theme
	}
	if _, err := (Prefs{Theme: d.Theme, Notify: p.Notify}).normalize(); err != nil {
		p.Notify = d.Notify
	}
	return p.normalize()
}

// SetPrefs stores the user's preferences. Empty Theme and Notify mean their
// defaults; anything unknown is refused and nothing changes. ShowPresence
// goes to the server too (PresenceAccount).
func (c *Core) SetPrefs(ctx context.Context, p Prefs) error {
	p, err := p.normalize()
	if err != nil {
		return err
	}
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	old, err := c.Prefs(ctx)
	if err != nil {
		return err
	}
	if old.ShowPresence != p.ShowPresence {
		// The server first: if it cannot take the setting, nothing changes.
		if err := c.syncShowPresence(ctx, p.ShowPresence); err != nil {
			return err
		}
	}
	err = c.store.Update(ctx, func(tx Tx) error {
		return c.putRecord(tx, k, spaceLocal, localKey(k, "prefs"), p)
	})
	if err != nil {
		return fmt.Errorf("save preferences: %w", err)
	}
	return nil
}

// readReceiptsOn reports whether MarkRead may send read receipts: the
// user's preference, on by default. If the preference cannot be read it
// answers no: a receipt not sent is the private mistake.
func (c *Core) readReceiptsOn(ctx context.Context) bool {
	p, err := c.Prefs(ctx)
	if err != nil {
		c.log.Warn("read preferences", "err", err)
		return false
	}
	return p.ReadReceipts
}
