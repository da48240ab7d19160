package admin

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// AdminSpec is an admin to add, or the new role of an existing one.
type AdminSpec struct {
	// AuthorizedKey is the admin's OpenSSH public key, "TYPE BASE64" with
	// an optional comment. The service checks its shape and derives the
	// fingerprint; fronts that can should parse it fully first (the SSH
	// front does, with golang.org/x/crypto/ssh, which this package may not
	// import) and pass the normalised key.
	AuthorizedKey string
	// Fingerprint is the key's SHA256 fingerprint as the front computed it;
	// when set, it must match AuthorizedKey.
	Fingerprint string
	// Role is one of Roles().
	Role store.Role
	// Groups scopes a group admin: managed groups of the tenant, by ID or
	// name. Only for RoleGroupAdmin, which needs at least one.
	Groups []string
	// Label says who the key belongs to, for lists and the audit log
	// (default: the key's comment; when changing a role, the old label).
	Label string
}

// AdminInfo is an admin as lists show it.
type AdminInfo struct {
	store.Admin
	// GroupNames are the names of Groups, in the same order (the ID when
	// the group is gone).
	GroupNames []string
	// TwoFactor reports that the key has TOTP enabled.
	TwoFactor bool
}

// roleRank orders the roles: nobody may give or take a role above its own.
// Group admins and auditors are different, not ranked against each other.
func roleRank(r store.Role) int {
	switch r {
	case store.RoleInstance:
		return 4
	case store.RoleOwner:
		return 3
	case store.RoleAdmin:
		return 2
	case store.RoleGroupAdmin, store.RoleAuditor:
		return 1
	}
	return 0
}

// callerRank is the rank of the principal in a tenant.
func callerRank(p *auth.Principal, tenantID string) int {
	if p.APIKey != nil {
		return 0
	}
	if p.IsInstanceAdmin() {
		return roleRank(store.RoleInstance)
	}
	return roleRank(p.Role(tenantID))
}

// AddAdmin gives an SSH key a role in a tenant. A key holds one role per
// tenant: adding it again changes its role (and groups and label). Only an
// owner or an instance admin may make an owner; nobody may give a role
// above its own, change the role of someone above it, or demote the
// tenant's last owner. The key may also be a chat user's device.
func (s *Service) AddAdmin(ctx context.Context, tenant string, spec AdminSpec) (store.Admin, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.Admin{}, err
	}
	p, err := s.authorize(ctx, id, PermAdminsWrite)
	if err != nil {
		return store.Admin{}, err
	}
	if !slices.Contains(Roles(), spec.Role) {
		return store.Admin{}, fmt.Errorf("%w: role %q: use one of %s", ErrInvalid, spec.Role, roleList())
	}
	rank := callerRank(p, id)
	if roleRank(spec.Role) > rank {
		return store.Admin{}, aboveOwnRole(spec.Role)
	}
	key, fp, comment, err := parseAdminKey(spec.AuthorizedKey)
	if err != nil {
		return store.Admin{}, err
	}
	if spec.Fingerprint != "" && spec.Fingerprint != fp {
		return store.Admin{}, fmt.Errorf("%w: the fingerprint %s does not match the key (%s)", ErrInvalid, spec.Fingerprint, fp)
	}
	label := spec.Label
	if label == "" {
		label = comment
	}
	if label != "" {
		if label, err = directory.NormalizePersonName(label); err != nil {
			return store.Admin{}, fmt.Errorf("label: %w", err)
		}
	}
	switch {
	case spec.Role == store.RoleGroupAdmin && len(spec.Groups) == 0:
		return store.Admin{}, fmt.Errorf("%w: a group admin needs at least one managed group (--group NAME)", ErrInvalid)
	case spec.Role != store.RoleGroupAdmin && len(spec.Groups) > 0:
		return store.Admin{}, fmt.Errorf("%w: groups are only for the role %s", ErrInvalid, store.RoleGroupAdmin)
	}

	var out store.Admin
	err = s.db.Update(ctx, func(tx store.Tx) error {
		groups, err := resolveGroups(tx, id, spec.Groups)
		if err != nil {
			return err
		}
		old, exists, err := adminIn(tx, fp, id)
		if err != nil {
			return err
		}
		a := store.Admin{Fingerprint: fp, AuthorizedKey: key, Role: spec.Role, TenantID: id, Groups: groups,
			Label: label, AddedAt: s.now(), AddedBy: p.Actor()}
		if !exists {
			out = a
			if err := tx.PutAdmin(a); err != nil {
				return err
			}
			return s.record(tx, p, id, "admin.add", fp, nil, a)
		}
		if roleRank(old.Role) > rank {
			return aboveOwnRole(old.Role)
		}
		if old.Role == store.RoleOwner && a.Role != store.RoleOwner {
			if err := notLastOwner(tx, id, fp); err != nil {
				return err
			}
		}
		a.AddedAt, a.AddedBy = old.AddedAt, old.AddedBy
		if spec.Label == "" && old.Label != "" {
			a.Label = old.Label
		}
		out = a
		if sameAdmin(old, a) {
			return nil
		}
		if err := tx.PutAdmin(a); err != nil {
			return err
		}
		return s.record(tx, p, id, "admin.change", fp, old, a)
	})
	if err != nil {
		return store.Admin{}, err
	}
	return out, nil
}

// Admins lists a tenant's admins, owners first.
func (s *Service) Admins(ctx context.Context, tenant string) ([]store.Admin, error) {
	infos, err := s.AdminDetails(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]store.Admin, len(infos))
	for i, a := range infos {
		out[i] = a.Admin
	}
	return out, nil
}

// AdminDetails lists a tenant's admins, owners first, with their groups'
// names and whether their keys use two-factor authentication.
func (s *Service) AdminDetails(ctx context.Context, tenant string) ([]AdminInfo, error) {
	id, err := s.principalTenant(ctx, tenant, PermAdminsRead)
	if err != nil {
		return nil, err
	}
	var out []AdminInfo
	err = s.db.View(ctx, func(tx store.Tx) error {
		as, err := tx.AdminsOfTenant(id)
		if err != nil {
			return err
		}
		gs, err := tx.GroupsOfTenant(id)
		if err != nil {
			return err
		}
		names := make(map[string]string, len(gs))
		for _, g := range gs {
			names[g.ID] = g.Name
		}
		out = make([]AdminInfo, 0, len(as))
		for _, a := range as {
			info := AdminInfo{Admin: a}
			for _, g := range a.Groups {
				n, ok := names[g]
				if !ok {
					n = g
				}
				info.GroupNames = append(info.GroupNames, n)
			}
			t, err := tx.TOTP(a.Fingerprint)
			switch {
			case err == nil:
				info.TwoFactor = t.Enabled
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
			out = append(out, info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	slices.SortStableFunc(out, func(a, b AdminInfo) int {
		if d := roleRank(b.Role) - roleRank(a.Role); d != 0 {
			return d
		}
		if c := strings.Compare(string(a.Role), string(b.Role)); c != 0 {
			return c
		}
		return a.AddedAt.Compare(b.AddedAt)
	})
	return out, nil
}

// RemoveAdmin takes a key's role in a tenant away. Only an owner or an
// instance admin may remove an owner, and the tenant's last owner cannot be
// removed; removing one's own key is allowed otherwise. A key left without
// any role loses its two-factor enrolment too.
func (s *Service) RemoveAdmin(ctx context.Context, tenant, fingerprint string) (store.Admin, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return store.Admin{}, err
	}
	p, err := s.authorize(ctx, id, PermAdminsWrite)
	if err != nil {
		return store.Admin{}, err
	}
	fingerprint = strings.TrimSpace(fingerprint)
	if !strings.HasPrefix(fingerprint, "SHA256:") {
		return store.Admin{}, fmt.Errorf("%w: %q is not a key fingerprint: give it as SHA256:... (admin list shows them)",
			ErrInvalid, clipInput(fingerprint))
	}
	var out store.Admin
	err = s.db.Update(ctx, func(tx store.Tx) error {
		a, exists, err := adminIn(tx, fingerprint, id)
		if err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("%w: no admin key %s in this tenant", ErrNotFound, fingerprint)
		}
		if roleRank(a.Role) > callerRank(p, id) {
			return aboveOwnRole(a.Role)
		}
		if a.Role == store.RoleOwner {
			if err := notLastOwner(tx, id, fingerprint); err != nil {
				return err
			}
		}
		if err := tx.DeleteAdmin(fingerprint, id); err != nil {
			return err
		}
		rest, err := tx.AdminRoles(fingerprint)
		if err != nil {
			return err
		}
		if len(rest) == 0 {
			if err := tx.DeleteTOTP(fingerprint); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		out = a
		return s.record(tx, p, id, "admin.remove", fingerprint, a, nil)
	})
	if err != nil {
		return store.Admin{}, err
	}
	return out, nil
}

// adminIn returns the role of a key in a tenant.
func adminIn(tx store.Tx, fingerprint, tenantID string) (store.Admin, bool, error) {
	roles, err := tx.AdminRoles(fingerprint)
	if err != nil {
		return store.Admin{}, false, err
	}
	for _, r := range roles {
		if r.TenantID == tenantID {
			return r, true, nil
		}
	}
	return store.Admin{}, false, nil
}

// notLastOwner refuses to take the owner role from a key that is the
// tenant's only owner.
func notLastOwner(tx store.Tx, tenantID, fingerprint string) error {
	as, err := tx.AdminsOfTenant(tenantID)
	if err != nil {
		return err
	}
	for _, a := range as {
		if a.Role == store.RoleOwner && a.Fingerprint != fingerprint {
			return nil
		}
	}
	return fmt.Errorf("%w: %s is the tenant's last owner and must stay: make another key owner first", ErrConflict, fingerprint)
}

// resolveGroups finds managed groups of the tenant by ID or name and
// returns their IDs, each once, in the order given.
func resolveGroups(tx store.Tx, tenantID string, refs []string) ([]string, error) {
	if len(refs) == 0 {
		return nil, nil
	}
	gs, err := tx.GroupsOfTenant(tenantID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ref := range refs {
		ref = strings.TrimSpace(ref)
		i := slices.IndexFunc(gs, func(g store.Group) bool { return g.ID == ref })
		if i < 0 {
			i = slices.IndexFunc(gs, func(g store.Group) bool { return strings.EqualFold(g.Name, ref) })
		}
		if i < 0 {
			return nil, fmt.Errorf("%w: no managed group %q in this tenant", ErrInvalid, clipInput(ref))
		}
		if !slices.Contains(ids, gs[i].ID) {
			ids = append(ids, gs[i].ID)
		}
	}
	return ids, nil
}

func sameAdmin(a, b store.Admin) bool {
	return a.Role == b.Role && a.Label == b.Label && a.AuthorizedKey == b.AuthorizedKey && slices.Equal(a.Groups, b.Groups)
}

func aboveOwnRole(r store.Role) error {
	if r == store.RoleOwner {
		return fmt.Errorf("%w: only an owner or an instance admin may add, change or remove an owner", ErrForbidden)
	}
	return fmt.Errorf("%w: the role %s is above your own", ErrForbidden, r)
}

func roleList() string {
	var names []string
	for _, r := range Roles() {
		names = append(names, string(r))
	}
	return strings.Join(names, ", ")
}

// sshKeyType reports whether an admin key may have this type.
func sshKeyType(t string) bool {
	switch t {
	case "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
		"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com":
		return true
	}
	return false
}

// maxKeyLine bounds an authorized_keys line (an RSA key of 16384 bits fits).
const maxKeyLine = 8 << 10

// parseAdminKey checks the shape of an OpenSSH public key line
// "TYPE BASE64 [COMMENT]": a known type, and a base64 blob that starts with
// the same type name in SSH wire format. It returns the key without its
// comment, its SHA256 fingerprint as OpenSSH prints it, and the comment.
func parseAdminKey(line string) (key, fingerprint, comment string, err error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: not an OpenSSH public key (%s): give one line such as the contents of ~/.ssh/id_ed25519.pub", ErrInvalid, why)
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return "", "", "", bad("empty")
	}
	if len(line) > maxKeyLine || strings.ContainsAny(line, "\r\n") {
		return "", "", "", bad("more than one line")
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return "", "", "", bad("expected TYPE BASE64 [COMMENT]")
	}
	typ := fields[0]
	if !sshKeyType(typ) {
		return "", "", "", bad(fmt.Sprintf("unknown key type %q", clipInput(typ)))
	}
	blob, err := base64.StdEncoding.DecodeString(fields[1])
	if err != nil {
		return "", "", "", bad("the key is not base64")
	}
	if len(blob) < 4 {
		return "", "", "", bad("the key is too short")
	}
	// The type name comes first, then the key material.
	rest := blob[4:]
	if n := binary.BigEndian.Uint32(blob); n >= uint32(min(len(rest), math.MaxUint32)) || string(rest[:n]) != typ {
		return "", "", "", bad("the key does not match its type")
	}
	sum := sha256.Sum256(blob)
	return typ + " " + fields[1], "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]),
		strings.Join(fields[2:], " "), nil
}

// clipInput shortens user input quoted in an error.
func clipInput(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
