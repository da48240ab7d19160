package directory_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// person creates and activates a user with a full profile.
func (e *env) person(t testing.TB, spec directory.UserSpec, fingerprint string) store.User {
	t.Helper()
	_, c, err := e.dir.CreateUser(t.Context(), spec, nil)
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", spec.Name, err)
	}
	return e.activate(t, c.Code, fingerprint)
}

// findEnv is a small organisation, acme, and its neighbour globex.
type findEnv struct {
	*policyEnv
	acme, globex               store.Tenant
	anna, bernd, carla, viewer store.User
	pending, revoked           store.User
	gina                       store.User // globex
}

func newFindEnv(t *testing.T) *findEnv {
	t.Helper()
	e := &findEnv{policyEnv: newPolicyEnv(t, true)}
	e.acme = e.tenant(t, "acme")
	e.globex = e.tenant(t, "globex")
	e.anna = e.person(t, directory.UserSpec{TenantID: e.acme.ID, FirstName: "Anna", LastName: "Müller",
		Tags: []string{"sales", "berlin"}}, "SHA256:anna")
	e.bernd = e.person(t, directory.UserSpec{TenantID: e.acme.ID, FirstName: "Bernd", LastName: "Muster",
		Tags: []string{"support"}}, "SHA256:bernd")
	e.carla = e.person(t, directory.UserSpec{TenantID: e.acme.ID, Name: "Carla Schmidt", Nickname: "Mülli",
		Category: "Field", Tags: []string{"sales-eu"}}, "SHA256:carla")
	e.viewer = e.person(t, directory.UserSpec{TenantID: e.acme.ID, Name: "Vera Viewer", Email: "vera.v@acme.example"}, "SHA256:vera")
	var err error
	e.pending, _, err = e.dir.CreateUser(t.Context(), directory.UserSpec{TenantID: e.acme.ID, Name: "Max Müllerhaus",
		Tags: []string{"sales"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.revoked = e.person(t, directory.UserSpec{TenantID: e.acme.ID, Name: "Rolf Müllheim", Tags: []string{"sales"}}, "SHA256:rolf")
	if _, err := e.dir.RemoveUser(t.Context(), e.acme.ID, e.revoked.ID, false, false, nil); err != nil {
		t.Fatal(err)
	}
	e.gina = e.person(t, directory.UserSpec{TenantID: e.globex.ID, Name: "Gina Müller", Tags: []string{"sales"}}, "SHA256:gina")
	return e
}

func (e *findEnv) find(t *testing.T, viewer store.User, query string, limit int) []directory.Entry {
	t.Helper()
	got, err := e.dir.Find(t.Context(), viewer.ID, query, limit)
	if err != nil {
		t.Fatalf("Find(%q): %v", query, err)
	}
	return got
}

func names(es []directory.Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Name)
	}
	return out
}

func (e *findEnv) group(t *testing.T, tn store.Tenant, group string) {
	t.Helper()
	if _, err := e.dir.EditTenant(t.Context(), tn.ID, directory.TenantChange{DirectoryGroup: &group}, nil); err != nil {
		t.Fatalf("EditTenant(%s, group %q): %v", tn.Name, group, err)
	}
}

func TestFindWildcardsAndTags(t *testing.T) {
	e := newFindEnv(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"*mül*", []string{"Anna Müller", "Carla Schmidt"}}, // Carla by her nickname Mülli
		{"*MÜL*", []string{"Anna Müller", "Carla Schmidt"}},
		{"*mul*", []string{"Anna Müller", "Carla Schmidt"}}, // accents folded
		{"mül*", []string{"Anna Müller", "Carla Schmidt"}},  // last name, nickname
		{"müller", []string{"Anna Müller"}},                 // no wildcard: a substring
		{"ller", []string{"Anna Müller"}},
		{"anna müller", []string{"Anna Müller"}}, // every word must match
		{"anna bernd", []string{}},
		{"b?rnd", []string{"Bernd Muster"}},                // the first name, whole
		{"b?rn", []string{}},                               // with a wildcard it must match whole
		{"mu*er", []string{"Anna Müller", "Bernd Muster"}}, // Müller folds to muller
		{"#sales", []string{"Anna Müller"}},                // tags match whole; pending and revoked users hidden
		{"#SALES", []string{"Anna Müller"}},
		{"#sal", []string{}},
		{"#sales*", []string{"Anna Müller", "Carla Schmidt"}},
		{"#sales #berlin", []string{"Anna Müller"}},
		{"#sales bernd", []string{}},
		{"#sales-eu mülli", []string{"Carla Schmidt"}},
		{"*", []string{"Anna Müller", "Bernd Muster", "Carla Schmidt", "Vera Viewer"}},
		{"gina", []string{}},       // another tenant
		{"müllerhaus", []string{}}, // pending
		{"müllheim", []string{}},   // revoked
		{"(", []string{}},          // regexp syntax is literal
		{"m.ller", []string{}},
		// A user with a display name only is found by its words, wildcards too.
		{"schm*", []string{"Carla Schmidt"}},
		{"carla", []string{"Carla Schmidt"}},
		{"view?r", []string{"Vera Viewer"}},
		// And by e-mail address.
		{"vera.v@acme.example", []string{"Vera Viewer"}},
		{"*@acme.example", []string{"Vera Viewer"}},
	}
	for _, tt := range tests {
		got := names(e.find(t, e.viewer, tt.query, 0))
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Find(%q) (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestFindEntries(t *testing.T) {
	e := newFindEnv(t)
	got := e.find(t, e.viewer, "carla", 0)
	want := []directory.Entry{{ID: e.carla.ID, Name: "Carla Schmidt", Nickname: "Mülli", Category: "Field",
		Tags: []string{"sales-eu"}, Internal: true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Find(carla) (-want +got):\n%s", diff)
	}
}

func TestFindDirectoryGroup(t *testing.T) {
	e := newFindEnv(t)
	if got := names(e.find(t, e.viewer, "*müller*", 0)); !cmp.Equal(got, []string{"Anna Müller"}) {
		t.Fatalf("before the group: Find = %q, want only acme's Anna", got)
	}
	e.group(t, e.acme, "Holding")
	if got := names(e.find(t, e.viewer, "*müller*", 0)); !cmp.Equal(got, []string{"Anna Müller"}) {
		t.Fatalf("globex not in the group yet: Find = %q, want only Anna", got)
	}
	e.group(t, e.globex, "holding")
	got := e.find(t, e.viewer, "*müller*", 0)
	want := []directory.Entry{
		{ID: e.anna.ID, Name: "Anna Müller", Tags: []string{"berlin", "sales"}, Internal: true},
		{ID: e.gina.ID, Name: "Gina Müller", Tags: []string{"sales"}, Organisation: "globex"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("in one group (-want +got):\n%s", diff)
	}
	// It works both ways, and Gina sees acme as another organisation.
	if got := e.find(t, e.gina, "anna", 0); len(got) != 1 || got[0].Internal || got[0].Organisation != "acme" {
		t.Errorf("Find by Gina = %+v, want Anna of organisation acme", got)
	}

	// A third tenant in another group stays hidden.
	other := e.tenant(t, "initech")
	e.person(t, directory.UserSpec{TenantID: other.ID, Name: "Ida Müller"}, "SHA256:ida")
	e.group(t, other, "elsewhere")
	if got := names(e.find(t, e.viewer, "*müller*", 0)); !cmp.Equal(got, []string{"Anna Müller", "Gina Müller"}) {
		t.Errorf("with initech elsewhere: Find = %q", got)
	}
	// In the group but suspended: hidden.
	e.group(t, other, "holding")
	if got := names(e.find(t, e.viewer, "ida", 0)); !cmp.Equal(got, []string{"Ida Müller"}) {
		t.Errorf("initech in the group: Find(ida) = %q, want Ida", got)
	}
	suspend := true
	if _, err := e.dir.EditTenant(t.Context(), other.ID, directory.TenantChange{Suspended: &suspend}, nil); err != nil {
		t.Fatal(err)
	}
	if got := names(e.find(t, e.viewer, "ida", 0)); len(got) != 0 {
		t.Errorf("initech suspended: Find(ida) = %q, want nobody", got)
	}
	// A tenant that switched its directory off for everyone is not listed to the others.
	e.set(t, e.globex.ID, global, policy.DisableWorkDirectory, "true")
	if got := names(e.find(t, e.viewer, "gina", 0)); len(got) != 0 {
		t.Errorf("globex directory off: Find(gina) = %q, want nobody", got)
	}
	// Leaving the group hides the others again.
	e.set(t, e.globex.ID, global, policy.DisableWorkDirectory, "false")
	e.group(t, e.acme, "")
	if got := names(e.find(t, e.viewer, "gina", 0)); len(got) != 0 {
		t.Errorf("acme left the group: Find(gina) = %q, want nobody", got)
	}
}

func TestFindPolicyRefusal(t *testing.T) {
	e := newFindEnv(t)
	e.set(t, e.acme.ID, e.viewer.ID, policy.DisableWorkDirectory, "true")
	_, err := e.dir.Find(t.Context(), e.viewer.ID, "anna", 0)
	if !errors.Is(err, policy.ErrForbiddenByPolicy) {
		t.Fatalf("Find with th_disable_work_directory = %v, want ErrForbiddenByPolicy", err)
	}
	if !strings.Contains(err.Error(), policy.DisableWorkDirectory) {
		t.Errorf("error %q does not name the key %s", err, policy.DisableWorkDirectory)
	}
	// Others of the tenant still search, and still find the refused viewer.
	if got := names(e.find(t, e.anna, "vera", 0)); !cmp.Equal(got, []string{"Vera Viewer"}) {
		t.Errorf("Find(vera) by Anna = %q, want Vera", got)
	}
	// The tenant-wide switch refuses everyone.
	e.set(t, e.acme.ID, global, policy.DisableWorkDirectory, "true")
	if _, err := e.dir.Find(t.Context(), e.anna.ID, "vera", 0); !errors.Is(err, policy.ErrForbiddenByPolicy) {
		t.Errorf("Find with the tenant's directory off = %v, want ErrForbiddenByPolicy", err)
	}
}

func TestFindLimit(t *testing.T) {
	e := newFindEnv(t)
	got := names(e.find(t, e.viewer, "*", 2))
	if want := []string{"Anna Müller", "Bernd Muster"}; !cmp.Equal(got, want) {
		t.Errorf("Find(*, 2) = %q, want %q", got, want)
	}
	for i := range directory.DefaultFindLimit + 5 {
		e.person(t, directory.UserSpec{TenantID: e.acme.ID, Name: "Zed " + string(rune('A'+i%26)) + string(rune('a'+i/26))},
			"SHA256:zed"+string(rune('A'+i%26))+string(rune('a'+i/26)))
	}
	if got := e.find(t, e.viewer, "zed", 0); len(got) != directory.DefaultFindLimit {
		t.Errorf("Find(zed) returned %d entries, want the default limit %d", len(got), directory.DefaultFindLimit)
	}
	if got := e.find(t, e.viewer, "zed", 1_000_000); len(got) != directory.DefaultFindLimit+5 {
		t.Errorf("Find(zed, huge) returned %d entries, want all %d", len(got), directory.DefaultFindLimit+5)
	}
}

func TestFindRefusesBadInput(t *testing.T) {
	e := newFindEnv(t)
	for _, q := range []string{"", "   ", "#", "a #", strings.Repeat("a", directory.MaxQueryLen+1),
		"a b c d e f g h i", "ann\x00a", "ann\u202ea", "\xff"} {
		_, err := e.dir.Find(t.Context(), e.viewer.ID, q, 0)
		if !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("Find(%q) = %v, want ErrInvalid", q, err)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("Find(%q) error %q spans lines", q, err)
		}
	}
	// A viewer who is not active, or unknown, finds nothing.
	if _, err := e.dir.Find(t.Context(), e.pending.ID, "anna", 0); !errors.Is(err, directory.ErrNotActive) {
		t.Errorf("Find by a pending user = %v, want ErrNotActive", err)
	}
	if _, err := e.dir.Find(t.Context(), e.revoked.ID, "anna", 0); !errors.Is(err, directory.ErrNotActive) {
		t.Errorf("Find by a revoked user = %v, want ErrNotActive", err)
	}
	if _, err := e.dir.Find(t.Context(), crypto.ID([]byte("NOBODY00")), "anna", 0); !errors.Is(err, directory.ErrUserNotFound) {
		t.Errorf("Find by an unknown ID = %v, want ErrUserNotFound", err)
	}
}

func TestEditTenantDirectoryGroup(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{" Holding-EU ", "holding-eu", true},
		{"", "", true},
		{"two words", "", false},
		{"-dash", "", false},
		{strings.Repeat("a", 64), "", false},
	} {
		in := tt.in
		got, err := e.dir.EditTenant(t.Context(), tn.ID, directory.TenantChange{DirectoryGroup: &in}, nil)
		if !tt.ok {
			if !errors.Is(err, directory.ErrInvalid) {
				t.Errorf("group %q: err = %v, want ErrInvalid", tt.in, err)
			}
			if now := e.tenants(t)[0].DirectoryGroup; now != "" {
				t.Errorf("group %q refused but the tenant's group is now %q", tt.in, now)
			}
			continue
		}
		if err != nil {
			t.Fatalf("group %q: %v", tt.in, err)
		}
		if got.DirectoryGroup != tt.want {
			t.Errorf("group %q: got %q, want %q", tt.in, got.DirectoryGroup, tt.want)
		}
		if now := e.tenants(t)[0].DirectoryGroup; now != tt.want {
			t.Errorf("group %q: stored %q, want %q", tt.in, now, tt.want)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"*mül*", "#sales", "#sal* müller", "b?rnd", "*", "(", "a\x00", "ß", "#", "\xff", "*?*?*"} {
		f.Add(s, "Anna Müller")
	}
	f.Fuzz(func(t *testing.T, query, name string) {
		q, err := directory.ParseQuery(query)
		u := store.User{Name: name, FirstName: query, Tags: []string{name}}
		if err != nil {
			if !errors.Is(err, directory.ErrInvalid) {
				t.Fatalf("ParseQuery(%q) = %v, want ErrInvalid", query, err)
			}
			if q.Matches(u) {
				t.Fatalf("a refused query matches")
			}
			return
		}
		// A one-word name query without wildcards finds a user whose first
		// name it is.
		if !strings.ContainsAny(query, "*?# \t\n\v\f\r\u0085\u00a0") && len(strings.Fields(query)) == 1 && !q.Matches(u) {
			t.Fatalf("ParseQuery(%q) does not match first name %q", query, query)
		}
		star, err := directory.ParseQuery("*")
		if err != nil {
			t.Fatal(err)
		}
		if name != "" && !star.Matches(u) {
			t.Fatalf("* does not match %q", name)
		}
	})
}
