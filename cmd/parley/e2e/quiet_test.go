package e2e

import (
	"strings"
	"testing"
	"time"
)

// quietOut is quiet-hours show --json.
type quietOut struct {
	Tenant     string     `json:"tenant"`
	User       string     `json:"user"`
	Schedule   string     `json:"schedule"`
	Zone       string     `json:"zone"`
	Source     string     `json:"source"`
	QuietNow   bool       `json:"quiet_now"`
	NextChange *time.Time `json:"next_change"`
	Next       []struct {
		At    time.Time `json:"at"`
		Quiet bool      `json:"quiet"`
	} `json:"next"`
}

// officeQuiet is the reference for "Mon-Fri 18:00-08:00; Sat,Sun all-day":
// quiet on weekends, from 18:00 on weekdays, and before 08:00 on the day
// after a weekday evening (Tuesday to Saturday).
func officeQuiet(t time.Time) bool {
	h := t.Hour()
	switch t.Weekday() {
	case time.Saturday, time.Sunday:
		return true
	case time.Monday:
		return h >= 18
	}
	return h >= 18 || h < 8
}

// TestQuietHoursExec sets, shows and unsets quiet hours over exec with the
// issue's own example, and refuses bad schedules without changing anything.
func TestQuietHoursExec(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ada := f.createUser("acme", "--name", "Ada Lovelace")

	var q quietOut
	f.json(&q, "quiet-hours", "show", "--tenant", "acme")
	if q.Schedule != "" || q.Source != "default" || q.QuietNow || q.NextChange != nil {
		t.Fatalf("before: %+v, want no quiet hours", q)
	}

	before := time.Now()
	f.json(&q, "quiet-hours", "set", "--tenant", "acme", "Mon-Fri 18:00-08:00; Sat,Sun all-day", "--tz", "Europe/Zurich")
	after := time.Now()
	if q.Zone != "Europe/Zurich" || q.Source != "global" || !strings.Contains(q.Schedule, "Sat,Sun all-day") {
		t.Fatalf("set: %+v", q)
	}
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	// Compare with the reference unless a change fell while the command ran.
	if officeQuiet(before.In(zurich)) == officeQuiet(after.In(zurich)) && q.QuietNow != officeQuiet(after.In(zurich)) {
		t.Errorf("quiet_now = %t at %s, want %t", q.QuietNow, after.In(zurich), officeQuiet(after.In(zurich)))
	}
	if q.NextChange == nil || len(q.Next) == 0 || !q.NextChange.Equal(q.Next[0].At) || q.Next[0].Quiet == q.QuietNow {
		t.Fatalf("next_change %v, next %+v: want the first of the next changes, flipping quiet_now", q.NextChange, q.Next)
	}
	for i, c := range q.Next {
		if got := officeQuiet(c.At.In(zurich)); got != c.Quiet {
			t.Errorf("change %d at %s says quiet=%t, the reference %t", i, c.At.In(zurich), c.Quiet, got)
		}
		if just := c.At.Add(-time.Minute).In(zurich); officeQuiet(just) == c.Quiet {
			t.Errorf("change %d at %s changes nothing", i, c.At.In(zurich))
		}
	}

	// A user's own schedule wins over the tenant's.
	f.json(&q, "quiet-hours", "set", "--tenant", "acme", "--user", ada.ID, "Mon-Sun", "all-day", "--tz", "UTC")
	if q.Source != "individual" || !q.QuietNow || q.NextChange != nil {
		t.Fatalf("a user's all-week schedule: %+v, want quiet now and never changing", q)
	}

	for _, c := range []struct{ want string }{{"Mars/Olympus"}} {
		f.fails(c.want, "quiet-hours", "set", "--tenant", "acme", "Sat all-day", "--tz", c.want)
	}
	f.fails("overlap", "quiet-hours", "set", "--tenant", "acme", "Mon 08:00-12:00; Mon 11:00-13:00", "--tz", "UTC")
	f.fails("25:00", "quiet-hours", "set", "--tenant", "acme", "Mon 25:00-26:00", "--tz", "UTC")
	f.fails("--tz", "quiet-hours", "set", "--tenant", "acme", "Sat all-day")
	f.json(&q, "quiet-hours", "show", "--tenant", "acme")
	if q.Zone != "Europe/Zurich" || !strings.Contains(q.Schedule, "Mon-Fri 18:00-08:00") {
		t.Fatalf("refused changes changed the schedule: %+v", q)
	}

	f.json(&q, "quiet-hours", "unset", "--tenant", "acme")
	if q.Schedule != "" || q.Source != "default" {
		t.Fatalf("after unset: %+v", q)
	}
	f.json(&q, "quiet-hours", "show", "--tenant", "acme", "--user", ada.ID)
	if q.Source != "individual" {
		t.Fatalf("unsetting the tenant's schedule touched the user's: %+v", q)
	}
}
