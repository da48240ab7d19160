package store

import (
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Tenant is an organisation on the instance (a Mandant).
type Tenant struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Seats     int       `json:"seats"`
	Domains   []string  `json:"domains,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Suspended bool      `json:"suspended,omitempty"`
}

// UserStatus is the life-cycle state of a Parley ID.
type UserStatus string

// User states.
const (
	UserPending UserStatus = "pending" // created, not yet activated
	UserActive  UserStatus = "active"  // activated: key pair and at least one device
	UserRevoked UserStatus = "revoked" // ID revoked, irreversibly
)

// User is a Parley ID with its directory entry and sealed key.
type User struct {
	ID          crypto.ID        `json:"id"`
	TenantID    string           `json:"tenant_id"`
	Name        string           `json:"name"`
	Email       string           `json:"email,omitempty"`
	Status      UserStatus       `json:"status"`
	PublicKey   crypto.PublicKey `json:"public_key"`
	SealedKey   []byte           `json:"sealed_key,omitempty"`
	CreatedAt   time.Time        `json:"created_at"`
	ActivatedAt time.Time        `json:"activated_at,omitzero"`
	// ActivationHash is the hash of the user's outstanding activation code, if any.
	ActivationHash []byte `json:"activation_hash,omitempty"`
}

// Activation is a one-time activation code, stored by its hash.
type Activation struct {
	UserID    crypto.ID `json:"user_id"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
	UsedAt    time.Time `json:"used_at,omitzero"`
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
)

// Admin is an SSH public key with an administrative role.
type Admin struct {
	Fingerprint   string    `json:"fingerprint"`
	AuthorizedKey string    `json:"authorized_key"`
	Role          Role      `json:"role"`
	TenantID      string    `json:"tenant_id,omitempty"`
	AddedAt       time.Time `json:"added_at"`
}

// Delivery is an envelope waiting in a recipient's mailbox.
type Delivery struct {
	Seq      uint64
	Received time.Time
	Envelope []byte
}
