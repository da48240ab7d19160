package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/store"
)

// The JSON shapes of the admin commands, as a script reads them.
type (
	tenantOut struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Seats       int      `json:"seats"`
		Domains     []string `json:"domains"`
		Suspended   bool     `json:"suspended"`
		DisplayName string   `json:"display_name"`
		Accent      string   `json:"accent"`
	}
	licenseOut struct {
		ID         string    `json:"id"`
		Plan       string    `json:"plan"`
		Seats      int       `json:"seats"`
		ValidUntil time.Time `json:"valid_until"`
		LastDay    string    `json:"last_day"`
		Trial      bool      `json:"trial"`
	}
	licenseReportOut struct {
		Tenant      string       `json:"tenant"`
		Seats       int          `json:"seats"`
		ActiveUsers int          `json:"active_users"`
		Devices     int          `json:"devices"`
		ValidUntil  time.Time    `json:"valid_until"`
		Expired     bool         `json:"expired"`
		Warnings    []string     `json:"warnings"`
		Packages    []licenseOut `json:"packages"`
	}
	userOut struct {
		ID             string    `json:"id"`
		Tenant         string    `json:"tenant"`
		Name           string    `json:"name"`
		FirstName      string    `json:"first_name"`
		LastName       string    `json:"last_name"`
		Nickname       string    `json:"nickname"`
		Category       string    `json:"category"`
		Tags           []string  `json:"tags"`
		Email          string    `json:"email"`
		Status         string    `json:"status"`
		Devices        int       `json:"devices"`
		CreatedAt      time.Time `json:"created_at"`
		ActivationCode string    `json:"activation_code"`
		DeviceList     []struct {
			Fingerprint string    `json:"fingerprint"`
			AddedAt     time.Time `json:"added_at"`
			LastSeen    time.Time `json:"last_seen"`
		} `json:"device_list"`
	}
	deviceOut struct {
		Fingerprint string    `json:"fingerprint"`
		LastSeen    time.Time `json:"last_seen"`
	}
)

// adminFx is a server with an instance admin key, and the tools to act as
// its admins and users.
type adminFx struct {
	t    *testing.T
	srv  *server
	root key
	keys string // directory of key files
	x    *tmux
}

func newAdminFx(t *testing.T, serverFlags ...string) *adminFx {
	t.Helper()
	need(t, "ssh", "tmux")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	root := newKey(t, keys, "root")
	return &adminFx{t: t, srv: startServer(t, filepath.Join(dir, "data"), append([]string{"--bootstrap-admin-key", root.path + ".pub"}, serverFlags...)...),
		root: root, keys: keys, x: newTmux(t)}
}

func (f *adminFx) key(name string) key { return newKey(f.t, f.keys, name) }

// run runs an admin command as the instance admin and returns stdout.
func (f *adminFx) run(args ...string) string {
	f.t.Helper()
	return f.srv.mustSSH(f.root, "", args...)
}

// json runs an admin command as the instance admin with --json and decodes
// it into v, which it zeroes first: fields a command leaves out stay empty.
func (f *adminFx) json(v any, args ...string) {
	f.t.Helper()
	reflect.ValueOf(v).Elem().SetZero()
	mustJSON(f.t, f.run(append(args, "--json")...), v)
}

// fails runs an admin command as the instance admin and expects it refused.
func (f *adminFx) fails(want string, args ...string) {
	f.t.Helper()
	expectFail(f.t, f.srv.ssh(f.root, "", args...), want)
}

// createUser creates a user and returns it with its activation code.
func (f *adminFx) createUser(tenant string, args ...string) userOut {
	f.t.Helper()
	var u userOut
	f.json(&u, append([]string{"user", "create", "--tenant", tenant}, args...)...)
	if len(u.ID) != 8 || u.ActivationCode == "" || u.Status != "pending" {
		f.t.Fatalf("user create: %+v", u)
	}
	return u
}

// enrol activates a code with a key from a script (the passphrase on stdin).
func (f *adminFx) enrol(k key, code string) {
	f.t.Helper()
	out := f.srv.mustSSH(k, "the passphrase\n", "activate", code)
	if !strings.Contains(out, "Parley ID") {
		f.t.Fatalf("activate: %q", out)
	}
}

// activeUser creates a user and enrols one key per name; the first
// activates the ID, the others are added with `user code`.
func (f *adminFx) activeUser(tenant string, keys []key, args ...string) userOut {
	f.t.Helper()
	u := f.createUser(tenant, args...)
	for i, k := range keys {
		code := u.ActivationCode
		if i > 0 {
			var c userOut
			f.json(&c, "user", "code", u.ID, "--tenant", tenant)
			code = c.ActivationCode
		}
		f.enrol(k, code)
	}
	return u
}

// refused opens an interactive session (ssh -tt) with key k and expects it
// refused with want.
func (f *adminFx) refused(k key, want string) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(f.t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", append([]string{"-tt"}, f.srv.sshArgs(k, "-o", "BatchMode=yes")...)...)
	cmd.Stdin = strings.NewReader("")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		f.t.Fatalf("session of %s was not refused (%v): %q", k.path, err, out.String())
	}
	if !strings.Contains(out.String(), want) {
		f.t.Fatalf("session of %s refused with %q, want %q", k.path, out.String(), want)
	}
}

// opens checks that an interactive session with key k reaches the chat's
// passphrase prompt, then closes it.
func (f *adminFx) opens(name string, k key) {
	f.t.Helper()
	f.x.start(name, 100, 30, append([]string{"ssh", "-t"}, f.srv.sshArgs(k)...)...)
	f.x.waitFor(name, "Passphrase")
	f.x.run("kill-session", "-t", name)
}

// chat opens an interactive session with key k and unlocks it.
func (f *adminFx) chat(name string, k key) {
	f.t.Helper()
	f.x.start(name, 100, 30, append([]string{"ssh", "-t"}, f.srv.sshArgs(k)...)...)
	f.x.waitFor(name, "Passphrase")
	f.x.line(name, "the passphrase")
	f.x.waitFor(name, "Welcome to Parley")
}

func (f *adminFx) license(tenant string) licenseReportOut {
	f.t.Helper()
	var r licenseReportOut
	f.json(&r, "license", "show", "--tenant", tenant)
	return r
}

func (f *adminFx) users(tenant string, filter ...string) []string {
	f.t.Helper()
	var us []userOut
	f.json(&us, append([]string{"user", "list", "--tenant", tenant}, filter...)...)
	var names []string
	for _, u := range us {
		names = append(names, u.Name)
	}
	return names
}

// TestAdminTenants: create with domains, a domain claimed twice, list,
// show, suspend and resume, brand.
func TestAdminTenants(t *testing.T) {
	f := newAdminFx(t)
	var acme tenantOut
	f.json(&acme, "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example", "--domain", "ACME.org")
	if acme.Name != "acme" || acme.Seats != 10 || !slices.Equal(acme.Domains, []string{"acme.example", "acme.org"}) || acme.Suspended {
		t.Fatalf("tenant create: %+v", acme)
	}
	// A second tenant claiming one of acme's domains is refused, and not created.
	f.fails("acme.org: that e-mail domain belongs to another tenant",
		"tenant", "create", "globex", "--seats", "5", "--domain", "globex.example", "--domain", "acme.org")
	var ts []tenantOut
	f.json(&ts, "tenant", "list")
	if len(ts) != 1 {
		t.Fatalf("a refused tenant create left a tenant: %+v", ts)
	}
	out := f.run("tenant", "create", "globex", "--domain", "globex.example")
	if !strings.Contains(out, "Created tenant globex, owning globex.example (no license yet") {
		t.Errorf("tenant create without seats: %q", out)
	}
	f.fails("belongs to another tenant", "tenant", "add-domain", "globex", "acme.example")
	f.fails("no such tenant", "tenant", "show", "initech")
	f.fails("use 1-63 characters a-z, 0-9 and '-'", "tenant", "create", "Bad_Name")
	f.json(&ts, "tenant", "list")
	if len(ts) != 2 || ts[0].Name != "acme" || ts[1].Name != "globex" || ts[1].Seats != 0 {
		t.Fatalf("tenant list: %+v", ts)
	}
	if out := f.run("tenant", "list"); !strings.Contains(out, "NAME") || !strings.Contains(out, "acme.example, acme.org") {
		t.Errorf("tenant list: %q", out)
	}
	var shown tenantOut
	f.json(&shown, "tenant", "show", "acme")
	if shown.ID != acme.ID || shown.Seats != 10 {
		t.Errorf("tenant show: %+v", shown)
	}
	if out := f.run("tenant", "show", "acme"); !strings.Contains(out, "seats:    10\n") || !strings.Contains(out, "branding: -") {
		t.Errorf("tenant show: %q", out)
	}

	// Suspend: a user cannot open a session or activate; resume restores both.
	adaKey, bobKey := f.key("ada"), f.key("bob")
	f.activeUser("acme", []key{adaKey}, "--name", "Ada", "--email", "ada@acme.example")
	bob := f.createUser("acme", "--name", "Bob")
	f.json(&shown, "tenant", "suspend", "acme")
	if !shown.Suspended {
		t.Fatalf("tenant suspend: %+v", shown)
	}
	f.refused(adaKey, "This tenant is suspended: contact your admin")
	expectFail(t, f.srv.ssh(bobKey, "the passphrase\n", "activate", bob.ActivationCode), "this tenant is suspended")
	if out := f.run("tenant", "show", "acme"); !strings.Contains(out, "status:   suspended") {
		t.Errorf("tenant show of a suspended tenant: %q", out)
	}
	if r := f.license("acme"); !slices.Contains(r.Warnings, "tenant suspended: users cannot activate or open sessions") {
		t.Errorf("license warnings of a suspended tenant: %q", r.Warnings)
	}
	if got := f.users("acme"); len(got) != 2 {
		t.Errorf("suspending deleted users: %q", got)
	}
	if out := f.run("tenant", "resume", "acme"); !strings.Contains(out, "Tenant acme is active.") {
		t.Errorf("tenant resume: %q", out)
	}
	f.opens("ada", adaKey)
	f.enrol(bobKey, bob.ActivationCode)

	// Brand.
	f.json(&shown, "tenant", "brand", "--tenant", "acme", "--display-name", "ACME", "--accent", "#5fafd7")
	if shown.DisplayName != "ACME" || shown.Accent != "#5FAFD7" {
		t.Errorf("tenant brand: %+v", shown)
	}
	f.fails("accent", "tenant", "brand", "--tenant", "acme", "--accent", "red")
	f.fails("nothing to change", "tenant", "brand", "--tenant", "acme")
	f.json(&shown, "tenant", "show", "acme")
	if shown.DisplayName != "ACME" || shown.Accent != "#5FAFD7" {
		t.Errorf("tenant show after brand: %+v", shown)
	}
	// A value with spaces needs inner quotes: OpenSSH sends one string.
	if out := f.run("tenant", "brand", "--tenant", "acme", "--display-name", `"ACME Corporation"`); !strings.Contains(out, `branding "ACME Corporation", accent #5FAFD7`) {
		t.Errorf("tenant brand: %q", out)
	}
}

// TestAdminLicenses: trial, convert, extend, seats; the two over-use
// warnings; seats below use refused; and an expired package, which blocks
// activations and sessions and deletes nothing.
func TestAdminLicenses(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "initech")
	r := f.license("initech")
	if !r.Expired || !slices.Equal(r.Warnings, []string{"no license package: users cannot activate or open sessions"}) {
		t.Errorf("license show without a package: %+v", r)
	}
	var l licenseOut
	f.json(&l, "license", "trial", "--tenant", "initech")
	now := time.Now()
	if l.ID != "trial" || l.Seats != 30 || !l.Trial || l.ValidUntil.Before(now.AddDate(0, 0, 27)) || l.ValidUntil.After(now.AddDate(0, 0, 32)) {
		t.Errorf("license trial: %+v; want 30 seats for one month", l)
	}
	f.fails("already had a trial", "license", "trial", "--tenant", "initech")
	f.json(&l, "license", "convert", "--tenant", "initech", "--plan", "business")
	if l.ID != "trial" || l.Trial || l.Plan != "business" || l.ValidUntil.Before(now.AddDate(0, 11, 27)) || l.ValidUntil.After(now.AddDate(1, 0, 2)) {
		t.Errorf("license convert: %+v; want a full package for a year", l)
	}
	f.json(&l, "license", "extend", "--tenant", "initech", "--package", "trial", "--until", "2099-12-31")
	if l.LastDay != "2099-12-31" || !l.ValidUntil.Equal(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("license extend: %+v; want the last day 2099-12-31", l)
	}
	f.fails("last day 2020-01-01 has passed", "license", "extend", "--tenant", "initech", "--package", "trial", "--until", "2020-01-01")
	f.fails("last day 2020-01-01 has passed", "license", "add", "--tenant", "initech", "--seats", "5", "--valid-until", "2020-01-01")
	f.fails("give one of", "license", "extend", "--tenant", "initech", "--package", "trial", "--until", "2099-12-31", "--no-end")
	f.json(&l, "license", "seats", "--tenant", "initech", "--package", "trial", "--add", "5")
	if l.Seats != 35 {
		t.Errorf("license seats --add 5: %+v", l)
	}
	f.json(&l, "license", "add", "--tenant", "initech", "--plan", "extra", "--seats", "10", "--valid-until", "2099-06-30")
	if l.Seats != 10 || l.LastDay != "2099-06-30" || l.Plan != "extra" {
		t.Errorf("license add: %+v", l)
	}
	r = f.license("initech")
	if r.Seats != 45 || len(r.Packages) != 2 || r.Expired || len(r.Warnings) != 0 || !r.ValidUntil.Equal(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("license show: %+v", r)
	}

	// Over-use: one seat, two active users, three devices. Flagged, not refused.
	f.run("tenant", "create", "tiny", "--seats", "1")
	ada1, ada2, bobKey, cyKey := f.key("ada1"), f.key("ada2"), f.key("bob"), f.key("cy")
	f.activeUser("tiny", []key{ada1, ada2}, "--name", "Ada")
	f.activeUser("tiny", []key{bobKey}, "--name", "Bob")
	cy := f.createUser("tiny", "--name", "Cy")
	r = f.license("tiny")
	want := []string{"too many devices: 3 devices for 1 seat", "licenses missing for active users: 2 active users for 1 seat"}
	if r.Seats != 1 || r.ActiveUsers != 2 || r.Devices != 3 || !slices.Equal(r.Warnings, want) {
		t.Errorf("license show of an over-used tenant: %+v; want warnings %q", r, want)
	}
	out := f.run("license", "show", "--tenant", "tiny")
	for _, w := range want {
		if !strings.Contains(out, "warning: "+w) {
			t.Errorf("license show lacks %q:\n%s", w, out)
		}
	}
	f.opens("bob", bobKey)
	// Raising the seats is allowed even if still short; reducing them below
	// what is in use is refused.
	f.json(&l, "license", "seats", "--tenant", "tiny", "--package", "standard", "--set", "2")
	if r := f.license("tiny"); r.Seats != 2 || !slices.Equal(r.Warnings, []string{"too many devices: 3 devices for 2 seats"}) {
		t.Errorf("after --set 2: %+v", r)
	}
	f.json(&l, "license", "seats", "--tenant", "tiny", "--package", "standard", "--set", "3")
	if r := f.license("tiny"); r.Seats != 3 || len(r.Warnings) != 0 {
		t.Errorf("after --set 3: %+v", r)
	}
	f.fails("2 seats in all is fewer than what is in use (2 active users, 3 devices)", "license", "seats", "--tenant", "tiny", "--package", "standard", "--set", "2")

	// Expiry. The server has no fake clock and an admin cannot add a package
	// that ended in the past, so the test ages tiny's package in the
	// database while the server is stopped, as time would.
	f.srv.stop()
	db, err := store.Open(f.srv.data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(t.Context(), func(tx store.Tx) error {
		tn, err := tx.TenantByName("tiny")
		if err != nil {
			return err
		}
		ls, err := tx.LicensesOfTenant(tn.ID)
		if err != nil {
			return err
		}
		for _, l := range ls {
			l.ValidUntil = time.Now().Add(-time.Hour)
			if err := tx.PutLicense(l); err != nil {
				return err
			}
		}
		return nil
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
	f.srv.start()
	r = f.license("tiny")
	if !r.Expired || !slices.Equal(r.Warnings, []string{"license expired: users cannot activate or open sessions"}) || r.ActiveUsers != 2 || r.Devices != 3 {
		t.Errorf("license show of an expired tenant: %+v", r)
	}
	if out := f.run("license", "show", "--tenant", "tiny"); !strings.Contains(out, "Tenant tiny: EXPIRED") {
		t.Errorf("license show of an expired tenant: %q", out)
	}
	const expired = "license has expired: contact your admin"
	f.refused(ada1, expired)
	f.refused(bobKey, expired)
	expectFail(t, f.srv.ssh(cyKey, "the passphrase\n", "activate", cy.ActivationCode), expired)
	var us []userOut
	f.json(&us, "user", "list", "--tenant", "tiny")
	if len(us) != 3 || us[0].Devices != 2 || us[1].Devices != 1 || us[2].Status != "pending" {
		t.Errorf("the expired tenant's users changed: %+v", us)
	}
	// Extending the package restores everything.
	f.run("license", "extend", "--tenant", "tiny", "--package", "standard", "--no-end")
	f.opens("ada", ada1)
	f.enrol(cyKey, cy.ActivationCode)
	if r := f.license("tiny"); r.Expired || r.ActiveUsers != 3 || r.Devices != 4 {
		t.Errorf("after extending: %+v", r)
	}

	// Only instance admins manage packages; bad input is refused.
	f.fails("seats must be between", "license", "add", "--tenant", "tiny", "--seats", "0")
	f.fails("not a date", "license", "add", "--tenant", "tiny", "--seats", "1", "--valid-until", "31.12.2099")
	f.fails("not found", "license", "seats", "--tenant", "tiny", "--package", "nope", "--add", "1")
	f.fails("name the tenant", "license", "show")
}

// TestAdminUsers: create with every field, the e-mail rules, list filters,
// show, edit, code, the four ways to delete, revoke, unknown users.
func TestAdminUsers(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	f.run("tenant", "create", "globex", "--seats", "10", "--domain", "globex.example")

	adaKey := f.key("ada")
	ada := f.createUser("acme", "--first", "Ada", "--last", "Lovelace", "--nickname", "countess", "--category", "Research",
		"--tag", "math", "--tag", "engines", "--email", "ada@acme.example")
	if ada.Name != "Ada Lovelace" || ada.FirstName != "Ada" || ada.LastName != "Lovelace" || ada.Nickname != "countess" ||
		ada.Category != "Research" || !slices.Equal(ada.Tags, []string{"engines", "math"}) || ada.Email != "ada@acme.example" ||
		ada.Tenant != "acme" || ada.CreatedAt.IsZero() {
		t.Errorf("user create: %+v", ada)
	}
	f.enrol(adaKey, ada.ActivationCode)
	f.fails("globex.example: that e-mail domain belongs to another tenant", "user", "create", "--tenant", "acme", "--name", "Eve", "--email", "eve@globex.example")
	f.fails("that e-mail address is already in use", "user", "create", "--tenant", "acme", "--name", "Ada Two", "--email", "ADA@acme.example")
	f.fails("name contains control characters", "user", "create", "--tenant", "acme", "--name", "Eve\x1b[31mRed")
	f.fails("name contains control characters", "user", "create", "--tenant", "acme", "--first", "E\x07ve", "--last", "Red")
	f.fails("name contains control characters", "user", "create", "--tenant", "acme", "--name", "Eve", "--category", "Sa\x1bles")
	graceKey := f.key("grace")
	grace := f.activeUser("acme", []key{graceKey}, "--first", "Grace", "--last", "Hopper", "--tag", "navy", "--email", "grace@acme.example")
	charles := f.createUser("acme", "--name", "Charles Babbage", "--tag", "math")
	f.createUser("globex", "--name", "Adam Globex")
	if got := f.users("acme"); len(got) != 3 {
		t.Fatalf("refused creates left users: %q", got)
	}

	// Filters.
	for _, c := range []struct {
		filter []string
		want   []string
	}{
		{[]string{"--tag", "math"}, []string{"Ada Lovelace", "Charles Babbage"}},
		{[]string{"--tag", "navy"}, []string{"Grace Hopper"}},
		{[]string{"--name", "*ad*"}, []string{"Ada Lovelace"}},
		{[]string{"--name", "*a*e*"}, []string{"Ada Lovelace", "Charles Babbage", "Grace Hopper"}},
		{[]string{"--status", "pending"}, []string{"Charles Babbage"}},
		{[]string{"--status", "active", "--tag", "math"}, []string{"Ada Lovelace"}},
		{[]string{"--name", "nobody"}, nil},
	} {
		if got := f.users("acme", c.filter...); !slices.Equal(got, c.want) {
			t.Errorf("user list %q = %q, want %q", c.filter, got, c.want)
		}
	}
	f.fails(`status "gone": use pending, active, detached or revoked`, "user", "list", "--tenant", "acme", "--status", "gone")
	if out := f.run("user", "list", "--tenant", "acme", "--tag", "navy"); !strings.Contains(out, grace.ID) || !strings.Contains(out, "grace@acme.example") {
		t.Errorf("user list (human): %q", out)
	}

	// Show: devices with their last activity, created, status.
	var shown userOut
	f.json(&shown, "user", "show", ada.ID, "--tenant", "acme")
	if shown.Status != "active" || shown.Devices != 1 || len(shown.DeviceList) != 1 || shown.DeviceList[0].Fingerprint != adaKey.fingerprint() ||
		shown.DeviceList[0].LastSeen.IsZero() || shown.CreatedAt.IsZero() || shown.Tenant != "acme" {
		t.Errorf("user show: %+v", shown)
	}
	out := f.run("user", "show", ada.ID, "--tenant", "acme")
	for _, want := range []string{"Ada Lovelace (" + ada.ID + ")", "status:    active", "created:", adaKey.fingerprint(), "LAST ACTIVE"} {
		if !strings.Contains(out, want) {
			t.Errorf("user show lacks %q:\n%s", want, out)
		}
	}

	// Edit.
	f.json(&shown, "user", "edit", ada.ID, "--tenant", "acme", "--nickname", "enchantress", "--tag", "poetry")
	if shown.Nickname != "enchantress" || !slices.Equal(shown.Tags, []string{"poetry"}) || shown.Name != "Ada Lovelace" || shown.Devices != 1 {
		t.Errorf("user edit: %+v", shown)
	}
	f.fails("belongs to another tenant", "user", "edit", ada.ID, "--tenant", "acme", "--email", "ada@globex.example")
	f.fails("already in use", "user", "edit", ada.ID, "--tenant", "acme", "--email", "grace@acme.example")
	f.fails("nothing to change", "user", "edit", ada.ID, "--tenant", "acme")

	// Code: the old code stops working, the new one works.
	var fresh userOut
	f.json(&fresh, "user", "code", charles.ID, "--tenant", "acme")
	charlesKey := f.key("charles")
	expectFail(t, f.srv.ssh(charlesKey, "the passphrase\n", "activate", charles.ActivationCode), "unknown activation code")
	f.enrol(charlesKey, fresh.ActivationCode)

	// Delete, the four answers (keep-id=false keep-app=true is `user revoke`).
	danKey, eveKey, fayKey := f.key("dan"), f.key("eve"), f.key("fay")
	dan := f.activeUser("acme", []key{danKey}, "--name", "Dan")
	eve := f.activeUser("acme", []key{eveKey}, "--name", "Eve")
	fay := f.activeUser("acme", []key{fayKey}, "--name", "Fay")
	f.fails("required flag(s) \"keep-app\", \"keep-id\" not set", "user", "delete", ada.ID, "--tenant", "acme")

	f.json(&shown, "user", "delete", ada.ID, "--tenant", "acme", "--keep-id=false", "--keep-app=false")
	if shown.Status != "revoked" || shown.Devices != 0 || shown.Email != "" {
		t.Errorf("delete --keep-id=false --keep-app=false: %+v", shown)
	}
	f.refused(adaKey, "This SSH key is not enrolled")
	f.chat("grace", graceKey)
	f.x.line("grace", "/open "+ada.ID)
	f.x.waitFor("grace", "revoked")
	// Her address is free for a successor.
	f.createUser("acme", "--name", "Ada Successor", "--email", "ada@acme.example")

	f.json(&shown, "user", "delete", dan.ID, "--tenant", "acme", "--keep-id=true", "--keep-app=false")
	if shown.Status != "detached" || shown.Devices != 0 {
		t.Errorf("delete --keep-id=true --keep-app=false: %+v", shown)
	}
	f.refused(danKey, "This SSH key is not enrolled")

	out = f.run("user", "delete", eve.ID, "--tenant", "acme", "--keep-id=true", "--keep-app=true")
	if !strings.Contains(out, "Removed Eve ("+eve.ID+"): ID kept (detached), devices kept.") {
		t.Errorf("delete --keep-id=true --keep-app=true: %q", out)
	}
	f.opens("eve", eveKey)

	f.json(&shown, "user", "revoke", fay.ID, "--tenant", "acme")
	if shown.Status != "revoked" || shown.Devices != 1 {
		t.Errorf("user revoke: %+v", shown)
	}
	f.refused(fayKey, "Your Parley ID "+fay.ID+" was revoked: it cannot be used any more")
	f.x.key("grace", "C-u") // the composer keeps a refused line: clear it
	f.x.line("grace", "/open "+fay.ID)
	f.x.waitFor("grace", fay.ID+": this Parley ID was revoked")
	f.fails("this Parley ID was revoked", "user", "revoke", fay.ID, "--tenant", "acme")
	f.fails("this Parley ID was revoked", "user", "delete", fay.ID, "--tenant", "acme", "--keep-id=true", "--keep-app=true")
	if got := f.users("acme", "--status", "revoked"); !slices.Equal(got, []string{"Ada Lovelace", "Fay"}) {
		t.Errorf("revoked users: %q", got)
	}
	if r := f.license("acme"); r.ActiveUsers != 2 || r.Devices != 2 {
		t.Errorf("license use after deletes: %d active users, %d devices; want 2 and 2 (grace, charles)", r.ActiveUsers, r.Devices)
	}

	// Unknown and foreign users.
	f.fails("ZZZZ9999: no such user", "user", "show", "ZZZZ9999", "--tenant", "acme")
	f.fails("ZZZZ9999: no such user", "user", "delete", "ZZZZ9999", "--tenant", "acme", "--keep-id=false", "--keep-app=false")
	f.fails("ZZZZ9999: no such user", "user", "code", "ZZZZ9999", "--tenant", "acme")
	f.fails(`"bob" is not a Parley ID`, "user", "show", "bob", "--tenant", "acme")
	var adam []userOut
	f.json(&adam, "user", "list", "--tenant", "globex")
	f.fails("no such user", "user", "show", adam[0].ID, "--tenant", "acme")
	f.fails("name the tenant", "user", "list")
	f.x.key("grace", "C-c")
}

// TestAdminDevices: list a user's devices, remove one; the user keeps the
// other, and the removed key no longer opens a session.
func TestAdminDevices(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	laptop, phone := f.key("laptop"), f.key("phone")
	ada := f.activeUser("acme", []key{laptop, phone}, "--name", "Ada")
	var ds []deviceOut
	f.json(&ds, "device", "list", "--tenant", "acme", "--user", ada.ID)
	if len(ds) != 2 || ds[0].LastSeen.IsZero() {
		t.Fatalf("device list: %+v", ds)
	}
	out := f.run("device", "list", "--tenant", "acme", "--user", ada.ID)
	if !strings.Contains(out, laptop.fingerprint()) || !strings.Contains(out, phone.fingerprint()) || !strings.Contains(out, "LAST ACTIVE") {
		t.Errorf("device list: %q", out)
	}
	var removed map[string]string
	f.json(&removed, "device", "remove", "--tenant", "acme", "--user", ada.ID, phone.fingerprint())
	if removed["removed"] != phone.fingerprint() || removed["user"] != ada.ID {
		t.Errorf("device remove: %+v", removed)
	}
	f.json(&ds, "device", "list", "--tenant", "acme", "--user", ada.ID)
	if len(ds) != 1 || ds[0].Fingerprint != laptop.fingerprint() {
		t.Errorf("after removing the phone: %+v", ds)
	}
	f.refused(phone, "This SSH key is not enrolled")
	f.opens("laptop", laptop)
	var u userOut
	f.json(&u, "user", "show", ada.ID, "--tenant", "acme")
	if u.Status != "active" || u.Devices != 1 {
		t.Errorf("the user after removing a device: %+v", u)
	}
	f.fails("no such device of this user", "device", "remove", "--tenant", "acme", "--user", ada.ID, phone.fingerprint())
	f.fails(`required flag(s) "user" not set`, "device", "list", "--tenant", "acme")
	f.fails("no such user", "device", "list", "--tenant", "acme", "--user", "ZZZZ9999")
}

// TestAdminTenantOwner: a tenant's owner manages its tenant and gets
// "permission denied" for anything about another, whether it exists or not.
func TestAdminTenantOwner(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	f.run("tenant", "create", "globex", "--seats", "10", "--domain", "globex.example")
	gil := f.activeUser("globex", []key{f.key("gil")}, "--name", "Gil Globex")
	ownerKey := f.key("owner")
	pub, err := os.ReadFile(ownerKey.path + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	f.srv.mustSSH(f.root, string(pub), "admin", "add", "--tenant", "acme", "--role", "owner")
	as := func(v any, args ...string) {
		t.Helper()
		reflect.ValueOf(v).Elem().SetZero()
		mustJSON(t, f.srv.mustSSH(ownerKey, "", append(args, "--json")...), v)
	}
	denied := func(args ...string) {
		t.Helper()
		expectFail(t, f.srv.ssh(ownerKey, "", args...), "error: permission denied")
	}

	// Its own tenant, without naming it.
	var ts []tenantOut
	as(&ts, "tenant", "list")
	if len(ts) != 1 || ts[0].Name != "acme" {
		t.Errorf("tenant list as acme's owner: %+v", ts)
	}
	var tn tenantOut
	as(&tn, "tenant", "show")
	if tn.Name != "acme" {
		t.Errorf("tenant show: %+v", tn)
	}
	var ada userOut
	as(&ada, "user", "create", "--name", "Ada", "--email", "ada@acme.example")
	if ada.Tenant != "acme" || ada.ActivationCode == "" {
		t.Errorf("user create as owner: %+v", ada)
	}
	var us []userOut
	as(&us, "user", "list")
	if len(us) != 1 || us[0].Tenant != "acme" {
		t.Errorf("user list as owner: %+v", us)
	}
	as(&tn, "tenant", "brand", "--display-name", "ACME", "--accent", "#D70000")
	if tn.DisplayName != "ACME" {
		t.Errorf("tenant brand as owner: %+v", tn)
	}
	var r licenseReportOut
	as(&r, "license", "show")
	if r.Tenant != "acme" || r.Seats != 10 || r.ActiveUsers != 0 {
		t.Errorf("license show as owner: %+v", r)
	}
	as(&ada, "user", "delete", ada.ID, "--keep-id=false", "--keep-app=false")
	if ada.Status != "revoked" {
		t.Errorf("user delete as owner: %+v", ada)
	}

	// Another tenant, or one that does not exist: permission denied, the same.
	for _, other := range []string{"globex", "no-such-tenant"} {
		denied("tenant", "show", other)
		denied("license", "show", "--tenant", other)
		denied("user", "list", "--tenant", other)
		denied("user", "create", "--tenant", other, "--name", "Mallory")
		denied("tenant", "brand", "--tenant", other, "--display-name", "Mine")
	}
	denied("user", "show", gil.ID, "--tenant", "globex")
	denied("user", "edit", gil.ID, "--tenant", "globex", "--nickname", "x")
	denied("user", "delete", gil.ID, "--tenant", "globex", "--keep-id=false", "--keep-app=false")
	denied("user", "revoke", gil.ID, "--tenant", "globex")
	denied("user", "code", gil.ID, "--tenant", "globex")
	denied("device", "list", "--tenant", "globex", "--user", gil.ID)
	// Naming its own tenant does not reach another tenant's user either.
	expectFail(t, f.srv.ssh(ownerKey, "", "user", "delete", gil.ID, "--tenant", "acme", "--keep-id=false", "--keep-app=false"), "no such user")
	// What only instance admins do.
	denied("tenant", "create", "initech")
	denied("tenant", "suspend", "acme")
	denied("tenant", "add-domain", "acme", "acme.org")
	denied("license", "add", "--tenant", "acme", "--seats", "100")
	denied("license", "seats", "--tenant", "acme", "--package", "standard", "--add", "100")
	denied("license", "trial", "--tenant", "acme")

	// globex is untouched.
	var gs []userOut
	f.json(&gs, "user", "list", "--tenant", "globex")
	if len(gs) != 1 || gs[0].Status != "active" || gs[0].Nickname != "" || gs[0].Devices != 1 {
		t.Errorf("globex's users after the owner's attempts: %+v", gs)
	}
	if r := f.license("acme"); r.Seats != 10 {
		t.Errorf("acme's seats: %d, want 10", r.Seats)
	}
}
