package directory

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Whoami is what the server stores about a user, as the user's own
// data-access request shows it. Secrets stay out: the sealed key and the
// hash of an outstanding activation code are reported only as present.
type Whoami struct {
	ID        crypto.ID
	Name      string
	FirstName string
	LastName  string
	Nickname  string
	Category  string
	CSI       string
	Tags      []string
	// Email is the linked address, EmailHashes the hex SHA-256 of each
	// linked address (lower-cased), as address books compare them.
	Email       string
	EmailHashes []string
	PublicKey   crypto.PublicKey
	// Fingerprint is the public key's fingerprint in hex groups.
	Fingerprint string
	// SealedKey says the server holds the secret key sealed with the
	// user's passphrase (hosted mode).
	SealedKey bool
	// PendingCode says an activation code is outstanding for the user.
	PendingCode  bool
	TenantID     string
	Tenant       string // the tenant's name
	Organisation string // the tenant's display name, else its name
	Status       store.UserStatus
	CreatedAt    time.Time
	ActivatedAt  time.Time
	Devices      []WhoamiDevice
	// Policies are the values in effect for the user, every key, sorted.
	Policies []policy.Value
	// Groups are the groups the user is a member of.
	Groups []WhoamiGroup
}

// WhoamiDevice is one SSH key bound to the user.
type WhoamiDevice struct {
	Fingerprint string
	// Label names the key: its type and the comment it was enrolled with.
	Label    string
	AddedAt  time.Time
	LastSeen time.Time // zero: never used since it was recorded
}

// WhoamiGroup is a group the user is a member of.
type WhoamiGroup struct {
	Key     string // the instance-wide key clients name the group by
	Name    string
	Managed bool // created by the organisation's admins: fixed membership
	Admin   bool // the user is one of the group's admins (user groups)
	Members int
}

// Whoami returns everything the directory stores about the user id, for
// that user. It reads one consistent snapshot.
func (s *Service) Whoami(ctx context.Context, id crypto.ID) (Whoami, error) {
	var w Whoami
	err := s.db.View(ctx, func(tx store.Tx) error {
		u, err := tx.User(id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s: %w", id, ErrUserNotFound)
		} else if err != nil {
			return fmt.Errorf("read user: %w", err)
		}
		t, err := tx.Tenant(u.TenantID)
		if err != nil {
			return fmt.Errorf("read tenant: %w", err)
		}
		w = Whoami{
			ID: u.ID, Name: u.Name, FirstName: u.FirstName, LastName: u.LastName, Nickname: u.Nickname,
			Category: u.Category, CSI: u.CSI, Tags: slices.Clone(u.Tags), Email: u.Email, PublicKey: u.PublicKey,
			SealedKey: len(u.SealedKey) > 0, PendingCode: len(u.ActivationHash) > 0,
			TenantID: t.ID, Tenant: t.Name, Organisation: cmp.Or(t.DisplayName, t.Name),
			Status: u.Status, CreatedAt: u.CreatedAt, ActivatedAt: u.ActivatedAt,
			EmailHashes: []string{},
		}
		if !u.PublicKey.IsZero() {
			w.Fingerprint = crypto.FingerprintOf(u.PublicKey).String()
		}
		if u.Email != "" {
			w.EmailHashes = append(w.EmailHashes, EmailHash(u.Email))
		}
		ds, err := tx.DevicesOfUser(u.ID)
		if err != nil {
			return fmt.Errorf("list devices: %w", err)
		}
		w.Devices = make([]WhoamiDevice, 0, len(ds))
		for _, d := range ds {
			w.Devices = append(w.Devices, WhoamiDevice{Fingerprint: d.Fingerprint, Label: keyLabel(d.AuthorizedKey),
				AddedAt: d.AddedAt, LastSeen: d.LastSeen})
		}
		slices.SortFunc(w.Devices, func(a, b WhoamiDevice) int {
			return cmp.Or(a.AddedAt.Compare(b.AddedAt), strings.Compare(a.Fingerprint, b.Fingerprint))
		})
		values, err := policy.EffectiveTx(tx, u.TenantID, u.ID)
		if err != nil {
			return err
		}
		w.Policies = make([]policy.Value, 0, len(values))
		for _, v := range values {
			w.Policies = append(w.Policies, v)
		}
		slices.SortFunc(w.Policies, func(a, b policy.Value) int { return strings.Compare(a.Key, b.Key) })
		groups, err := tx.GroupsOfMember(u.ID)
		if err != nil {
			return fmt.Errorf("list groups: %w", err)
		}
		w.Groups = make([]WhoamiGroup, 0, len(groups))
		for _, g := range groups {
			w.Groups = append(w.Groups, WhoamiGroup{Key: g.Key, Name: g.Name, Managed: g.Kind != store.GroupUser,
				Admin: slices.Contains(g.Admins, u.ID), Members: len(g.Members)})
		}
		slices.SortFunc(w.Groups, func(a, b WhoamiGroup) int {
			return cmp.Or(strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)), strings.Compare(a.Key, b.Key))
		})
		return nil
	})
	if err != nil {
		return Whoami{}, fmt.Errorf("read your data: %w", err)
	}
	return w, nil
}

// EmailHash is the hex SHA-256 of an e-mail address, lower-cased and
// trimmed, as Threema-style address books compare addresses without
// revealing them.
func EmailHash(addr string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(addr))))
	return hex.EncodeToString(sum[:])
}

// keyLabel names an authorized key by its type and comment, never by the
// key material: "ssh-ed25519 ann@laptop".
func keyLabel(authorized string) string {
	f := strings.Fields(authorized)
	switch {
	case len(f) == 0:
		return ""
	case len(f) < 3:
		return clipTo(f[0], 40)
	}
	return clipTo(f[0]+" "+strings.Join(f[2:], " "), 80)
}
