package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// applyPresets fills u's profile from the profile presets in effect for it
// (th_firstname, th_lastname, th_nickname, th_category, th_csi; individual
// over global). A preset that is set wins over what the admin entered when
// creating the user, as an edit of that field would: the display name is
// rebuilt when a first or last name is preset. Presets that are not set
// leave their field alone. It returns the keys it applied and those it
// skipped because their value is not a valid name.
func applyPresets(u *store.User, v policy.Values) (applied, skipped []string) {
	var c ProfileChange
	for _, f := range []struct {
		key string
		dst **string
	}{
		{policy.FirstName, &c.FirstName},
		{policy.LastName, &c.LastName},
		{policy.Nickname, &c.Nickname},
		{policy.Category, &c.Category},
	} {
		raw := v.String(f.key)
		if strings.TrimSpace(raw) == "" {
			continue
		}
		n, err := NormalizePersonName(raw)
		if err != nil {
			skipped = append(skipped, f.key)
			continue
		}
		*f.dst = &n
		applied = append(applied, f.key)
	}
	if len(applied) > 0 {
		p, err := normalizeProfile(mergeProfile(*u, c))
		if err != nil { // every field was checked: only the rebuilt name can fail
			skipped, applied = append(skipped, applied...), nil
		} else {
			u.Name, u.FirstName, u.LastName, u.Nickname, u.Category = p.Name, p.FirstName, p.LastName, p.Nickname, p.Category
		}
	}
	if csi := strings.TrimSpace(v.String(policy.CSI)); csi != "" {
		u.CSI = csi // a free identifier: the registry already refused control characters
		applied = append(applied, policy.CSI)
	}
	return applied, skipped
}

// EditOwnProfile lets an active user change their own nickname, validated
// like an admin's edit; nil leaves it as it is, "" clears it. It is refused
// with a *policy.ForbiddenError (errors.Is policy.ErrForbiddenByPolicy)
// when th_readonly_profile is in effect for the user.
func (s *Service) EditOwnProfile(ctx context.Context, uid crypto.ID, nickname *string) (store.User, error) {
	var out store.User
	err := s.db.Update(ctx, func(tx store.Tx) error {
		u, err := tx.User(uid)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s: %w", uid, ErrUserNotFound)
		} else if err != nil {
			return fmt.Errorf("read user: %w", err)
		}
		if u.Status != store.UserActive {
			return ErrNotActive
		}
		v, err := policy.EffectiveTx(tx, u.TenantID, u.ID)
		if err != nil {
			return err
		}
		if err := policy.Allows(v, policy.EditProfile); err != nil {
			return err
		}
		out = public(u)
		if nickname == nil {
			return nil
		}
		p, err := normalizeProfile(mergeProfile(u, ProfileChange{Nickname: nickname}))
		if err != nil {
			return err
		}
		if p.Nickname == u.Nickname {
			return nil
		}
		u.Nickname = p.Nickname
		if err := tx.PutUser(u); err != nil {
			return fmt.Errorf("save profile: %w", err)
		}
		out = public(u)
		return nil
	})
	if err != nil {
		return store.User{}, err
	}
	s.forget(uid)
	return out, nil
}
