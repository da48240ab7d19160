// Package hosted runs the client core inside the server for a hosted SSH
// session. It adapts the relay, the directory and the store to the core's
// interfaces (tui/core's Relay, Keys, Store and Account), each bound to the
// session's principal, so a session can only ever act as, and read the
// device store of, the user whose key authenticated.
//
// The Account tells the session which policies are in effect for its user
// (policy.EffectiveTx) and whether quiet hours are on now
// (policy.QuietNow); it listens on the policy bus, so an admin's change
// reaches open sessions without a reconnect. It also carries the settings
// users may change themselves: their nickname (directory.EditOwnProfile,
// refused under th_readonly_profile) and their own quiet hours (allowed by
// parley_user_quiet_hours, audited as "policy.set.self" and
// "policy.unset.self" with the user's key as the actor).
//
// In hosted mode the user's secret key is opened in this process, in the
// memory of that session; docs/threat-model.md says what that protects
// against and what it does not.
package hosted
