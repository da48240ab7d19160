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
// The package knows nothing about SSH, HTTP or the terminal.
package admin
