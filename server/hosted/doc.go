// Package hosted runs the client core inside the server for a hosted SSH
// session. It adapts the relay, the directory and the store to the core's
// interfaces (tui/core's Relay, Keys and Store), each bound to the session's
// principal, so a session can only ever act as, and read the device store
// of, the user whose key authenticated.
//
// In hosted mode the user's secret key is opened in this process, in the
// memory of that session; docs/threat-model.md says what that protects
// against and what it does not.
package hosted
