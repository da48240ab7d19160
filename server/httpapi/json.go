package httpapi

import (
	"time"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// The JSON shapes of the admin API. They carry the same field names as the
// exec commands' --json output (server/sshd/json.go), so a script can move
// from one to the other; like those, fields are only ever added.

type userJSON struct {
	ID          string    `json:"id"`
	Tenant      string    `json:"tenant,omitempty"`
	Name        string    `json:"name"`
	FirstName   string    `json:"first_name,omitempty"`
	LastName    string    `json:"last_name,omitempty"`
	Nickname    string    `json:"nickname,omitempty"`
	Category    string    `json:"category,omitempty"`
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
		Nickname: u.Nickname, Category: u.Category, Tags: tags, Email: u.Email, Status: string(u.Status),
		Devices: devices, CreatedAt: u.CreatedAt, ActivatedAt: u.ActivatedAt, RemovedAt: u.RemovedAt}
}

// newUserJSON is a user with a fresh activation code (created, or a code
// re-issued).
type newUserJSON struct {
	userJSON
	ActivationCode string    `json:"activation_code"`
	ExpiresAt      time.Time `json:"activation_expires_at"`
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

// removedDeviceJSON answers the removal of a device, as `device remove --json`.
type removedDeviceJSON struct {
	User    string `json:"user"`
	Removed string `json:"removed"`
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
		Devices: r.Usage.Devices, ValidUntil: r.ValidUntil, LastDay: admin.LastDay(r.ValidUntil), Expired: r.Expired,
		Warnings: r.Warnings, Packages: []licenseJSON{}}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, l := range r.Packages {
		out.Packages = append(out.Packages, licenseJSON{ID: l.ID, Plan: l.Plan, Seats: l.Seats, ValidFrom: l.ValidFrom,
			ValidUntil: l.ValidUntil, LastDay: admin.LastDay(l.ValidUntil), Trial: l.Trial})
	}
	return out
}

// toAuditJSON converts audit entries to the shape `audit list --json`
// and exports use.
func toAuditJSON(es []store.AuditEntry) []audit.JSONEntry {
	out := make([]audit.JSONEntry, 0, len(es))
	for _, e := range es {
		out = append(out, audit.ToJSON(e))
	}
	return out
}

// auditReportJSON is the result of verifying the audit log.
type auditReportJSON struct {
	OK      bool   `json:"ok"`
	Entries uint64 `json:"entries"`
	BadSeq  uint64 `json:"bad_seq,omitempty"`
	Problem string `json:"problem,omitempty"`
}

func toAuditReportJSON(r audit.Report) auditReportJSON {
	return auditReportJSON{OK: r.OK, Entries: r.Entries, BadSeq: r.BadSeq, Problem: r.Problem}
}

// groupJSON is a managed group as group list prints it.
type groupJSON struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Tenant    string    `json:"tenant"`
	Members   int       `json:"members"` // how many
	CreatedAt time.Time `json:"created_at"`
}

func toGroupJSON(g store.Group, tenant string) groupJSON {
	return groupJSON{ID: g.ID, Name: g.Name, Tenant: tenant, Members: len(g.Members), CreatedAt: g.CreatedAt}
}

// groupMemberJSON is one member of a group.
type groupMemberJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// groupDetailJSON is a group with its members, as group show and every
// change of a group print it.
type groupDetailJSON struct {
	groupJSON
	MemberList []groupMemberJSON `json:"member_list"`
}

// dayCountJSON is the messages sent on one day (UTC).
type dayCountJSON struct {
	Day      string `json:"day"` // YYYY-MM-DD
	Messages uint64 `json:"messages"`
}

// statsJSON is a tenant's usage counts, as stats --json prints them:
// numbers only.
type statsJSON struct {
	Tenant        string         `json:"tenant"`
	ActiveUsers   int            `json:"active_users"`
	PendingUsers  int            `json:"pending_users"`
	Devices       int            `json:"devices"`
	Days          int            `json:"days"`
	MessagesTotal uint64         `json:"messages_total"`
	Messages      []dayCountJSON `json:"messages"` // oldest first, today last
}

func toStatsJSON(st admin.Stats, tenant string) statsJSON {
	out := statsJSON{Tenant: tenant, ActiveUsers: st.ActiveUsers, PendingUsers: st.PendingUsers, Devices: st.Devices,
		Days: len(st.Messages), Messages: make([]dayCountJSON, 0, len(st.Messages))}
	for _, d := range st.Messages {
		out.MessagesTotal += d.Messages
		out.Messages = append(out.Messages, dayCountJSON{Day: d.Day, Messages: d.Messages})
	}
	return out
}
