package apijson

import (
	"time"

	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// Tenant is a tenant as tenant list and every tenant change print it.
type Tenant struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Seats       int       `json:"seats"` // of the license packages valid now
	Domains     []string  `json:"domains"`
	CreatedAt   time.Time `json:"created_at"`
	Suspended   bool      `json:"suspended"`
	DisplayName string    `json:"display_name,omitempty"`
	Accent      string    `json:"accent,omitempty"`
	// DirectoryGroup: tenants of one group share their directory.
	DirectoryGroup string `json:"directory_group,omitempty"`
}

// ToTenant converts a tenant with the seats of its packages valid now.
func ToTenant(t store.Tenant, seats int) Tenant {
	d := t.Domains
	if d == nil {
		d = []string{}
	}
	return Tenant{ID: t.ID, Name: t.Name, Seats: seats, Domains: d, CreatedAt: t.CreatedAt, Suspended: t.Suspended,
		DisplayName: t.DisplayName, Accent: t.Accent, DirectoryGroup: t.DirectoryGroup}
}

// User is a user with its tenant's name and its number of devices.
type User struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant,omitempty"`
	Name        string    `json:"name"`
	FirstName   string    `json:"first_name,omitempty"`
	LastName    string    `json:"last_name,omitempty"`
	Nickname    string    `json:"nickname,omitempty"`
	Category    string    `json:"category,omitempty"`
	CSI         string    `json:"csi,omitempty"`
	Tags        []string  `json:"tags"`
	Email       string    `json:"email,omitempty"`
	Status      string    `json:"status"`
	Devices     int       `json:"devices"`
	CreatedAt   time.Time `json:"created_at"`
	ActivatedAt time.Time `json:"activated_at,omitzero"`
	RemovedAt   time.Time `json:"removed_at,omitzero"`
}

// ToUser converts a user; tags are never null.
func ToUser(u store.User, tenant string, devices int) User {
	tags := u.Tags
	if tags == nil {
		tags = []string{}
	}
	return User{ID: u.ID.String(), Tenant: tenant, Name: u.Name, FirstName: u.FirstName, LastName: u.LastName,
		Nickname: u.Nickname, Category: u.Category, CSI: u.CSI, Tags: tags, Email: u.Email, Status: string(u.Status),
		Devices: devices, CreatedAt: u.CreatedAt, ActivatedAt: u.ActivatedAt, RemovedAt: u.RemovedAt}
}

// NewUser is a user with a fresh activation code (created, or a code
// issued again).
type NewUser struct {
	User
	ActivationCode string    `json:"activation_code"`
	ExpiresAt      time.Time `json:"activation_expires_at"`
}

// Device is one device (SSH key) of a user.
type Device struct {
	Fingerprint   string    `json:"fingerprint"`
	AuthorizedKey string    `json:"authorized_key"`
	AddedAt       time.Time `json:"added_at"`
	LastSeen      time.Time `json:"last_seen,omitzero"`
}

// ToDevices converts a user's devices; the result is never nil.
func ToDevices(ds []store.Device) []Device {
	out := make([]Device, 0, len(ds))
	for _, d := range ds {
		out = append(out, Device{Fingerprint: d.Fingerprint, AuthorizedKey: d.AuthorizedKey, AddedAt: d.AddedAt, LastSeen: d.LastSeen})
	}
	return out
}

// UserDetail is a user with its devices, as user show prints it.
type UserDetail struct {
	User
	DeviceList []Device `json:"device_list"`
}

// ToUserDetail converts a user with its devices.
func ToUserDetail(d directory.UserDetail, tenant string) UserDetail {
	return UserDetail{User: ToUser(d.User, tenant, len(d.Devices)), DeviceList: ToDevices(d.Devices)}
}
