// Package admin is the administration of an instance: tenants, license
// packages, users and devices, admins and their second factor, managed
// groups, API keys, exports and statistics. Every action is one service
// call that first checks what the calling principal may do (perms.go), and
// every change is written to the audit log in the same transaction as the
// change itself.
//
// The fronts — exec commands, the admin console, the HTTP admin API — add
// no rules: they translate a request into one of these calls.
//
// Tenant isolation: a principal's roles name tenants; asking about a tenant
// it has no role in fails with ErrForbidden whether or not that tenant
// exists, so one tenant's admins learn nothing of another's.
//
// Roles are read at every call: authorize reads the caller's roles from
// the store, never from the principal its session started with, and an
// API key may use only those of its scopes that its creator still holds
// in the tenant (apikeys.go). Bulk reads are pages (audit.MaxLimit
// entries, MaxUserPage users); the whole log or user list leaves only
// through a four-eyes export.
//
// The package knows nothing about SSH, HTTP or the terminal.
package admin
