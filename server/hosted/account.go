package hosted

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/quiet"
	"github.com/parley-chat/parley/store"
	"github.com/parley-chat/parley/tui/core"
)

// Audit actions of users changing their own settings.
const (
	ActionSetSelf   = "policy.set.self"
	ActionUnsetSelf = "policy.unset.self"
)

// ErrNoOwnQuietHours is the answer to removing one's own quiet hours when
// there are none.
var ErrNoOwnQuietHours = errors.New("you have no quiet hours of your own")

// account is the core's Account for one principal: the policies in effect
// for the user, and the settings users may change themselves.
type account struct {
	p   *auth.Principal
	db  store.DB
	dir Directory
	bus *policy.Bus
	now func() time.Time
}

var _ core.Account = (*account)(nil)

func (a *account) tenant() string                          { return a.p.User.TenantID }
func (a *account) user() crypto.ID                         { return a.p.User.ID }
func (a *account) ctx(ctx context.Context) context.Context { return auth.With(ctx, a.p) }

// Settings reads the user's effective policies and quiet status now.
func (a *account) Settings(ctx context.Context) (core.Restrictions, error) {
	var v policy.Values
	err := a.db.View(a.ctx(ctx), func(tx store.Tx) error {
		var err error
		v, err = policy.EffectiveTx(tx, a.tenant(), a.user())
		return err
	})
	if err != nil {
		return core.Restrictions{}, fmt.Errorf("read your policies: %w", err)
	}
	return restrictions(v, a.now()), nil
}

// features maps the core's features to the policy actions that decide them.
func features() []struct {
	feature string
	action  policy.Action
} {
	return []struct {
		feature string
		action  policy.Action
	}{
		{core.FeatureEditProfile, policy.EditProfile},
		{core.FeatureCreateGroup, policy.CreateGroup},
		{core.FeatureAddContact, policy.AddContact},
		{core.FeatureWorkDirectory, policy.UseWorkDirectory},
		{core.FeatureBackup, policy.Backup},
		{core.FeatureExportID, policy.ExportID},
		{core.FeatureCall, policy.Call},
		{core.FeatureVideoCall, policy.VideoCall},
		{core.FeatureGroupCall, policy.GroupCall},
	}
}

// restrictions is what the UI shows of the values in effect at now.
func restrictions(v policy.Values, now time.Time) core.Restrictions {
	r := core.Restrictions{
		Forbidden:       map[string]string{},
		UserQuietHours:  v.Bool(policy.UserQuietHours),
		ReadonlyProfile: v.Bool(policy.ReadonlyProfile),
	}
	for _, f := range features() {
		if err := policy.Allows(v, f.action); err != nil {
			r.Forbidden[f.feature] = err.Error()
		}
	}
	if !r.UserQuietHours {
		r.Forbidden[core.FeatureOwnQuietHours] = ownQuietForbidden().Error()
	}
	// Alarms are the one feature a policy has to allow (the relay
	// refuses them otherwise): shown forbidden until it does.
	if !v.Bool(policy.AlarmSend) {
		r.Forbidden[core.FeatureAlarm] = (&policy.ForbiddenError{Action: "send_alarm", Key: policy.AlarmSend,
			Reason: "your organisation does not allow you to send alarm messages"}).Error()
	}
	if !v.Bool(policy.TypingIndicators) {
		r.Forbidden[core.FeatureTyping] = (&policy.ForbiddenError{Action: "typing_indicators", Key: policy.TypingIndicators,
			Reason: "your organisation has turned typing indicators off"}).Error()
	}
	if !v.Bool(policy.Presence) {
		r.Forbidden[core.FeaturePresence] = (&policy.ForbiddenError{Action: "presence", Key: policy.Presence,
			Reason: "your organisation has turned presence off"}).Error()
	}
	// The schedule in effect (the user's own over the tenant's) decides,
	// through the same decision points the services use; quiet hours end
	// at its next change.
	if s := policy.QuietSchedule(v); !s.IsZero() {
		r.QuietSchedule = s.String() + " (" + s.Zone().String() + ")"
		r.QuietZone = s.Zone().String()
		r.QuietOwn = v[policy.QuietHours].Source == policy.SourceIndividual
		r.Quiet = !policy.DecideNotify(v, false, now)
		if next, ok := s.NextChange(now); ok {
			r.NextChange = next
			if r.Quiet {
				r.QuietUntil = next
			}
		}
	}
	return r
}

// ownQuietForbidden refuses a user's own quiet hours when
// parley_user_quiet_hours is off.
func ownQuietForbidden() error {
	return &policy.ForbiddenError{Action: "set_own_quiet_hours", Key: policy.UserQuietHours,
		Reason: "your organisation sets your quiet hours"}
}

// WatchSettings calls notify when a change of the policies published on
// the bus concerns the user: their own values or their tenant's.
func (a *account) WatchSettings(notify func()) (cancel func()) {
	tenant, user := a.tenant(), a.user()
	return a.bus.Subscribe(func(t string, u crypto.ID) {
		if policy.Affects(t, u, tenant, user) {
			notify()
		}
	})
}

// SetNickname changes the user's nickname; the directory refuses it under
// th_readonly_profile.
func (a *account) SetNickname(ctx context.Context, name string) error {
	_, err := a.dir.EditOwnProfile(a.ctx(ctx), a.user(), &name)
	return err
}

// SetQuietHours sets the user's own quiet hours, if the tenant lets users
// do so (parley_user_quiet_hours).
func (a *account) SetQuietHours(ctx context.Context, zone, spec string) error {
	s, err := quiet.Parse(zone, spec)
	if err != nil {
		return err
	}
	return a.changeQuiet(ctx, s.Value())
}

// ClearQuietHours removes the user's own quiet hours, so the tenant's
// apply again; it needs parley_user_quiet_hours as setting them does.
func (a *account) ClearQuietHours(ctx context.Context) error { return a.changeQuiet(ctx, "") }

// changeQuiet sets (value not empty) or removes the user's own
// parley_quiet_hours in one transaction with its audit entry, and
// announces the change on the bus once committed. A refusal changes
// nothing and writes no audit entry.
func (a *account) changeQuiet(ctx context.Context, value string) error {
	tenant, user := a.tenant(), a.user()
	changed := false
	err := a.db.Update(a.ctx(ctx), func(tx store.Tx) error {
		changed = false
		v, err := policy.EffectiveTx(tx, tenant, user)
		if err != nil {
			return err
		}
		if !v.Bool(policy.UserQuietHours) {
			return ownQuietForbidden()
		}
		action := ActionSetSelf
		var before, after policy.Value
		if value != "" {
			if before, after, err = policy.SetTx(tx, tenant, user, policy.QuietHours, value); err != nil {
				return err
			}
			if !policy.Changed(before, after) {
				return nil
			}
		} else {
			action = ActionUnsetSelf
			if before, err = policy.UnsetTx(tx, tenant, user, policy.QuietHours); err != nil {
				return err
			}
			if before.Source != policy.SourceIndividual {
				return ErrNoOwnQuietHours
			}
			now, err := policy.EffectiveTx(tx, tenant, user)
			if err != nil {
				return err
			}
			after = now[policy.QuietHours]
		}
		changed = true
		return a.record(tx, action, before, after)
	})
	if err != nil {
		return err
	}
	if changed {
		a.bus.Publish(tenant, user)
	}
	return nil
}

// record writes the audit entry of a user's change to their own settings,
// as an admin's change is recorded, with the user's key as the actor.
func (a *account) record(tx store.Tx, action string, before, after policy.Value) error {
	b, err := json.Marshal(before)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	af, err := json.Marshal(after)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	_, err = audit.Append(tx, store.AuditEntry{Time: a.now(), Actor: a.p.Actor(), Label: a.p.User.Name,
		TenantID: a.tenant(), Action: action, Target: a.user().String() + " " + policy.QuietHours, Before: b, After: af})
	return err
}

var _ core.PresenceAccount = (*account)(nil)

// SetShowPresence keeps the user's own presence setting (/presence) with
// their account, where the relay reads it (store.User.HidePresence).
func (a *account) SetShowPresence(ctx context.Context, show bool) error {
	err := a.db.Update(a.ctx(ctx), func(tx store.Tx) error {
		u, err := tx.User(a.user())
		if err != nil {
			return err
		}
		if u.HidePresence == !show {
			return nil
		}
		u.HidePresence = !show
		return tx.PutUser(u)
	})
	if err != nil {
		return fmt.Errorf("save presence setting: %w", err)
	}
	return nil
}
