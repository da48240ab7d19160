package store

import (
	"context"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// DB is the store as the services use it. A distributed backend replaces it
// by implementing the same two calls and Tx.
type DB interface {
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction and returns once the
	// transaction is durable. fn may run more than once and must have no
	// effect outside tx.
	Update(ctx context.Context, fn func(Tx) error) error
}

// Tx is one transaction. Getters return ErrNotFound for missing records;
// writers in a read-only transaction return an error.
type Tx interface {
	Tenant(id string) (Tenant, error)
	TenantByName(name string) (Tenant, error)
	// TenantOfDomain returns the ID of the tenant owning domain.
	TenantOfDomain(domain string) (string, error)
	Tenants() ([]Tenant, error)
	// PutTenant writes t and its name and domain indexes. Uniqueness is the
	// caller's rule; PutTenant overwrites.
	PutTenant(t Tenant) error

	User(id crypto.ID) (User, error)
	UserByEmail(email string) (User, error)
	UsersOfTenant(tenantID string) ([]User, error)
	// PutUser writes u and keeps the e-mail and tenant indexes current.
	PutUser(u User) error

	Activation(hash []byte) (Activation, error)
	PutActivation(hash []byte, a Activation) error
	DeleteActivation(hash []byte) error

	Device(fingerprint string) (Device, error)
	DevicesOfUser(id crypto.ID) ([]Device, error)
	PutDevice(d Device) error
	DeleteDevice(fingerprint string) error

	// AdminRoles lists the roles an SSH key holds, one per tenant.
	AdminRoles(fingerprint string) ([]Admin, error)
	// AdminsOfTenant lists a tenant's admins ("" : the instance admins).
	AdminsOfTenant(tenantID string) ([]Admin, error)
	Admins() ([]Admin, error)
	// PutAdmin writes the role of a.Fingerprint in a.TenantID.
	PutAdmin(a Admin) error
	DeleteAdmin(fingerprint, tenantID string) error

	TOTP(fingerprint string) (TOTP, error)
	PutTOTP(t TOTP) error
	DeleteTOTP(fingerprint string) error

	License(tenantID, id string) (License, error)
	LicensesOfTenant(tenantID string) ([]License, error)
	PutLicense(l License) error

	Group(tenantID, id string) (Group, error)
	GroupsOfTenant(tenantID string) ([]Group, error)
	// GroupByKey returns the group with an instance-wide key.
	GroupByKey(key string) (Group, error)
	// GroupsOfMember lists the groups id is a member of, by key.
	GroupsOfMember(id crypto.ID) ([]Group, error)
	// PutGroup writes g and keeps the key and member indexes current. A
	// key another group holds is refused (ErrConflict).
	PutGroup(g Group) error
	DeleteGroup(tenantID, id string) error

	// AuditHead returns the sequence number and hash of the last audit entry
	// (0 and nil for an empty log).
	AuditHead() (uint64, []byte, error)
	// PutAudit appends e, which must follow the head (Seq = head+1), and
	// moves the head to it.
	PutAudit(e AuditEntry) error
	// Audit calls fn for every entry from seq from on, in order, with the
	// stored bytes of its key and value, until fn returns false.
	Audit(from uint64, fn func(e AuditEntry, key, raw []byte) bool) error

	APIKey(id string) (APIKey, error)
	APIKeyByHash(hash []byte) (APIKey, error)
	APIKeysOfTenant(tenantID string) ([]APIKey, error)
	PutAPIKey(k APIKey) error

	Export(id string) (Export, error)
	PutExport(e Export) error
	// ExportsOfTenant lists a tenant's export requests.
	ExportsOfTenant(tenantID string) ([]Export, error)

	// AddMessages counts n messages sent by a tenant's users on day (YYYY-MM-DD).
	AddMessages(tenantID, day string, n uint64) error
	// MessagesPerDay returns the counts for days from..to (inclusive, YYYY-MM-DD).
	MessagesPerDay(tenantID, from, to string) (map[string]uint64, error)

	// PolicyValues returns the policy values set at one level: the tenant's
	// global values (user zero) or one user's individual values, by key.
	PolicyValues(tenantID string, user crypto.ID) (map[string]string, error)
	// PutPolicyValue sets one policy value at a level (user zero: global).
	PutPolicyValue(tenantID string, user crypto.ID, key, value string) error
	// DeletePolicyValue removes one policy value from a level; removing a
	// value that is not set is no error.
	DeletePolicyValue(tenantID string, user crypto.ID, key string) error

	// AppendMailbox queues an envelope for recipient and returns its sequence number.
	AppendMailbox(recipient crypto.ID, received time.Time, envelope []byte) (uint64, error)
	// Mailbox lists up to limit deliveries for recipient with seq > after, oldest first.
	Mailbox(recipient crypto.ID, after uint64, limit int) ([]Delivery, error)
	// DeleteMailbox removes one delivery and reports whether it was there.
	DeleteMailbox(recipient crypto.ID, seq uint64) (bool, error)
	// ExpireMailbox removes up to limit deliveries received before cutoff.
	ExpireMailbox(cutoff time.Time, limit int) (int, error)

	// RegisterCursor returns a device's delivery cursor, creating it when
	// absent: a user's first device receives everything waiting, a later one
	// what arrives after its registration.
	RegisterCursor(user crypto.ID, device string, now time.Time) (Cursor, error)
	// Cursors lists a user's delivery cursors.
	Cursors(user crypto.ID) ([]Cursor, error)
	// DropCursor removes a device's cursor and its acknowledgements; what
	// only it still owed leaves the mailbox (unless no device is left).
	DropCursor(user crypto.ID, device string) error
	// DeviceMailbox lists up to limit deliveries with seq > after that the
	// device has to receive and has not acknowledged. The cursor must exist.
	DeviceMailbox(recipient crypto.ID, device string, after uint64, limit int) ([]Delivery, error)
	// AckMailbox records that device received seq; the delivery leaves the
	// mailbox once every device that expects it did. It reports whether this
	// acknowledgement was new.
	AckMailbox(recipient crypto.ID, device string, seq uint64) (bool, error)

	// Space opens one named key space of a user's device store.
	Space(user crypto.ID, name string) Space
}

// Space is an opaque key-value space in a user's device store. Keys and
// values are whatever the user's core wrote: tags and sealed bytes.
type Space interface {
	// Get returns a copy of the value at key, or nil.
	Get(key []byte) ([]byte, error)
	Put(key, value []byte) error
	Delete(key []byte) error
	// Scan calls fn for keys with prefix, in key order (reverse: descending),
	// starting at start when given (inclusive), until fn returns false.
	// k and v are only valid during the call.
	Scan(prefix, start []byte, reverse bool, fn func(k, v []byte) bool) error
}
