// Package directory is the registry of the instance: tenants, users and their
// Parley IDs and public keys, devices (SSH keys bound to users), activation
// codes, administrative keys, and the opening of a user's sealed secret key.
//
// It enforces the rules of that data — unique names and domains, one owner
// per SSH key, single-use expiring codes, throttled unlocks — and nothing
// about who may ask: permission checks live in server/admin. It knows
// nothing about SSH, HTTP or the terminal.
package directory
