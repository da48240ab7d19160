package admin_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// TestTenantDomainClaims: an e-mail domain belongs to one tenant; a second
// claim is refused and creates or changes nothing.
func TestTenantDomainClaims(t *testing.T) {
	e := newEnv(t)
	// A tenant without domains whose user has an address at mail.example:
	// the domain is in use by it even though nobody claimed it.
	free := e.bare(t, "freelancers")
	if _, err := e.svc.CreateUser(e.root, "freelancers", directory.UserSpec{Name: "Fay", Email: "fay@mail.example"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		domains []string
		want    error
	}{
		{"another tenant's domain", []string{"acme.example"}, directory.ErrDomainTaken},
		{"another tenant's domain, other case", []string{"ACME.Example"}, directory.ErrDomainTaken},
		{"one of two taken", []string{"initech.example", "acme.example"}, directory.ErrDomainTaken},
		{"used by another tenant's user", []string{"mail.example"}, directory.ErrDomainTaken},
		{"not a domain", []string{"not a domain"}, directory.ErrInvalid},
		{"no TLD", []string{"localhost"}, directory.ErrInvalid},
	}
	for _, c := range cases {
		t.Run("create/"+c.name, func(t *testing.T) {
			before := e.auditCount(t)
			_, err := e.svc.CreateTenant(e.root, directory.TenantSpec{Name: "initech", Seats: 5, Domains: c.domains})
			if !errors.Is(err, c.want) {
				t.Fatalf("CreateTenant(%q) = %v, want %v", c.domains, err, c.want)
			}
			e.unchanged(t, before)
			if _, err := e.svc.Tenant(e.root, "initech"); !errors.Is(err, directory.ErrTenantNotFound) {
				t.Errorf("a refused create left a tenant: %v", err)
			}
		})
		t.Run("add/"+c.name, func(t *testing.T) {
			before := e.auditCount(t)
			if _, err := e.svc.AddDomains(e.root, "globex", c.domains); !errors.Is(err, c.want) {
				t.Fatalf("AddDomains(%q) = %v, want %v", c.domains, err, c.want)
			}
			e.unchanged(t, before)
			if got, _ := e.svc.Tenant(e.root, "globex"); !slices.Equal(got.Domains, []string{"globex.example"}) {
				t.Errorf("globex's domains after a refused claim: %q", got.Domains)
			}
		})
	}
	if got, _ := e.svc.Tenant(e.root, "freelancers"); got.ID != free.ID || len(got.Domains) != 0 {
		t.Errorf("freelancers changed: %+v", got)
	}

	// Allowed: new domains, the tenant's own again (no duplicate), normalised.
	tn, err := e.svc.CreateTenant(e.root, directory.TenantSpec{Name: "Initech", Domains: []string{"Initech.example", "initech.example", "initech.test"}})
	if err != nil {
		t.Fatal(err)
	}
	if tn.Name != "initech" || !slices.Equal(tn.Domains, []string{"initech.example", "initech.test"}) {
		t.Errorf("CreateTenant = %+v", tn)
	}
	tn, err = e.svc.AddDomains(e.root, "initech", []string{"INITECH.example", "initech.org"})
	if err != nil || !slices.Equal(tn.Domains, []string{"initech.example", "initech.test", "initech.org"}) {
		t.Errorf("AddDomains = %q, %v", tn.Domains, err)
	}
	// Users' addresses follow the domains: in one of the tenant's, never another's.
	if _, err := e.svc.CreateUser(e.root, "initech", directory.UserSpec{Name: "Ian", Email: "ian@initech.org"}); err != nil {
		t.Errorf("address in an added domain: %v", err)
	}
	if _, err := e.svc.CreateUser(e.root, "freelancers", directory.UserSpec{Name: "Fred", Email: "fred@initech.org"}); !errors.Is(err, directory.ErrDomainTaken) {
		t.Errorf("address in another tenant's domain, for a tenant without domains: %v, want ErrDomainTaken", err)
	}
}

// TestTenantNames: names are unique, normalised and checked.
func TestTenantNames(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name string
		want error
	}{
		{"acme", directory.ErrTenantExists},
		{"ACME", directory.ErrTenantExists},
		{"", directory.ErrInvalid},
		{"-acme", directory.ErrInvalid},
		{"ac me", directory.ErrInvalid},
		{"acme\x1b[31m", directory.ErrInvalid},
	} {
		before := e.auditCount(t)
		if _, err := e.svc.CreateTenant(e.root, directory.TenantSpec{Name: c.name, Seats: 1}); !errors.Is(err, c.want) {
			t.Errorf("CreateTenant(%q) = %v, want %v", c.name, err, c.want)
		}
		e.unchanged(t, before)
	}
	ts, err := e.svc.Tenants(e.root)
	if err != nil || len(ts) != 2 {
		t.Errorf("Tenants = %d, %v; want acme and globex", len(ts), err)
	}
}

// TestSuspendTenant: a suspended tenant's users can neither connect nor
// activate, and no user can be added; nothing is deleted, and resuming
// restores everything.
func TestSuspendTenant(t *testing.T) {
	e := newEnv(t)
	e.activeUser(t, e.acme, directory.UserSpec{Name: "Ada"}, "SHA256:ada")
	bob := e.user(t, e.acme, "Bob")
	e.activeUser(t, e.globex, directory.UserSpec{Name: "Gil"}, "SHA256:gil")

	tn, err := e.svc.SuspendTenant(e.root, "acme", true)
	if err != nil || !tn.Suspended || !tn.SuspendedAt.Equal(e.clock.Now()) {
		t.Fatalf("SuspendTenant = %+v, %v", tn, err)
	}
	if err := e.connect(t, "SHA256:ada"); !errors.Is(err, directory.ErrTenantSuspended) {
		t.Errorf("connect: %v, want ErrTenantSuspended", err)
	}
	if _, err := e.dir.CheckActivation(t.Context(), bob.Code.Code, "SHA256:bob"); !errors.Is(err, directory.ErrTenantSuspended) {
		t.Errorf("activation: %v, want ErrTenantSuspended", err)
	}
	if _, err := e.svc.CreateUser(e.root, "acme", directory.UserSpec{Name: "Cy"}); !errors.Is(err, directory.ErrTenantSuspended) {
		t.Errorf("CreateUser: %v, want ErrTenantSuspended", err)
	}
	if err := e.connect(t, "SHA256:gil"); err != nil {
		t.Errorf("another tenant's user: %v", err)
	}
	us, err := e.svc.Users(e.root, "acme", directory.UserFilter{})
	if err != nil || len(us) != 2 {
		t.Errorf("users of the suspended tenant: %d, %v; want 2", len(us), err)
	}
	// Suspending twice changes nothing but is not an error.
	if tn2, err := e.svc.SuspendTenant(e.root, "acme", true); err != nil || !tn2.SuspendedAt.Equal(tn.SuspendedAt) {
		t.Errorf("suspending again: %+v, %v", tn2, err)
	}

	tn, err = e.svc.SuspendTenant(e.root, "acme", false)
	if err != nil || tn.Suspended || !tn.SuspendedAt.IsZero() {
		t.Fatalf("resume = %+v, %v", tn, err)
	}
	if err := e.connect(t, "SHA256:ada"); err != nil {
		t.Errorf("connect after resume: %v", err)
	}
	if u := e.activate(t, bob.Code.Code, "SHA256:bob"); u.Status != store.UserActive {
		t.Errorf("bob after resume: %q", u.Status)
	}
}

// TestBrand: display name and accent colour, checked.
func TestBrand(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	str := func(s string) *string { return &s }
	tn, err := e.svc.Brand(owner, "", str("ACME Corporation"), str("#5fafd7"))
	if err != nil || tn.DisplayName != "ACME Corporation" || tn.Accent != "#5FAFD7" {
		t.Fatalf("Brand = %+v, %v", tn, err)
	}
	// One field at a time; the other stays.
	if tn, err = e.svc.Brand(owner, "acme", nil, str("#D70000")); err != nil || tn.DisplayName != "ACME Corporation" || tn.Accent != "#D70000" {
		t.Errorf("Brand(accent) = %+v, %v", tn, err)
	}
	for _, c := range []struct {
		name, accent *string
	}{
		{str("ACME\x1b]0;pwned\x07"), nil},
		{nil, str("red")},
		{nil, str("#12345")},
		{nil, str("#GGGGGG")},
	} {
		before := e.auditCount(t)
		if _, err := e.svc.Brand(owner, "acme", c.name, c.accent); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("Brand(%v, %v) = %v, want ErrInvalid", c.name, c.accent, err)
		}
		e.unchanged(t, before)
	}
	// Clearing both.
	if tn, err = e.svc.Brand(owner, "acme", str(""), str("")); err != nil || tn.DisplayName != "" || tn.Accent != "" {
		t.Errorf("Brand(clear) = %+v, %v", tn, err)
	}
	// An owner brands its own tenant only.
	if _, err := e.svc.Brand(owner, "globex", str("Mine now"), nil); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("Brand(globex) by acme's owner = %v, want ErrForbidden", err)
	}
}

// TestTenantOwnerSeesOnlyItsTenant: a tenant's owner lists and shows its
// own tenant, and gets permission denied for every call about another.
func TestTenantOwnerSeesOnlyItsTenant(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	ts, err := e.svc.Tenants(owner)
	if err != nil || len(ts) != 1 || ts[0].Name != "acme" {
		t.Errorf("Tenants = %+v, %v; want acme alone", ts, err)
	}
	if tn, err := e.svc.Tenant(owner, ""); err != nil || tn.Name != "acme" {
		t.Errorf("Tenant(\"\") = %+v, %v; want acme", tn, err)
	}
	for _, name := range []string{"globex", "no-such-tenant"} {
		if _, err := e.svc.Tenant(owner, name); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("Tenant(%s) = %v, want ErrForbidden", name, err)
		}
		if _, err := e.svc.License(owner, name); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("License(%s) = %v, want ErrForbidden", name, err)
		}
	}
	before := e.auditCount(t)
	if _, err := e.svc.SuspendTenant(owner, "acme", true); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("an owner suspended its tenant: %v", err)
	}
	if _, err := e.svc.AddDomains(owner, "acme", []string{"acme.org"}); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("an owner added a domain: %v", err)
	}
	if _, err := e.svc.ChangeLicense(owner, "acme", "standard", admin.LicenseChange{AddSeats: 100}); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("an owner added seats: %v", err)
	}
	if _, err := e.svc.StartTrial(owner, "acme"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("an owner started a trial: %v", err)
	}
	e.unchanged(t, before)
}
