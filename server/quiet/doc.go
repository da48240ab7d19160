// Package quiet is quiet-hours schedules: weekly ranges of wall-clock time
// in a named (IANA) time zone, when a user's app raises no notification and
// incoming calls are rejected.
//
// # Syntax
//
// A schedule is written as ranges separated by semicolons, each a set of
// days and one or more time ranges separated by commas:
//
//	Mon-Fri 18:00-08:00; Sat,Sun all-day
//	Mon 12:00-13:00, 18:00-24:00; Wed-Fri 22:00-06:00
//
// Days are English names, three letters or in full, in any case: a day
// (Mon), a range (Mon-Fri; Fri-Mon wraps over the weekend) or a comma list
// of both (Sat,Sun or Mon,Wed-Fri). A time range is HH:MM-HH:MM, from the
// start to just before the end; 24:00 may end a range, all-day is
// 00:00-24:00. An end before the start crosses midnight: "Mon-Fri
// 22:00-06:00" is quiet from Monday 22:00 to Tuesday 06:00, ..., Friday
// 22:00 to Saturday 06:00. A range must not be empty (start equal to end).
//
// Ranges must not overlap anywhere in the week (adjacent ranges are fine),
// with one exception: the part after midnight of a range that crosses
// midnight may lie inside a range of the next day. So in "Mon-Fri
// 18:00-08:00; Sat,Sun all-day" Friday's range runs into Saturday's
// all-day, and the schedule is quiet from Friday 18:00 to Monday 00:00;
// Monday 00:00-08:00 is not quiet (no range reaches it). "Outside office
// hours" is "Mon-Fri 00:00-08:00, 18:00-24:00; Sat,Sun all-day".
//
// String gives a canonical form that Parse reads back to an equal schedule.
// The value stored in the parley_quiet_hours policy is "ZONE SPEC" (Value
// and ParseValue), e.g. "Europe/Zurich Mon-Fri 18:00-08:00; Sat,Sun all-day".
//
// # Time zones and daylight saving time
//
// A schedule is evaluated on the wall clock of its zone, to the minute: an
// instant is quiet when the weekday and time a clock on the wall of that
// zone shows at that instant lie in a range. So a range keeps its wall-clock
// times across daylight-saving changes, and:
//
//   - wall-clock times that do not exist on a day (the hour skipped when
//     clocks go forward) are skipped: a range 02:00-03:00 on that day is
//     quiet for no time at all, and a range 02:30-04:00 starts at 03:00;
//   - wall-clock times that occur twice (the hour repeated when clocks go
//     back) are quiet both times when they lie in a range, so that day's
//     range lasts an hour longer in real time.
//
// The zone database is embedded in the binary (time/tzdata), so schedules
// work on hosts without one.
//
// The package is pure: it knows nothing about policies, storage or fronts.
package quiet
