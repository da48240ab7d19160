// Package directory is the registry of the instance: tenants, users and their
// Parley IDs and public keys, devices (SSH keys bound to users), activation
// codes, administrative keys, and the opening of a user's sealed secret key.
//
// It enforces the rules of that data — unique names and domains, one owner
// per SSH key, single-use expiring codes, throttled unlocks — and nothing
// about who may ask: permission checks live in server/admin. It knows
// nothing about SSH, HTTP or the terminal.
//
// It also enforces the tenant's policies (server/policy) on what users do
// themselves: who may write to whom (Reachable, asked by the relay for
// every envelope: cross-tenant messaging, closed user groups), whom a user
// may look up (Contact), profile presets at activation, and the user's own
// profile edits (EditOwnProfile). Effective values are cached when a
// policy bus is configured and dropped on every published change.
package directory
