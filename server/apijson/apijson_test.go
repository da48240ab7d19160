package apijson

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// The wire bytes are the contract of both fronts: these tests pin the field
// names, their order, and that lists are [] rather than null.

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return string(b)
}

func check(t *testing.T, name string, v any, want string) {
	t.Helper()
	if got := marshal(t, v); got != want {
		t.Errorf("%s:\n got %s\nwant %s", name, got, want)
	}
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestUserShapes(t *testing.T) {
	id, err := crypto.ParseID("4HPK2W9N")
	if err != nil {
		t.Fatal(err)
	}
	bare := store.User{ID: id, Name: "Alice", Status: store.UserActive, CreatedAt: t0}
	check(t, "user without tags", ToUser(bare, "acme", 0),
		`{"id":"4HPK2W9N","tenant":"acme","name":"Alice","tags":[],"status":"active","devices":0,"created_at":"2026-03-04T05:06:07Z"}`)

	full := bare
	full.FirstName, full.LastName, full.Nickname, full.Category, full.CSI = "A", "B", "al", "staff", "EMP-1"
	full.Tags, full.Email, full.ActivatedAt = []string{"x"}, "a@acme.test", t0.Add(time.Hour)
	check(t, "user with every field", ToUser(full, "", 2),
		`{"id":"4HPK2W9N","name":"Alice","first_name":"A","last_name":"B","nickname":"al","category":"staff","csi":"EMP-1",`+
			`"tags":["x"],"email":"a@acme.test","status":"active","devices":2,"created_at":"2026-03-04T05:06:07Z",`+
			`"activated_at":"2026-03-04T06:06:07Z"}`)

	check(t, "new user", NewUser{User: ToUser(bare, "acme", 0), ActivationCode: "CODE", ExpiresAt: t0},
		`{"id":"4HPK2W9N","tenant":"acme","name":"Alice","tags":[],"status":"active","devices":0,"created_at":"2026-03-04T05:06:07Z",`+
			`"activation_code":"CODE","activation_expires_at":"2026-03-04T05:06:07Z"}`)

	check(t, "user detail without devices", ToUserDetail(directory.UserDetail{User: bare}, "acme"),
		`{"id":"4HPK2W9N","tenant":"acme","name":"Alice","tags":[],"status":"active","devices":0,"created_at":"2026-03-04T05:06:07Z",`+
			`"device_list":[]}`)
	d := directory.UserDetail{User: bare, Devices: []store.Device{{Fingerprint: "SHA256:f", AuthorizedKey: "ssh-ed25519 AAAA", AddedAt: t0}}}
	check(t, "user detail with a device", ToUserDetail(d, "acme"),
		`{"id":"4HPK2W9N","tenant":"acme","name":"Alice","tags":[],"status":"active","devices":1,"created_at":"2026-03-04T05:06:07Z",`+
			`"device_list":[{"fingerprint":"SHA256:f","authorized_key":"ssh-ed25519 AAAA","added_at":"2026-03-04T05:06:07Z"}]}`)
}

func TestTenantShape(t *testing.T) {
	check(t, "tenant", ToTenant(store.Tenant{ID: "t1", Name: "acme", CreatedAt: t0}, 5),
		`{"id":"t1","name":"acme","seats":5,"domains":[],"created_at":"2026-03-04T05:06:07Z","suspended":false}`)
}

func TestLicenseShapes(t *testing.T) {
	end := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	l := store.License{ID: "L1", Plan: "work", Seats: 10, ValidFrom: t0, ValidUntil: end}
	check(t, "license", ToLicense(l),
		`{"id":"L1","plan":"work","seats":10,"valid_from":"2026-03-04T05:06:07Z","valid_until":"2027-01-01T00:00:00Z",`+
			`"last_day":"`+admin.LastDay(end)+`","trial":false}`)
	check(t, "empty report", ToLicenseReport(admin.LicenseReport{Tenant: store.Tenant{Name: "acme"}, Expired: true}),
		`{"tenant":"acme","seats":0,"active_users":0,"devices":0,"expired":true,"warnings":[],"packages":[]}`)
}

func TestAuditShapes(t *testing.T) {
	if got := marshal(t, AuditEntries(nil)); got != "[]" {
		t.Errorf("no entries: got %s, want []", got)
	}
	check(t, "report without anchor", ToAuditReport(audit.Report{OK: true, Entries: 3}, ""), `{"ok":true,"entries":3}`)
	check(t, "report with anchor", ToAuditReport(audit.Report{Entries: 3, BadSeq: 2, Problem: "changed"}, "3:ab"),
		`{"ok":false,"entries":3,"bad_seq":2,"problem":"changed","anchor":"3:ab"}`)
}

func TestGroupAndStatsShapes(t *testing.T) {
	g := ToGroup(store.Group{ID: "g1", Name: "ops", Members: make([]crypto.ID, 2), CreatedAt: t0}, "acme")
	check(t, "group", GroupDetail{Group: g, MemberList: []GroupMember{{ID: "4HPK2W9N", Name: "Alice", Status: "active"}}},
		`{"id":"g1","name":"ops","tenant":"acme","members":2,"created_at":"2026-03-04T05:06:07Z",`+
			`"member_list":[{"id":"4HPK2W9N","name":"Alice","status":"active"}]}`)
	st := admin.Stats{ActiveUsers: 2, PendingUsers: 1, Devices: 3,
		Messages: []admin.DayCount{{Day: "2026-03-03", Messages: 4}, {Day: "2026-03-04", Messages: 5}}}
	check(t, "stats", ToStats(st, "acme"),
		`{"tenant":"acme","active_users":2,"pending_users":1,"devices":3,"days":2,"messages_total":9,`+
			`"messages":[{"day":"2026-03-03","messages":4},{"day":"2026-03-04","messages":5}]}`)
	check(t, "stats of no days", ToStats(admin.Stats{}, "acme"),
		`{"tenant":"acme","active_users":0,"pending_users":0,"devices":0,"days":0,"messages_total":0,"messages":[]}`)
}

func TestPolicyShapes(t *testing.T) {
	v := policy.Value{Key: policy.BlockUnknown, Raw: "true", Source: "global"}
	check(t, "change", PolicyChange{Tenant: "acme", Policy: ToPolicy(v)},
		`{"tenant":"acme","key":"th_block_unknown","value":true,"source":"global"}`)
}
