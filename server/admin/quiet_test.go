package admin_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

func TestQuietHours(t *testing.T) {
	pe := newPolicyEnv(t)
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	now := pe.clock.Now().In(zurich)
	if now.Weekday() != time.Monday || now.Hour() != 6 {
		t.Fatalf("the fixture's clock is %s, want a Monday 06:xx in Zurich", now)
	}
	wall := func(day, hm string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hm, zurich)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	today := now.Format(time.DateOnly)
	owner := pe.admin(t, pe.acme, store.RoleOwner, "SHA256:owner")
	ada := pe.user(t, pe.acme, "Ada Acme").User.ID
	n := pe.auditCount(t)

	st, err := pe.svc.SetQuietHours(owner, "acme", nil, "Europe/Zurich", "mon-fri 6:00-07:00, 18:00-24:00")
	if err != nil {
		t.Fatal(err)
	}
	if st.Schedule != "Mon-Fri 06:00-07:00, 18:00-24:00" || st.Zone != "Europe/Zurich" || st.Source != policy.SourceGlobal || !st.QuietNow {
		t.Errorf("SetQuietHours = %+v, want the canonical schedule, global, quiet now", st)
	}
	if want := wall(today, "07:00"); !st.NextChange.Equal(want) {
		t.Errorf("NextChange = %s, want %s", st.NextChange, want)
	}
	if len(st.Next) != 5 || !st.Next[1].At.Equal(wall(today, "18:00")) || !st.Next[1].Quiet || st.Next[2].Quiet {
		t.Errorf("Next = %v, want five changes, the second at 18:00 today into quiet hours", st.Next)
	}
	if c := pe.auditCount(t); c != n+1 {
		t.Errorf("audit entries: %d, want %d", c, n+1)
	}
	if h := pe.takeHeard(); len(h) != 1 || h[0].tenant != pe.acme.ID || !h[0].user.IsZero() {
		t.Errorf("bus heard %+v, want the tenant", h)
	}

	// Ada has the tenant's until she gets her own, which then wins.
	if got, err := pe.svc.QuietHours(owner, "acme", &ada); err != nil || got.Source != policy.SourceGlobal || got.Schedule != st.Schedule {
		t.Errorf("QuietHours(Ada) = %+v, %v; want the tenant's", got, err)
	}
	own, err := pe.svc.SetQuietHours(owner, "acme", &ada, "America/New_York", "Sat,Sun all-day")
	if err != nil {
		t.Fatal(err)
	}
	if own.Source != policy.SourceIndividual || own.QuietNow || own.Zone != "America/New_York" {
		t.Errorf("SetQuietHours(Ada) = %+v, want her own, not quiet on a Monday", own)
	}
	if got, _ := pe.svc.QuietHours(owner, "acme", nil); got.Schedule != st.Schedule {
		t.Errorf("the tenant's schedule changed to %q", got.Schedule)
	}

	// Bad input changes nothing and writes no audit entry.
	n = pe.auditCount(t)
	for _, c := range []struct{ zone, spec, want string }{
		{"Europe/Zurch", "Mon all-day", `quiet hours: unknown time zone "Europe/Zurch"`},
		{"Europe/Zurich", "Mon 10:00-12:00; Mon 11:00-13:00", "overlapping ranges"},
		{"Europe/Zurich", "Mon 25:00-26:00", `column 5: "25:00" is not a time of day`},
		{"Europe/Zurich", "Mo 10:00-11:00", `unknown day "Mo"`},
		{"Europe/Zurich", "", "empty schedule"},
	} {
		_, err := pe.svc.SetQuietHours(owner, "acme", nil, c.zone, c.spec)
		if !errors.Is(err, admin.ErrInvalid) || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("SetQuietHours(%q, %q) = %v, want ErrInvalid with %q", c.zone, c.spec, err, c.want)
		}
	}
	if got := pe.auditCount(t); got != n {
		t.Errorf("refused schedules wrote %d audit entries", got-n)
	}
	stranger := crypto.ID{1, 2, 3}
	if _, err := pe.svc.SetQuietHours(owner, "acme", &stranger, "UTC", "Mon all-day"); !errors.Is(err, directory.ErrUserNotFound) {
		t.Errorf("SetQuietHours(unknown user) = %v, want ErrUserNotFound", err)
	}
	auditor := pe.admin(t, pe.acme, store.RoleAuditor, "SHA256:auditor")
	n = pe.auditCount(t) // the auditor's enrolment is audited
	if _, err := pe.svc.SetQuietHours(auditor, "acme", nil, "Bad/Zone", "x"); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("SetQuietHours as auditor = %v, want ErrForbidden before any check of the input", err)
	}
	if err := pe.svc.UnsetQuietHours(auditor, "acme", nil); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("UnsetQuietHours as auditor = %v, want ErrForbidden", err)
	}
	if got, err := pe.svc.QuietHours(auditor, "acme", nil); err != nil || got.Schedule != st.Schedule {
		t.Errorf("QuietHours as auditor = %+v, %v; want the schedule", got, err)
	}
	if _, err := pe.svc.QuietHours(owner, "globex", nil); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("QuietHours of another tenant = %v, want ErrForbidden", err)
	}
	if c := pe.auditCount(t); c != n {
		t.Errorf("refused calls wrote %d audit entries", c-n)
	}

	// Unset: Ada falls back to the tenant's, the tenant to none.
	if err := pe.svc.UnsetQuietHours(owner, "acme", &ada); err != nil {
		t.Fatal(err)
	}
	if got, _ := pe.svc.QuietHours(owner, "acme", &ada); got.Source != policy.SourceGlobal {
		t.Errorf("after unset, Ada's source = %s, want global", got.Source)
	}
	if err := pe.svc.UnsetQuietHours(owner, "acme", nil); err != nil {
		t.Fatal(err)
	}
	got, err := pe.svc.QuietHours(owner, "acme", nil)
	if err != nil || got.Schedule != "" || got.Zone != "" || got.Source != policy.SourceDefault || got.QuietNow ||
		!got.NextChange.IsZero() || len(got.Next) != 0 {
		t.Errorf("after unset: %+v, %v; want no quiet hours", got, err)
	}
}
