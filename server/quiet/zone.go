package quiet

import (
	"fmt"
	"strings"
	"time"

	// Embed the zone database: admins configure schedules with IANA names,
	// and the server must understand them on hosts without a zone database.
	_ "time/tzdata"
)

// loadZone loads an IANA time zone by name. "Local" and the empty name are
// refused: a schedule's zone must mean the same on every host.
func loadZone(name string) (*time.Location, error) {
	name = strings.TrimSpace(name)
	switch name {
	case "":
		return nil, &Error{Msg: "missing time zone: give an IANA name like Europe/Zurich or UTC"}
	case "Local":
		return nil, &Error{Msg: `time zone "Local" depends on the host: give an IANA name like Europe/Zurich or UTC`}
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, &Error{Msg: fmt.Sprintf("unknown time zone %q: give an IANA name like Europe/Zurich or UTC", clip(name))}
	}
	return loc, nil
}
