// Package policy is the tenant's rules for its users' apps: the registry of
// policy keys (their types, defaults and whether they may be set per user),
// the validation of values, the resolution of the value in effect for a
// user, and a bus that tells live sessions when a value changed.
//
// # Resolution
//
// A key has a value at up to three levels. An individual value, set for one
// user, wins over the tenant's global value, which wins over the registry's
// default. Only keys marked PerUser take individual values.
//
// # What it knows and what it does not
//
// The package holds rules only: it reads and writes values through
// store.Tx and leaves permissions, audit entries and transactions to its
// callers (server/admin wraps every change; enforcement lives in the
// services that refuse the forbidden action). It knows nothing about SSH,
// HTTP or terminals. It imports server/quiet to validate schedules.
//
// # Decisions
//
// Services ask Allows(values, action) before a user does something a
// policy may forbid (add a contact, change the profile, create a group, use
// the company directory, back up or export the ID, call); DecideCall and
// QuietNow decide calls and notifications by the quiet-hours schedule.
// Features that do not exist yet call Allows when they are built.
//
// Values are stored as canonical text (Key.Normalize): "true"/"false" for
// booleans, decimal integers, Go durations ("15m0s"), quiet-hours
// schedules as "ZONE SPEC", and tenant lists as sorted comma-separated
// names.
package policy
