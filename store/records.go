package store

import (
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Tenant is an organisation on the instance (a Mandant).
type Tenant struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Domains     []string  `json:"domains,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	Suspended   bool      `json:"suspended,omitempty"`
	SuspendedAt time.Time `json:"suspended_at,omitzero"`
	// DisplayName and Accent brand the tenant's screens.
	DisplayName string `json:"display_name,omitempty"`
	Accent      string `json:"accent,omitempty"` // #RRGGBB
	// DirectoryGroup names the directory group the tenant belongs to:
	// tenants with the same group share their company directory. Empty:
	// none. Set by instance admins.
	DirectoryGroup string `json:"directory_group,omitempty"`
	// LegacySeats is schema 1's seat count; migration 2 turns it into a
	// license package. Never written any more.
	LegacySeats int `json:"seats,omitempty"`
}

// License is a license package of a tenant: seats for a period.
type License struct {
	ID         string    `json:"id"`
	TenantID   string    `json:"tenant_id"`
	Plan       string    `json:"plan"`
	Seats      int       `json:"seats"`
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until,omitzero"` // zero: no end
	Trial      bool      `json:"trial,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
}

// UserStatus is the life-cycle state of a Parley ID.
type UserStatus string

// User states.
const (
	UserPending UserStatus = "pending" // created, not yet activated
	UserActive  UserStatus = "active"  // activated: key pair and at least one device
	UserRevoked UserStatus = "revoked" // ID revoked, irreversibly
	// UserDetached left the tenant but keeps the ID: it is not in the
	// directory and needs no license.
	UserDetached UserStatus = "detached"
)

// User is a Parley ID with its directory entry and sealed key.
type User struct {
	ID          crypto.ID        `json:"id"`
	TenantID    string           `json:"tenant_id"`
	Name        string           `json:"name"` // display name: first and last name when given
	FirstName   string           `json:"first_name,omitempty"`
	LastName    string           `json:"last_name,omitempty"`
	Nickname    string           `json:"nickname,omitempty"`
	Category    string           `json:"category,omitempty"`
	CSI         string           `json:"csi,omitempty"` // a free identifier the organisation gives the user (th_csi)
	Tags        []string         `json:"tags,omitempty"`
	Email       string           `json:"email,omitempty"`
	Status      UserStatus       `json:"status"`
	PublicKey   crypto.PublicKey `json:"public_key"`
	SealedKey   []byte           `json:"sealed_key,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	ActivatedAt time.Time        `json:"activated_at,omitzero"`
	RemovedAt   time.Time        `json:"removed_at,omitzero"` // revoked or detached
	// ActivationHash is the hash of the user's outstanding activation code, if any.
	ActivationHash []byte `json:"activation_hash,omitempty"`
	// HidePresence is the user's own setting (/presence off): nobody
	// learns whether they are online.
	HidePresence bool `json:"hide_presence,omitempty"`
}

// Activation is a one-time activation code, stored by its hash.
type Activation struct {
	UserID    crypto.ID `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
	// AddDevice marks a code re-issued for an active user: it enrols one
	// more SSH key, confirmed with the user's existing passphrase.
	AddDevice bool `json:"add_device,omitempty"`
}

// Device is an SSH public key bound to a user.
type Device struct {
	Fingerprint   string    `json:"fingerprint"`
	UserID        crypto.ID `json:"user_id"`
	AuthorizedKey string    `json:"authorized_key"`
	AddedAt       time.Time `json:"added_at"`
	LastSeen      time.Time `json:"last_seen,omitzero"`
}

// Role is an administrative role.
type Role string

// Roles.
const (
	// RoleInstance administers the whole instance: tenants and everything in them.
	RoleInstance Role = "instance-admin"
	// RoleOwner is a tenant's legal representative: everything in the tenant,
	// including its admins. The last owner cannot be removed.
	RoleOwner Role = "owner"
	// RoleAdmin manages a tenant's users, devices, groups and API keys.
	RoleAdmin Role = "admin"
	// RoleGroupAdmin manages the members of the managed groups it is given.
	RoleGroupAdmin Role = "group-admin"
	// RoleAuditor reads everything in a tenant and changes nothing.
	RoleAuditor Role = "auditor"
)

// Admin is an SSH public key with an administrative role, in one tenant
// (or the instance, TenantID empty).
type Admin struct {
	Fingerprint   string    `json:"fingerprint"`
	AuthorizedKey string    `json:"authorized_key"`
	Role          Role      `json:"role"`
	TenantID      string    `json:"tenant_id,omitempty"`
	Groups        []string  `json:"groups,omitempty"` // for group admins: the managed groups
	Label         string    `json:"label,omitempty"`  // who it is, for lists and the audit log
	AddedAt       time.Time `json:"added_at"`
	AddedBy       string    `json:"added_by,omitempty"`
}

// TOTP is an admin key's second factor.
type TOTP struct {
	Fingerprint string    `json:"fingerprint"`
	Secret      string    `json:"secret"` // base32, as shown to the admin
	Enabled     bool      `json:"enabled"`
	Recovery    [][]byte  `json:"recovery,omitempty"`  // SHA-256 of unused recovery codes
	LastStep    int64     `json:"last_step,omitempty"` // last accepted time step: a code works once
	CreatedAt   time.Time `json:"created_at"`
}

// Group is a group of a tenant: a managed group (created by admins, fixed
// membership) or a user group (created by a user, changed by its admins).
type Group struct {
	ID        string      `json:"id"`
	TenantID  string      `json:"tenant_id"`
	Name      string      `json:"name"`
	Members   []crypto.ID `json:"members,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
	// Key is the group's instance-wide key, 16 lower-case hex characters:
	// what clients name the group by in messages.
	Key string `json:"key,omitempty"`
	// Kind is GroupManaged or GroupUser; empty (older records) is managed.
	Kind string `json:"kind,omitempty"`
	// Creator and Admins are a user group's creator and its admins (who
	// are members too).
	Creator crypto.ID   `json:"creator,omitzero"`
	Admins  []crypto.ID `json:"admins,omitempty"`
}

// AuditEntry is one administrative action in the hash-chained audit log.
type AuditEntry struct {
	Seq      uint64    `json:"seq"`
	Time     time.Time `json:"time"`
	Actor    string    `json:"actor"` // SSH key fingerprint or "apikey:<id>"
	Label    string    `json:"label,omitempty"`
	TenantID string    `json:"tenant_id,omitempty"`
	Action   string    `json:"action"`
	Target   string    `json:"target,omitempty"`
	Before   []byte    `json:"before,omitempty"` // JSON
	After    []byte    `json:"after,omitempty"`  // JSON
	PrevHash []byte    `json:"prev_hash"`
	Hash     []byte    `json:"hash"`
}

// APIKey is a key for the HTTP admin API; only its hash is stored.
type APIKey struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenant_id"`
	Hash      []byte    `json:"hash"`
	Scopes    []string  `json:"scopes"`
	Label     string    `json:"label,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	LastUsed  time.Time `json:"last_used,omitzero"`
}

// Export is a four-eyes request to export a tenant's audit log or users:
// one admin asks, another approves, the first one exports once.
type Export struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	Kind        string    `json:"kind"` // "audit" or "users"
	RequestedBy string    `json:"requested_by"`
	RequestedAt time.Time `json:"requested_at"`
	ApprovedBy  string    `json:"approved_by,omitempty"`
	ApprovedAt  time.Time `json:"approved_at,omitzero"`
	UsedAt      time.Time `json:"used_at,omitzero"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// Delivery is an envelope waiting in a recipient's mailbox.
type Delivery struct {
	Seq      uint64
	Received time.Time
	Envelope []byte
}
