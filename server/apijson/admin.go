package apijson

import (
	"time"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// License is one license package.
type License struct {
	ID         string    `json:"id"`
	Plan       string    `json:"plan"`
	Seats      int       `json:"seats"`
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until,omitzero"` // the instant it ends
	LastDay    string    `json:"last_day,omitempty"`   // the last day it is valid, YYYY-MM-DD (UTC)
	Trial      bool      `json:"trial"`
}

// ToLicense converts a license package.
func ToLicense(l store.License) License {
	return License{ID: l.ID, Plan: l.Plan, Seats: l.Seats, ValidFrom: l.ValidFrom, ValidUntil: l.ValidUntil,
		LastDay: admin.LastDay(l.ValidUntil), Trial: l.Trial}
}

// LicenseReport is a tenant's license use and warnings, as license show
// prints it.
type LicenseReport struct {
	Tenant      string    `json:"tenant"`
	Seats       int       `json:"seats"`
	ActiveUsers int       `json:"active_users"`
	Devices     int       `json:"devices"`
	ValidUntil  time.Time `json:"valid_until,omitzero"`
	LastDay     string    `json:"last_day,omitempty"`
	Expired     bool      `json:"expired"`
	Warnings    []string  `json:"warnings"`
	Packages    []License `json:"packages"`
}

// ToLicenseReport converts a license report; lists are never null.
func ToLicenseReport(r admin.LicenseReport) LicenseReport {
	out := LicenseReport{Tenant: r.Tenant.Name, Seats: r.Usage.Seats, ActiveUsers: r.Usage.ActiveUsers,
		Devices: r.Usage.Devices, ValidUntil: r.ValidUntil, LastDay: admin.LastDay(r.ValidUntil), Expired: r.Expired,
		Warnings: r.Warnings, Packages: []License{}}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, l := range r.Packages {
		out.Packages = append(out.Packages, ToLicense(l))
	}
	return out
}

// AuditEntries converts audit entries to the shape audit list and exports
// use (audit.JSONEntry); the result is never nil.
func AuditEntries(es []store.AuditEntry) []audit.JSONEntry {
	out := make([]audit.JSONEntry, 0, len(es))
	for _, e := range es {
		out = append(out, audit.ToJSON(e))
	}
	return out
}

// AuditReport is the outcome of verifying the audit log.
type AuditReport struct {
	OK      bool   `json:"ok"`
	Entries uint64 `json:"entries"`
	BadSeq  uint64 `json:"bad_seq,omitempty"`
	Problem string `json:"problem,omitempty"`
	// Anchor is "SEQ:HASH" of the last entry, to keep outside the server;
	// empty where the front does not print one.
	Anchor string `json:"anchor,omitempty"`
}

// ToAuditReport converts a verification report with its anchor ("" for
// none).
func ToAuditReport(r audit.Report, anchor string) AuditReport {
	return AuditReport{OK: r.OK, Entries: r.Entries, BadSeq: r.BadSeq, Problem: r.Problem, Anchor: anchor}
}

// Group is a managed group as group list prints it.
type Group struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Tenant    string    `json:"tenant"`
	Members   int       `json:"members"` // how many
	CreatedAt time.Time `json:"created_at"`
}

// ToGroup converts a group with its tenant's name.
func ToGroup(g store.Group, tenant string) Group {
	return Group{ID: g.ID, Name: g.Name, Tenant: tenant, Members: len(g.Members), CreatedAt: g.CreatedAt}
}

// GroupMember is one member of a group.
type GroupMember struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// GroupDetail is a group with its members, as group show and every change
// of a group print it.
type GroupDetail struct {
	Group
	MemberList []GroupMember `json:"member_list"`
}

// DayCount is the messages sent on one day.
type DayCount struct {
	Day      string `json:"day"` // YYYY-MM-DD, UTC
	Messages uint64 `json:"messages"`
}

// Stats is a tenant's usage counts, as stats prints them: numbers only.
type Stats struct {
	Tenant        string     `json:"tenant"`
	ActiveUsers   int        `json:"active_users"`
	PendingUsers  int        `json:"pending_users"`
	Devices       int        `json:"devices"`
	Days          int        `json:"days"`
	MessagesTotal uint64     `json:"messages_total"`
	Messages      []DayCount `json:"messages"` // oldest first, today last
}

// ToStats converts a tenant's statistics and adds up the days.
func ToStats(st admin.Stats, tenant string) Stats {
	out := Stats{Tenant: tenant, ActiveUsers: st.ActiveUsers, PendingUsers: st.PendingUsers, Devices: st.Devices,
		Days: len(st.Messages), Messages: make([]DayCount, 0, len(st.Messages))}
	for _, d := range st.Messages {
		out.MessagesTotal += d.Messages
		out.Messages = append(out.Messages, DayCount{Day: d.Day, Messages: d.Messages})
	}
	return out
}

// Policy is one value in effect, as policy show prints it: the value typed
// (booleans as JSON booleans, integers as numbers, everything else as text)
// and its source: default, global or individual.
type Policy struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Source string `json:"source"`
}

// ToPolicy converts a value in effect.
func ToPolicy(v policy.Value) Policy {
	return Policy{Key: v.Key, Value: v.Typed(), Source: string(v.Source)}
}

// PolicyChange is what policy set and unset print: the value in effect at
// the level changed, after the change.
type PolicyChange struct {
	Tenant string `json:"tenant"`
	User   string `json:"user,omitempty"`
	Policy
}
