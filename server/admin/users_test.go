package admin_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

const passphrase = "correct horse battery"

// activate enrols a device for a created user with its code.
func (e *env) activate(t testing.TB, code, fingerprint string) store.User {
	t.Helper()
	u, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: code, Fingerprint: fingerprint,
		AuthorizedKey: "ssh-ed25519 AAAA " + fingerprint, Passphrase: []byte(passphrase)})
	if err != nil {
		t.Fatalf("Activate(%s): %v", fingerprint, err)
	}
	return u
}

// activeUser creates a user in a tenant and enrols one device per
// fingerprint: the first activates it, the others are added with new codes.
func (e *env) activeUser(t testing.TB, tenant store.Tenant, spec directory.UserSpec, fingerprints ...string) store.User {
	t.Helper()
	nu, err := e.svc.CreateUser(e.root, tenant.Name, spec)
	if err != nil {
		t.Fatalf("CreateUser(%+v): %v", spec, err)
	}
	u := nu.User
	for i, fp := range fingerprints {
		code := nu.Code.Code
		if i > 0 {
			_, c, err := e.svc.ReissueCode(e.root, tenant.Name, u.ID)
			if err != nil {
				t.Fatalf("ReissueCode: %v", err)
			}
			code = c.Code
		}
		u = e.activate(t, code, fp)
	}
	return u
}

// connect is what the SSH front does before opening a session for a key:
// find the key's user and ask whether it may connect.
func (e *env) connect(t testing.TB, fingerprint string) error {
	t.Helper()
	u, _, err := e.dir.Resolve(t.Context(), fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if u == nil {
		return errNotEnrolled
	}
	return e.dir.CanConnect(t.Context(), *u)
}

var errNotEnrolled = errors.New("key not enrolled")

// unchanged fails the test when the audit log grew since before.
func (e *env) unchanged(t testing.TB, before uint64) {
	t.Helper()
	if got := e.auditCount(t); got != before {
		t.Errorf("a refused call wrote %d audit entries", got-before)
	}
}

// TestDeleteUser answers the seeds' two questions in all four ways.
func TestDeleteUser(t *testing.T) {
	cases := []struct {
		keepID, keepApp bool
		status          store.UserStatus
		devices         int
		connect         error // for the removed user's key
		contact         error // what a colleague sees
	}{
		{false, false, store.UserRevoked, 0, errNotEnrolled, directory.ErrRevoked},
		{false, true, store.UserRevoked, 2, directory.ErrRevokedID, directory.ErrRevoked},
		{true, false, store.UserDetached, 0, errNotEnrolled, directory.ErrNotActive},
		{true, true, store.UserDetached, 2, nil, directory.ErrNotActive},
	}
	for _, c := range cases {
		t.Run(fmtBools(c.keepID, c.keepApp), func(t *testing.T) {
			e := newEnv(t)
			ada := e.activeUser(t, e.acme, directory.UserSpec{Name: "Ada Lovelace", Email: "ada@acme.example"}, "SHA256:ada-1", "SHA256:ada-2")
			bob := e.activeUser(t, e.acme, directory.UserSpec{Name: "Bob Builder"}, "SHA256:bob")
			before := e.auditCount(t)

			got, err := e.svc.DeleteUser(e.root, "acme", ada.ID, c.keepID, c.keepApp)
			if err != nil {
				t.Fatalf("DeleteUser: %v", err)
			}
			if got.Status != c.status || got.RemovedAt.IsZero() || got.Email != "" {
				t.Errorf("DeleteUser returned status %q, removed %v, e-mail %q; want %q, a time, no e-mail",
					got.Status, got.RemovedAt, got.Email, c.status)
			}
			if n := e.auditCount(t) - before; n != 1 {
				t.Errorf("DeleteUser wrote %d audit entries, want 1", n)
			}
			ds, err := e.svc.Devices(e.root, "acme", ada.ID)
			if err != nil || len(ds) != c.devices {
				t.Errorf("Devices = %d, %v; want %d", len(ds), err, c.devices)
			}
			for _, fp := range []string{"SHA256:ada-1", "SHA256:ada-2"} {
				if err := e.connect(t, fp); !errors.Is(err, c.connect) {
					t.Errorf("connect(%s) = %v, want %v", fp, err, c.connect)
				}
			}
			if _, err := e.dir.Contact(t.Context(), bob.ID, ada.ID); !errors.Is(err, c.contact) {
				t.Errorf("Contact(bob sees ada) = %v, want %v", err, c.contact)
			}
			if err := e.connect(t, "SHA256:bob"); err != nil {
				t.Errorf("bob cannot connect any more: %v", err)
			}
			r, err := e.svc.License(e.root, "acme")
			if err != nil || r.Usage.ActiveUsers != 1 || r.Usage.Devices != 1 {
				t.Errorf("license usage after delete = %+v, %v; want 1 active user, 1 device", r.Usage, err)
			}
			// The address is free for a successor.
			if _, err := e.svc.CreateUser(e.root, "acme", directory.UserSpec{Name: "Ada Successor", Email: "ada@acme.example"}); err != nil {
				t.Errorf("the removed user's e-mail is still taken: %v", err)
			}

			// A revoked ID stays revoked: deleting again is refused and writes nothing.
			if c.status == store.UserRevoked {
				before := e.auditCount(t)
				for _, keepID := range []bool{false, true} {
					if _, err := e.svc.DeleteUser(e.root, "acme", ada.ID, keepID, false); !errors.Is(err, directory.ErrRevoked) {
						t.Errorf("DeleteUser(revoked, keep-id=%t) = %v, want ErrRevoked", keepID, err)
					}
				}
				if _, err := e.svc.RevokeUser(e.root, "acme", ada.ID); !errors.Is(err, directory.ErrRevoked) {
					t.Errorf("RevokeUser(revoked) = %v, want ErrRevoked", err)
				}
				if _, _, err := e.svc.ReissueCode(e.root, "acme", ada.ID); !errors.Is(err, directory.ErrNotActive) {
					t.Errorf("ReissueCode(revoked) = %v, want ErrNotActive", err)
				}
				e.unchanged(t, before)
			}
		})
	}
}

func fmtBools(keepID, keepApp bool) string {
	s := map[bool]string{true: "true", false: "false"}
	return "keep-id=" + s[keepID] + ",keep-app=" + s[keepApp]
}

// TestRevokeUser: revoke alone revokes the ID and keeps the devices bound,
// which can no longer open sessions.
func TestRevokeUser(t *testing.T) {
	e := newEnv(t)
	ada := e.activeUser(t, e.acme, directory.UserSpec{Name: "Ada"}, "SHA256:ada")
	got, err := e.svc.RevokeUser(e.root, "acme", ada.ID)
	if err != nil || got.Status != store.UserRevoked {
		t.Fatalf("RevokeUser = %+v, %v; want revoked", got, err)
	}
	if err := e.connect(t, "SHA256:ada"); !errors.Is(err, directory.ErrRevokedID) {
		t.Errorf("connect = %v, want ErrRevokedID", err)
	}
	if ds, _ := e.svc.Devices(e.root, "acme", ada.ID); len(ds) != 1 {
		t.Errorf("revoke removed devices: %d left, want 1", len(ds))
	}
}

// TestUserRefusals: bad input and unknown users get a clear error and
// change nothing.
func TestUserRefusals(t *testing.T) {
	e := newEnv(t)
	ada := e.activeUser(t, e.acme, directory.UserSpec{Name: "Ada", Email: "ada@acme.example"}, "SHA256:ada")
	gil := e.user(t, e.globex, "Gil Globex")
	unknown := crypto.ID{'Z', 'Z', 'Z', 'Z', '9', '9', '9', '9'}
	str := func(s string) *string { return &s }
	ctx := e.root
	calls := []struct {
		name string
		want error
		call func(ctx context.Context) error
	}{
		{"create: e-mail in another tenant's domain", directory.ErrDomainTaken, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "Eve", Email: "eve@globex.example"})
			return err
		}},
		{"create: e-mail outside the tenant's domains", directory.ErrInvalid, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "Eve", Email: "eve@elsewhere.example"})
			return err
		}},
		{"create: duplicate e-mail", directory.ErrEmailTaken, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "Ada Two", Email: "ada@acme.example"})
			return err
		}},
		{"create: duplicate e-mail in other case", directory.ErrEmailTaken, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "Ada Two", Email: "Ada@ACME.example"})
			return err
		}},
		{"create: no name", directory.ErrInvalid, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{})
			return err
		}},
		{"create: control characters in the name", directory.ErrInvalid, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "Eve\x1b[31mRed"})
			return err
		}},
		{"create: control characters in the first name", directory.ErrInvalid, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{FirstName: "E\rve", LastName: "Red"})
			return err
		}},
		{"create: bidi override in the nickname", directory.ErrInvalid, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "Eve", Nickname: "evil\u202egnp.exe"})
			return err
		}},
		{"create: control characters in the category", directory.ErrInvalid, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "Eve", Category: "Sales\x07"})
			return err
		}},
		{"create: bad tag", directory.ErrInvalid, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "Eve", Tags: []string{"no spaces"}})
			return err
		}},
		{"edit: control characters", directory.ErrInvalid, func(ctx context.Context) error {
			_, err := e.svc.EditUser(ctx, "acme", ada.ID, directory.ProfileChange{LastName: str("Love\nlace")})
			return err
		}},
		{"edit: e-mail in another tenant's domain", directory.ErrDomainTaken, func(ctx context.Context) error {
			_, err := e.svc.EditUser(ctx, "acme", ada.ID, directory.ProfileChange{Email: str("ada@globex.example")})
			return err
		}},
		{"edit: unknown user", directory.ErrUserNotFound, func(ctx context.Context) error {
			_, err := e.svc.EditUser(ctx, "acme", unknown, directory.ProfileChange{Nickname: str("x")})
			return err
		}},
		{"edit: another tenant's user", directory.ErrUserNotFound, func(ctx context.Context) error {
			_, err := e.svc.EditUser(ctx, "acme", gil.User.ID, directory.ProfileChange{Nickname: str("x")})
			return err
		}},
		{"show: unknown user", directory.ErrUserNotFound, func(ctx context.Context) error {
			_, err := e.svc.User(ctx, "acme", unknown)
			return err
		}},
		{"delete: unknown user", directory.ErrUserNotFound, func(ctx context.Context) error {
			_, err := e.svc.DeleteUser(ctx, "acme", unknown, false, false)
			return err
		}},
		{"delete: another tenant's user", directory.ErrUserNotFound, func(ctx context.Context) error {
			_, err := e.svc.DeleteUser(ctx, "acme", gil.User.ID, false, false)
			return err
		}},
		{"revoke: unknown user", directory.ErrUserNotFound, func(ctx context.Context) error {
			_, err := e.svc.RevokeUser(ctx, "acme", unknown)
			return err
		}},
		{"code: unknown user", directory.ErrUserNotFound, func(ctx context.Context) error {
			_, _, err := e.svc.ReissueCode(ctx, "acme", unknown)
			return err
		}},
		{"devices: unknown user", directory.ErrUserNotFound, func(ctx context.Context) error {
			_, err := e.svc.Devices(ctx, "acme", unknown)
			return err
		}},
		{"remove device: unknown device", directory.ErrDeviceNotFound, func(ctx context.Context) error {
			return e.svc.RemoveDevice(ctx, "acme", ada.ID, "SHA256:nope")
		}},
		{"list: unknown status", directory.ErrInvalid, func(ctx context.Context) error {
			_, err := e.svc.Users(ctx, "acme", directory.UserFilter{Status: "gone"})
			return err
		}},
		{"create: unknown tenant", directory.ErrTenantNotFound, func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "initech", directory.UserSpec{Name: "Eve"})
			return err
		}},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			before := e.auditCount(t)
			users, _ := e.svc.Users(e.root, "acme", directory.UserFilter{})
			if err := c.call(ctx); !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			e.unchanged(t, before)
			after, _ := e.svc.Users(e.root, "acme", directory.UserFilter{})
			if len(after) != len(users) {
				t.Errorf("a refused call changed the number of users from %d to %d", len(users), len(after))
			}
		})
	}
	d, err := e.svc.User(e.root, "acme", ada.ID)
	if err != nil || d.Name != "Ada" || d.LastName != "" || d.Email != "ada@acme.example" || len(d.Devices) != 1 {
		t.Errorf("refused calls changed ada: %+v, %v", d, err)
	}
}

// TestCreateAndEditUser: every profile field, and the e-mail rules on edit.
func TestCreateAndEditUser(t *testing.T) {
	e := newEnv(t)
	nu, err := e.svc.CreateUser(e.root, "acme", directory.UserSpec{FirstName: " Ada ", LastName: "Lovelace", Nickname: "ada",
		Category: "Research", Tags: []string{"#Math", "engines", "math"}, Email: "ada@ACME.example"})
	if err != nil {
		t.Fatal(err)
	}
	u := nu.User
	if u.Name != "Ada Lovelace" || u.FirstName != "Ada" || u.Nickname != "ada" || u.Category != "Research" ||
		!slices.Equal(u.Tags, []string{"engines", "math"}) || u.Email != "ada@acme.example" || u.Status != store.UserPending {
		t.Errorf("CreateUser = %+v", u)
	}
	if nu.Tenant.Name != "acme" || nu.Code.Code == "" || !nu.Code.ExpiresAt.After(e.clock.Now()) {
		t.Errorf("CreateUser tenant %q, code %+v", nu.Tenant.Name, nu.Code)
	}
	str := func(s string) *string { return &s }
	tags := []string{"ops"}
	got, err := e.svc.EditUser(e.root, "acme", u.ID, directory.ProfileChange{LastName: str("King"), Tags: &tags,
		Email: str("ada.king@acme.example")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Ada King" || !slices.Equal(got.Tags, []string{"ops"}) || got.Email != "ada.king@acme.example" || got.Nickname != "ada" {
		t.Errorf("EditUser = %+v", got)
	}
	// The old address is free again; the new one is taken.
	if _, err := e.svc.CreateUser(e.root, "acme", directory.UserSpec{Name: "Other Ada", Email: "ada@acme.example"}); err != nil {
		t.Errorf("old address still taken: %v", err)
	}
	if _, err := e.svc.CreateUser(e.root, "acme", directory.UserSpec{Name: "Third", Email: "ada.king@acme.example"}); !errors.Is(err, directory.ErrEmailTaken) {
		t.Errorf("new address free: %v", err)
	}
	// Clearing an address.
	if got, err := e.svc.EditUser(e.root, "acme", u.ID, directory.ProfileChange{Email: str("")}); err != nil || got.Email != "" {
		t.Errorf("EditUser(email \"\") = %+v, %v", got, err)
	}
}

// TestUserFilters: tag, wildcard name and status.
func TestUserFilters(t *testing.T) {
	e := newEnv(t)
	e.activeUser(t, e.acme, directory.UserSpec{Name: "Ada Lovelace", Tags: []string{"research"}}, "SHA256:ada")
	e.activeUser(t, e.acme, directory.UserSpec{FirstName: "Grace", LastName: "Hopper", Nickname: "amazing", Tags: []string{"navy"}}, "SHA256:grace")
	e.user(t, e.acme, "Charles Babbage")
	e.user(t, e.globex, "Adam Globex")
	cases := []struct {
		f    directory.UserFilter
		want []string
	}{
		{directory.UserFilter{}, []string{"Ada Lovelace", "Charles Babbage", "Grace Hopper"}},
		{directory.UserFilter{Tag: "research"}, []string{"Ada Lovelace"}},
		{directory.UserFilter{Tag: "#NAVY"}, []string{"Grace Hopper"}},
		{directory.UserFilter{Name: "*ad*"}, []string{"Ada Lovelace"}},
		{directory.UserFilter{Name: "*a*a*"}, []string{"Ada Lovelace", "Charles Babbage", "Grace Hopper"}}, // Grace by her nickname
		{directory.UserFilter{Name: "ada"}, []string{"Ada Lovelace"}},
		{directory.UserFilter{Name: "g?ace*"}, []string{"Grace Hopper"}},
		{directory.UserFilter{Name: "hop"}, []string{"Grace Hopper"}},
		{directory.UserFilter{Status: store.UserPending}, []string{"Charles Babbage"}},
		{directory.UserFilter{Status: store.UserActive, Tag: "navy"}, []string{"Grace Hopper"}},
		{directory.UserFilter{Name: "nobody"}, nil},
	}
	for _, c := range cases {
		us, err := e.svc.Users(e.root, "acme", c.f)
		if err != nil {
			t.Fatalf("Users(%+v): %v", c.f, err)
		}
		var got []string
		for _, u := range us {
			got = append(got, u.Name)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("Users(%+v) = %q, want %q", c.f, got, c.want)
		}
	}
}

// TestReissueCode: the old code stops working, the new one works; for an
// active user the new code adds a device.
func TestReissueCode(t *testing.T) {
	e := newEnv(t)
	nu := e.user(t, e.acme, "Ada")
	_, code, err := e.svc.ReissueCode(e.root, "acme", nu.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	if code.Code == nu.Code.Code {
		t.Fatal("the new code is the old one")
	}
	if _, err := e.dir.CheckActivation(t.Context(), nu.Code.Code, "SHA256:ada"); !errors.Is(err, directory.ErrCodeUnknown) {
		t.Errorf("old code: %v, want ErrCodeUnknown", err)
	}
	e.activate(t, code.Code, "SHA256:ada")
	_, more, err := e.svc.ReissueCode(e.root, "acme", nu.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	u := e.activate(t, more.Code, "SHA256:ada-phone")
	if u.Status != store.UserActive {
		t.Errorf("status after adding a device: %q", u.Status)
	}
	if ds, _ := e.svc.Devices(e.root, "acme", u.ID); len(ds) != 2 {
		t.Errorf("devices: %d, want 2", len(ds))
	}
}

// TestRemoveDevice: one device goes, the user and its other device stay.
func TestRemoveDevice(t *testing.T) {
	e := newEnv(t)
	ada := e.activeUser(t, e.acme, directory.UserSpec{Name: "Ada"}, "SHA256:ada-1", "SHA256:ada-2")
	e.activeUser(t, e.acme, directory.UserSpec{Name: "Bob"}, "SHA256:bob")
	before := e.auditCount(t)
	if err := e.svc.RemoveDevice(e.root, "acme", ada.ID, "SHA256:ada-1"); err != nil {
		t.Fatal(err)
	}
	if n := e.auditCount(t) - before; n != 1 {
		t.Errorf("RemoveDevice wrote %d audit entries, want 1", n)
	}
	if err := e.connect(t, "SHA256:ada-1"); !errors.Is(err, errNotEnrolled) {
		t.Errorf("the removed key: %v, want not enrolled", err)
	}
	if err := e.connect(t, "SHA256:ada-2"); err != nil {
		t.Errorf("the other key: %v", err)
	}
	d, err := e.svc.User(e.root, "acme", ada.ID)
	if err != nil || d.Status != store.UserActive || len(d.Devices) != 1 || d.Devices[0].Fingerprint != "SHA256:ada-2" {
		t.Errorf("ada after removing a device: %+v, %v", d, err)
	}
	// A device of another user, or a removed one, is not this user's.
	before = e.auditCount(t)
	for _, fp := range []string{"SHA256:bob", "SHA256:ada-1"} {
		if err := e.svc.RemoveDevice(e.root, "acme", ada.ID, fp); !errors.Is(err, directory.ErrDeviceNotFound) {
			t.Errorf("RemoveDevice(ada, %s) = %v, want ErrDeviceNotFound", fp, err)
		}
	}
	e.unchanged(t, before)
	if err := e.connect(t, "SHA256:bob"); err != nil {
		t.Errorf("bob: %v", err)
	}
}

// TestUsersListIsTheSameForEveryReader: the instance admin, an auditor and
// an API key with users:read see the same list.
func TestUsersListIsTheSameForEveryReader(t *testing.T) {
	e := newEnv(t)
	e.user(t, e.acme, "Ada")
	e.user(t, e.acme, "Bob")
	for name, ctx := range map[string]context.Context{
		"instance": e.root,
		"auditor":  e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor"),
		"key":      e.apiKey(t, e.acme, admin.PermUsersRead),
	} {
		us, err := e.svc.Users(ctx, "acme", directory.UserFilter{})
		if err != nil || len(us) != 2 {
			t.Errorf("%s: Users = %d, %v; want 2", name, len(us), err)
		}
	}
}
