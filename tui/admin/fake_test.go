package admin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
)

var (
	testNow = time.Date(2025, 3, 15, 12, 0, 0, 0, time.UTC)
	alice   = mustID("ALICE001")
	bob     = mustID("BOB00002")
	carol   = mustID("CAROL003")
	dave    = mustID("DAVE0004")
	erin    = mustID("ERIN0005")
	frank   = mustID("FRANK006")
)

func mustID(s string) crypto.ID {
	id, err := crypto.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

func at(day, hour, minute int) time.Time {
	return time.Date(2025, 3, day, hour, minute, 0, 0, time.UTC)
}

var errDenied = errors.New("permission denied")

// fakeService is an in-memory Service with fixed data. Every call is
// recorded as a short string.
type fakeService struct {
	mu       sync.Mutex // guards the fields below
	calls    []string
	need2FA  bool
	codes    []error // returned by successive ProveSecondFactor calls
	tenants  []Tenant
	perms    map[string]Perms
	errs     map[string]error // by method name
	license  License
	stats    Stats
	users    []UserDetail
	pageSize int // users per UsersPage page (0: all in one)
	admins   []Admin
	groups   []Group
	audit    []AuditEntry // newest first
	report   AuditReport
	apikeys  []APIKey
	nextCode int
	policies map[string]map[string]string // by subject ("" or a user's ID), then key
	quiet    map[string][2]string         // by subject: zone, spec
}

var _ Service = (*fakeService)(nil)

func newFake() *fakeService {
	f := &fakeService{
		tenants: []Tenant{
			{Name: "acme", DisplayName: "Acme Climbing", Accent: "#D75F87", Role: "owner"},
			{Name: "globex", Role: "auditor"},
		},
		perms: map[string]Perms{
			"acme":   {PermUsersWrite: true, PermDevicesWrite: true, PermAdminsWrite: true, PermGroupsWrite: true, PermGroupMembers: true, PermAuditRead: true, PermAPIKeysWrite: true, PermPoliciesWrite: true},
			"globex": {PermAuditRead: true},
		},
		errs: map[string]error{},
		license: License{Seats: 25, ActiveUsers: 27, Devices: 31, LastDay: at(9, 0, 0).AddDate(0, 1, 0),
			Packages: []Package{{ID: "l1a2b3c4", Plan: "business", Seats: 20, LastDay: at(9, 0, 0).AddDate(0, 1, 0)}, {ID: "l5e6f7a8", Plan: "extra", Seats: 5, LastDay: at(31, 0, 0).AddDate(0, 9, 0)}},
			Warnings: []string{"too many devices: 31 devices for 25 seats", "licenses missing for active users: 27 active users, 25 seats",
				"package l1a2b3c4 ends soon: its last day is 2025-04-09"}},
		report:   AuditReport{OK: true, Entries: 8},
		policies: map[string]map[string]string{"": {"th_block_unknown": "true", "parley_retention_days": "90"}, "ALICE001": {"th_category": "Sales"}},
		quiet:    map[string][2]string{"": {"Europe/Zurich", "Mon-Fri 18:00-08:00; Sat,Sun all-day"}},
	}
	counts := []uint64{12, 30, 25, 0, 2, 48, 61, 55, 70, 12, 3, 90, 120, 64}
	for i, n := range counts {
		f.stats.Messages = append(f.stats.Messages, DayCount{Day: at(2+i, 0, 0), Messages: n})
	}
	f.stats.ActiveUsers, f.stats.PendingUsers, f.stats.Devices = 27, 3, 31
	f.users = []UserDetail{
		{User: User{ID: alice, Name: "Alice Example", Email: "alice@acme.example", Status: "active", Tags: []string{"sales", "berlin"}, Devices: 2, Created: at(1, 9, 0)},
			FirstName: "Alice", LastName: "Example", Activated: at(2, 10, 30),
			Devices: []Device{{Fingerprint: "SHA256:q0mR8c1tYx3Jk2Lw9Vb7nZp4Hs6Ud5Ef1Gi8Ko0Aa", Added: at(2, 10, 30), LastSeen: at(15, 11, 2)},
				{Fingerprint: "SHA256:Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Bb", Added: at(10, 8, 0)}}},
		{User: User{ID: bob, Name: "Bob Builder", Email: "bob@acme.example", Status: "active", Tags: []string{"ops"}, Devices: 1, Created: at(1, 9, 5)}},
		{User: User{ID: carol, Name: "Carol Sanders-Weatherby with a very long name", Email: "carol.sanders-weatherby@acme.example", Status: "pending", Created: at(12, 14, 0)}},
		{User: User{ID: dave, Name: "Dave", Status: "revoked", Created: at(1, 9, 10)}},
		{User: User{ID: erin, Name: "Erin Müller", Email: "erin@acme.example", Status: "detached", Tags: []string{"sales"}, Created: at(3, 16, 45)}},
		{User: User{ID: frank, Name: "Frank", Email: "frank@acme.example", Status: "active", Devices: 1, Created: at(4, 8, 0)}},
	}
	f.admins = []Admin{
		{Fingerprint: "SHA256:OwnerKeyFingerprint0000000000000000000000000", Role: "owner", Label: "Olivia Owner", TwoFactor: true, Added: at(1, 8, 0)},
		{Fingerprint: "SHA256:AdminKeyFingerprint0000000000000000000000000", Role: "admin", Label: "Adam Admin", Added: at(2, 8, 0)},
		{Fingerprint: "SHA256:GroupAdminFingerprint00000000000000000000000", Role: "group-admin", Label: "Greta", Groups: []string{"Climbers"}, Added: at(5, 8, 0)},
		{Fingerprint: "SHA256:AuditorFingerprint000000000000000000000000000", Role: "auditor", Added: at(6, 8, 0)},
	}
	f.groups = []Group{
		{ID: "g01a2b3c4", Name: "Climbers", Members: []Member{{ID: alice, Name: "Alice Example"}, {ID: bob, Name: "Bob Builder"}}, Created: at(5, 9, 0)},
		{ID: "g05d6e7f8", Name: "Night shift", Created: at(7, 9, 0)},
	}
	actions := []struct{ action, target string }{
		{"tenant.create", "acme"}, {"license.add", "l1a2b3c4"}, {"user.create", "ALICE001"}, {"user.create", "BOB00002"},
		{"user.code", "ALICE001"}, {"admin.add", "SHA256:AdminKeyFingerprint"}, {"user.revoke", "DAVE0004"}, {"user.delete keep-id=true keep-app=true", "ERIN0005"},
	}
	for i, a := range actions {
		f.audit = append([]AuditEntry{{Seq: uint64(i + 1), Time: at(1+i, 9, i), Actor: "SHA256:OwnerKeyFingerprint0000000000000000000000000",
			Label: "Olivia Owner", Action: a.action, Target: a.target, After: `{"id":"` + a.target + `"}`}}, f.audit...)
	}
	f.apikeys = []APIKey{
		{ID: "k1f2e3d4c5b6", Label: "HR sync", Scopes: []string{"users:read", "users:write"}, Created: at(3, 9, 0), LastUsed: at(15, 6, 0)},
		{ID: "k9a8b7c6d5e4", Label: "old monitoring", Scopes: []string{"stats:read"}, Created: at(2, 9, 0), Revoked: at(10, 9, 0)},
	}
	return f
}

func (f *fakeService) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// fail returns the error configured for a method.
func (f *fakeService) fail(method string) error { return f.errs[method] }

func (f *fakeService) takeCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeService) SecondFactorRequired(context.Context) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SecondFactorRequired")
	return f.need2FA, f.fail("SecondFactorRequired")
}

func (f *fakeService) ProveSecondFactor(_ context.Context, code string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ProveSecondFactor %s", code)
	if len(f.codes) == 0 {
		f.need2FA = false
		return nil
	}
	err := f.codes[0]
	f.codes = f.codes[1:]
	return err
}

func (f *fakeService) Tenants(context.Context) ([]Tenant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Tenants")
	return slices.Clone(f.tenants), f.fail("Tenants")
}

func (f *fakeService) Permissions(_ context.Context, tenant string) (Perms, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Permissions %s", tenant)
	return f.perms[tenant], nil
}

func (f *fakeService) License(_ context.Context, tenant string) (License, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("License %s", tenant)
	return f.license, f.fail("License")
}

func (f *fakeService) Stats(_ context.Context, tenant string, days int) (Stats, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Stats %s %d", tenant, days)
	return f.stats, f.fail("Stats")
}

func (f *fakeService) UsersPage(_ context.Context, tenant string, flt UserFilter, after crypto.ID) ([]User, crypto.ID, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if after.IsZero() {
		f.record("Users %s name=%q tag=%q", tenant, flt.Name, flt.Tag)
	} else {
		f.record("Users %s name=%q tag=%q after=%s", tenant, flt.Name, flt.Tag, after)
	}
	if err := f.fail("Users"); err != nil {
		return nil, crypto.ID{}, err
	}
	var out []User
	for _, u := range f.users {
		if flt.Tag != "" && !slices.Contains(u.Tags, flt.Tag) {
			continue
		}
		if n := strings.Trim(strings.ToLower(flt.Name), "*"); n != "" && !strings.Contains(strings.ToLower(u.Name), n) {
			continue
		}
		out = append(out, u.User)
	}
	if !after.IsZero() {
		k := slices.IndexFunc(out, func(u User) bool { return u.ID == after })
		out = out[k+1:]
	}
	if f.pageSize > 0 && len(out) > f.pageSize {
		return out[:f.pageSize], out[f.pageSize-1].ID, nil
	}
	return out, crypto.ID{}, nil
}

func (f *fakeService) find(id crypto.ID) (*UserDetail, error) {
	for i := range f.users {
		if f.users[i].ID == id {
			return &f.users[i], nil
		}
	}
	return nil, fmt.Errorf("no user %s in this tenant", id)
}

func (f *fakeService) User(_ context.Context, tenant string, id crypto.ID) (UserDetail, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("User %s %s", tenant, id)
	u, err := f.find(id)
	if err != nil {
		return UserDetail{}, err
	}
	return *u, nil
}

func (f *fakeService) CreateUser(_ context.Context, tenant string, spec UserSpec) (NewUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("CreateUser %s %q %q %v", tenant, spec.Name, spec.Email, spec.Tags)
	if err := f.fail("CreateUser"); err != nil {
		return NewUser{}, err
	}
	u := User{ID: mustID("GINA0007"), Name: spec.Name, Email: spec.Email, Tags: spec.Tags, Status: "pending", Created: testNow}
	f.users = append(f.users, UserDetail{User: u})
	return NewUser{User: u, Code: "ABCD-EFGH-JKLM-NPQR", ExpiresAt: testNow.Add(72 * time.Hour)}, nil
}

func (f *fakeService) EditUser(_ context.Context, tenant string, id crypto.ID, c UserChange) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var parts []string
	if c.Name != nil {
		parts = append(parts, "name="+*c.Name)
	}
	if c.Email != nil {
		parts = append(parts, "email="+*c.Email)
	}
	if c.Tags != nil {
		parts = append(parts, "tags="+strings.Join(*c.Tags, ","))
	}
	f.record("EditUser %s %s %s", tenant, id, strings.Join(parts, " "))
	if err := f.fail("EditUser"); err != nil {
		return User{}, err
	}
	u, err := f.find(id)
	if err != nil {
		return User{}, err
	}
	if c.Name != nil {
		u.Name = *c.Name
	}
	if c.Email != nil {
		u.Email = *c.Email
	}
	if c.Tags != nil {
		u.Tags = *c.Tags
	}
	return u.User, nil
}

func (f *fakeService) ReissueCode(_ context.Context, tenant string, id crypto.ID) (NewUser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ReissueCode %s %s", tenant, id)
	if err := f.fail("ReissueCode"); err != nil {
		return NewUser{}, err
	}
	u, err := f.find(id)
	if err != nil {
		return NewUser{}, err
	}
	f.nextCode++
	return NewUser{User: u.User, Code: fmt.Sprintf("WXYZ-2345-6789-ABC%d", f.nextCode), ExpiresAt: testNow.Add(72 * time.Hour)}, nil
}

func (f *fakeService) RevokeUser(_ context.Context, tenant string, id crypto.ID) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RevokeUser %s %s", tenant, id)
	if err := f.fail("RevokeUser"); err != nil {
		return User{}, err
	}
	u, err := f.find(id)
	if err != nil {
		return User{}, err
	}
	u.Status = "revoked"
	return u.User, nil
}

func (f *fakeService) DeleteUser(_ context.Context, tenant string, id crypto.ID, keepID, keepApp bool) (User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("DeleteUser %s %s keep-id=%t keep-app=%t", tenant, id, keepID, keepApp)
	if err := f.fail("DeleteUser"); err != nil {
		return User{}, err
	}
	u, err := f.find(id)
	if err != nil {
		return User{}, err
	}
	u.Status = map[bool]string{true: "detached", false: "revoked"}[keepID]
	if !keepApp {
		u.Devices, u.User.Devices = nil, 0
	}
	return u.User, nil
}

func (f *fakeService) RemoveDevice(_ context.Context, tenant string, id crypto.ID, fp string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RemoveDevice %s %s %s", tenant, id, fp)
	if err := f.fail("RemoveDevice"); err != nil {
		return err
	}
	u, err := f.find(id)
	if err != nil {
		return err
	}
	u.Devices = slices.DeleteFunc(u.Devices, func(d Device) bool { return d.Fingerprint == fp })
	u.User.Devices = len(u.Devices)
	return nil
}

func (f *fakeService) Admins(_ context.Context, tenant string) ([]Admin, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Admins %s", tenant)
	return slices.Clone(f.admins), f.fail("Admins")
}

func (f *fakeService) RemoveAdmin(_ context.Context, tenant, fp string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RemoveAdmin %s %s", tenant, fp)
	if err := f.fail("RemoveAdmin"); err != nil {
		return err
	}
	f.admins = slices.DeleteFunc(f.admins, func(a Admin) bool { return a.Fingerprint == fp })
	return nil
}

func (f *fakeService) Groups(_ context.Context, tenant string) ([]Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Groups %s", tenant)
	out := make([]Group, len(f.groups))
	for i, g := range f.groups {
		g.Members = slices.Clone(g.Members)
		out[i] = g
	}
	return out, f.fail("Groups")
}

func (f *fakeService) group(id string) (*Group, error) {
	for i := range f.groups {
		if f.groups[i].ID == id {
			return &f.groups[i], nil
		}
	}
	return nil, fmt.Errorf("no managed group %q", id)
}

func (f *fakeService) CreateGroup(_ context.Context, tenant, name string) (Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("CreateGroup %s %q", tenant, name)
	if err := f.fail("CreateGroup"); err != nil {
		return Group{}, err
	}
	g := Group{ID: "g0new0001", Name: name, Created: testNow}
	f.groups = append(f.groups, g)
	return g, nil
}

func (f *fakeService) RenameGroup(_ context.Context, tenant, id, name string) (Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RenameGroup %s %s %q", tenant, id, name)
	g, err := f.group(id)
	if err != nil {
		return Group{}, err
	}
	g.Name = name
	return *g, nil
}

func (f *fakeService) DeleteGroup(_ context.Context, tenant, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("DeleteGroup %s %s", tenant, id)
	if err := f.fail("DeleteGroup"); err != nil {
		return err
	}
	f.groups = slices.DeleteFunc(f.groups, func(g Group) bool { return g.ID == id })
	return nil
}

func (f *fakeService) AddGroupMembers(_ context.Context, tenant, id string, ids []crypto.ID) (Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("AddGroupMembers %s %s %v", tenant, id, ids)
	g, err := f.group(id)
	if err != nil {
		return Group{}, err
	}
	for _, x := range ids {
		g.Members = append(g.Members, Member{ID: x})
	}
	return *g, nil
}

func (f *fakeService) RemoveGroupMembers(_ context.Context, tenant, id string, ids []crypto.ID) (Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RemoveGroupMembers %s %s %v", tenant, id, ids)
	g, err := f.group(id)
	if err != nil {
		return Group{}, err
	}
	g.Members = slices.DeleteFunc(g.Members, func(mem Member) bool { return slices.Contains(ids, mem.ID) })
	return *g, nil
}

func (f *fakeService) Audit(_ context.Context, tenant string, flt AuditFilter) ([]AuditEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Audit %s action=%q actor=%q target=%q", tenant, flt.Action, flt.Actor, flt.Target)
	var out []AuditEntry
	for _, e := range f.audit {
		if strings.HasPrefix(e.Action, flt.Action) && strings.Contains(e.Target, flt.Target) {
			out = append(out, e)
		}
	}
	return out, f.fail("Audit")
}

func (f *fakeService) VerifyAudit(_ context.Context, tenant string) (AuditReport, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("VerifyAudit %s", tenant)
	return f.report, f.fail("VerifyAudit")
}

func (f *fakeService) APIKeys(_ context.Context, tenant string) ([]APIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("APIKeys %s", tenant)
	return slices.Clone(f.apikeys), f.fail("APIKeys")
}

func (f *fakeService) APIScopes() []string {
	return []string{"users:read", "users:write", "stats:read"}
}

func (f *fakeService) CreateAPIKey(_ context.Context, tenant, label string, scopes []string) (NewAPIKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("CreateAPIKey %s %q %v", tenant, label, scopes)
	if err := f.fail("CreateAPIKey"); err != nil {
		return NewAPIKey{}, err
	}
	k := APIKey{ID: "k0new000001", Label: label, Scopes: scopes, Created: testNow}
	f.apikeys = append(f.apikeys, k)
	return NewAPIKey{Key: k, Secret: "parley_k0new000001_s3cr3tS3cr3tS3cr3tS3cr3t"}, nil
}

func (f *fakeService) RevokeAPIKey(_ context.Context, tenant, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RevokeAPIKey %s %s", tenant, id)
	if err := f.fail("RevokeAPIKey"); err != nil {
		return err
	}
	for i := range f.apikeys {
		if f.apikeys[i].ID == id {
			f.apikeys[i].Revoked = testNow
		}
	}
	return nil
}

// fakePolicyKeys is a registry in the shape of the real one.
func fakePolicyKeys() []PolicyKey {
	return []PolicyKey{
		{Name: "parley_cross_tenant", Type: PolicyTenants, Description: "Other tenants (comma-separated names) this tenant exchanges messages with; both sides must list each other."},
		{Name: "parley_link_previews", Type: PolicyEnum, Default: "contacts", PerUser: true, Enum: []string{"off", "contacts", "all"}, Description: "Which links show a preview."},
		{Name: "parley_max_attachment_mib", Type: PolicyInt, Default: "100", Description: "The largest attachment, in MiB."},
		{Name: "parley_quiet_hours", Type: PolicySchedule, PerUser: true, Description: "When notifications and calls are held back: ZONE SPEC."},
		{Name: "parley_retention_days", Type: PolicyInt, Default: "30", Description: "Days messages are kept on the server before they are deleted, delivered or not."},
		{Name: "th_block_unknown", Type: PolicyBool, Default: "false", PerUser: true, Description: "Only users of the tenant (and contacts an admin provides) may write to the user: a closed user group."},
		{Name: "th_category", Type: PolicyString, PerUser: true, Description: "The category preset into the user's profile at enrolment."},
		{Name: "th_disable_calls", Type: PolicyBool, Default: "false", PerUser: true, Description: "The user may neither make nor receive calls."},
	}
}

func (f *fakeService) PolicyKeys() []PolicyKey { return fakePolicyKeys() }

// forUser is " ID" in a recorded call about a user, "" for the tenant.
func forUser(user *crypto.ID) string {
	if user == nil {
		return ""
	}
	return " " + user.String()
}

func subjectOf(user *crypto.ID) string {
	if user == nil {
		return ""
	}
	return user.String()
}

func (f *fakeService) Policies(_ context.Context, tenant string, user *crypto.ID) ([]PolicyValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Policies %s%s", tenant, forUser(user))
	if err := f.fail("Policies"); err != nil {
		return nil, err
	}
	var out []PolicyValue
	for _, k := range fakePolicyKeys() {
		v := PolicyValue{Key: k.Name, Value: k.Default, Source: SourceDefault}
		if g, ok := f.policies[""][k.Name]; ok {
			v.Value, v.Source = g, SourceGlobal
		}
		if i, ok := f.policies[subjectOf(user)][k.Name]; ok && user != nil {
			v.Value, v.Source = i, SourceIndividual
		}
		out = append(out, v)
	}
	return out, nil
}

func (f *fakeService) SetPolicy(_ context.Context, tenant string, user *crypto.ID, key, value string) (PolicyValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SetPolicy %s%s %s=%s", tenant, forUser(user), key, value)
	if err := f.fail("SetPolicy"); err != nil {
		return PolicyValue{}, err
	}
	i := slices.IndexFunc(fakePolicyKeys(), func(k PolicyKey) bool { return k.Name == key })
	if i < 0 {
		return PolicyValue{}, fmt.Errorf("invalid argument: unknown policy key %q", key)
	}
	k := fakePolicyKeys()[i]
	switch {
	case user != nil && !k.PerUser:
		return PolicyValue{}, fmt.Errorf("invalid argument: %s cannot be set per user", key)
	case k.Type == PolicyBool && value != "true" && value != "false":
		return PolicyValue{}, fmt.Errorf("invalid argument: %s takes a bool (true or false), not %q", key, value)
	case k.Type == PolicyInt && strings.Trim(value, "0123456789") != "":
		return PolicyValue{}, fmt.Errorf("invalid argument: %s takes an int, not %q", key, value)
	}
	if f.policies[subjectOf(user)] == nil {
		f.policies[subjectOf(user)] = map[string]string{}
	}
	f.policies[subjectOf(user)][key] = value
	src := SourceGlobal
	if user != nil {
		src = SourceIndividual
	}
	return PolicyValue{Key: key, Value: value, Source: src}, nil
}

func (f *fakeService) UnsetPolicy(_ context.Context, tenant string, user *crypto.ID, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("UnsetPolicy %s%s %s", tenant, forUser(user), key)
	if err := f.fail("UnsetPolicy"); err != nil {
		return err
	}
	delete(f.policies[subjectOf(user)], key)
	return nil
}

// fakeChanges are the changes of "Mon-Fri 18:00-08:00; Sat,Sun all-day"
// after testNow, a Saturday, across the start of summer time in Zurich.
func fakeChanges() []QuietChange {
	cet, cest := time.FixedZone("CET", 3600), time.FixedZone("CEST", 7200)
	return []QuietChange{
		{At: time.Date(2025, 3, 17, 8, 0, 0, 0, cet)}, {At: time.Date(2025, 3, 17, 18, 0, 0, 0, cet), Quiet: true},
		{At: time.Date(2025, 3, 18, 8, 0, 0, 0, cet)}, {At: time.Date(2025, 3, 18, 18, 0, 0, 0, cet), Quiet: true},
		{At: time.Date(2025, 3, 31, 8, 0, 0, 0, cest)}, {At: time.Date(2025, 3, 31, 18, 0, 0, 0, cest), Quiet: true},
	}
}

func (f *fakeService) status(user *crypto.ID) QuietStatus {
	q, src := f.quiet[""], SourceGlobal
	if own, ok := f.quiet[subjectOf(user)]; ok && user != nil {
		q, src = own, SourceIndividual
	}
	if q[1] == "" {
		return QuietStatus{Source: SourceDefault}
	}
	next := fakeChanges()
	return QuietStatus{Zone: q[0], Schedule: q[1], Source: src, QuietNow: true, NextChange: next[0].At, Next: next}
}

func (f *fakeService) QuietHours(_ context.Context, tenant string, user *crypto.ID) (QuietStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("QuietHours %s%s", tenant, forUser(user))
	return f.status(user), f.fail("QuietHours")
}

func (f *fakeService) SetQuietHours(_ context.Context, tenant string, user *crypto.ID, zone, spec string) (QuietStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("SetQuietHours %s%s %q %q", tenant, forUser(user), zone, spec)
	if _, err := fakePreview(zone, spec); err != nil {
		return QuietStatus{}, fmt.Errorf("invalid argument: %w", err)
	}
	if err := f.fail("SetQuietHours"); err != nil {
		return QuietStatus{}, err
	}
	f.quiet[subjectOf(user)] = [2]string{zone, spec}
	return f.status(user), nil
}

func (f *fakeService) UnsetQuietHours(_ context.Context, tenant string, user *crypto.ID) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("UnsetQuietHours %s%s", tenant, forUser(user))
	if err := f.fail("UnsetQuietHours"); err != nil {
		return err
	}
	delete(f.quiet, subjectOf(user))
	return nil
}

func fakePreview(zone, spec string) ([]QuietChange, error) {
	switch {
	case zone != "Europe/Zurich" && zone != "UTC":
		return nil, fmt.Errorf("unknown time zone %q", zone)
	case strings.Contains(spec, "25:"):
		return nil, fmt.Errorf("bad range %q: hours go up to 23", spec)
	}
	return fakeChanges(), nil
}

func (f *fakeService) PreviewQuietHours(zone, spec string) ([]QuietChange, error) {
	return fakePreview(zone, spec)
}

// --- driving the model ---

// driver runs the model synchronously, the way a program would: it
// delivers a message, runs the command Update returned and feeds what the
// command produced back in, until nothing is left. Inside a synctest
// bubble, a command that waits on a timer is recognised because the
// bubble's clock moved, and its message is kept in delayed.
type driver struct {
	t       *testing.T
	svc     *fakeService
	m       *Model
	quit    bool
	delayed []tea.Msg
}

func newDriver(t *testing.T, svc *fakeService, opts ...func(*Options)) *driver {
	t.Helper()
	o := Options{Service: svc, Context: context.Background(), Location: time.UTC, SSHCommand: "ssh -p 2222 parley.example",
		Now: func() time.Time { return testNow }}
	for _, f := range opts {
		f(&o)
	}
	d := &driver{t: t, svc: svc, m: New(o)}
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	d.settle(d.m.Init())
	return d
}

// acmeDriver is a driver at acme's dashboard.
func acmeDriver(t *testing.T, svc *fakeService, opts ...func(*Options)) *driver {
	t.Helper()
	d := newDriver(t, svc, opts...)
	if d.m.phase == phasePicker {
		d.press(tea.KeyEnter)
	}
	if d.m.phase != phaseConsole || d.m.tenant.Name != "acme" {
		t.Fatalf("not at acme's console: phase %d, tenant %q\n%s", d.m.phase, d.m.tenant.Name, d.plain())
	}
	svc.takeCalls()
	return d
}

func (d *driver) update(msg tea.Msg) tea.Cmd {
	d.t.Helper()
	next, cmd := d.m.Update(msg)
	m, ok := next.(*Model)
	if !ok {
		d.t.Fatalf("Update returned %T, want *Model", next)
	}
	d.m = m
	return cmd
}

func (d *driver) exec(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	start := time.Now()
	msg := cmd()
	if time.Since(start) > 0 {
		d.delayed = append(d.delayed, msg)
		return nil
	}
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, d.exec(c)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

func (d *driver) settle(cmd tea.Cmd) {
	d.t.Helper()
	queue := d.exec(cmd)
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 1000 {
			d.t.Fatalf("the model keeps producing messages: %T ...", queue[0])
		}
		msg := queue[0]
		queue = queue[1:]
		if _, ok := msg.(tea.QuitMsg); ok {
			d.quit = true
			continue
		}
		queue = append(queue, d.exec(d.update(msg))...)
	}
}

func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	d.settle(d.update(msg))
}

func (d *driver) fire() {
	d.t.Helper()
	msgs := d.delayed
	d.delayed = nil
	for _, msg := range msgs {
		d.send(msg)
	}
}

func (d *driver) typeText(s string) {
	d.t.Helper()
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// key presses a key by its name in a binding: a rune, or enter, esc, tab...
func (d *driver) press(code rune, mod ...tea.KeyMod) {
	d.t.Helper()
	k := tea.KeyPressMsg{Code: code}
	for _, m := range mod {
		k.Mod |= m
	}
	if code >= ' ' && code != tea.KeyBackspace && code < tea.KeyExtended && len(mod) == 0 {
		k.Text = string(code)
	}
	d.send(k)
}

func (d *driver) enter(s string) {
	d.t.Helper()
	d.typeText(s)
	d.press(tea.KeyEnter)
}

func (d *driver) content() string { return d.m.View().Content }
func (d *driver) plain() string   { return ansi.Strip(d.content()) }

// line is screen line i without styling, trailing spaces trimmed.
func (d *driver) line(i int) string {
	lines := strings.Split(d.plain(), "\n")
	if i < 0 {
		i += len(lines)
	}
	return strings.TrimRight(lines[i], " ")
}

func (d *driver) status() string { return strings.TrimSpace(d.line(-2)) }

func (d *driver) wantCalls(want ...string) {
	d.t.Helper()
	got := d.svc.takeCalls()
	if diff := cmp.Diff(want, got); diff != "" {
		d.t.Errorf("service calls (-want +got):\n%s", diff)
	}
}

func (d *driver) wantScreen(subs ...string) {
	d.t.Helper()
	scr := d.plain()
	for _, s := range subs {
		if !strings.Contains(scr, s) {
			d.t.Errorf("screen lacks %q:\n%s", s, scr)
		}
	}
}
