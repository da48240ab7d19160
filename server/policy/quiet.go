package policy

import (
	"time"

	"github.com/parley-chat/parley/server/quiet"
)

// QuietSchedule returns the quiet-hours schedule in effect in v
// (parley_quiet_hours: the user's own when set, else the tenant's). A value
// that no longer parses counts as none.
func QuietSchedule(v Values) quiet.Schedule {
	s, err := quiet.ParseValue(v.String(QuietHours))
	if err != nil {
		return quiet.Schedule{}
	}
	return s
}

// QuietNow reports whether the user whose effective values v are is in
// quiet hours at now, and until when: the instant they end, in the
// schedule's zone. until is zero when the user is not in quiet hours, or
// when they do not end within the next eight days (quiet all week).
func QuietNow(v Values, now time.Time) (bool, time.Time) {
	s := QuietSchedule(v)
	if !s.Quiet(now) {
		return false, time.Time{}
	}
	until, _ := s.NextChange(now)
	return true, until
}

// DecideNotify reports whether a message to the user whose effective
// values v are raises a notification (terminal bell, desktop notification)
// at now. Messages are delivered in quiet hours too, silently; an alarm
// message notifies always.
func DecideNotify(v Values, alarm bool, now time.Time) bool {
	if alarm {
		return true
	}
	q, _ := QuietNow(v, now)
	return !q
}
