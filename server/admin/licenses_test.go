package admin_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// set moves the injected clock to t.
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// bare creates a tenant without any license package.
func (e *env) bare(t testing.TB, name string) store.Tenant {
	t.Helper()
	tn, err := e.svc.CreateTenant(e.root, directory.TenantSpec{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return tn
}

func (e *env) license(t testing.TB, tenant string) admin.LicenseReport {
	t.Helper()
	r, err := e.svc.License(e.root, tenant)
	if err != nil {
		t.Fatalf("License(%s): %v", tenant, err)
	}
	return r
}

// TestTrialLifeCycle: a trial is 30 seats for one month; when it runs out,
// users can neither activate nor connect, and nothing is deleted;
// converting it into a full package restores both.
func TestTrialLifeCycle(t *testing.T) {
	e := newEnv(t)
	tn := e.bare(t, "initech")
	if r := e.license(t, "initech"); !r.Expired || !slices.Equal(r.Warnings, []string{"no license package: users cannot activate or open sessions"}) {
		t.Errorf("without a package: expired %t, warnings %q", r.Expired, r.Warnings)
	}
	start := e.clock.Now()
	l, err := e.svc.StartTrial(e.root, "initech")
	if err != nil {
		t.Fatal(err)
	}
	want := store.License{ID: "trial", TenantID: tn.ID, Plan: "trial", Seats: admin.TrialSeats, ValidFrom: start,
		ValidUntil: start.AddDate(0, 1, 0), Trial: true, CreatedAt: start}
	if l != want {
		t.Errorf("StartTrial = %+v, want %+v", l, want)
	}
	if admin.TrialSeats != 30 {
		t.Errorf("TrialSeats = %d, want 30", admin.TrialSeats)
	}
	r := e.license(t, "initech")
	if r.Expired || r.Usage.Seats != 30 || !r.ValidUntil.Equal(want.ValidUntil) || len(r.Warnings) != 0 {
		t.Errorf("trial report: %+v", r)
	}
	e.clock.Advance(2 * 24 * time.Hour) // 29 days left: flagged
	if r := e.license(t, "initech"); !slices.Equal(r.Warnings, []string{"trial ends soon: its last day is 2030-04-04"}) {
		t.Errorf("29 days before the end: warnings %q", r.Warnings)
	}

	before := e.auditCount(t)
	if _, err := e.svc.StartTrial(e.root, "initech"); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("second trial: %v, want ErrConflict", err)
	}
	e.unchanged(t, before)

	e.activeUser(t, tn, directory.UserSpec{Name: "Ada"}, "SHA256:ada")
	bob := e.user(t, tn, "Bob")

	// The last moment of the trial, then the first one after it.
	e.clock.set(want.ValidUntil.Add(-time.Second))
	_, code, err := e.svc.ReissueCode(e.root, "initech", bob.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	bob.Code = code
	if err := e.connect(t, "SHA256:ada"); err != nil {
		t.Fatalf("connect on the trial's last second: %v", err)
	}
	e.clock.set(want.ValidUntil)
	if err := e.connect(t, "SHA256:ada"); !errors.Is(err, directory.ErrLicenseExpired) {
		t.Errorf("connect after the trial: %v, want ErrLicenseExpired", err)
	}
	if _, err := e.dir.CheckActivation(t.Context(), bob.Code.Code, "SHA256:bob"); !errors.Is(err, directory.ErrLicenseExpired) {
		t.Errorf("CheckActivation after the trial: %v, want ErrLicenseExpired", err)
	}
	if _, err := e.dir.Activate(t.Context(), directory.ActivateSpec{Code: bob.Code.Code, Fingerprint: "SHA256:bob",
		AuthorizedKey: "ssh-ed25519 AAAA bob", Passphrase: []byte(passphrase)}); !errors.Is(err, directory.ErrLicenseExpired) {
		t.Errorf("Activate after the trial: %v, want ErrLicenseExpired", err)
	}
	r = e.license(t, "initech")
	if !r.Expired || r.Usage.Seats != 0 || !slices.Equal(r.Warnings, []string{"license expired: users cannot activate or open sessions"}) {
		t.Errorf("expired report: %+v", r)
	}
	us, err := e.svc.Users(e.root, "initech", directory.UserFilter{})
	if err != nil || len(us) != 2 || len(us[0].Devices) != 1 {
		t.Errorf("after expiry the users are %+v, %v; want both, Ada with her device", us, err)
	}

	// Convert: without an end date, a full package runs twelve months.
	now := e.clock.Now()
	l, err = e.svc.ChangeLicense(e.root, "initech", "trial", admin.LicenseChange{Plan: "Business"})
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != "trial" || l.Plan != "business" || l.Trial || l.Seats != 30 || !l.ValidUntil.Equal(now.AddDate(1, 0, 0)) {
		t.Errorf("converted package: %+v", l)
	}
	if err := e.connect(t, "SHA256:ada"); err != nil {
		t.Errorf("connect after converting: %v", err)
	}
	if u := e.activate(t, bob.Code.Code, "SHA256:bob"); u.Status != store.UserActive {
		t.Errorf("bob after converting: %q", u.Status)
	}
	if r := e.license(t, "initech"); r.Expired || len(r.Warnings) != 0 || r.Usage.ActiveUsers != 2 {
		t.Errorf("report after converting: %+v", r)
	}
	// A tenant has one trial, ever.
	if _, err := e.svc.StartTrial(e.root, "initech"); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("trial after converting: %v, want ErrConflict", err)
	}
}

// TestTrialRunsOneCalendarMonth: a trial ends the same day a month later,
// or on the last day of a shorter month.
func TestTrialRunsOneCalendarMonth(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ start, lastDay string }{
		{"2030-03-04", "2030-04-04"},
		{"2030-01-31", "2030-02-28"},
		{"2032-01-31", "2032-02-29"},
		{"2030-03-31", "2030-04-30"},
		{"2030-12-31", "2031-01-31"},
		{"2030-02-28", "2030-03-28"},
	}
	for i, c := range cases {
		start, err := time.Parse(time.DateOnly, c.start)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.set(start.Add(15 * time.Hour))
		name := "trial-" + string(rune('a'+i))
		e.bare(t, name)
		l, err := e.svc.StartTrial(e.root, name)
		if err != nil {
			t.Fatal(err)
		}
		if got := admin.LastDay(l.ValidUntil); got != c.lastDay {
			t.Errorf("trial from %s: last day %s, want %s", c.start, got, c.lastDay)
		}
	}
}

// TestLastDay: a package valid through a day ends at the start of the next.
func TestLastDay(t *testing.T) {
	day := time.Date(2030, 3, 31, 17, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	end := admin.EndOfDay(day)
	if want := time.Date(2030, 4, 1, 0, 0, 0, 0, time.UTC); !end.Equal(want) {
		t.Errorf("EndOfDay = %v, want %v", end, want)
	}
	if got := admin.LastDay(end); got != "2030-03-31" {
		t.Errorf("LastDay(%v) = %q", end, got)
	}
	if got := admin.LastDay(time.Time{}); got != "" {
		t.Errorf("LastDay(zero) = %q, want empty", got)
	}
}

// TestAddLicense: a package's last day may be today, never a past day.
func TestAddLicense(t *testing.T) {
	e := newEnv(t)
	today := e.clock.Now()
	cases := []struct {
		name string
		spec admin.LicenseSpec
		want error
	}{
		{"through today", admin.LicenseSpec{Plan: "Business", Seats: 5, ValidUntil: admin.EndOfDay(today)}, nil},
		{"no end", admin.LicenseSpec{Plan: "standard", Seats: 1}, nil},
		{"yesterday", admin.LicenseSpec{Plan: "standard", Seats: 5, ValidUntil: admin.EndOfDay(today.AddDate(0, 0, -1))}, admin.ErrInvalid},
		{"no seats", admin.LicenseSpec{Plan: "standard"}, admin.ErrInvalid},
		{"too many seats", admin.LicenseSpec{Plan: "standard", Seats: directory.MaxSeats + 1}, admin.ErrInvalid},
		{"bad plan", admin.LicenseSpec{Plan: "gold plan!", Seats: 1}, admin.ErrInvalid},
		{"empty plan", admin.LicenseSpec{Seats: 1}, admin.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.auditCount(t)
			seats := e.license(t, "acme").Usage.Seats
			l, err := e.svc.AddLicense(e.root, "acme", c.spec)
			if !errors.Is(err, c.want) {
				t.Fatalf("AddLicense(%+v) = %v, want %v", c.spec, err, c.want)
			}
			if err != nil {
				e.unchanged(t, before)
				return
			}
			if l.Plan != strings.ToLower(c.spec.Plan) || l.Seats != c.spec.Seats || !l.ValidUntil.Equal(c.spec.ValidUntil) || l.Trial {
				t.Errorf("AddLicense = %+v", l)
			}
			if got := e.license(t, "acme").Usage.Seats; got != seats+c.spec.Seats {
				t.Errorf("seats after adding %d: %d, want %d", c.spec.Seats, got, seats+c.spec.Seats)
			}
		})
	}
	// The package valid through today ends at midnight UTC.
	e.clock.set(admin.EndOfDay(today))
	if got := e.license(t, "acme").Usage.Seats; got != 10+1 {
		t.Errorf("seats the next day: %d, want 11", got)
	}
}

// TestChangeLicense: the arithmetic of extending, converting and resizing,
// on a tenant with 10 seats (package "standard", no end) that uses 3 active
// users with 4 devices.
func TestChangeLicense(t *testing.T) {
	now := time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)
	nextYear := admin.EndOfDay(now.AddDate(1, 0, 0))
	cases := []struct {
		name    string
		pkg     string
		c       admin.LicenseChange
		want    error
		seats   int
		until   time.Time
		plan    string
		trialOn bool // start a trial first
		tiny    int  // over-use acme: its standard package has 1 seat, and a package "tiny" this many
	}{
		{name: "add seats", pkg: "standard", c: admin.LicenseChange{AddSeats: 5}, seats: 15, plan: "standard"},
		{name: "set seats to what is used", pkg: "standard", c: admin.LicenseChange{Seats: 4}, seats: 4, plan: "standard"},
		{name: "set seats above use", pkg: "standard", c: admin.LicenseChange{Seats: 200}, seats: 200, plan: "standard"},
		{name: "set seats below the devices", pkg: "standard", c: admin.LicenseChange{Seats: 3}, want: admin.ErrConflict},
		{name: "set seats below the users", pkg: "standard", c: admin.LicenseChange{Seats: 1}, want: admin.ErrConflict},
		{name: "raise seats of an over-used tenant, still short", pkg: "tiny", tiny: 1, c: admin.LicenseChange{Seats: 2}, seats: 2, plan: "tiny"},
		{name: "lower seats of an over-used tenant", pkg: "tiny", tiny: 2, c: admin.LicenseChange{Seats: 1}, want: admin.ErrConflict},
		{name: "other packages count", pkg: "trial", trialOn: true, c: admin.LicenseChange{Seats: 1}, seats: 1, until: now.AddDate(0, 1, 0), plan: "trial"},
		{name: "extend", pkg: "standard", c: admin.LicenseChange{ValidUntil: nextYear}, seats: 10, until: nextYear, plan: "standard"},
		{name: "end in the past", pkg: "standard", c: admin.LicenseChange{ValidUntil: admin.EndOfDay(now.AddDate(0, 0, -1))}, want: admin.ErrInvalid},
		{name: "end today", pkg: "standard", c: admin.LicenseChange{ValidUntil: admin.EndOfDay(now)}, seats: 10, until: admin.EndOfDay(now), plan: "standard"},
		{name: "no end", pkg: "trial", trialOn: true, c: admin.LicenseChange{NoEnd: true}, seats: 30, plan: "trial"},
		{name: "end and no end", pkg: "standard", c: admin.LicenseChange{NoEnd: true, ValidUntil: nextYear}, want: admin.ErrInvalid},
		{name: "add and set", pkg: "standard", c: admin.LicenseChange{AddSeats: 1, Seats: 20}, want: admin.ErrInvalid},
		{name: "nothing", pkg: "standard", c: admin.LicenseChange{}, want: admin.ErrInvalid},
		{name: "negative seats", pkg: "standard", c: admin.LicenseChange{AddSeats: -1}, want: admin.ErrInvalid},
		{name: "too many seats", pkg: "standard", c: admin.LicenseChange{Seats: directory.MaxSeats + 1}, want: admin.ErrInvalid},
		{name: "adding past the maximum", pkg: "standard", c: admin.LicenseChange{AddSeats: directory.MaxSeats}, want: admin.ErrInvalid},
		{name: "convert", pkg: "trial", trialOn: true, c: admin.LicenseChange{Plan: "business"}, seats: 30, until: now.AddDate(1, 0, 0), plan: "business"},
		{name: "convert with an end", pkg: "trial", trialOn: true, c: admin.LicenseChange{Plan: "business", ValidUntil: nextYear.AddDate(1, 0, 0)},
			seats: 30, until: nextYear.AddDate(1, 0, 0), plan: "business"},
		{name: "convert without end", pkg: "trial", trialOn: true, c: admin.LicenseChange{Plan: "business", NoEnd: true}, seats: 30, plan: "business"},
		{name: "change a full plan keeps its end", pkg: "standard", c: admin.LicenseChange{Plan: "enterprise"}, seats: 10, plan: "enterprise"},
		{name: "back to trial", pkg: "standard", c: admin.LicenseChange{Plan: "trial"}, want: admin.ErrInvalid},
		{name: "bad plan", pkg: "standard", c: admin.LicenseChange{Plan: "no spaces"}, want: admin.ErrInvalid},
		{name: "unknown package", pkg: "nope", c: admin.LicenseChange{AddSeats: 1}, want: admin.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.activeUser(t, e.acme, directory.UserSpec{Name: "Ada"}, "SHA256:ada-1", "SHA256:ada-2")
			e.activeUser(t, e.acme, directory.UserSpec{Name: "Bob"}, "SHA256:bob")
			e.activeUser(t, e.acme, directory.UserSpec{Name: "Cy"}, "SHA256:cy")
			if c.trialOn {
				if _, err := e.svc.StartTrial(e.root, "acme"); err != nil {
					t.Fatal(err)
				}
			}
			if c.tiny > 0 {
				if err := e.db.Update(t.Context(), func(tx store.Tx) error {
					l := store.License{ID: "tiny", TenantID: e.acme.ID, Plan: "tiny", Seats: c.tiny, ValidFrom: now, CreatedAt: now}
					if err := tx.PutLicense(l); err != nil {
						return err
					}
					std, err := tx.License(e.acme.ID, "standard")
					if err != nil {
						return err
					}
					std.Seats = 1
					return tx.PutLicense(std)
				}); err != nil {
					t.Fatal(err)
				}
			}
			before, packages := e.auditCount(t), e.license(t, "acme").Packages
			l, err := e.svc.ChangeLicense(e.root, "acme", c.pkg, c.c)
			if !errors.Is(err, c.want) {
				t.Fatalf("ChangeLicense(%s, %+v) = %v, want %v", c.pkg, c.c, err, c.want)
			}
			if err != nil {
				e.unchanged(t, before)
				if got := e.license(t, "acme").Packages; !slices.Equal(got, packages) {
					t.Errorf("a refused change changed the packages:\n got %+v\nwant %+v", got, packages)
				}
				return
			}
			if l.Seats != c.seats || !l.ValidUntil.Equal(c.until) || l.Plan != c.plan || l.Trial != (c.plan == "trial") {
				t.Errorf("ChangeLicense = %+v; want %d seats, until %v, plan %s", l, c.seats, c.until, c.plan)
			}
			if n := e.auditCount(t) - before; n != 1 {
				t.Errorf("ChangeLicense wrote %d audit entries, want 1", n)
			}
		})
	}
}

// TestLicenseWarnings: over-use is flagged, never refused, as in the seeds.
func TestLicenseWarnings(t *testing.T) {
	type user struct {
		devices int
		status  store.UserStatus // active (default), pending, detached, revoked
	}
	cases := []struct {
		name  string
		seats int
		users []user
		want  []string
	}{
		{"within the seats", 3, []user{{devices: 1}, {devices: 2}}, nil},
		{"exactly full", 2, []user{{devices: 1}, {devices: 1}}, nil},
		{"too many devices", 2, []user{{devices: 1}, {devices: 2}}, []string{"too many devices: 3 devices for 2 seats"}},
		{"both", 1, []user{{devices: 1}, {devices: 1}}, []string{
			"too many devices: 2 devices for 1 seat", "licenses missing for active users: 2 active users for 1 seat"}},
		{"pending users need no seat", 1, []user{{devices: 1}, {status: store.UserPending}}, nil},
		{"detached and revoked users need no seat", 1, []user{{devices: 1}, {devices: 1, status: store.UserDetached},
			{devices: 1, status: store.UserRevoked}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			tn, err := e.svc.CreateTenant(e.root, directory.TenantSpec{Name: "initech", Seats: c.seats})
			if err != nil {
				t.Fatal(err)
			}
			for i, u := range c.users {
				var fps []string
				for d := range u.devices {
					fps = append(fps, "SHA256:u"+string(rune('a'+i))+"-"+string(rune('0'+d)))
				}
				got := e.activeUser(t, tn, directory.UserSpec{Name: "User " + string(rune('A'+i))}, fps...)
				switch u.status {
				case store.UserDetached:
					_, err = e.svc.DeleteUser(e.root, "initech", got.ID, true, true)
				case store.UserRevoked:
					_, err = e.svc.RevokeUser(e.root, "initech", got.ID)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			r := e.license(t, "initech")
			if !slices.Equal(r.Warnings, c.want) {
				t.Errorf("warnings = %q, want %q (usage %+v)", r.Warnings, c.want, r.Usage)
			}
			// Flagged, not refused: everyone with a device still connects.
			for i, u := range c.users {
				if u.devices > 0 && u.status == "" {
					if err := e.connect(t, "SHA256:u"+string(rune('a'+i))+"-0"); err != nil {
						t.Errorf("user %d cannot connect: %v", i, err)
					}
				}
			}
		})
	}
}

// TestLicenseWarningsOfTime: a package ending within 30 days, a suspended
// tenant, and the end date reported.
func TestLicenseWarningsOfTime(t *testing.T) {
	e := newEnv(t)
	now := e.clock.Now()
	l, err := e.svc.AddLicense(e.root, "acme", admin.LicenseSpec{Plan: "extra", Seats: 5, ValidUntil: admin.EndOfDay(now.AddDate(0, 0, 40))})
	if err != nil {
		t.Fatal(err)
	}
	r := e.license(t, "acme")
	if len(r.Warnings) != 0 || !r.ValidUntil.IsZero() || r.Usage.Seats != 15 {
		t.Errorf("40 days ahead: %+v; want no warnings, no end (the standard package has none), 15 seats", r)
	}
	e.clock.set(now.AddDate(0, 0, 15))
	want := "package " + l.ID + " ends soon: its last day is 2030-04-13"
	if r := e.license(t, "acme"); !slices.Equal(r.Warnings, []string{want}) {
		t.Errorf("25 days ahead: warnings %q, want %q", r.Warnings, want)
	}
	if _, err := e.svc.SuspendTenant(e.root, "acme", true); err != nil {
		t.Fatal(err)
	}
	if r := e.license(t, "acme"); !slices.Contains(r.Warnings, "tenant suspended: users cannot activate or open sessions") {
		t.Errorf("suspended: warnings %q", r.Warnings)
	}
	// Only the dated package left: the report shows its end.
	e2 := newEnv(t)
	e2.bare(t, "initech")
	l, err = e2.svc.AddLicense(e2.root, "initech", admin.LicenseSpec{Plan: "standard", Seats: 5, ValidUntil: admin.EndOfDay(now.AddDate(1, 0, 0))})
	if err != nil {
		t.Fatal(err)
	}
	if r := e2.license(t, "initech"); !r.ValidUntil.Equal(l.ValidUntil) || r.Expired {
		t.Errorf("report: valid until %v, expired %t; want %v", r.ValidUntil, r.Expired, l.ValidUntil)
	}
}
