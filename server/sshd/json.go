package sshd

import (
	"time"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// The JSON shapes of the exec commands (--json). They are the scriptable
// interface: fields are only ever added.

type tenantJSON struct {
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

func toTenantJSON(t store.Tenant, seats int) tenantJSON {
	d := t.Domains
	if d == nil {
		d = []string{}
	}
	return tenantJSON{ID: t.ID, Name: t.Name, Seats: seats, Domains: d, CreatedAt: t.CreatedAt, Suspended: t.Suspended,
		DisplayName: t.DisplayName, Accent: t.Accent, DirectoryGroup: t.DirectoryGroup}
}

type userJSON struct {
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

func toUserJSON(u store.User, tenant string, devices int) userJSON {
	tags := u.Tags
	if tags == nil {
		tags = []string{}
	}
	return userJSON{ID: u.ID.String(), Tenant: tenant, Name: u.Name, FirstName: u.FirstName, LastName: u.LastName,
		Nickname: u.Nickname, Category: u.Category, CSI: u.CSI, Tags: tags, Email: u.Email, Status: string(u.Status),
		Devices: devices, CreatedAt: u.CreatedAt, ActivatedAt: u.ActivatedAt, RemovedAt: u.RemovedAt}
}

type deviceJSON struct {
	Fingerprint   string    `json:"fingerprint"`
	AuthorizedKey string    `json:"authorized_key"`
	AddedAt       time.Time `json:"added_at"`
	LastSeen      time.Time `json:"last_seen,omitzero"`
}

func toDevicesJSON(ds []store.Device) []deviceJSON {
	out := make([]deviceJSON, 0, len(ds))
	for _, d := range ds {
		out = append(out, deviceJSON{Fingerprint: d.Fingerprint, AuthorizedKey: d.AuthorizedKey, AddedAt: d.AddedAt, LastSeen: d.LastSeen})
	}
	return out
}

type userDetailJSON struct {
	userJSON
	DeviceList []deviceJSON `json:"device_list"`
}

func toUserDetailJSON(d directory.UserDetail, tenant string) userDetailJSON {
	return userDetailJSON{userJSON: toUserJSON(d.User, tenant, len(d.Devices)), DeviceList: toDevicesJSON(d.Devices)}
}

type licenseJSON struct {
	ID         string    `json:"id"`
	Plan       string    `json:"plan"`
	Seats      int       `json:"seats"`
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until,omitzero"` // the instant it ends
	LastDay    string    `json:"last_day,omitempty"`   // the last day it is valid, YYYY-MM-DD (UTC)
	Trial      bool      `json:"trial"`
}

func toLicenseJSON(l store.License) licenseJSON {
	return licenseJSON{ID: l.ID, Plan: l.Plan, Seats: l.Seats, ValidFrom: l.ValidFrom, ValidUntil: l.ValidUntil,
		LastDay: admin.LastDay(l.ValidUntil), Trial: l.Trial}
}

type licenseReportJSON struct {
	Tenant      string        `json:"tenant"`
	Seats       int           `json:"seats"`
	ActiveUsers int           `json:"active_users"`
	Devices     int           `json:"devices"`
	ValidUntil  time.Time     `json:"valid_until,omitzero"`
	LastDay     string        `json:"last_day,omitempty"`
	Expired     bool          `json:"expired"`
	Warnings    []string      `json:"warnings"`
	Packages    []licenseJSON `json:"packages"`
}

func toLicenseReportJSON(r admin.LicenseReport) licenseReportJSON {
	out := licenseReportJSON{Tenant: r.Tenant.Name, Seats: r.Usage.Seats, ActiveUsers: r.Usage.ActiveUsers,
		Devices: r.Usage.Devices, ValidUntil: r.ValidUntil, LastDay: admin.LastDay(r.ValidUntil), Expired: r.Expired, Warnings: r.Warnings,
		Packages: []licenseJSON{}}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, l := range r.Packages {
		out.Packages = append(out.Packages, toLicenseJSON(l))
	}
	return out
}
