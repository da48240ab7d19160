package admin

import (
	"context"
	"errors"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// Service is what the console needs from the administration service: the
// port an adapter on the server side implements. Every call acts as the
// admin whose session this is (the principal travels in ctx) and is
// checked by the service; the console adds no rules of its own and shows
// what the service refuses.
//
// tenant is always a tenant's name, as the exec commands take it.
type Service interface {
	// SecondFactorRequired reports whether this admin key uses two-factor
	// authentication and has not proved it in this session yet.
	SecondFactorRequired(ctx context.Context) (bool, error)
	// ProveSecondFactor checks a TOTP or recovery code; a wrong one is
	// ErrBadCode.
	ProveSecondFactor(ctx context.Context, code string) error
	// Tenants lists the tenants the caller administers: every tenant for
	// instance admins, the ones it holds a role in for everyone else.
	Tenants(ctx context.Context) ([]Tenant, error)
	// Permissions reports what the caller's role allows in a tenant; the
	// console uses it only to grey out actions.
	Permissions(ctx context.Context, tenant string) (Perms, error)

	License(ctx context.Context, tenant string) (License, error)
	Stats(ctx context.Context, tenant string, days int) (Stats, error)

	// UsersPage lists the users after the one named (from the start when
	// after is the zero ID), one page of the service's size, and names
	// the last one when more follow (the zero ID when none do).
	UsersPage(ctx context.Context, tenant string, f UserFilter, after crypto.ID) (page []User, next crypto.ID, err error)
	User(ctx context.Context, tenant string, id crypto.ID) (UserDetail, error)
	CreateUser(ctx context.Context, tenant string, spec UserSpec) (NewUser, error)
	EditUser(ctx context.Context, tenant string, id crypto.ID, c UserChange) (User, error)
	ReissueCode(ctx context.Context, tenant string, id crypto.ID) (NewUser, error)
	RevokeUser(ctx context.Context, tenant string, id crypto.ID) (User, error)
	// DeleteUser answers the two questions: may the user keep the ID, may
	// the user keep using the app.
	DeleteUser(ctx context.Context, tenant string, id crypto.ID, keepID, keepApp bool) (User, error)
	RemoveDevice(ctx context.Context, tenant string, id crypto.ID, fingerprint string) error

	Admins(ctx context.Context, tenant string) ([]Admin, error)
	RemoveAdmin(ctx context.Context, tenant, fingerprint string) error

	Groups(ctx context.Context, tenant string) ([]Group, error)
	CreateGroup(ctx context.Context, tenant, name string) (Group, error)
	RenameGroup(ctx context.Context, tenant, groupID, name string) (Group, error)
	DeleteGroup(ctx context.Context, tenant, groupID string) error
	AddGroupMembers(ctx context.Context, tenant, groupID string, ids []crypto.ID) (Group, error)
	RemoveGroupMembers(ctx context.Context, tenant, groupID string, ids []crypto.ID) (Group, error)

	// Audit lists entries matching the filter, newest first.
	Audit(ctx context.Context, tenant string, f AuditFilter) ([]AuditEntry, error)
	VerifyAudit(ctx context.Context, tenant string) (AuditReport, error)

	APIKeys(ctx context.Context, tenant string) ([]APIKey, error)
	// APIScopes are the scopes an API key may be given: a fixed list, no I/O.
	APIScopes() []string
	CreateAPIKey(ctx context.Context, tenant, label string, scopes []string) (NewAPIKey, error)
	RevokeAPIKey(ctx context.Context, tenant, id string) error

	// PolicyKeys lists every policy key, sorted by name: a fixed list, no I/O.
	PolicyKeys() []PolicyKey
	// Policies lists the effective value of every key with its source,
	// for the tenant (user nil) or for one of its users.
	Policies(ctx context.Context, tenant string, user *crypto.ID) ([]PolicyValue, error)
	// SetPolicy sets a key's value for the tenant (user nil) or a user; an
	// ill-typed value is refused with the type expected.
	SetPolicy(ctx context.Context, tenant string, user *crypto.ID, key, value string) (PolicyValue, error)
	// UnsetPolicy removes a key's value: the tenant's goes back to the
	// default, a user's to the tenant's.
	UnsetPolicy(ctx context.Context, tenant string, user *crypto.ID, key string) error

	// QuietHours is the schedule in effect for the tenant (user nil) or a
	// user, with the next changes.
	QuietHours(ctx context.Context, tenant string, user *crypto.ID) (QuietStatus, error)
	// SetQuietHours sets a schedule ("Mon-Fri 18:00-08:00; Sat,Sun
	// all-day") in an IANA time zone.
	SetQuietHours(ctx context.Context, tenant string, user *crypto.ID, zone, spec string) (QuietStatus, error)
	// UnsetQuietHours removes the tenant's or the user's schedule.
	UnsetQuietHours(ctx context.Context, tenant string, user *crypto.ID) error
	// PreviewQuietHours parses a schedule without saving it and returns
	// its next changes from now, for a live preview: no I/O.
	PreviewQuietHours(zone, spec string) ([]QuietChange, error)
}

// Errors a Service returns that the console treats specially.
var (
	// ErrBadCode: a wrong or expired second-factor code.
	ErrBadCode = errors.New("wrong or expired code")
	// ErrNotAvailable: the server does not offer this yet.
	ErrNotAvailable = errors.New("not available on this server")
)

// Perm names an administrative permission, as the service names it
// ("users:write", ...).
type Perm string

// The permissions the console greys actions out by.
const (
	PermUsersWrite    Perm = "users:write"
	PermDevicesWrite  Perm = "devices:write"
	PermAdminsWrite   Perm = "admins:write"
	PermGroupsWrite   Perm = "groups:write"
	PermGroupMembers  Perm = "groups:members"
	PermAuditRead     Perm = "audit:read"
	PermAPIKeysWrite  Perm = "apikeys:write"
	PermPoliciesWrite Perm = "policies:write"
)

// Perms is the set of permissions a role has in a tenant.
type Perms map[Perm]bool

// Tenant is a tenant the caller administers.
type Tenant struct {
	Name        string
	DisplayName string // "" when not branded
	Accent      string // "#RRGGBB", "" when not branded
	Role        string // the caller's role there
	Suspended   bool
}

// Title is the name to show: the display name, else the name.
func (t Tenant) Title() string {
	if t.DisplayName != "" {
		return t.DisplayName
	}
	return t.Name
}

// License is a tenant's license use.
type License struct {
	Seats       int
	ActiveUsers int
	Devices     int
	// LastDay is the last day (UTC date) on which the latest valid package
	// is valid; zero with NoEnd or Expired.
	LastDay  time.Time
	NoEnd    bool
	Expired  bool
	Packages []Package
	// Warnings are the service's own words, e.g. "too many devices: ...".
	Warnings []string
}

// Package is one license package.
type Package struct {
	ID      string
	Plan    string
	Seats   int
	LastDay time.Time // zero: no end
	Trial   bool
}

// Stats are a tenant's counts.
type Stats struct {
	ActiveUsers  int
	PendingUsers int
	Devices      int
	// Messages per day, oldest first.
	Messages []DayCount
}

// DayCount is the number of messages of one day.
type DayCount struct {
	Day      time.Time // UTC midnight
	Messages uint64
}

// UserFilter selects users: Name may use * and ?; Tag is without '#'.
type UserFilter struct {
	Name string
	Tag  string
}

// User is a user as lists show it.
type User struct {
	ID      crypto.ID
	Name    string
	Email   string
	Status  string // pending, active, detached, revoked
	Tags    []string
	Devices int
	Created time.Time
}

// UserDetail is a user with its devices.
type UserDetail struct {
	User
	FirstName string
	LastName  string
	Nickname  string
	Category  string
	Activated time.Time
	Removed   time.Time
	Devices   []Device
}

// Device is one of a user's SSH keys.
type Device struct {
	Fingerprint string
	Added       time.Time
	LastSeen    time.Time // zero: never
}

// UserSpec is a user to create.
type UserSpec struct {
	Name  string
	Email string
	Tags  []string
}

// UserChange changes a user's entry; nil fields stay as they are.
type UserChange struct {
	Name  *string
	Email *string
	Tags  *[]string
}

// NewUser is a user with a fresh one-time activation code.
type NewUser struct {
	User      User
	Code      string
	ExpiresAt time.Time
}

// Admin is an admin key of a tenant.
type Admin struct {
	Fingerprint string
	Role        string
	Label       string
	Groups      []string // a group admin's groups, by name
	TwoFactor   bool
	Added       time.Time
}

// Group is a managed group.
type Group struct {
	ID      string
	Name    string
	Members []Member
	Created time.Time
}

// Member is a group member; Name is "" when the console may not see it.
type Member struct {
	ID   crypto.ID
	Name string
}

// AuditFilter selects audit entries. Zero fields select everything.
type AuditFilter struct {
	Action string // prefix, e.g. "user."
	Actor  string // fingerprint, or part of the admin's label
	Target string // part of the target
}

// AuditEntry is one entry of the audit log.
type AuditEntry struct {
	Seq    uint64
	Time   time.Time
	Actor  string
	Label  string
	Action string
	Target string
	Before string // JSON, "" when none
	After  string
}

// AuditReport is the result of verifying the audit log's hash chain.
type AuditReport struct {
	OK      bool
	Entries uint64
	BadSeq  uint64
	Problem string
}

// APIKey is a key of the HTTP admin API (never its secret).
type APIKey struct {
	ID       string
	Label    string
	Scopes   []string
	Created  time.Time
	LastUsed time.Time
	Revoked  time.Time // zero: in use
}

// NewAPIKey is a created key with its secret, shown once.
type NewAPIKey struct {
	Key    APIKey
	Secret string
}

// The types a policy key's value has, as the service names them.
const (
	PolicyBool     = "bool"
	PolicyInt      = "int"
	PolicyString   = "string"
	PolicyEnum     = "enum"
	PolicyDuration = "duration"
	PolicySchedule = "schedule"
	PolicyTenants  = "tenants"
)

// Where a policy's effective value comes from.
const (
	SourceDefault    = "default"
	SourceGlobal     = "global"     // the tenant's value
	SourceIndividual = "individual" // the user's own value
)

// PolicyKey is a key of the policy registry.
type PolicyKey struct {
	Name        string
	Type        string // PolicyBool, PolicyInt, ...
	Default     string
	Description string
	PerUser     bool     // may be set for a single user
	Enum        []string // the values an enum takes
}

// PolicyValue is a key's effective value, in its canonical text ("true",
// "15m0s"), and where it comes from.
type PolicyValue struct {
	Key    string
	Value  string
	Source string // SourceDefault, SourceGlobal or SourceIndividual
}

// QuietStatus is a schedule of quiet hours and what it means now.
type QuietStatus struct {
	Schedule string // the spec, "" when there is none
	Zone     string // IANA name
	Source   string // SourceDefault (none), SourceGlobal or SourceIndividual
	QuietNow bool
	// NextChange is when QuietNow flips; zero when it never does.
	NextChange time.Time
	Next       []QuietChange
}

// QuietChange is a moment quiet hours start or end, in the schedule's
// time zone.
type QuietChange struct {
	At    time.Time
	Quiet bool // quiet hours start; false: they end
}
