package core

import (
	"context"
	"errors"
	"time"
)

// Features the organisation's policies may forbid: the keys of
// Restrictions.Forbidden. They match the server's policy actions; the chat
// maps its commands to them.
const (
	FeatureEditProfile   = "edit_profile"       // change one's own profile (/nick)
	FeatureOwnQuietHours = "own_quiet_hours"    // set one's own quiet hours (/quiet)
	FeatureCreateGroup   = "create_group"       // create a group
	FeatureAddContact    = "add_contact"        // write to people outside the organisation
	FeatureWorkDirectory = "use_work_directory" // search the organisation's directory
	FeatureBackup        = "backup"             // back up one's data
	FeatureExportID      = "export_id"          // export one's Parley ID and key
	FeatureCall          = "call"               // audio calls
	FeatureVideoCall     = "video_call"         // video calls
	FeatureGroupCall     = "group_call"         // group calls
	FeatureAlarm         = "send_alarm"         // send alarm messages (/alarm)
	FeatureTyping        = "typing_indicators"  // send and see typing indicators
	FeaturePresence      = "presence"           // show one's presence, see others'
)

// Restrictions are the rules in force for the user right now, as far as the
// UI shows them. The server enforces every one of them on its own; the UI
// uses them to grey out what would be refused, and to say why.
type Restrictions struct {
	// Forbidden maps a feature (Feature...) to the reason, for the user.
	Forbidden map[string]string
	// Quiet reports quiet hours now: no bell, no notification.
	Quiet bool
	// QuietUntil is when the current quiet hours end; zero if they do not.
	QuietUntil time.Time
	// NextChange is when Quiet next changes by the schedule alone; zero
	// if it never does. The UI reads the restrictions again then.
	NextChange time.Time
	// QuietSchedule is the schedule in force ("Europe/Zurich Mon-Fri
	// 18:00-08:00"); empty if none.
	QuietSchedule string
	// QuietZone is the IANA name of the schedule's time zone ("" without
	// a schedule): the zone the user keeps their quiet hours in.
	QuietZone string
	// QuietOwn says the schedule is the user's own, not the organisation's.
	QuietOwn bool
	// UserQuietHours says the user may set their own quiet hours.
	UserQuietHours bool
	// ReadonlyProfile says the user may not change their profile.
	ReadonlyProfile bool
}

// Reason returns why feature is forbidden, or "" if it is not.
func (r Restrictions) Reason(feature string) string { return r.Forbidden[feature] }

// Account is what the core needs from the server about the user's own
// account: the rules that apply to them, and their own settings. Every
// method acts for the session's user only.
type Account interface {
	// Settings reads the restrictions in force now.
	Settings(ctx context.Context) (Restrictions, error)
	// WatchSettings calls notify (which must not block) whenever the
	// restrictions may have changed; cancel stops it.
	WatchSettings(notify func()) (cancel func())
	// SetNickname changes the user's nickname; errors are for the user
	// (a read-only profile, a bad name).
	SetNickname(ctx context.Context, name string) error
	// SetQuietHours sets the user's own quiet hours: a schedule such as
	// "Mon-Fri 18:00-08:00; Sat,Sun all-day" in an IANA time zone.
	SetQuietHours(ctx context.Context, zone, spec string) error
	// ClearQuietHours removes the user's own quiet hours.
	ClearQuietHours(ctx context.Context) error
}

// ErrNoAccount is returned by the settings calls of a core configured
// without an Account.
var ErrNoAccount = errors.New("settings are not available in this session")

// Settings reads the restrictions in force for the user now. A core
// without an Account has none.
func (c *Core) Settings(ctx context.Context) (Restrictions, error) {
	if c.account == nil {
		return Restrictions{}, nil
	}
	return c.account.Settings(ctx)
}

// SetNickname changes the user's nickname.
func (c *Core) SetNickname(ctx context.Context, name string) error {
	if c.account == nil {
		return ErrNoAccount
	}
	return c.account.SetNickname(ctx, name)
}

// SetQuietHours sets the user's own quiet hours.
func (c *Core) SetQuietHours(ctx context.Context, zone, spec string) error {
	if c.account == nil {
		return ErrNoAccount
	}
	return c.account.SetQuietHours(ctx, zone, spec)
}

// ClearQuietHours removes the user's own quiet hours.
func (c *Core) ClearQuietHours(ctx context.Context) error {
	if c.account == nil {
		return ErrNoAccount
	}
	return c.account.ClearQuietHours(ctx)
}

// settingsChanged is the Account's notification: the next Sync reports it.
func (c *Core) settingsChanged() {
	c.mu.Lock()
	c.settingsDirty = true
	notify := c.notify
	c.mu.Unlock()
	if notify != nil {
		notify()
	}
}

// takeSettingsChanged reports and clears a pending settings change.
func (c *Core) takeSettingsChanged() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.settingsDirty
	c.settingsDirty = false
	return d
}
